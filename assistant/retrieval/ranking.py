"""Pure ranking arithmetic (numpy in, numpy out), shared by the product and the evals.

The recipe, measured on the shared dev sets (README "Quality"), for each embedder
of the ensemble separately, then fused:

1. centre: ``x ← normalise(x − mean of x's language)`` — removes the offset
   between French and English texts and each model's common direction;
2. similarities from every query unit (a post, a typed topic) to every
   candidate unit (an item, a colleague's document), standardised per query
   unit (z-scores), averaged over embedders (plus BM25 for typed topics);
3. smoothing over the candidate graph: a unit also earns part of the evidence
   of its ``k`` nearest candidate units ("items like this one matched you");
   copies of one text count as a single node (``knn_distinct``);
4. only positive evidence counts (``max(S, 0)``), then units are aggregated:
   weighted mean over a person's posts, sum over an expert's documents.

Shapes: query units ``Q (q, d)``, candidate units ``D (n, d)``, unit length.
"""

from __future__ import annotations

import numpy as np


def l2n(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero)."""
    x = np.asarray(x, dtype=np.float32)
    norms = np.linalg.norm(x, axis=-1, keepdims=True)
    return x / np.where(norms == 0, 1, norms)


def language_means(x: np.ndarray, langs: list[str]) -> dict:
    """Mean vector per language, plus the overall mean under ``None`` (for other languages)."""
    langs_arr = np.asarray(langs)
    means = {None: x.mean(axis=0) if len(x) else np.zeros(x.shape[1], dtype=np.float32)}
    for lang in set(langs):
        means[lang] = x[langs_arr == lang].mean(axis=0)
    return means


def centre(x: np.ndarray, langs: list[str], means: dict) -> np.ndarray:
    """``normalise(x − mean[lang])`` row by row."""
    if not len(x):
        return x
    mu = np.stack([means.get(lang, means[None]) for lang in langs])
    return l2n(x - mu)


def zrows(s: np.ndarray) -> np.ndarray:
    """Standardise each row (one query unit over its candidates); constant rows become 0.

    >>> [round(float(v), 2) for v in zrows(np.array([[1.0, 2.0, 3.0]]))[0]]
    [-1.22, 0.0, 1.22]
    """
    s = np.asarray(s, dtype=np.float32)
    sd = s.std(axis=-1, keepdims=True)
    return (s - s.mean(axis=-1, keepdims=True)) / np.where(sd < 1e-9, 1.0, sd)


def zrows_within(s: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Standardise each row over the columns in ``mask`` only; other columns get 0 (neutral)."""
    out = np.zeros(s.shape, dtype=np.float32)
    if mask.any():
        out[:, mask] = zrows(s[:, mask])
    return out


def knn(vectors: list[np.ndarray], k: int, block: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """Each candidate unit's ``k`` nearest others and their weights (rows sum to 1, or 0 when none is similar).

    ``vectors`` holds one centred matrix (n, d_m) per embedder; the graph is the
    mean over embedders of the row-standardised cosine. Computed in blocks, so
    memory stays O(block × n). Returns ``idx (n, k)`` and ``weights (n, k)``.
    """
    n = len(vectors[0])
    k = max(0, min(k, n - 1))
    idx = np.zeros((n, k), dtype=np.int64)
    weights = np.zeros((n, k), dtype=np.float32)
    if k == 0:
        return idx, weights
    for start in range(0, n, block):
        stop = min(start + block, n)
        g = sum(zrows(x[start:stop] @ x.T) for x in vectors) / len(vectors)
        g[np.arange(stop - start), np.arange(start, stop)] = -np.inf
        part = np.argpartition(-g, k - 1, axis=1)[:, :k]
        w = np.maximum(np.take_along_axis(g, part, axis=1), 0)
        total = w.sum(axis=1, keepdims=True)
        idx[start:stop] = part
        weights[start:stop] = np.divide(w, total, out=np.zeros_like(w), where=total > 0)
    return idx, weights


def knn_distinct(vectors: list[np.ndarray], k: int, keys: list) -> tuple[np.ndarray, np.ndarray]:
    """``knn`` where units sharing a key (the same text) are one node, so copies are never each other's neighbours.

    A colleague's documents often repeat a text another one holds too (a
    co-written paper, a reshared brand post). With plain ``knn`` each copy's
    nearest neighbours are its twins, and smoothing just re-adds the copy's own
    score instead of its neighbours' evidence (on dblp-experts a third of the
    documents had a twin in their 10 neighbours, holding 27 % of the weight).
    The graph is built over one representative per key and handed back to
    every unit, with indices pointing at representatives.

    >>> x = [np.array([[1.0, 0.0], [1.0, 0.0], [0.6, 0.8]], dtype=np.float32)]
    >>> knn_distinct(x, 1, ["a", "a", "b"])[0].ravel().tolist()
    [2, 2, 0]
    """
    _, first, inverse = np.unique(np.asarray(keys, dtype=object), return_index=True, return_inverse=True)
    idx, weights = knn([v[first] for v in vectors], k)
    return first[idx[inverse]], weights[inverse]


def smooth(s: np.ndarray, idx: np.ndarray, weights: np.ndarray, strength: float = 1.0) -> np.ndarray:
    """``S + strength · S·Wᵀ`` with the sparse k-NN matrix ``W`` given by ``idx``/``weights``."""
    if strength == 0 or idx.shape[1] == 0:
        return s
    return s + strength * (s[:, idx] * weights[None, :, :]).sum(axis=-1)


def fused(queries: list[np.ndarray], candidates: list[np.ndarray], lexical: np.ndarray | None = None,
          lexical_weight: float = 0.0, lexical_mask: np.ndarray | None = None) -> np.ndarray:
    """Mean of the per-embedder standardised similarities (and BM25), shape (q, n).

    ``queries``/``candidates`` are lists over embedders of centred matrices.
    ``lexical_mask`` limits the BM25 standardisation to candidates in the query's language.
    """
    s = sum(zrows(q @ c.T) for q, c in zip(queries, candidates))
    channels = float(len(queries))
    if lexical is not None and lexical_weight:
        mask = lexical_mask if lexical_mask is not None else np.ones(lexical.shape[1], dtype=bool)
        s = s + lexical_weight * zrows_within(lexical, mask)
        channels += lexical_weight
    return s / channels


def mixed_cosine(queries: list[np.ndarray], candidates: list[np.ndarray], mix: np.ndarray) -> np.ndarray:
    """Cosine of centred query units with centred candidate units, each embedder's weighted by ``mix``
    (``embedder.mixes(query languages, candidate languages)``, shape ``(embedders, q, n)``): an absolute
    similarity, comparable across pairs of languages, shape (q, n).

    >>> q, c = [np.array([[1.0, 0.0]])], [np.array([[0.6, 0.8]])]
    >>> mixed_cosine(q + q, c + c, np.full((2, 1, 1), 0.5)).round(2).tolist()
    [[0.6]]
    """
    return sum(w * (q @ c.T) for w, q, c in zip(mix, queries, candidates))


def mmr(scores: np.ndarray, vectors: np.ndarray, k: int, diversity: float = 0.0,
        duplicate_threshold: float = 0.95) -> list[int]:
    """Pick ``k`` indices by score, skipping near-duplicates of picked ones (cosine ≥ threshold).

    With ``diversity > 0`` it is maximal marginal relevance: each pick maximises
    ``(1 - diversity) * score - diversity * max_sim_to_picked`` (scores min-max scaled).

    >>> mmr(np.array([1.0, 0.99, 0.5]), np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32), 2)
    [0, 2]
    """
    n = len(scores)
    if n == 0 or k <= 0:
        return []
    span = float(scores.max() - scores.min()) or 1.0
    scaled = (scores - scores.min()) / span
    picked: list[int] = []
    max_sim = np.zeros(n, dtype=np.float32)
    available = np.ones(n, dtype=bool)
    while len(picked) < min(k, n) and available.any():
        value = np.where(available, (1 - diversity) * scaled - diversity * max_sim, -np.inf)
        best = int(np.argmax(value))
        picked.append(best)
        available[best] = False
        sims = vectors @ vectors[best]
        max_sim = np.maximum(max_sim, np.maximum(sims, 0))
        available &= sims < duplicate_threshold
    return picked


def mean_over_units(u: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Weighted mean over query units (rows of ``u``), shape (n,)."""
    total = float(weights.sum())
    return (weights[:, None] * u).sum(axis=0) / total if total > 0 else np.full(u.shape[1], -np.inf, dtype=np.float32)


def sum_by_owner(u: np.ndarray, owners: np.ndarray, n_owners: int) -> np.ndarray:
    """Sum of unit scores per owner (CombSUM voting); owners without units get ``-inf``.

    >>> sum_by_owner(np.array([0.9, 0.1, 0.5]), np.array([0, 0, 1]), 3).tolist()
    [1.0, 0.5, -inf]
    """
    out = np.zeros(n_owners, dtype=np.float64)
    np.add.at(out, owners, u)
    has = np.bincount(owners, minlength=n_owners) > 0
    return np.where(has, out, -np.inf).astype(np.float32)
