"""The systems compared side by side: the product, BM25 (DuckDB full-text search), each embedder.

Each system maps a loaded ``Dataset`` to rankings: ``{person_id: [content ids]}``
for recommendation, ``{query_id: [person ids]}`` for expert finding.
``product`` calls ``assistant.retrieval.matching`` with the set's context exactly as the
app does; the others are the baselines it has to beat (``dense:NAME`` sees the
same store through embedder ``NAME``).

    >>> system_names()
    ['product', 'bm25', 'dense:use', 'dense:e5', 'dense:minilm']
"""

from __future__ import annotations

import numpy as np

from assistant.imports import people
from assistant.imports.catalog import embedding_text
from assistant.retrieval import matching
from assistant.retrieval.embeddings import vectors

from evals.dataset import Dataset

BASELINE_EMBEDDERS = ("use", "e5", "minilm")


def system_names(embedders=BASELINE_EMBEDDERS) -> list[str]:
    return ["product", "bm25"] + [f"dense:{name}" for name in embedders]


# --- recommendation -----------------------------------------------------------------

def rank_recommend(ds: Dataset, system: str) -> dict[str, list[str]]:
    store = ds.store
    persons = [p for p in ds.qrels_person if p in ds.email_of]
    n_items = store.value("SELECT count(*) FROM content")
    back = {v: k for k, v in ds.content_id_of.items()}  # stored id -> an eval id
    if system == "product":
        return {p: [back.get(r["id"], r["id"]) for r in matching.recommend(ds.ctx, ds.email_of[p], limit=n_items)]
                for p in persons}
    if system == "bm25":
        _fts_content(store)
        out = {}
        for p in persons:
            query = " ".join(t for _, t in _profile(ds, p))
            rows = store.execute(
                "SELECT id FROM (SELECT id, fts_main_content.match_bm25(id, ?) AS s FROM content) WHERE s IS NOT NULL ORDER BY s DESC, id",
                [query],
            ).fetchall()
            out[p] = [back.get(r[0], r[0]) for r in rows]
        return out
    if system.startswith("dense:"):
        embedder = ds.with_embedder(system.split(":", 1)[1]).embedder
        items = store.rows("SELECT * FROM content ORDER BY id")
        item_vecs, _ = vectors(store, embedder, [embedding_text(i) for i in items])
        out = {}
        for p in persons:
            texts = [t for _, t in _profile(ds, p)]
            if not texts:
                out[p] = []
                continue
            centroid = vectors(store, embedder, texts)[0].mean(axis=0)
            order = np.argsort(-(item_vecs @ centroid), kind="stable")
            out[p] = [back.get(items[i]["id"], items[i]["id"]) for i in order]
        return out
    raise KeyError(f"unknown system {system!r}; known: {', '.join(system_names())}")


# --- experts --------------------------------------------------------------------------

def rank_experts(ds: Dataset, system: str) -> dict[str, list[str]]:
    store = ds.store
    queries = {str(q.get("id")): str(q.get("text") or "") for q in ds.queries}
    to_id = ds.person_of
    if system == "product":
        return {q: [to_id[r["email"]] for r in matching.experts(ds.ctx, text, limit=len(ds.people), floor=False)]
                for q, text in queries.items() if text.strip()}
    if system == "bm25":
        _fts_people(ds)
        out = {}
        for q, text in queries.items():
            rows = store.execute(  # BM25 per document, summed per person ("voting")
                "SELECT email FROM (SELECT email, fts_main_person_docs.match_bm25(doc_id, ?) AS s FROM person_docs) "
                "WHERE s IS NOT NULL GROUP BY email ORDER BY sum(s) DESC, email", [text]).fetchall()
            out[q] = [to_id[r[0]] for r in rows]
        return out
    if system.startswith("dense:"):
        embedder = ds.with_embedder(system.split(":", 1)[1]).embedder
        persons = [str(p.get("id")) for p in ds.people]
        out = {}
        docs = {p: [t for _, t in _profile(ds, p)] for p in persons}
        doc_vecs = {p: vectors(store, embedder, d)[0] for p, d in docs.items() if d}
        for q, text in queries.items():
            qv = vectors(store, embedder, [text], kind="query")[0][0]
            score = {p: 0.5 * float((v @ qv).max()) + 0.5 * float((v @ qv).mean()) for p, v in doc_vecs.items()}
            out[q] = sorted(score, key=lambda p: (-score[p], p))
        return out
    raise KeyError(f"unknown system {system!r}; known: {', '.join(system_names())}")


# --- helpers --------------------------------------------------------------------------

def _profile(ds: Dataset, person_id: str) -> list[tuple[str, str]]:
    email = ds.email_of[person_id]
    person = people.get_person(ds.store, email)
    return people.profile_texts(person, people.posts_of(ds.store, email)) if person else []


def _fts_content(store) -> None:
    store.load_extension("fts")
    store.execute("PRAGMA create_fts_index('content', 'id', 'title', 'text', stemmer='porter', "
                  "stopwords='english', strip_accents=1, overwrite=1)")


def _fts_people(ds: Dataset) -> None:
    store = ds.store
    store.load_extension("fts")
    store.execute("CREATE OR REPLACE TABLE person_docs (doc_id INTEGER PRIMARY KEY, email TEXT, text TEXT)")
    rows = [(ds.email_of[str(p.get("id"))], text) for p in ds.people for _, text in _profile(ds, str(p.get("id")))]
    store.db.executemany("INSERT INTO person_docs VALUES (?, ?, ?)", [[i, email, text] for i, (email, text) in enumerate(rows)])
    store.execute("PRAGMA create_fts_index('person_docs', 'doc_id', 'text', stemmer='none', "
                  "stopwords='english', strip_accents=1, overwrite=1)")
