"""Recommendations per employee and experts per topic, with human-readable reasons.

Both rankings are hybrid: dense similarity from the configured embedder
(multilingual, so French and English meet) plus BM25 on the exact words, each
standardised per query before they are added, so neither scale dominates.
A person is represented by their expertise statement, skills and past posts,
each kept as its own document ("voting") rather than one averaged vector: one
strong post about cybersecurity should not be diluted by five about hiring.

    >>> recommend(store, "camille.durand@nordlys-energie.example", limit=5)
    [{"id": ..., "title": ..., "score": 1.73, "reason": "Matches your expertise: …"}, ...]
    >>> experts(store, "sécurité des réseaux industriels", limit=3)
    [{"email": ..., "name": ..., "score": ..., "evidence": [...]}, ...]

The pure arithmetic lives in ``ranking.py``; this module fetches, caches and explains.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from dataclasses import dataclass, replace

import numpy as np

from models import Embedder, get_embedder

from . import catalog, people
from .config import settings
from .embeddings import vectors
from .lexical import Bm25
from .ranking import mmr, top_k_mean, vote, zscore
from .store import Store


@dataclass(frozen=True)
class Weights:
    """Ranking parameters, chosen on the dev sets (see README "Quality")."""

    lexical: float = 0.5          # weight of standardised BM25 next to standardised dense scores
    top_k: int = 3                # documents averaged per person ("voting")
    centroid: float = 0.5         # share of the profile-centroid similarity in the dense score
    campaign: float = 0.15        # per priority point (0-3), in standard deviations
    recency: float = 0.3          # bonus for a fresh item, decaying with a 30-day half-life
    diversity: float = 0.25       # MMR trade-off


WEIGHTS = Weights()


class UnknownEmployee(LookupError):
    pass


# --- content index, cached per process -----------------------------------------------

@dataclass
class ContentIndex:
    items: list[dict]
    vectors: np.ndarray
    bm25: Bm25
    computed: int  # embeddings computed when this index was built (0 when served from cache)


_cache: dict[tuple, ContentIndex] = {}
_cache_lock = threading.Lock()


def content_index(store: Store, embedder: Embedder, today: dt.date | None = None, progress=None) -> ContentIndex:
    """Active items with their vectors and BM25 index; rebuilt only when the library changes."""
    today = today or dt.date.today()
    version = store.execute("SELECT count(*), max(updated_at), sum(retired::INT) FROM content").fetchone()
    key = (str(store.settings.db_path), embedder.name, today, version)
    with _cache_lock:
        if key in _cache:
            return replace(_cache[key], computed=0)
    items = catalog.active_items(store, today)
    texts = [catalog.embedding_text(i) for i in items]
    matrix, computed = vectors(store, embedder, texts, progress=progress)
    index = ContentIndex(items, matrix, Bm25(texts), computed)
    with _cache_lock:
        _cache.clear()
        _cache[key] = index
    return index


def embedder_for(name: str | None = None) -> Embedder:
    return get_embedder(name or settings().embedder)


# --- recommendations ------------------------------------------------------------------

def recommend(store: Store, email: str, limit: int = 10, embedder: Embedder | None = None,
              today: dt.date | None = None, weights: Weights = WEIGHTS) -> list[dict]:
    """Top ``limit`` items for one employee, each with ``score`` and a one-line ``reason``."""
    embedder = embedder or embedder_for()
    today = today or dt.date.today()
    person = people.get_person(store, email)
    if person is None:
        raise UnknownEmployee(f"no employee with email {email!r}; import people first")
    index = content_index(store, embedder, today)
    shared = {r["content_id"] for r in store.rows("SELECT content_id FROM shares WHERE email = ?", [person["email"]])}
    keep = [i for i, item in enumerate(index.items) if item["id"] not in shared]
    if not keep:
        return []
    items = [index.items[i] for i in keep]
    item_vecs = index.vectors[keep]
    profile = people.profile_texts(person, people.posts_of(store, person["email"]))
    lang = (person["languages"] or ["en"])[0]

    if profile:
        prof_vecs, _ = vectors(store, embedder, [t for _, t in profile])
        relevance, best_doc = person_scores(prof_vecs, item_vecs, weights)
        lexical = index.bm25.scores(" ".join(t for _, t in profile))[keep]
        score = zscore(relevance) + weights.lexical * zscore(lexical)
    else:
        score, best_doc = np.zeros(len(items), dtype=np.float32), None

    reads = set(person["languages"] or [])
    for n, item in enumerate(items):
        score[n] += weights.campaign * item["priority"] + weights.recency * freshness(item, today)
    # Items in a language the employee reads come first; the others follow, flagged in the reason.
    readable = np.array([not reads or item["language"] in reads for item in items])
    order = []
    for tier in (np.flatnonzero(readable), np.flatnonzero(~readable)):
        if len(order) < limit and len(tier):
            picked = mmr(score[tier], item_vecs[tier], limit - len(order), diversity=weights.diversity)
            order += [int(tier[i]) for i in picked]
    results = []
    for n in order:
        item = items[n]
        label, text = profile[best_doc[n]] if best_doc is not None else (None, None)
        results.append({
            "id": item["id"], "title": item["title"], "score": round(float(score[n]), 4),
            "reason": reason(label, text, item, lang, reads),
            "kind": item["kind"], "language": item["language"], "campaign": item["campaign"], "url": item["url"],
        })
    return results


def person_scores(profile_vecs: np.ndarray, item_vecs: np.ndarray, weights: Weights = WEIGHTS):
    """Dense relevance of each item to one person, and the index of the profile text that matched best.

    ``profile_vecs`` (t, d) are the person's texts, ``item_vecs`` (n, d) the items.
    Relevance mixes the mean of the ``top_k`` text similarities with the
    similarity to the profile centroid.
    """
    sims = profile_vecs @ item_vecs.T
    centroid = profile_vecs.mean(axis=0)
    norm = float(np.linalg.norm(centroid)) or 1.0
    dense = (1 - weights.centroid) * top_k_mean(sims, weights.top_k, axis=0) + weights.centroid * (item_vecs @ centroid) / norm
    return dense, sims.argmax(axis=0)


def freshness(item: dict, today: dt.date) -> float:
    """1.0 on the publish day, halving every 30 days; 0.5 when the date is unknown."""
    published = item.get("published_at")
    if not published:
        return 0.5
    age = max((today - published).days, 0)
    return math.pow(0.5, age / 30)


_REASONS = {
    "en": {"expertise": "Matches your expertise", "skills": "Matches your skills", "post": "Close to your post",
           "none": "Featured by the company", "campaign": "campaign", "language": "in {lang}, which is not in your languages"},
    "fr": {"expertise": "Correspond à votre expertise", "skills": "Correspond à vos compétences",
           "post": "Proche de votre publication", "none": "Mis en avant par l'entreprise", "campaign": "campagne",
           "language": "en {lang}, hors de vos langues"},
}


def reason(label: str | None, text: str | None, item: dict, lang: str, reads: set[str]) -> str:
    """One sentence in the employee's language saying why this item was picked."""
    words = _REASONS.get(lang, _REASONS["en"])
    parts = [f"{words[label]}: « {snippet(text)} »" if lang == "fr" else f"{words[label]}: \"{snippet(text)}\""] if label else [words["none"]]
    if item.get("campaign"):
        parts.append(f"{words['campaign']} {item['campaign']}")
    if reads and item["language"] not in reads:
        parts.append(words["language"].format(lang=item["language"]))
    return " · ".join(parts)


def snippet(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rsplit(" ", 1)[0] + "…"


# --- experts --------------------------------------------------------------------------

def experts(store: Store, query: str, limit: int = 10, embedder: Embedder | None = None,
            weights: Weights = WEIGHTS) -> list[dict]:
    """Colleagues who accept interview requests, ranked for a topic typed in French or English."""
    if not query or not query.strip():
        raise ValueError("type a topic to search for experts")
    embedder = embedder or embedder_for()
    candidates = store.rows("SELECT * FROM employees WHERE consent_interviews ORDER BY email")
    docs, owners = [], []
    for n, person in enumerate(candidates):
        for label, text in people.profile_texts(person, people.posts_of(store, person["email"])):
            docs.append((label, text))
            owners.append(n)
    if not docs:
        return []
    owners_arr = np.array(owners)
    doc_vecs, _ = vectors(store, embedder, [t for _, t in docs])
    query_vec, _ = vectors(store, embedder, [query.strip()], kind="query")
    doc_score = zscore(doc_vecs @ query_vec[0]) + weights.lexical * zscore(Bm25([t for _, t in docs]).scores(query))
    person_score = vote(doc_score, owners_arr, len(candidates), k=weights.top_k)
    ranked = [int(i) for i in np.argsort(-person_score, kind="stable") if np.isfinite(person_score[i])][:limit]
    results = []
    for n in ranked:
        mine = np.flatnonzero(owners_arr == n)
        best = mine[np.argsort(-doc_score[mine], kind="stable")][:3]
        person = candidates[n]
        results.append({
            "email": person["email"], "name": person["name"], "role": person["role"], "team": person["team"],
            "score": round(float(person_score[n]), 4),
            "evidence": [{"kind": docs[i][0], "text": snippet(docs[i][1], 160), "score": round(float(doc_score[i]), 4)}
                         for i in best],
        })
    return results
