"""The DuckDB VSS (HNSW) side of the scale run (see ``evals/speed/scale.py``): the approximate method.

Scope and why: whether DuckDB's vector index could replace the exact numpy
products (``evals/speed/brute_force.py``) for top-k recommendations at scale.

HNSW answers one vector at a time: each employee asks with the weighted mean of
their units for ``candidates`` items, re-ranked with the exact product score;
z-scores over *all* items come from the items' mean and second moment
(:class:`RowStats`), so the re-ranking matches the brute-force scores exactly.
"""

from __future__ import annotations

import time
from pathlib import Path

import duckdb
import numpy as np
import pyarrow as pa

from assistant.storage.store import Store

from evals.speed.brute_force import parts, query_vector, top_k_rows, unit_weights
from evals.measure import peak_rss_mb
from evals.synthetic import ScaleConfig, item_chunks, make_people, sample_rows


class RowStats:
    """Per-model mean and second moment of the items, so a unit's z-scores over *all* items
    can be computed from a few candidates: mean = q.mu, var = q M q - mean^2 (exact)."""

    def __init__(self, dim: int):
        self.parts = parts(dim)
        self.n = 0
        self.sums = [np.zeros(p.stop - p.start) for p in self.parts]
        self.moments = [np.zeros((p.stop - p.start,) * 2) for p in self.parts]

    def add(self, chunk: np.ndarray) -> None:
        self.n += len(chunk)
        for m, p in enumerate(self.parts):
            x = chunk[:, p].astype(np.float64)
            self.sums[m] += x.sum(axis=0)
            self.moments[m] += x.T @ x

    def scores(self, person: np.ndarray, cand: np.ndarray, weights: np.ndarray) -> np.ndarray:
        """``product_scores`` of one person (T, d) restricted to candidate vectors (C, d)."""
        z = 0.0
        for m, p in enumerate(self.parts):
            q = person[:, p].astype(np.float64)
            mean = q @ (self.sums[m] / self.n)
            var = np.einsum("td,de,te->t", q, self.moments[m] / self.n, q) - mean ** 2
            sd = np.sqrt(np.maximum(var, 0))
            sd[sd < 1e-9] = 1.0
            z = z + ((q @ cand[:, p].T.astype(np.float64)) - mean[:, None]) / sd[:, None]
        u = np.maximum(z / len(self.parts), 0)
        return ((weights[:, None] * u).sum(axis=0) / weights.sum()).astype(np.float32)


# --- DuckDB VSS -------------------------------------------------------------------------

def vss_connect() -> Store:
    """An in-memory DuckDB with the packaged vss extension, loaded by path through the product's Store."""
    con = duckdb.connect(config={"autoinstall_known_extensions": "false", "autoload_known_extensions": "false"})
    store = Store(con, Path(":memory:"))
    store.load_extension("vss")
    return store


def vss_load(store, cfg: ScaleConfig) -> RowStats:
    """Insert the items chunk by chunk through Arrow (never all in numpy at once); return their row stats."""
    stats = RowStats(cfg.dim)  # the array width is part of a type, written in the SQL (an int from the config)
    store.execute(f"CREATE TABLE items (id INTEGER, vec FLOAT[{cfg.dim}])")
    for start, chunk in item_chunks(cfg):
        table = pa.table({"id": pa.array(np.arange(start, start + len(chunk), dtype=np.int32)),
                          "vec": pa.FixedSizeListArray.from_arrays(pa.array(chunk.ravel()), cfg.dim)})
        store.db.register("chunk", table)
        store.execute(f"INSERT INTO items SELECT id, vec::FLOAT[{cfg.dim}] FROM chunk")
        store.db.unregister("chunk")
        stats.add(chunk)
    return stats


def vss_build(store) -> None:
    store.execute("CREATE INDEX items_hnsw ON items USING HNSW (vec) WITH (metric = 'cosine')")


def vss_query(store, stats: RowStats, person: np.ndarray, cfg: ScaleConfig) -> tuple[np.ndarray, np.ndarray]:
    """HNSW candidates for one person (ids, nearest first) and their exact re-ranked top-k."""
    weights = unit_weights(cfg)
    table = store.execute(
        f"SELECT id, vec FROM items ORDER BY array_cosine_distance(vec, ?::FLOAT[{cfg.dim}]) LIMIT ?",
        [query_vector(person, weights), cfg.candidates],
    ).to_arrow_table()
    ids = table.column("id").to_numpy()
    vecs = table.column("vec").combine_chunks().values.to_numpy(zero_copy_only=False).reshape(-1, cfg.dim)
    order, _ = top_k_rows(stats.scores(person, vecs, weights)[None], cfg.k)
    return ids, ids[order[0]]


# --- the worker (its own process) -------------------------------------------------

def worker_vss(cfg: ScaleConfig, outdir: Path) -> dict:
    base = peak_rss_mb()
    store = vss_connect()
    t0 = time.perf_counter()
    stats = vss_load(store, cfg)
    load_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    vss_build(store)
    build_s, build_cpu = time.perf_counter() - t0, time.process_time() - c0
    rows = sample_rows(cfg)
    people = make_people(cfg)[rows]
    ann, reranked = [], []
    t0, c0 = time.perf_counter(), time.process_time()
    for person in people:
        ids, top = vss_query(store, stats, person, cfg)
        ann.append(np.pad(ids[: cfg.k], (0, cfg.k - min(cfg.k, len(ids))), constant_values=-1))
        reranked.append(np.pad(top, (0, cfg.k - len(top)), constant_values=-1))
    sample_s, sample_cpu = time.perf_counter() - t0, time.process_time() - c0
    np.save(outdir / f"vss_ann_{cfg.dim}.npy", np.array(ann, dtype=np.int64).reshape(len(rows), cfg.k))
    np.save(outdir / f"vss_rerank_{cfg.dim}.npy", np.array(reranked, dtype=np.int64).reshape(len(rows), cfg.k))
    per = sample_s / max(len(rows), 1)
    return {"method": "vss", "dim": cfg.dim, "insert_and_stats_s": round(load_s, 2), "build_s": round(build_s, 2),
            "query_all_s": round(per * cfg.employees, 2), "build_cpu_s": round(build_cpu, 2),
            "query_all_cpu_s": round(sample_cpu / max(len(rows), 1) * cfg.employees, 2), "queried": int(len(rows)),
            "extrapolated": len(rows) < cfg.employees, "ms_per_employee_batched": round(per * 1000, 3),
            "ms_single_employee": round(per * 1000, 2), "baseline_rss_mb": round(base, 1),
            "peak_rss_mb": round(peak_rss_mb(), 1), "hnsw": {"metric": "cosine", "M": 16, "ef_construction": 128,
                                                          "ef_search": 64, "candidates": cfg.candidates}}
