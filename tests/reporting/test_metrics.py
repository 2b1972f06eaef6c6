"""Hand-computed checks for evals.metrics, whose arithmetic is scikit-learn's and SciPy's (metric names and values are an API)."""
import math

import pytest

from evals.metrics import (
    auc,
    average_precision,
    evaluate_rankings,
    judged,
    ndcg_at_k,
    precision_at_k,
    recall_at_k,
    spearman,
)

L2, L3, L4 = math.log2(2), math.log2(3), math.log2(4)


def test_ndcg_perfect_and_binary():
    assert ndcg_at_k(["a", "b", "x"], {"a": 1, "b": 1}) == pytest.approx(1.0)
    # relevant at ranks 2 and 3 of 2 relevant: (1/log2 3 + 1/log2 4) / (1 + 1/log2 3)
    expected = (1 / L3 + 1 / L4) / (1 / L2 + 1 / L3)
    assert ndcg_at_k(["x", "a", "b"], {"a": 1, "b": 1}) == pytest.approx(expected)


def test_ndcg_graded_linear_gains():
    qrels = {"a": 3, "b": 1, "c": 0}
    # ranking b, a: DCG = 1/1 + 3/log2 3 ; ideal = 3/1 + 1/log2 3
    expected = (1 + 3 / L3) / (3 + 1 / L3)
    assert ndcg_at_k(["b", "a", "c"], qrels) == pytest.approx(expected)


def test_ndcg_cutoff_and_ideal_from_qrels():
    qrels = {"a": 1, "b": 1, "c": 1}
    # k=2: only ranks 1-2 count; ideal has two relevant at ranks 1-2
    assert ndcg_at_k(["a", "x", "b"], qrels, k=2) == pytest.approx(1 / (1 + 1 / L3))
    # unretrieved relevant items still lower the score (ideal uses all qrels)
    assert ndcg_at_k(["a"], qrels) == pytest.approx(1 / (1 + 1 / L3 + 1 / L4))


def test_ndcg_edge_cases():
    assert ndcg_at_k([], {"a": 1}) == 0.0
    assert ndcg_at_k(["a"], {}) == 0.0
    assert ndcg_at_k(["a"], {"a": 0}) == 0.0
    # duplicates count once
    assert ndcg_at_k(["x", "x", "a"], {"a": 1}) == pytest.approx(1 / L3)


def test_ndcg_short_ranking_is_not_filled_by_unretrieved_items():
    # one id returned, three relevant: ranks 2..10 are misses, not the unretrieved relevant items
    assert ndcg_at_k(["b"], {"a": 3, "b": 1, "c": 2}, k=10) == pytest.approx(1 / (3 + 2 / L3 + 1 / L4))
    assert ndcg_at_k(["a"], {"a": 1}, k=1) == pytest.approx(1.0)
    assert ndcg_at_k(["x", "a"], {"a": 1}, k=1) == 0.0


def test_negative_grades_count_as_not_relevant():
    assert ndcg_at_k(["z", "a"], {"a": 1, "z": -1}) == pytest.approx(1 / L3)
    assert average_precision(["z", "a"], {"a": 1, "z": -2}) == pytest.approx(0.5)


def test_judged_layout_keeps_ranking_then_fillers_then_misses():
    grades, retrieved = judged(["b", "x", "b"], {"a": 3, "b": 1, "c": 0}, k=3)
    assert grades.tolist() == [1, 0, 0, 0, 0, 3] and retrieved == 2


def test_average_precision():
    assert average_precision(["a", "x", "b"], {"a": 1, "b": 1}) == pytest.approx((1 + 2 / 3) / 2)
    # unretrieved relevant "c" is a miss
    assert average_precision(["a", "x", "b"], {"a": 1, "b": 1, "c": 1}) == pytest.approx((1 + 2 / 3) / 3)
    # graded: any grade > 0 is relevant, grade 0 is not
    assert average_precision(["z", "a"], {"a": 2, "z": 0}) == pytest.approx(0.5)
    assert average_precision([], {"a": 1}) == 0.0
    assert average_precision(["a", "b"], {"a": 1, "b": 1}) == pytest.approx(1.0)  # every retrieved id relevant
    assert average_precision(["x", "y"], {"a": 1}) == 0.0  # nothing relevant retrieved
    assert average_precision(["a"], {}) == 0.0


def test_precision_at_k():
    assert precision_at_k(["a", "x", "b", "y", "z", "c"], {"a": 1, "b": 1, "c": 1}, k=5) == pytest.approx(0.4)
    assert precision_at_k(["a"], {"a": 1}, k=5) == pytest.approx(0.2)  # divides by k
    assert precision_at_k([], {"a": 1}) == 0.0
    assert precision_at_k(["a"], {}) == 0.0
    with pytest.raises(ValueError):
        precision_at_k(["a"], {"a": 1}, k=0)


def test_recall_at_k():
    qrels = {"a": 1, "b": 1, "c": 1, "d": 0}
    assert recall_at_k(["a", "d", "b"], qrels, k=10) == pytest.approx(2 / 3)
    assert recall_at_k(["x", "a", "b"], qrels, k=2) == pytest.approx(1 / 3)
    assert recall_at_k([], qrels) == 0.0
    assert recall_at_k(["a"], {"a": 0}) == 0.0


def test_spearman_basic():
    assert spearman([1, 2, 3, 4], [10, 20, 30, 40]) == pytest.approx(1.0)
    assert spearman([1, 2, 3, 4], [4, 3, 2, 1]) == pytest.approx(-1.0)
    # 1 - 6*sum d^2 / (n(n^2-1)) with d = [0, 1, -1]: 1 - 6*2/24 = 0.5
    assert spearman([1, 2, 3], [1, 3, 2]) == pytest.approx(0.5)


def test_spearman_ties_use_average_ranks():
    # ranks x: [1, 2.5, 2.5, 4], y: [1, 3, 2, 4]; Pearson of those = 4.5 / sqrt(4.5 * 5)
    assert spearman([1, 2, 2, 3], [1, 3, 2, 4]) == pytest.approx(4.5 / math.sqrt(4.5 * 5))
    # scipy.stats.spearmanr([1,1,2,2],[1,2,3,4]) = 0.894427...
    assert spearman([1, 1, 2, 2], [1, 2, 3, 4]) == pytest.approx(0.8944271909999159)


def test_spearman_degenerate():
    assert math.isnan(spearman([1, 1, 1], [1, 2, 3]))
    assert math.isnan(spearman([1], [2]))
    assert math.isnan(spearman([], []))
    with pytest.raises(ValueError):
        spearman([1, 2], [1])


def test_auc_by_hand():
    assert auc([1.0], [0.0]) == 1.0 and auc([0.0], [1.0]) == 0.0
    # pairs (pos, neg): (0.5, 0.5) tie = 1/2, (0.5, 0.1) win, (0.9, 0.5) win, (0.9, 0.1) win -> 3.5 / 4
    assert auc([0.5, 0.9], [0.5, 0.1]) == pytest.approx(0.875)
    assert auc([0.3, 0.3], [0.3]) == pytest.approx(0.5)
    assert math.isnan(auc([], [0.1])) and math.isnan(auc([0.1], []))


def test_evaluate_rankings_keys_and_means():
    qrels = {
        "q1": {"a": 1, "b": 1},
        "q2": {"c": 2},
        "q3": {"z": 0},  # no relevant item: skipped
    }
    rankings = {"q1": ["a", "x", "b"], "q2": ["y", "c"], "q3": ["z"], "extra": ["a"]}
    out = evaluate_rankings(rankings, qrels)
    assert set(out) == {"ndcg@10", "map", "p@5", "recall@10", "n"}
    assert out["n"] == 2
    ndcg1 = (1 + 1 / L4) / (1 + 1 / L3)
    ndcg2 = (2 / L3) / 2
    assert out["ndcg@10"] == pytest.approx((ndcg1 + ndcg2) / 2)
    assert out["map"] == pytest.approx(((1 + 2 / 3) / 2 + 0.5) / 2)
    assert out["p@5"] == pytest.approx((2 / 5 + 1 / 5) / 2)
    assert out["recall@10"] == pytest.approx(1.0)


def test_evaluate_rankings_missing_and_empty():
    out = evaluate_rankings({}, {"q": {"a": 1}})
    assert out == {"ndcg@10": 0.0, "map": 0.0, "p@5": 0.0, "recall@10": 0.0, "n": 1}
    out = evaluate_rankings({"q": ["a"]}, {})
    assert out == {"ndcg@10": 0.0, "map": 0.0, "p@5": 0.0, "recall@10": 0.0, "n": 0}
