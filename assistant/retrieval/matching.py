"""Recommendations per employee and experts per topic, with human-readable reasons.

Both rankings follow the recipe in ``ranking.py``, measured on the shared dev
sets (README "Quality"): per-embedder, language-centred, standardised
similarities between *units* (a person's expertise statement, skills and
posts; an item; a colleague's document), smoothed over the candidates' nearest
neighbours, positive evidence only, then aggregated: a weighted mean over the
employee's units for recommendations, a sum over a colleague's documents for
experts ("voting"). Typed topics also use BM25, so exact terms count.

    >>> recommend(ctx, "camille.durand@nordlys-energie.example", limit=5)   # doctest: +SKIP
    [{"id": ..., "title": ..., "score": 1.73, "reason": "Correspond à votre expertise : …"}, ...]
    >>> experts(ctx, "sécurité des réseaux industriels", limit=3)            # doctest: +SKIP
    [{"email": ..., "name": ..., "score": ..., "evidence": [...]}, ...]

This module fetches, caches and explains; the arithmetic lives in ``ranking.py``.
"""

from __future__ import annotations

import datetime as dt
import math
import threading
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from models import Embedder

from .. import language
from ..imports import catalog, people
from ..storage.store import Store
from ..words.catalogue import translate
from . import background, evidence
from .embeddings import vectors
from .lexical import Bm25
from .ranking import (centre, fused, knn, knn_distinct, language_means, mean_over_units, mixed_cosine, mmr, smooth,
                      sum_by_owner)

if TYPE_CHECKING:  # the composition root sits above this layer (LAYERS in assistant/__init__.py)
    from ..context import Context


@dataclass(frozen=True)
class Weights:
    """Ranking parameters, chosen on the dev sets (README "Quality"; the graph sizes and BM25's weight by
    ``python -m evals choice``, on people and topics held apart from the ones that scored them)."""

    neighbours: int = 10             # a colleague's document's nearest documents, for experts' smoothing
    item_neighbours: int = 10        # an item's nearest items, for recommendations' smoothing (20 scores higher on
                                     # sib200 but lowers the demo's FR/EN item agreement: README "Quality")
    smoothing: float = 1.0           # share of the neighbours' evidence added to a unit
    lexical_recommend: float = 0.0   # BM25 between whole posts and items is noise (measured)
    lexical_experts: float = 1.0     # BM25 for typed topics, as much as one embedder
    statement: float = 2.0           # the expertise statement counts as this many posts
    skills: float = 1.0
    campaign: float = 0.1            # per priority point (0-3)
    recency: float = 0.2             # for an item published today, halving every 30 days
    duplicate: float = 0.95          # cosine above which an item is a near-copy of one already picked


WEIGHTS = Weights()
UNIT_WEIGHTS = {"expertise": "statement", "skills": "skills", "post": None}


class UnknownEmployee(LookupError):
    pass


def blocks(embedder: Embedder) -> list[slice]:
    """Column ranges of each member model inside an (ensemble) vector."""
    out, start = [], 0
    for _, dim in embedder.parts:
        out.append(slice(start, start + dim))
        start += dim
    return out


def split_centre(matrix: np.ndarray, langs: list[str], means: list[dict], parts: list[slice]) -> list[np.ndarray]:
    return [centre(matrix[:, part], langs, mu) for part, mu in zip(parts, means)]


def pair_similarity(embedder: Embedder, a: np.ndarray, b: np.ndarray, langs_a: list, langs_b: list) -> np.ndarray:
    """Similarity of row ``i`` of ``a`` with row ``i`` of ``b`` (raw vectors of ``embedder``) as the ranking
    measures it: every text centred on its language's mean over the distinct texts given (the ranking
    centres on its corpus), then each member's cosine weighed by the mix of the two texts' languages
    (``embedder.mix``). Shape ``(n,)``; this is what the STS eval scores as the product.
    """
    parts = blocks(embedder)
    corpus, first = np.unique(np.vstack([a, b]), axis=0, return_index=True)
    langs = np.asarray(list(langs_a) + list(langs_b), dtype=object)[first].tolist()
    means = [language_means(corpus[:, part], langs) for part in parts]
    left, right = split_centre(a, langs_a, means, parts), split_centre(b, langs_b, means, parts)
    mix = np.stack([embedder.mix(x, y) for x, y in zip(langs_a, langs_b)], axis=1)  # (members, n)
    return sum(w * (x * y).sum(axis=1) for w, x, y in zip(mix, left, right))


# --- the content side, cached per process ----------------------------------------------

@dataclass
class ContentIndex:
    items: list[dict]
    vectors: np.ndarray              # raw (ensemble) unit vectors, for near-duplicate checks
    parts: list[np.ndarray]          # centred per-model matrices
    means: list[dict]                # per-model language means (items + employees' posts)
    neighbours: tuple[np.ndarray, np.ndarray]
    computed: int                    # embeddings computed when this index was built (0 when cached)
    texts: list[str] = field(default_factory=list)
    _bm25: Bm25 | None = None

    @property
    def bm25(self) -> Bm25:
        if self._bm25 is None:
            self._bm25 = Bm25(self.texts)
        return self._bm25


_cache: dict[tuple, object] = {}
_cache_lock = threading.Lock()


def _cached(key: tuple, build):
    with _cache_lock:
        if key in _cache:
            return _cache[key], True
    value = build()
    with _cache_lock:
        for old in [k for k in _cache if k[0] == key[0]]:
            del _cache[old]
        _cache[key] = value
    return value, False


def content_index(store: Store, embedder: Embedder, today: dt.date | None = None, progress=None,
                  weights: Weights = WEIGHTS) -> ContentIndex:
    """Active items, centred per model, with their neighbour graph.

    The language means also count employees' posts, so a new post re-centres the items (a cheap
    subtraction); the neighbour graph, quadratic in items (~10 s at 10,000), is rebuilt only
    when the item set changes: one post among many moves the means too little to change it.
    """
    today = today or dt.date.today()
    version = store.execute("SELECT count(*), max(updated_at), sum(retired::INT) FROM content").fetchone()
    posts_version = store.execute("SELECT count(*), max(created_at) FROM employee_posts").fetchone()
    items_key = (str(store.path), embedder.name, today, version, weights.item_neighbours)
    key = ("content", *items_key, posts_version)

    def build() -> ContentIndex:
        items = catalog.active_items(store, today)
        texts = [catalog.embedding_text(i) for i in items]
        matrix, computed = vectors(store, embedder, texts, progress=progress)
        posts = store.rows("SELECT text, language FROM employee_posts ORDER BY id")
        post_vecs, computed_posts = vectors(store, embedder, [p["text"] for p in posts])
        langs = [i["language"] for i in items]
        corpus = np.vstack([matrix, post_vecs]) if len(posts) else matrix
        corpus_langs = langs + [p["language"] for p in posts]
        parts = blocks(embedder)
        means = [language_means(corpus[:, part], corpus_langs) for part in parts] if len(corpus) else []
        centred = split_centre(matrix, langs, means, parts) if len(items) else []
        empty = (np.zeros((0, 0), int), np.zeros((0, 0)))
        graph, _ = _cached(("content-graph", *items_key), lambda: knn(centred, weights.item_neighbours) if len(items) else empty)
        return ContentIndex(items, matrix, centred, means, graph, computed + computed_posts, texts)

    index, hit = _cached(key, build)
    return replace(index, computed=0) if hit else index


# --- recommendations ------------------------------------------------------------------

def _units(store: Store, person: dict, weights: Weights = WEIGHTS) -> tuple[list[tuple[str, str]], list[str], np.ndarray]:
    """A person's units (label, text), their languages, and their weights."""
    posts = people.posts_of(store, person["email"])
    units = people.profile_texts(person, posts)
    post_langs = {p["text"]: p["language"] for p in posts}
    langs = [post_langs.get(text) or language.detect(text) for _, text in units]
    w = np.array([getattr(weights, UNIT_WEIGHTS[label]) if UNIT_WEIGHTS.get(label) else 1.0 for label, _ in units],
                 dtype=np.float32)
    return units, langs, w


def recommend(ctx: Context, email: str, limit: int = 10, weights: Weights = WEIGHTS) -> list[dict]:
    """Top ``limit`` items for one employee, each with ``score`` and a one-line ``reason``."""
    store, embedder, today = ctx.store, ctx.embedder, ctx.today()
    person = people.get_person(store, email)
    if person is None:
        raise UnknownEmployee(f"no employee with email {email!r}; import people first")
    index = content_index(store, embedder, today, weights=weights)
    if not index.items:
        return []
    units, unit_langs, unit_weights = _units(store, person, weights)
    n = len(index.items)
    best_unit = None
    if units:
        raw, _ = vectors(store, embedder, [t for _, t in units])
        queries = split_centre(raw, unit_langs, index.means, blocks(embedder))
        lexical = None
        if weights.lexical_recommend:
            lexical = np.vstack([index.bm25.scores(t) for _, t in units])
        s = fused(queries, index.parts, lexical, weights.lexical_recommend)
        u = np.maximum(smooth(s, *index.neighbours, weights.smoothing), 0)
        score = mean_over_units(u, unit_weights)
        best_unit = u.argmax(axis=0)
    else:
        score = np.zeros(n, dtype=np.float32)
    for i, item in enumerate(index.items):
        score[i] += weights.campaign * item["priority"] + weights.recency * freshness(item, today)

    shared = {r["content_id"] for r in store.rows("SELECT content_id FROM shares WHERE email = ?", [person["email"]])}
    reads = set(person["languages"] or [])
    eligible = np.array([item["id"] not in shared for item in index.items])
    readable = np.array([not reads or item["language"] in reads for item in index.items])
    order: list[int] = []
    for tier in (np.flatnonzero(eligible & readable), np.flatnonzero(eligible & ~readable)):
        if len(order) < limit and len(tier):
            # Near-duplicate filtering only needs the head of the ranking: a few times the limit.
            head = max(4 * limit, 50)
            if len(tier) > head:
                tier = tier[np.argpartition(-score[tier], head - 1)[:head]]
            picked = mmr(score[tier], index.vectors[tier], limit - len(order), duplicate_threshold=weights.duplicate)
            order += [int(tier[i]) for i in picked]
    lang = (person["languages"] or ["en"])[0]
    results = []
    for i in order:
        item = index.items[i]
        label, text = units[best_unit[i]] if best_unit is not None and units else (None, None)
        results.append({
            "id": item["id"], "title": item["title"], "score": round(float(score[i]), 4),
            "reason": reason(label, text, item, lang, reads),
            "kind": item["kind"], "language": item["language"], "campaign": item["campaign"], "url": item["url"],
            # the same reason as data, for a page that words it in its own language
            "why": {"basis": label or "featured", "quote": snippet(text) if label else None},
            "excerpt": snippet(item["text"][len(item["title"]):] if item["text"].startswith(item["title"])
                               else item["text"], 240),
        })
    return results


def freshness(item: dict, today: dt.date) -> float:
    """1.0 on the publish day, halving every 30 days; 0.5 when the date is unknown."""
    published = item.get("published_at")
    if not published:
        return 0.5
    return math.pow(0.5, max((today - published).days, 0) / 30)


def reason(label: str | None, text: str | None, item: dict, lang: str, reads: set[str]) -> str:
    """One sentence in the employee's language saying why this item was picked."""
    if label:
        parts = [translate(lang, "reasons.quoted", why=translate(lang, f"reasons.{label}"), text=snippet(text))]
    else:
        parts = [translate(lang, "reasons.none")]
    if item.get("campaign"):
        parts.append(translate(lang, "reasons.campaign", name=item["campaign"]))
    if reads and item["language"] not in reads:
        parts.append(translate(lang, "reasons.language", lang=item["language"]))
    return " · ".join(parts)


def snippet(text: str, width: int = 70) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1].rsplit(" ", 1)[0] + "…"


# --- experts --------------------------------------------------------------------------

@dataclass
class PeopleIndex:
    people: list[dict]
    docs: list[tuple[str, str]]
    owners: np.ndarray
    langs: list[str]
    parts: list[np.ndarray]
    means: list[dict]
    neighbours: tuple[np.ndarray, np.ndarray]
    bm25: Bm25
    everyday: list[np.ndarray] = field(default_factory=list)  # centred everyday sentences (background), per model


def people_index(store: Store, embedder: Embedder, weights: Weights = WEIGHTS) -> PeopleIndex:
    """Documents of everyone who accepts interview requests, centred and linked; cached until people change."""
    version = store.execute("SELECT count(*), max(updated_at), sum(consent_interviews::INT) FROM employees").fetchone()
    posts_version = store.execute("SELECT count(*), max(created_at) FROM employee_posts").fetchone()
    key = ("people", str(store.path), embedder.name, version, posts_version, weights.neighbours)

    def build() -> PeopleIndex:
        candidates = store.rows("SELECT * FROM employees WHERE consent_interviews ORDER BY email")
        docs, owners, langs = [], [], []
        for n, person in enumerate(candidates):
            units, unit_langs, _ = _units(store, person, weights)
            docs += units
            langs += unit_langs
            owners += [n] * len(units)
        parts = blocks(embedder)
        if not docs:
            return PeopleIndex(candidates, [], np.zeros(0, int), [], [], [], (np.zeros((0, 0), int), np.zeros((0, 0))), Bm25([]))
        texts = [t for _, t in docs]
        raw, _ = vectors(store, embedder, texts)
        prior, _ = vectors(store, embedder, background.TEXTS)  # a centre for small corpora (see background)
        means = [language_means(np.vstack([raw[:, part], prior[:, part]]), langs + background.LANGS) for part in parts]
        centred = split_centre(raw, langs, means, parts)
        # Colleagues often hold the same text (a co-written paper, a reshared post): one node in the graph.
        return PeopleIndex(candidates, docs, np.array(owners), langs, centred, means,
                           knn_distinct(centred, weights.neighbours, texts), Bm25(texts),
                           split_centre(prior, background.LANGS, means, parts))

    return _cached(key, build)[0]


def experts(ctx: Context, query: str, limit: int = 10, weights: Weights = WEIGHTS,
            floor: bool = True) -> list[dict]:
    """Colleagues who accept interview requests, ranked for a topic typed in French or English.

    Each result carries ``strength`` ("strong", "moderate", "weak": how well their best evidence
    matches, in words), ``similarity`` and ``margin`` (see ``evidence``); colleagues under the
    relevance floor are left out (``floor=False`` keeps the plain ranking, for the evals), so a topic
    nobody knows returns [], in French and in English.
    """
    query = (query or "").strip()
    if not query:
        raise ValueError("type a topic to search for experts")
    store, embedder = ctx.store, ctx.embedder
    index = people_index(store, embedder, weights)
    if not index.docs:
        return []
    lang = language.detect(query) if len(query.split()) >= 4 else None
    lang = lang if language.is_supported(lang) else None
    raw, _ = vectors(store, embedder, [query], kind="query")
    q = split_centre(raw, [lang], index.means, blocks(embedder))
    mask = np.array([d == lang for d in index.langs]) if lang else None
    lexical = index.bm25.scores(query)[None, :]
    s = fused(q, index.parts, lexical, weights.lexical_experts, mask)
    u = np.maximum(smooth(s, *index.neighbours, weights.smoothing), 0)[0]
    score = sum_by_owner(u, index.owners, len(index.people))
    cosine = mixed_cosine(q, index.parts, embedder.mixes([lang], index.langs))[0]  # absolute evidence per document
    everyday = mixed_cosine(q, index.everyday, embedder.mixes([lang], background.LANGS))[0]
    margin = evidence.margins(cosine, everyday, background.LANGS, index.langs)
    words = (lexical[0] >= evidence.LEXICAL_FLOOR) & (index.bm25.matched_share(query) >= evidence.WORDS_SHARE)
    ranked = [int(i) for i in np.argsort(-score, kind="stable") if np.isfinite(score[i])]
    results = []
    for n in ranked:
        mine = np.flatnonzero(index.owners == n)
        similarity, above = float(cosine[mine].max()), float(margin[mine].max())
        verdict = evidence.strength(similarity, above, bool(words[mine].any()))
        if floor and verdict is None:
            continue
        best = mine[np.argsort(-u[mine], kind="stable")][:3]
        person = index.people[n]
        results.append({
            "email": person["email"], "name": person["name"], "role": person["role"], "team": person["team"],
            "score": round(float(score[n]), 4), "strength": verdict or "weak", "similarity": round(similarity, 3),
            "margin": round(above, 3),
            "evidence": [{"kind": index.docs[i][0], "text": snippet(index.docs[i][1], 160), "score": round(float(u[i]), 4)}
                         for i in best if u[i] > 0] or
                        [{"kind": index.docs[i][0], "text": snippet(index.docs[i][1], 160), "score": 0.0} for i in best[:1]],
        })
        if len(results) == limit:
            break
    return results
