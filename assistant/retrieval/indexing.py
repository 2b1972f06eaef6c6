"""Embed what is new: active items and people's texts that have no stored vector yet.

Imports call this once at the end (the CLI, the Library page, the demo loader), so
the first recommendation or expert search after an import does not wait for the
embedder. It only fills the vector store (``embeddings.vectors`` skips texts
already embedded by this model); the ranking indexes build themselves from
those vectors when first asked.

    >>> embed_pending(store, embedder)            # doctest: +SKIP
    157
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from models import Embedder

from ..imports import catalog, people
from ..storage.store import Store
from .embeddings import vectors

Progress = Callable[[str, int, int], None]  # (stage, done, total)


def embed_pending(store: Store, embedder: Embedder, progress: Progress | None = None,
                  today: dt.date | None = None) -> int:
    """Embed active items, then every person's profile texts and posts; return how many were computed."""
    def stage(name):
        return (lambda done, total: progress(name, done, total)) if progress else None

    items = catalog.active_items(store, today)
    _, computed_items = vectors(store, embedder, [catalog.embedding_text(i) for i in items], progress=stage("content"))
    posts = [p["text"] for p in store.rows("SELECT text FROM employee_posts ORDER BY id")]
    texts = []
    for person in store.rows("SELECT * FROM employees ORDER BY email"):
        texts += [t for _, t in people.profile_texts(person, people.posts_of(store, person["email"]))]
    _, computed_people = vectors(store, embedder, list(dict.fromkeys(posts + texts)), progress=stage("people"))
    return computed_items + computed_people
