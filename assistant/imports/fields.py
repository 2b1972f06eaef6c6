"""Parsing of the documented import fields: texts, booleans, lists, dates, integers.

Shared by the content and people imports so that CSV strings, JSON values and
front-matter values mean the same thing everywhere. A bad value raises
``Rejected`` with one sentence naming the field (values in the message are
shortened, so a 10 MB value never becomes a 10 MB error line). Every text has a
size limit, chosen by the module that owns the field.

>>> as_int("1 200", "network_size")
1200
>>> try:
...     as_int("inf", "priority", high=3)
... except Rejected as exc:
...     print(exc)
priority must be a whole number, got 'inf'
>>> as_text("Data engineer", "role", 200)
'Data engineer'
>>> as_list("python; ml, sql", "skills")
['python', 'ml', 'sql']
>>> str(check_value({"a": ["ok", "\\ud800"]}))
'contains an invalid character (lone surrogate U+D800)'
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import re
import unicodedata
from ..words.worded import Worded


class Rejected(Worded):
    """An item that cannot be stored: a catalogue key (``errors.*``) and its values; ``str()`` is the reason in
    English (the import log, the command line), ``message(lang)`` in the reader's language."""

_TRUE = {"true", "yes", "y", "1", "oui", "o", "vrai", "x"}
_FALSE = {"false", "no", "n", "0", "non", "faux", ""}
_SURROGATE = re.compile("[\ud800-\udfff]")
INT_MAX = 2**31 - 1  # the store's INTEGER columns
MAX_DEPTH = 16       # nesting of lists/objects inside one record
MAX_EXTRA_CHARS = 20_000


def shown(value, limit: int = 60) -> str:
    """``repr(value)``, cut to ``limit`` characters, for error messages."""
    try:
        text = repr(value)
    except ValueError:  # an integer over 4,300 digits cannot even be printed
        return "<a number too long to show>"
    return text if len(text) <= limit else text[: limit - 1] + "…"


def as_text(value, name: str, limit: int, *, one_line: bool = True) -> str | None:
    """A stripped text of at most ``limit`` characters, or None when empty.

    ``one_line`` fields (ids, titles, names, emails…) may not hold a line break:
    in a CSV file one usually means an unclosed quote swallowed the next row.
    """
    if value is None:
        return None
    if isinstance(value, (dict, list, tuple, set)):
        raise Rejected("errors.not_text", name=name, type=type(value).__name__)
    try:
        text = str(value).strip()
    except ValueError:
        raise Rejected("errors.number_as_text", name=name) from None
    if len(text) > limit:
        raise Rejected("errors.too_long", name=name, n=len(text), limit=limit)
    if one_line and ("\n" in text or "\r" in text):
        raise Rejected("errors.one_line", name=name)
    return text or None


def as_bool(value, name: str, default: bool = False) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        text = value.strip().lower()
    else:
        text = {0: "0", 1: "1"}.get(value, "?") if isinstance(value, int) else "?"
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Rejected("errors.not_boolean", name=name, value=shown(value))


def as_list(value, name: str, *, item_limit: int = 200, max_items: int = 100) -> list[str]:
    """A list from a JSON list or a comma/semicolon/pipe-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        items = re.split(r"[,;|]", value)
    elif isinstance(value, (list, tuple)):
        if any(isinstance(v, (dict, list, tuple, set)) for v in value):
            raise Rejected("errors.not_text_list", name=name)
        items = [as_text(v, name, item_limit, one_line=False) or "" for v in value]
    else:
        raise Rejected("errors.not_list", name=name)
    out = [item.strip() for item in items if item and item.strip()]
    if len(out) > max_items:
        raise Rejected("errors.too_many", name=name, n=len(out), limit=max_items)
    for item in out:
        if len(item) > item_limit:
            raise Rejected("errors.entry_too_long", name=name, n=len(item), limit=item_limit)
        if "\n" in item or "\r" in item:
            raise Rejected("errors.entries_one_line", name=name)
    return out


def as_int(value, name: str, default: int | None = None, *, low: int = 0, high: int = INT_MAX) -> int | None:
    """A whole number in ``[low, high]``: ``3``, ``"3"``, ``"1 200"``, ``3.0``; never inf, nan or a bool."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    number = None
    if isinstance(value, bool):
        pass
    elif isinstance(value, int):
        number = value
    elif isinstance(value, (float, str)):
        text = str(value).strip().replace(" ", "").replace("\u202f", "").replace("\xa0", "")
        if len(text) <= 32:
            try:
                real = float(text)
            except ValueError:
                real = math.nan
            if math.isfinite(real) and real == int(real):
                number = int(real)
    if number is None:
        raise Rejected("errors.not_whole", name=name, value=shown(value))
    if not low <= number <= high:
        raise Rejected("errors.out_of_range", name=name, low=low, high=high, value=shown(value))
    return number


def as_date(value, name: str) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip() if isinstance(value, str) else ""
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise Rejected("errors.not_date", name=name, value=shown(value)) from None


def check_value(value, max_depth: int = MAX_DEPTH) -> Rejected | None:
    """Why a decoded record cannot be stored (too deep, a lone surrogate, a NUL), as a ``Rejected``, or None.

    Iterative, so a value nested a thousand levels deep costs a loop, not the stack; a flat record of
    texts (every CSV row) is checked in one pass over its joined text.
    """
    if isinstance(value, dict) and all(type(v) is str for v in value.values()):
        blob = "\x01".join([*map(str, value.keys()), *value.values()])
        bad = None if blob.isascii() else _SURROGATE.search(blob)
        if bad:
            return Rejected("errors.surrogate", code=f"{ord(bad.group()):04X}")
        return Rejected("errors.nul") if "\x00" in blob else None
    stack = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if not item.isascii():
                bad = _SURROGATE.search(item)
                if bad:
                    return Rejected("errors.surrogate", code=f"{ord(bad.group()):04X}")
            if "\x00" in item:
                return Rejected("errors.nul")
        elif isinstance(item, (dict, list, tuple)):
            if depth >= max_depth:
                return Rejected("errors.too_deep", depth=max_depth)
            children = list(item.keys()) + list(item.values()) if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return None


def normalise_text(text: str) -> str:
    """Case-, accent-form- and whitespace-insensitive form used for hashing."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return re.sub(r"\s+", " ", text).strip()


def digest(*parts) -> str:
    payload = json.dumps(parts, default=str, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def extra_json(fields: dict, known: set[str], limit: int = MAX_EXTRA_CHARS) -> str | None:
    """Unknown fields kept verbatim as JSON (never rejected, unless they exceed ``limit`` characters)."""
    extra = {k: v for k, v in fields.items() if k not in known}
    if not extra:
        return None
    try:
        text = json.dumps(extra, default=str, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as exc:  # inf/nan, or keys JSON cannot have
        raise Rejected("errors.extra_not_json", reason=exc) from None
    if len(text) > limit:
        raise Rejected("errors.extra_too_large", n=len(text), limit=limit)
    return text
