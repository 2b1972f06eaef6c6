"""Pure ranking functions (numpy in, numpy out), shared by the product and the evals.

Kept free of the store so they are unit-testable with tiny matrices and so the
evaluation measures exactly the arithmetic users get.
"""

from __future__ import annotations

import numpy as np


def zscore(scores: np.ndarray, axis: int = -1) -> np.ndarray:
    """Standardise scores along ``axis`` (per query): mean 0, std 1; constant rows become 0.

    >>> zscore(np.array([1.0, 2.0, 3.0])).round(3).tolist()
    [-1.225, 0.0, 1.225]
    """
    scores = np.asarray(scores, dtype=np.float32)
    mean = scores.mean(axis=axis, keepdims=True)
    std = scores.std(axis=axis, keepdims=True)
    return (scores - mean) / np.where(std < 1e-9, 1.0, std)


def top_k_mean(matrix: np.ndarray, k: int, axis: int = 0) -> np.ndarray:
    """Mean of the ``k`` largest values along ``axis`` (all of them when fewer).

    >>> top_k_mean(np.array([[1.0, 0.0], [3.0, 2.0], [2.0, 4.0]]), 2).tolist()
    [2.5, 3.0]
    """
    matrix = np.asarray(matrix, dtype=np.float32)
    n = matrix.shape[axis]
    if n == 0:
        shape = list(matrix.shape)
        del shape[axis]
        return np.zeros(shape, dtype=np.float32)
    k = max(1, min(k, n))
    part = -np.partition(-matrix, k - 1, axis=axis)
    return np.take(part, range(k), axis=axis).mean(axis=axis)


def mmr(scores: np.ndarray, vectors: np.ndarray, k: int, diversity: float = 0.3,
        duplicate_threshold: float = 0.95) -> list[int]:
    """Maximal marginal relevance: pick ``k`` indices, trading score for novelty.

    Each pick maximises ``(1 - diversity) * score - diversity * max_sim_to_picked``
    (scores min-max scaled first); near-duplicates of a picked item (cosine >=
    ``duplicate_threshold``) are skipped outright.

    >>> mmr(np.array([1.0, 0.99, 0.5]), np.array([[1, 0], [1, 0], [0, 1]], dtype=np.float32), 2)
    [0, 2]
    """
    n = len(scores)
    if n == 0 or k <= 0:
        return []
    span = float(scores.max() - scores.min()) or 1.0
    scaled = (scores - scores.min()) / span
    order = list(np.argsort(-scores, kind="stable"))
    picked: list[int] = []
    max_sim = np.full(n, -np.inf, dtype=np.float32)
    available = np.ones(n, dtype=bool)
    while len(picked) < min(k, n) and available.any():
        penalty = np.where(np.isfinite(max_sim), np.maximum(max_sim, 0), 0)
        value = np.where(available, (1 - diversity) * scaled - diversity * penalty, -np.inf)
        best = int(np.argmax(value)) if picked else int(order[0])
        picked.append(best)
        available[best] = False
        sims = vectors @ vectors[best]
        max_sim = np.maximum(max_sim, sims)
        available &= sims < duplicate_threshold
    return picked


def vote(doc_scores: np.ndarray, owners: np.ndarray, n_people: int, k: int = 5) -> np.ndarray:
    """Per-person score from their documents' scores: mean of their top-``k`` documents.

    ``owners[i]`` is the person index of document ``i``. People with no
    document get ``-inf`` (ranked last, never dropped silently).

    >>> vote(np.array([0.9, 0.1, 0.5]), np.array([0, 0, 1]), 3, k=2).tolist()
    [0.5, 0.5, -inf]
    """
    out = np.full(n_people, -np.inf, dtype=np.float32)
    for person in range(n_people):
        mine = doc_scores[owners == person]
        if len(mine):
            out[person] = float(top_k_mean(mine, k))
    return out
