"""Pure ranking and correlation metrics for the evals (no project imports).

Scope: score one ranked list of ids against graded relevance judgements
("qrels": ``{id: grade}``, grade > 0 means relevant), and average over queries.
Conventions, shared by every function here so that numbers are comparable:

- ranks are 1-based; a ranked list is deduplicated keeping the first occurrence;
- an id absent from the qrels has grade 0;
- relevant items never retrieved count as misses (denominators come from the qrels);
- a query with no relevant item scores 0.0 in the per-query functions and is
  skipped by :func:`evaluate_rankings`.

Metric names returned by :func:`evaluate_rankings` are an API: ``"ndcg@10"``,
``"map"``, ``"p@5"``, ``"recall@10"`` and ``"n"`` (number of queries averaged).
"""
from __future__ import annotations

import math
from typing import Hashable, Mapping, Sequence

__all__ = [
    "ndcg_at_k",
    "average_precision",
    "precision_at_k",
    "recall_at_k",
    "spearman",
    "evaluate_rankings",
]


def _dedupe(ranked_ids: Sequence[Hashable]) -> list:
    seen: set = set()
    out = []
    for item in ranked_ids:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def _n_relevant(qrels: Mapping[Hashable, float]) -> int:
    return sum(1 for g in qrels.values() if g > 0)


def ndcg_at_k(ranked_ids: Sequence[Hashable], qrels: Mapping[Hashable, float], k: int = 10) -> float:
    """Normalised discounted cumulative gain at ``k`` with graded, linear gains.

    DCG@k = sum over ranks r <= k of grade(item_r) / log2(r + 1); the ideal DCG
    sorts all positive grades of the qrels. Returns 0.0 when nothing is relevant.

    >>> round(ndcg_at_k(["x", "a"], {"a": 1}, k=10), 4)   # 1/log2(3) / 1
    0.6309
    >>> ndcg_at_k(["a", "b"], {"a": 2, "b": 1})
    1.0
    """
    gains = sorted((g for g in qrels.values() if g > 0), reverse=True)[:k]
    ideal = sum(g / math.log2(r + 2) for r, g in enumerate(gains))
    if ideal <= 0:
        return 0.0
    dcg = 0.0
    for r, item in enumerate(_dedupe(ranked_ids)[:k]):
        g = qrels.get(item, 0)
        if g > 0:
            dcg += g / math.log2(r + 2)
    return dcg / ideal


def average_precision(ranked_ids: Sequence[Hashable], qrels: Mapping[Hashable, float]) -> float:
    """Average precision over the whole ranking (binary: relevant = grade > 0).

    AP = (1 / R) * sum over ranks r holding a relevant item of precision@r, where
    R counts all relevant items in the qrels (unretrieved ones are misses).

    >>> average_precision(["a", "x", "b"], {"a": 1, "b": 1, "c": 1})  # (1 + 2/3) / 3
    0.5555555555555555
    """
    n_rel = _n_relevant(qrels)
    if n_rel == 0:
        return 0.0
    hits = 0
    total = 0.0
    for r, item in enumerate(_dedupe(ranked_ids), start=1):
        if qrels.get(item, 0) > 0:
            hits += 1
            total += hits / r
    return total / n_rel


def precision_at_k(ranked_ids: Sequence[Hashable], qrels: Mapping[Hashable, float], k: int = 5) -> float:
    """Fraction of the first ``k`` ranks holding a relevant item (divides by ``k``
    even when fewer than ``k`` ids were returned).

    >>> precision_at_k(["a", "x", "b"], {"a": 1, "b": 1}, k=5)
    0.4
    """
    if k <= 0:
        raise ValueError("k must be positive")
    hits = sum(1 for item in _dedupe(ranked_ids)[:k] if qrels.get(item, 0) > 0)
    return hits / k


def recall_at_k(ranked_ids: Sequence[Hashable], qrels: Mapping[Hashable, float], k: int = 10) -> float:
    """Fraction of all relevant items (from the qrels) found in the first ``k`` ranks.

    >>> recall_at_k(["a", "x"], {"a": 1, "b": 1, "c": 0}, k=10)
    0.5
    """
    n_rel = _n_relevant(qrels)
    if n_rel == 0:
        return 0.0
    hits = sum(1 for item in _dedupe(ranked_ids)[:k] if qrels.get(item, 0) > 0)
    return hits / n_rel


def _average_ranks(values: Sequence[float]) -> list[float]:
    order = sorted(range(len(values)), key=lambda i: values[i])
    ranks = [0.0] * len(values)
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and values[order[j + 1]] == values[order[i]]:
            j += 1
        avg = (i + j) / 2 + 1  # 1-based average rank of the tie group
        for t in range(i, j + 1):
            ranks[order[t]] = avg
        i = j + 1
    return ranks


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Spearman rank correlation: Pearson correlation of average ranks (ties share
    the mean of their ranks, as in scipy.stats.spearmanr). Returns NaN when fewer
    than two pairs or when either side is constant.

    >>> spearman([1, 2, 3], [10, 20, 30])
    1.0
    >>> spearman([1, 2, 2, 3], [1, 3, 2, 4])   # ranks [1, 2.5, 2.5, 4] vs [1, 3, 2, 4]
    0.9486832980505138
    """
    if len(xs) != len(ys):
        raise ValueError("xs and ys must have the same length")
    n = len(xs)
    if n < 2:
        return float("nan")
    rx, ry = _average_ranks(list(xs)), _average_ranks(list(ys))
    mx, my = sum(rx) / n, sum(ry) / n
    sxy = sum((a - mx) * (b - my) for a, b in zip(rx, ry))
    sxx = sum((a - mx) ** 2 for a in rx)
    syy = sum((b - my) ** 2 for b in ry)
    if sxx == 0 or syy == 0:
        return float("nan")
    return sxy / math.sqrt(sxx * syy)


def evaluate_rankings(
    rankings: Mapping[Hashable, Sequence[Hashable]],
    qrels: Mapping[Hashable, Mapping[Hashable, float]],
) -> dict:
    """Mean nDCG@10, MAP, P@5 and recall@10 over the queries that have at least one
    relevant item in ``qrels``; a query missing from ``rankings`` gets an empty
    ranking (all zeros); rankings for queries without judgements are ignored.

    Returns exactly ``{"ndcg@10", "map", "p@5", "recall@10", "n"}``; all means are
    0.0 when ``n == 0``.

    >>> evaluate_rankings({"q": ["a", "x"]}, {"q": {"a": 1}, "empty": {"z": 0}})
    {'ndcg@10': 1.0, 'map': 1.0, 'p@5': 0.2, 'recall@10': 1.0, 'n': 1}
    """
    totals = {"ndcg@10": 0.0, "map": 0.0, "p@5": 0.0, "recall@10": 0.0}
    n = 0
    for qid, judged in qrels.items():
        if _n_relevant(judged) == 0:
            continue
        ranked = rankings.get(qid, [])
        totals["ndcg@10"] += ndcg_at_k(ranked, judged, k=10)
        totals["map"] += average_precision(ranked, judged)
        totals["p@5"] += precision_at_k(ranked, judged, k=5)
        totals["recall@10"] += recall_at_k(ranked, judged, k=10)
        n += 1
    result = {name: (value / n if n else 0.0) for name, value in totals.items()}
    result["n"] = n
    return result
