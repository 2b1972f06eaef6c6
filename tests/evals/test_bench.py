"""The benchmark's scale code on tiny sizes: exactness of the brute force, shape of the VSS path, reports.

No timing assertions: timings depend on the machine and what else runs on it.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from assistant.config import load_settings
from evals import measure, synthetic
from evals.speed import bench, brute_force, scale, scale_product, scale_vss
from evals.synthetic import ScaleConfig

TINY = ScaleConfig(employees=30, items=240, dim=16, topics=5, sample=12, block=7, candidates=20)


def test_synthetic_data_is_unit_deterministic_and_chunk_independent():
    items, people = synthetic.make_items(TINY), synthetic.make_people(TINY)
    assert items.shape == (240, 16) and people.shape == (30, 4, 16)
    assert items.dtype == np.float32 and people.dtype == np.float32
    assert np.allclose(np.linalg.norm(items, axis=1), 1, atol=1e-5)
    assert np.allclose(np.linalg.norm(people, axis=2), 1, atol=1e-5)
    assert np.array_equal(items, synthetic.make_items(TINY)) and np.array_equal(people, synthetic.make_people(TINY))
    assert np.array_equal(np.vstack([c for _, c in synthetic.item_chunks(TINY)]), items)
    rows = synthetic.sample_rows(TINY)
    assert len(rows) == 12 and len(set(rows.tolist())) == 12 and rows.max() < 30


def _naive(person, items, w):
    """The product's arithmetic for one person, straight from assistant.retrieval.ranking."""
    from assistant.retrieval.ranking import fused, mean_over_units

    parts = brute_force.parts(items.shape[1])
    s = fused([person[:, p] for p in parts], [items[:, p] for p in parts])
    return mean_over_units(np.maximum(s, 0), w)


@pytest.mark.parametrize("dim", [16, 896])
def test_brute_force_top10_matches_a_naive_argsort(dim):
    cfg = TINY if dim == 16 else ScaleConfig(employees=9, items=120, dim=896, topics=5, block=4)
    items, people, w = synthetic.make_items(cfg), synthetic.make_people(cfg), brute_force.unit_weights(cfg)
    assert w.tolist()[:2] == [2.0, 1.0]
    idx, val = brute_force.brute_force_topk(people, items, w, k=10, block=cfg.block)
    assert idx.shape == (cfg.employees, 10) and val.shape == (cfg.employees, 10)
    for n in range(cfg.employees):
        scores = _naive(people[n], items, w)
        naive = np.argsort(-scores, kind="stable")[:10]
        assert set(idx[n].tolist()) == set(naive.tolist())
        assert np.allclose(val[n], scores[naive], atol=1e-4)  # same values, best first
        assert np.all(np.diff(val[n]) <= 1e-6)


def test_row_stats_give_the_exact_scores_from_candidates_only():
    cfg = ScaleConfig(employees=3, items=300, dim=896, topics=5)
    items, people, w = synthetic.make_items(cfg), synthetic.make_people(cfg), brute_force.unit_weights(cfg)
    stats = scale_vss.RowStats(cfg.dim)
    for _, chunk in synthetic.item_chunks(cfg):
        stats.add(chunk)
    cand = np.array([5, 17, 42, 299])
    assert np.allclose(stats.scores(people[1], items[cand], w), _naive(people[1], items, w)[cand], atol=1e-4)


def test_top_k_rows_with_fewer_items_than_k():
    idx, val = brute_force.top_k_rows(np.array([[0.1, 0.9, 0.5]], dtype=np.float32), 10)
    assert idx.tolist() == [[1, 2, 0]]
    assert val.shape == (1, 3)


def test_recall_at_k():
    assert scale.recall_at_k(np.array([[1, 2, 3, 4]]), np.array([[4, 3, 2, 1]])) == 1.0
    assert scale.recall_at_k(np.array([[1, 2], [5, 6]]), np.array([[1, 9], [7, 8]])) == 0.25


def test_vss_path_returns_candidates_and_a_reranked_top10():
    store = scale_vss.vss_connect()
    try:
        stats = scale_vss.vss_load(store, TINY)
        scale_vss.vss_build(store)
        assert store.value("SELECT count(*) FROM items") == TINY.items
        people = synthetic.make_people(TINY)
        ids, top = scale_vss.vss_query(store, stats, people[0], TINY)
        assert ids.shape == (TINY.candidates,) and top.shape == (TINY.k,)
        assert len(set(ids.tolist())) == len(ids) and set(top.tolist()) <= set(ids.tolist())
        assert ids.min() >= 0 and ids.max() < TINY.items
    finally:
        store.close()


def test_run_scale_tiny_end_to_end_in_worker_processes(settings):
    result = scale.run_scale(TINY, settings, dims=(16,), vss_dims=(16,), product=False, progress=lambda _: None)
    runs = {r["method"]: r for r in result["runs"]}
    assert set(runs) == {"numpy", "vss"}
    assert all("error" not in r for r in runs.values()), runs
    assert runs["numpy"]["recall@10"] == 1.0 and runs["numpy"]["queried"] == TINY.employees
    recalls = runs["vss"]["recall@10"]
    assert set(recalls) == {"hnsw_vs_exact_cosine", "hnsw_top10_vs_exact_product_score",
                            "hnsw_top20_reranked_vs_exact_product_score"}
    assert all(0.0 <= v <= 1.0 for v in recalls.values())
    for key in ("build_s", "query_all_s", "peak_rss_mb", "ms_single_employee"):
        assert key in runs["vss"] and key in runs["numpy"]
    assert "16 dims" in result["verdict"]
    assert "| numpy | 16 |" in scale.markdown(result)


def test_bench_report_merges_sections_and_renders_markdown(tmp_path):
    bench.write({"machine": {"cpu_count": 2}, "embedding": {"fake": {"texts_per_s": 10.0, "load_s": 0.1, "dim": 256,
                                                                    "peak_rss_mb": 50.0}}}, tmp_path)
    path = bench.write({"machine": {"cpu_count": 2}, "embedding": {"use": {"error": "not installed"}}}, tmp_path)
    report = json.loads(path.read_text(encoding="utf-8"))
    assert set(report["embedding"]) == {"use"}  # a section is replaced whole
    md = (tmp_path / "bench.md").read_text(encoding="utf-8")
    assert "| use | error: not installed |" in md


@pytest.mark.parametrize("n", [20])
def test_bench_sentences_are_half_french_half_english(n):
    from assistant.language import detect

    texts = bench.bench_sentences(n)
    assert len(texts) == n and len(set(texts)) == n
    langs = [detect(t) for t in texts]
    assert langs.count("fr") == n // 2 and langs.count("en") == n // 2


def test_stats_ms():
    s = measure.stats_ms([0.01] * 19 + [0.5])
    assert s["median_ms"] == 10.0 and s["p95_ms"] == 10.0 and s["max_ms"] == 500.0 and s["calls"] == 20


def test_child_env_reproduces_the_settings_and_drops_stale_variables(settings, monkeypatch):
    monkeypatch.setenv("PORTE_VOIX_EMBEDDER", "stale")  # a shell variable the child must not see
    s = settings.but(plugins=("tests.fakes",), extra={"PORTE_VOIX_FEATURE": "on"})
    env = measure.child_env(s, TQDM_DISABLE="1")
    assert load_settings(env) == s
    assert env["TQDM_DISABLE"] == "1" and env["PYTHONPATH"].startswith(str(measure.ROOT))


def test_synthetic_embedder_is_deterministic_unit_and_follows_the_layout():
    cfg = ScaleConfig(dim=896, topics=5)
    embedder = synthetic.SyntheticEmbedder(cfg)
    a, b = embedder.embed_batch(["ka lo mi", "ne ra to"]), embedder.embed_batch(["ka lo mi"])
    assert a.shape == (2, 896) and a.dtype == np.float32 and np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-5)
    assert np.array_equal(a[0], b[0]) and not np.allclose(a[0], a[1])
    assert [width for _, width in embedder.parts] == [512, 384]
    assert embedder.embed_batch([]).shape == (0, 896)


def test_product_worker_runs_the_real_recommend_on_a_synthetic_library(tmp_path, settings):
    result = scale_product.worker_product(ScaleConfig(items=200, dim=16, topics=5), tmp_path, settings, repeat=1)
    assert result["items"] == 200 and result["method"] == "product_recommend"
    assert result["first_call_s"] >= 0 and result["warm_median_ms"] >= 0
    assert result["profile_top"] and {"function", "own_ms_per_request"} <= set(result["profile_top"][0])
