import numpy as np

from assistant.retrieval.ranking import knn, knn_distinct, smooth

# Three distinct texts (a, b, c) and a copy of a at the end; cos(a, b) = 0.8, cos(a, c) = 0, cos(b, c) = 0.6.
A, B, C = [1.0, 0.0], [0.8, 0.6], [0.0, 1.0]
VECTORS = [np.array([A, B, C, A], dtype=np.float32)]
KEYS = ["a", "b", "c", "a"]


def test_plain_knn_makes_copies_each_others_neighbour():
    idx, _ = knn(VECTORS, 1)
    assert idx[0, 0] == 3 and idx[3, 0] == 0


def test_knn_distinct_skips_copies_and_shares_the_neighbours():
    idx, weights = knn_distinct(VECTORS, 1, KEYS)
    # a -> b (b is a's nearest other text); b's nearest other is a, but with z-score 0 it carries no weight;
    # c -> b; the copy of a gets exactly a's row.
    assert idx.ravel().tolist() == [1, 0, 1, 1]
    assert weights.ravel().tolist() == [1.0, 0.0, 1.0, 1.0]


def test_smoothing_over_the_distinct_graph_adds_neighbours_not_the_copy_itself():
    s = np.array([[1.0, 2.0, 3.0, 1.0]], dtype=np.float32)
    assert smooth(s, *knn_distinct(VECTORS, 1, KEYS)).tolist() == [[3.0, 2.0, 5.0, 3.0]]
    assert smooth(s, *knn(VECTORS, 1)).tolist()[0][0] == 2.0  # a only re-earned its own copy's score


def test_knn_distinct_with_a_single_distinct_text_has_no_neighbours():
    idx, weights = knn_distinct([np.array([A, A], dtype=np.float32)], 3, ["a", "a"])
    assert idx.shape == (2, 0) and weights.shape == (2, 0)
