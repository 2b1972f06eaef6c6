"""The product's recommendation arithmetic for many employees at once, by exact numpy block products.

Scope: the dense ranking of ``assistant.retrieval.matching.recommend`` (``ranking.fused``:
each profile unit's similarities standardised over all items per member model,
positive evidence only, weighted mean over units) for a block of employees per
matrix product, and the exact top-k. It is the ``numpy`` method of the scale run
(``evals/speed/scale.py``) and the reference the approximate VSS method is scored
against (``evals/speed/scale_vss.py``).

Omitted on purpose: language centring (a per-vector preprocessing) and k-NN
smoothing (needs the item graph; the ``product`` worker measures both).

    >>> from evals.synthetic import ScaleConfig, make_items, make_people
    >>> cfg = ScaleConfig(employees=20, items=200, dim=16, sample=5)
    >>> brute_force_topk(make_people(cfg), make_items(cfg), unit_weights(cfg))[0].shape
    (20, 10)
"""

from __future__ import annotations

import numpy as np

from assistant.retrieval.ranking import fused

from evals.synthetic import ScaleConfig, layout, unit


def parts(dim: int) -> list[slice]:
    """Column blocks of the member models (:func:`evals.synthetic.layout`); other sizes are one model."""
    sizes = [width for _, width in layout(dim)]
    ends = np.cumsum(sizes)
    return [slice(int(e - n), int(e)) for n, e in zip(sizes, ends)]


def unit_weights(cfg: ScaleConfig) -> np.ndarray:
    """Unit 0 is the expertise statement (``matching.Weights.statement``), the others posts (1.0)."""
    w = np.ones(cfg.texts, dtype=np.float32)
    w[0] = cfg.statement
    return w


def split(items: np.ndarray) -> list[np.ndarray]:
    """Contiguous per-model item matrices (the product keeps them so: ``ContentIndex.parts``)."""
    return [np.ascontiguousarray(items[:, p]) for p in parts(items.shape[1])]


def product_scores(people: np.ndarray, item_parts: list[np.ndarray], weights: np.ndarray) -> np.ndarray:
    """The recommend recipe for a block of people at once: (B, T, d) -> (B, N)."""
    b, t, d = people.shape
    units = people.reshape(b * t, d)
    s = fused([units[:, p] for p in parts(d)], item_parts)
    u = np.maximum(s, 0).reshape(b, t, -1)
    return np.einsum("t,btn->bn", weights, u) / weights.sum()


def top_k_rows(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the ``k`` best per row, best first (argpartition, then sort k)."""
    k = min(k, scores.shape[1])
    part = np.argpartition(-scores, k - 1, axis=1)[:, :k] if k < scores.shape[1] else np.tile(
        np.arange(scores.shape[1]), (len(scores), 1))
    vals = np.take_along_axis(scores, part, axis=1)
    order = np.argsort(-vals, axis=1, kind="stable")
    return np.take_along_axis(part, order, axis=1), np.take_along_axis(vals, order, axis=1)


def brute_force_topk(people: np.ndarray, items: np.ndarray, weights: np.ndarray, k: int = 10,
                     block: int = 128) -> tuple[np.ndarray, np.ndarray]:
    """Exact top-``k`` item indices and scores for every person, ``block`` people per matrix product."""
    item_parts = split(items)
    idx = np.empty((len(people), min(k, len(items))), dtype=np.int64)
    val = np.empty(idx.shape, dtype=np.float32)
    for start in range(0, len(people), block):
        scores = product_scores(people[start:start + block], item_parts, weights)
        idx[start:start + block], val[start:start + block] = top_k_rows(scores, k)
    return idx, val


def query_vector(person: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """What an approximate index is asked for one person: the weighted mean of their units, unit length."""
    return unit((weights[:, None] * person).sum(axis=0))
