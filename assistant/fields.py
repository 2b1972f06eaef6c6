"""Parsing of the documented import fields: booleans, lists, dates, integers.

Shared by the content and people imports so CSV strings, JSON values and
front-matter values mean the same thing everywhere. Bad values raise
``Rejected`` with a sentence naming the field.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import unicodedata

from .importing import Rejected

_TRUE = {"true", "yes", "y", "1", "oui", "o", "vrai", "x"}
_FALSE = {"false", "no", "n", "0", "non", "faux", ""}


def as_bool(value, name: str, default: bool = False) -> bool:
    if value is None:
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise Rejected(f"{name} must be true or false, got {value!r}")


def as_list(value, name: str) -> list[str]:
    """A list from a JSON list or a comma/semicolon-separated string."""
    if value is None:
        return []
    if isinstance(value, str):
        items = re.split(r"[,;|]", value)
    elif isinstance(value, (list, tuple)):
        items = [str(v) for v in value]
    else:
        raise Rejected(f"{name} must be a list or a comma-separated string")
    return [item.strip() for item in items if item and item.strip()]


def as_int(value, name: str, default: int | None = None) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return default
    try:
        number = float(str(value).replace(" ", "").replace("\u202f", ""))
    except ValueError:
        raise Rejected(f"{name} must be a whole number, got {value!r}") from None
    if number != int(number) or number < 0:
        raise Rejected(f"{name} must be a whole number, got {value!r}")
    return int(number)


def as_date(value, name: str) -> dt.date | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        raise Rejected(f"{name} must be a date like 2026-11-22, got {value!r}") from None


def normalise_text(text: str) -> str:
    """Case-, accent-form- and whitespace-insensitive form used for hashing."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return re.sub(r"\s+", " ", text).strip()


def digest(*parts) -> str:
    payload = json.dumps(parts, default=str, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def extra_json(fields: dict, known: set[str]) -> str | None:
    """Unknown fields kept verbatim as JSON (never rejected)."""
    extra = {k: v for k, v in fields.items() if k not in known}
    return json.dumps(extra, default=str, ensure_ascii=False) if extra else None
