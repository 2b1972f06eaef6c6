"""An item's key point in the other language, translated once and kept.

When an employee drafts in French about an item that exists only in English (or
the reverse) and the library has no version of it in their language, the key
point (``keypoint``: the headline and the short phrases carrying the item's facts)
is translated by the configured translator (``models.translator``: OPUS-MT en↔fr
from PyPI packages by default), phrase by phrase, and stored per item, content
hash and language, so it is translated once whoever drafts. A phrase whose
translation lost or changed a number, or lost a name, is dropped: facts stay
exact. Translating takes a few seconds on a CPU; the app starts it while the
employee writes their sentence (:func:`translate_in_background`), and a draft
that cannot wait for it uses the figures-only key point instead.

    >>> ensure(ctx, item, "fr")                    # doctest: +SKIP
    >>> translated_point(ctx.store, item, "fr")    # doctest: +SKIP
    KeyPoint(lang='fr', headline='Velora achève son projet pilote…', via='translation', …)
"""

from __future__ import annotations

import json
import logging
import re
from concurrent.futures import Future, ThreadPoolExecutor

from ..storage.store import Store
from ..text import fold
from .facts import _NUMBER, _number_key, has_fact
from .keypoint import KeyPoint, key_point, names_person
from .prompting import sanitize
from .units import figure

log = logging.getLogger(__name__)


def _numbers(text: str) -> list[str]:
    return sorted(_number_key(m.group(1)) for m in _NUMBER.finditer(text))


def faithful(source: str, translation: str, names: list[str]) -> bool:
    """Whether ``translation`` keeps every number of ``source`` (in either format) and each of ``names`` it held.

    >>> faithful("Readmissions fell by 18% at 9 clinics", "Les réadmissions ont baissé de 18 % dans 9 cliniques", [])
    True
    >>> faithful("7.5% of 1,200 patients", "7,5 % de 200 patients", [])
    False
    """
    kept = all(fold(n) in fold(translation) for n in names if fold(n) in fold(source))
    return bool(translation.strip()) and _numbers(source) == _numbers(translation) and kept


def ensure(ctx, item: dict, lang: str) -> bool:
    """Translate ``item``'s key point into ``lang`` and store it, unless it is stored already; False when no
    translator is available or translating failed (the reason is logged)."""
    store = ctx.store
    if _row(store, item, lang) is not None:
        return True
    translator = ctx.translator
    if translator is None:
        return False
    source, _removed = sanitize(item["text"])
    original = key_point(item, item["language"], source=source)
    segments = [_core(original.headline), *original.details]
    try:
        out = translator.translate_batch(segments, item["language"], lang)
    except Exception as exc:  # a missing package or a model that fails: figures only, said in the log
        log.warning("translation of %s into %s failed: %s", item["id"], lang, exc)
        return False
    names = [f.text for f in original.facts if f.kind == "name"]
    kept = [t if t and faithful(s, t, names) else "" for s, t in zip(segments, out)]
    store.execute(
        """INSERT INTO translations (content_id, content_hash, lang, title, details) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (content_id, lang) DO UPDATE SET content_hash = excluded.content_hash,
             title = excluded.title, details = excluded.details, created_at = now()""",
        [item["id"], item["content_hash"], lang, kept[0], json.dumps([d for d in kept[1:] if d], ensure_ascii=False)])
    return True


def translated_point(store: Store, item: dict, lang: str, avoid_names: tuple[str, ...] = ()) -> KeyPoint | None:
    """The stored translation of ``item``'s key point as a :class:`KeyPoint` in ``lang`` (None when there is
    none for its current text). The item's lead date is written the ``lang`` way beside the headline."""
    row = _row(store, item, lang)
    if row is None or not (row["title"] or row["details"]):
        return None
    source, _removed = sanitize(item["text"])
    original = key_point(item, item["language"], source=source)
    headline = _sentence(row["title"]) if row["title"] else ""
    date = next((f for f in original.facts if f.kind == "date" and has_fact(original.headline, f)), None)
    if headline and date:
        headline = headline[:-1] + f" ({figure(date, lang)})."
    details = [d for d in json.loads(row["details"] or "[]") if not names_person(d, avoid_names)]
    text = " ".join([headline, *details])
    facts = [f for f in original.facts if has_fact(text, f)]
    return KeyPoint(lang=lang, headline=headline, details=details, facts=facts, via="translation",
                    source=f"{item['title']}\n{item['text']}", title=item["title"])


def _core(headline: str) -> str:
    """A headline without its date in brackets and its full stop: what is translated (the date is not)."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", headline.strip().rstrip(".")).strip()


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] + "."


def _row(store: Store, item: dict, lang: str) -> dict | None:
    rows = store.rows("SELECT title, details FROM translations WHERE content_id = ? AND lang = ? AND content_hash = ?",
                      [item["id"], lang, item["content_hash"]])
    return rows[0] if rows else None


def translate_in_background(executor: ThreadPoolExecutor, ctx, item: dict, lang: str) -> Future:
    """Start :func:`ensure` on ``executor`` (the app's worker), for a draft the employee is about to ask for."""
    return executor.submit(_quietly, ctx, item, lang)


def _quietly(ctx, item: dict, lang: str) -> bool:
    try:
        return ensure(ctx, item, lang)
    except Exception:  # never lost: the draft falls back to the figures
        log.exception("background translation failed")
        return False

