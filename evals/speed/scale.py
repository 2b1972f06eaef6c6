"""Scale run: top-10 items for every employee, numpy brute force vs DuckDB VSS (HNSW), and the product's own call.

Scope: the dense ranking of ``assistant.retrieval.matching.recommend`` for E synthetic
employees x N synthetic items (``evals/synthetic.py``: clustered unit vectors),
each method in its own process (separate peak memory, VmHWM), every process
regenerating the same data from a seed. This module runs the workers and
compares them; the methods live in their own modules:

- ``numpy`` (:mod:`evals.speed.brute_force`): blocked float32 matrix products over
  employees, ``np.argpartition`` for the top-k. Exact.
- ``vss`` (:mod:`evals.speed.scale_vss`): in-memory DuckDB, ``FLOAT[d]`` column, HNSW
  index (cosine, default M=16, ef_construction=128, ef_search=64), one query per
  employee (the batched LATERAL index join does not trigger on DuckDB 1.5,
  duckdb-vss issue #80) on a sample, extrapolated to E, re-ranked exactly.
- ``product`` (:mod:`evals.speed.scale_product`): the product's own ``matching.recommend``
  (store, k-NN graph, smoothing, MMR) on ``product_items`` synthetic items.

Why: to choose between exact and approximate search with numbers (CPU seconds,
wall seconds, recall@10, peak memory) rather than by habit.

Usage: ``python -m evals scale`` (10,000 x 50,000; the configured embedder's
dimension, e.g. 1280 for use+e5+minilm or 896 for use+e5, and 512),
``python -m evals scale --small`` (1,000 x 5,000), ``--json`` for the raw result.

    >>> recall_at_k(np.array([[1, 2], [5, 6]]), np.array([[1, 9], [5, 6]]))
    0.75
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from assistant.config import Settings, load_settings

from evals.speed.brute_force import brute_force_topk, product_scores, query_vector, split, top_k_rows, unit_weights
from evals.measure import ROOT, child_env, peak_rss_mb
from evals.speed.scale_product import worker_product
from evals.speed.scale_vss import worker_vss
from evals.synthetic import ScaleConfig, embedder_dim, make_items, make_people, sample_rows

SMALL = ScaleConfig(employees=1000, items=5000, sample=200, product_items=2000)


def recall_at_k(approx: np.ndarray, exact: np.ndarray) -> float:
    """Mean share of each exact top-k row found in the matching approximate row."""
    hits = [len(set(a.tolist()) & set(e.tolist())) / len(e) for a, e in zip(approx, exact)]
    return float(np.mean(hits)) if hits else 0.0


def worker_numpy(cfg: ScaleConfig, outdir: Path) -> dict:
    """All employees' exact top-k by block products (timed, wall and CPU), plus the exact neighbours of the
    sample's query vectors, saved for the VSS recall (untimed)."""
    base = peak_rss_mb()
    t0 = time.perf_counter()
    items, people, weights = make_items(cfg), make_people(cfg), unit_weights(cfg)
    gen_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    idx, _ = brute_force_topk(people, items, weights, cfg.k, cfg.block)
    query_s, query_cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = peak_rss_mb()
    rows = sample_rows(cfg)
    # exact cosine neighbours of the vector HNSW is asked for, for the sample only (untimed)
    queries = np.stack([query_vector(p, weights) for p in people[rows]])
    exact_query, _ = top_k_rows(queries @ items.T, cfg.k)
    item_parts, singles = split(items), rows[: min(30, len(rows))]
    t0 = time.perf_counter()
    for r in singles:
        top_k_rows(product_scores(people[r:r + 1], item_parts, weights), cfg.k)
    single_ms = (time.perf_counter() - t0) / max(len(singles), 1) * 1000
    np.save(outdir / f"numpy_{cfg.dim}.npy", idx)
    np.save(outdir / f"numpy_query_{cfg.dim}.npy", exact_query)
    return {"method": "numpy", "dim": cfg.dim, "generate_s": round(gen_s, 2), "build_s": 0.0,
            "query_all_s": round(query_s, 2), "build_cpu_s": 0.0, "query_all_cpu_s": round(query_cpu, 2),
            "queried": cfg.employees, "extrapolated": False,
            "ms_per_employee_batched": round(query_s / cfg.employees * 1000, 3),
            "ms_single_employee": round(single_ms, 2), "baseline_rss_mb": round(base, 1),
            "peak_rss_mb": round(peak, 1)}


def run_method(method: str, cfg: ScaleConfig, outdir: Path, settings: Settings) -> dict:
    """One method in this process: the worker side of :func:`run_worker`."""
    if method == "product":
        return worker_product(cfg, outdir, settings)
    return {"numpy": worker_numpy, "vss": worker_vss}[method](cfg, outdir)


def run_worker(method: str, cfg: ScaleConfig, outdir: Path, settings: Settings, timeout: float = 1200) -> dict:
    """Run one method in a fresh Python process configured by ``settings``; return its JSON result
    (``error`` on failure)."""
    cmd = [sys.executable, "-m", "evals.speed.scale", "--worker", method, "--config", json.dumps(asdict(cfg)),
           "--outdir", str(outdir)]
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=ROOT, env=child_env(settings))
    except subprocess.TimeoutExpired:
        return {"method": method, "dim": cfg.dim, "error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"method": method, "dim": cfg.dim, "error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = round(time.perf_counter() - t0, 2)
    return result


def run_scale(cfg: ScaleConfig, settings: Settings, dims=(896, 512), vss_dims=(896,), product: bool = True,
              progress=print) -> dict:
    """Both methods at each dimension, recall of VSS against the exact numpy top-k, and a verdict."""
    out = {"config": {**asdict(cfg), "dims": list(dims), "vss_dims": list(vss_dims)}, "runs": [], "cpu_count": os.cpu_count(),
           "load_average_start": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory(prefix="pv-scale-") as tmp:
        outdir = Path(tmp)
        for dim in dims:
            c = replace(cfg, dim=dim)
            progress(f"scale: numpy brute force, {c.employees} x {c.items}, {dim} dims ...")
            exact = run_worker("numpy", c, outdir, settings)
            out["runs"].append(exact)
            if dim not in vss_dims:
                continue
            progress(f"scale: DuckDB VSS (HNSW), {c.items} items, {dim} dims, {min(c.sample, c.employees)} employees queried ...")
            vss = run_worker("vss", c, outdir, settings)
            if "error" not in vss and "error" not in exact:
                rows = sample_rows(c)
                full = np.load(outdir / f"numpy_{dim}.npy")[rows]
                cent = np.load(outdir / f"numpy_query_{dim}.npy")
                ann, rerank = np.load(outdir / f"vss_ann_{dim}.npy"), np.load(outdir / f"vss_rerank_{dim}.npy")
                vss["recall@10"] = {
                    "hnsw_vs_exact_cosine": round(recall_at_k(ann, cent), 4),
                    "hnsw_top10_vs_exact_product_score": round(recall_at_k(ann, full), 4),
                    f"hnsw_top{c.candidates}_reranked_vs_exact_product_score": round(recall_at_k(rerank, full), 4),
                }
                vss["total_all_employees_s"] = round(vss["build_s"] + vss["query_all_s"], 2)
                vss["total_all_employees_cpu_s"] = round(vss["build_cpu_s"] + vss["query_all_cpu_s"], 2)
            if "error" not in exact:
                exact["total_all_employees_s"] = exact["query_all_s"]
                exact["total_all_employees_cpu_s"] = exact["query_all_cpu_s"]
                exact["recall@10"] = 1.0
            out["runs"].append(vss)
        if product and cfg.product_items:
            c = replace(cfg, items=cfg.product_items, dim=dims[0])
            progress(f"scale: the product's recommend() on {c.items} items, {c.dim} dims ...")
            out["product_recommend"] = run_worker("product", c, outdir, settings)
    out["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    out["verdict"] = verdict(out["runs"])
    return out


def verdict(runs: list[dict]) -> str:
    """Which method to use, by CPU seconds (robust to other processes on the machine) and wall seconds."""
    lines = []
    for dim in sorted({r["dim"] for r in runs}, reverse=True):
        n = next((r for r in runs if r["dim"] == dim and r["method"] == "numpy" and "error" not in r), None)
        v = next((r for r in runs if r["dim"] == dim and r["method"] == "vss" and "error" not in r), None)
        if n and v:
            recall = next(val for key, val in v["recall@10"].items() if "reranked" in key)
            best = "numpy brute force" if n["total_all_employees_cpu_s"] <= v["total_all_employees_cpu_s"] else "DuckDB VSS"
            lines.append(
                f"{dim} dims, all employees: numpy {n['total_all_employees_cpu_s']:.0f} CPU s ({n['total_all_employees_s']:.0f} s wall), "
                f"exact, vs VSS {v['total_all_employees_cpu_s']:.0f} CPU s ({v['total_all_employees_s']:.0f} s wall, "
                f"of which the HNSW build {v['build_cpu_s']:.0f} CPU s), recall@10 {recall:.3f} after exact re-ranking; "
                f"one employee: numpy {n['ms_single_employee']:.0f} ms vs VSS {v['ms_single_employee']:.0f} ms; "
                f"peak RSS {n['peak_rss_mb']:.0f} vs {v['peak_rss_mb']:.0f} MB -> {best} for the batch.")
        elif n:
            lines.append(f"{dim} dims: numpy brute force {n['query_all_cpu_s']:.0f} CPU s ({n['query_all_s']:.0f} s wall) "
                         f"for all employees, {n['ms_single_employee']:.0f} ms for one, peak RSS {n['peak_rss_mb']:.0f} MB (VSS not run).")
    return " ".join(lines)


def resolve_dims(dims: str | None, vss_dims: str | None, embedder: str) -> tuple[list[int], list[int]]:
    """``--dims`` / ``--vss-dims`` strings; by default the width of ``embedder`` (the configured one) and 512."""
    out = [int(d) for d in dims.split(",") if d] if dims else list(dict.fromkeys([embedder_dim(embedder), 512]))
    return out, [int(d) for d in vss_dims.split(",") if d] if vss_dims is not None else out[:1]


def markdown(result: dict) -> str:
    rows = ["| method | dims | build s (CPU s) | all employees s (CPU s) | ms one employee | recall@10 | peak RSS MB |",
            "|---|---:|---:|---:|---:|---|---:|"]
    for r in result["runs"]:
        if "error" in r:
            rows.append(f"| {r['method']} | {r['dim']} | error: {r['error']} | | | | |")
            continue
        rec = r.get("recall@10", "")
        rec = ", ".join(f"{k.split('_vs_')[0]} vs {k.split('_vs_')[1].replace('exact_', '').replace('_', ' ')}: {v:.3f}"
                        for k, v in rec.items()) if isinstance(rec, dict) else "1.0 (exact)"
        note = f", {r['queried']} sampled" if r.get("extrapolated") else ""
        rows.append(f"| {r['method']} | {r['dim']} | {r['build_s']:.1f} ({r.get('build_cpu_s', 0):.0f}) | "
                    f"{r['query_all_s']:.1f} ({r.get('query_all_cpu_s', 0):.0f}{note}) | {r['ms_single_employee']:.1f} | "
                    f"{rec} | {r['peak_rss_mb']:.0f} |")
    c = result["config"]
    head = (f"{c['employees']:,} employees x {c['items']:,} items, {c['texts']} profile units each, "
            f"{c['topics']} topics, top-{c['k']}; {result.get('cpu_count')} CPUs, load average "
            f"{result.get('load_average_start', '?')} -> {result.get('load_average_end', '?')}.")
    lines = [head, "", *rows, "", f"**Verdict.** {result['verdict']}"]
    p = result.get("product_recommend")
    if p and "error" not in p:
        spots = "; ".join(f"`{h['function']}` {h['own_ms_per_request']:.0f} ms" for h in p["profile_top"][:5])
        lines += ["", f"**The product's `recommend` on {p['items']:,} items ({p['dim']} dims):** first call "
                  f"{p['first_call_s']:.1f} s (content index: vectors, language means, k-NN graph), warm median "
                  f"{p['warm_median_ms']:.0f} ms, peak RSS {p['peak_rss_mb']:.0f} MB. Hot spots per warm call: {spots}."]
    elif p:
        lines += ["", f"The product's `recommend` at scale: error: {p['error']}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    settings = settings or load_settings()
    p = argparse.ArgumentParser(prog="python -m evals scale", description=__doc__.split("\n\n")[0])
    p.add_argument("--small", action="store_true", help="1,000 employees x 5,000 items")
    p.add_argument("--employees", type=int)
    p.add_argument("--items", type=int)
    p.add_argument("--sample", type=int, help="employees queried through VSS")
    p.add_argument("--product-items", type=int, help="library size for the product's recommend (0: skip)")
    p.add_argument("--dims", help="comma-separated (default: the configured embedder's dimension, and 512)")
    p.add_argument("--vss-dims", help="dimensions that also run VSS (default: the first of --dims; the HNSW build is slow)")
    p.add_argument("--json", action="store_true", help="print the raw result as JSON")
    p.add_argument("--worker", choices=["numpy", "product", "vss"], help=argparse.SUPPRESS)
    p.add_argument("--config", help=argparse.SUPPRESS)
    p.add_argument("--outdir", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        result = run_method(args.worker, ScaleConfig(**json.loads(args.config)), Path(args.outdir), settings)
        print(json.dumps(result))
        return 0
    cfg = SMALL if args.small else ScaleConfig()
    cfg = replace(cfg, **{k: v for k, v in {"employees": args.employees, "items": args.items,
                                            "sample": args.sample}.items() if v})
    if args.product_items is not None:
        cfg = replace(cfg, product_items=args.product_items)
    dims, vss_dims = resolve_dims(args.dims, args.vss_dims, settings.embedder)
    result = run_scale(cfg, settings, dims, vss_dims, progress=lambda m: print(m, file=sys.stderr))
    print(json.dumps(result, indent=2) if args.json else markdown(result))
    return 0 if all("error" not in r for r in result["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
