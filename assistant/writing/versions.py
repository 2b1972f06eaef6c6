"""One story, two languages: the French and English versions of the same item, found once.

A company publishes the same news in French and in English as two items. An
employee should see it once in their feed, in their language, and a French
draft of the English item should start from the French text. Two items are
versions of each other when the library says so (an item's ``translation_of``
field names the other's id, in either direction), or when they are of the same
kind, in different languages, and share at least ``SHARED_FIGURES`` of their
numbers and dates, and at least half of the figures of each (two
versions of one announcement give the same figures; two different stories rarely do).

>>> a = {"id": "a", "kind": "news", "language": "fr", "title": "Parc", "text": "12 MWc, 4 000 foyers, le 3 mai 2026."}
>>> b = {"id": "b", "kind": "news", "language": "en", "title": "Farm", "text": "12 MWc, 4,000 homes, on 3 May 2026."}
>>> same_story(a, b), same_story(a, dict(b, kind="event"))
(True, False)

The feed keeps one version per story (:func:`one_per_story`), in the employee's language.
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
    x, y = _figures(a["title"], a["text"]), _figures(b["title"], b["text"])
    shared = len(x & y)
    return a["kind"] == b["kind"] and shared >= SHARED_FIGURES and shared >= 0.5 * max(len(x), len(y))


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


def one_per_story(store: Store, items: list[dict], lang: str) -> list[dict]:
    """``items`` (a ranked feed) with each story once, in ``lang`` when the library has that version (it takes
    the place of the first-ranked one); each kept item gets ``other_versions``: ``[{"id", "language"}]``."""
    library = store.rows("SELECT id, title, text, url, kind, language, extra FROM content WHERE NOT retired")
    by_id = {r["id"]: r for r in library}
    kept, seen = [], set()
    for item in items:
        if item["id"] in seen:
            continue
        full = by_id.get(item["id"], item)
        group = [full, *[r for r in library if same_story(full, r)]]
        seen.update(g["id"] for g in group)
        choice = next((g for g in group if g["language"] == lang), full)
        shown = dict(item) if choice["id"] == item["id"] else {
            **item, **{k: choice[k] for k in ("id", "title", "url", "language")},
            "excerpt": " ".join(choice["text"].split()[:40]) + ("…" if len(choice["text"].split()) > 40 else "")}
        shown["other_versions"] = [{"id": g["id"], "language": g["language"]} for g in group if g["id"] != choice["id"]]
        kept.append(shown)
    return kept
