"""One story, two languages: the French and English versions of the same item, found once.

A company publishes the same news in French and in English as two items. An
employee should see it once in their feed, in their language, and a French
draft of the English item should start from the French text. Two items are
versions of each other when the library says so (an item's ``translation_of``
field names the other's id, in either direction), or when they are of the same
kind, in different languages, and share at least ``SHARED_FIGURES`` of their
numbers and dates (two versions of one announcement give the same figures;
two different stories rarely do).

>>> a = {"id": "a", "kind": "news", "language": "fr", "title": "Parc", "text": "12 MWc, 4 000 foyers, le 3 mai 2026."}
>>> b = {"id": "b", "kind": "news", "language": "en", "title": "Farm", "text": "12 MWc, 4,000 homes, on 3 May 2026."}
>>> same_story(a, b), same_story(a, dict(b, kind="event"))
(True, False)
"""

from __future__ import annotations

import json
from functools import lru_cache

from ..storage.store import Store
from .facts import key_facts

SHARED_FIGURES = 2


def _linked(item: dict) -> set[str]:
    extra = item.get("extra")
    try:
        extra = json.loads(extra) if isinstance(extra, str) else (extra or {})
    except ValueError:
        return set()
    value = extra.get("translation_of") or extra.get("versions") or []
    return {str(v) for v in ([value] if isinstance(value, str) else value if isinstance(value, list) else [])}


@lru_cache(maxsize=4096)
def _figures(title: str, text: str) -> frozenset:
    return frozenset(f.key.rsplit("-", 1)[0] if f.kind == "date" else f.key
                     for f in key_facts(text, title, limit=50) if f.kind in ("number", "date"))


def same_story(a: dict, b: dict) -> bool:
    """Whether ``a`` and ``b`` are versions of one story (see the module)."""
    if a["id"] == b["id"] or a["language"] == b["language"]:
        return False
    if b["id"] in _linked(a) or a["id"] in _linked(b):
        return True
    return a["kind"] == b["kind"] and \
        len(_figures(a["title"], a["text"]) & _figures(b["title"], b["text"])) >= SHARED_FIGURES


def versions_of(store: Store, item: dict) -> list[dict]:
    """The other-language versions of ``item`` in the library (retired ones left out)."""
    rows = store.rows("SELECT id, title, text, url, kind, language, extra FROM content "
                      "WHERE NOT retired AND language <> ? AND kind = ?", [item["language"], item["kind"]])
    linked = store.rows("SELECT id, title, text, url, kind, language, extra FROM content WHERE NOT retired AND id IN "
                        "(SELECT unnest(?::VARCHAR[]))", [sorted(_linked(item))]) if _linked(item) else []
    found = {r["id"]: r for r in [*linked, *rows] if same_story(item, r)}
    return list(found.values())


def version_in(store: Store, item: dict, lang: str) -> dict | None:
    """``item`` itself when it is in ``lang``, else its version in ``lang``, else None."""
    if item["language"] == lang:
        return item
    return next((v for v in versions_of(store, item) if v["language"] == lang), None)


def one_per_story(items: list[dict], lang: str, others: dict[str, list[str]]) -> list[dict]:
    """``items`` (a ranked feed) with each story once: the first-ranked version, replaced by the version
    in ``lang`` when the feed holds it. ``others`` maps an id to its other versions' ids; each kept
    item gets ``other_versions``.

    >>> one_per_story([{"id": "en1", "language": "en"}, {"id": "x", "language": "fr"}, {"id": "fr1", "language": "fr"}],
    ...               "fr", {"en1": ["fr1"], "fr1": ["en1"]})
    [{'id': 'fr1', 'language': 'fr', 'other_versions': ['en1']}, {'id': 'x', 'language': 'fr', 'other_versions': []}]
    """
    by_id = {i["id"]: i for i in items}
    kept, seen = [], set()
    for item in items:
        if item["id"] in seen:
            continue
        group = [item["id"], *others.get(item["id"], [])]
        seen.update(group)
        choice = next((by_id[g] for g in group if g in by_id and by_id[g]["language"] == lang), item)
        kept.append({**choice, "other_versions": [g for g in group if g != choice["id"]]})
    return kept
