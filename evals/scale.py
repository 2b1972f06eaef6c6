"""Scale run: top-10 items for every employee, numpy brute force vs DuckDB VSS (HNSW).

Scope: the dense ranking of ``assistant.matching.recommend`` (``ranking.fused``:
each profile unit's similarities standardised over all items per model, positive
evidence, weighted mean over units) for E synthetic employees x N synthetic
items. Vectors are random unit vectors with cluster structure (``topics``
centroids + noise); each worker regenerates them from a seed, so every method
sees the same data and runs in its own process (separate peak memory, VmHWM).

Methods:
- ``numpy``: blocked float32 matrix products over employees, ``np.argpartition``
  for the top-k. Exact.
- ``vss``: in-memory DuckDB, ``FLOAT[d]`` column, HNSW index (cosine, default
  M=16, ef_construction=128, ef_search=64). HNSW answers one vector at a time:
  each employee asks with the weighted mean of their units for ``candidates``
  items (with vectors), re-ranked with the exact product score (z-scores over
  all items come from the items' mean and second moment, :class:`evals.scale_vss.RowStats`).
  The batched LATERAL index join does not trigger on DuckDB 1.5 (duckdb-vss
  issue #80), so queries go one by one, on a sample, extrapolated to E.
- ``product``: the product's own ``matching.recommend`` (store, k-NN graph,
  smoothing, MMR) on ``product_items`` synthetic items, first and warm calls.

Usage: ``python -m evals.scale`` (10,000 x 50,000; the configured embedder's
dimension, e.g. 1280 for use+e5+minilm or 896 for use+e5, and 512),
``python -m evals.scale --small`` (1,000 x 5,000), ``--json`` for the raw result.

    >>> cfg = ScaleConfig(employees=20, items=200, dim=16, sample=5)
    >>> brute_force_topk(make_people(cfg), make_items(cfg), unit_weights(cfg))[0].shape
    (20, 10)
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from assistant.ranking import fused

_CHUNK = 5000  # items generated (and inserted) per chunk


@dataclass(frozen=True)
class ScaleConfig:
    employees: int = 10_000
    items: int = 50_000
    dim: int = 896            # use+e5 ensemble: 512 + 384
    texts: int = 4            # profile texts per employee (expertise + posts)
    topics: int = 50
    sample: int = 300         # employees queried through VSS (extrapolated to all)
    block: int = 128          # employees per numpy block
    k: int = 10
    candidates: int = 50      # VSS candidates re-ranked exactly
    statement: float = 2.0    # weight of the expertise statement (matching.Weights.statement)
    product_items: int = 10_000  # library size for the product's own recommend (k-NN build is O(N^2))
    seed: int = 0


# --- synthetic data ---------------------------------------------------------------------

def _unit(m: np.ndarray) -> np.ndarray:
    return (m / np.linalg.norm(m, axis=-1, keepdims=True)).astype(np.float32)


def centroids(cfg: ScaleConfig) -> np.ndarray:
    rng = np.random.default_rng([cfg.seed, cfg.dim, 0])
    return _unit(rng.standard_normal((cfg.topics, cfg.dim), dtype=np.float32))


def item_chunks(cfg: ScaleConfig):
    """Yield ``(start, (n, dim) unit vectors)``: a main topic (0.6), a second one (0.3), noise."""
    c = centroids(cfg)
    for start in range(0, cfg.items, _CHUNK):
        n = min(_CHUNK, cfg.items - start)
        rng = np.random.default_rng([cfg.seed, cfg.dim, 1, start])
        t1, t2 = rng.integers(0, cfg.topics, n), rng.integers(0, cfg.topics, n)
        noise = rng.standard_normal((n, cfg.dim), dtype=np.float32) / np.sqrt(cfg.dim)
        yield start, _unit(0.6 * c[t1] + 0.3 * c[t2] + 0.75 * noise)


def make_items(cfg: ScaleConfig) -> np.ndarray:
    return np.vstack([chunk for _, chunk in item_chunks(cfg)])


def make_people(cfg: ScaleConfig) -> np.ndarray:
    """(employees, texts, dim): each employee writes about two topics of interest."""
    c = centroids(cfg)
    rng = np.random.default_rng([cfg.seed, cfg.dim, 2])
    interests = rng.integers(0, cfg.topics, (cfg.employees, 2))
    pick = interests[np.arange(cfg.employees)[:, None], rng.integers(0, 2, (cfg.employees, cfg.texts))]
    noise = rng.standard_normal((cfg.employees, cfg.texts, cfg.dim), dtype=np.float32) / np.sqrt(cfg.dim)
    return _unit(0.7 * c[pick] + 0.7 * noise)


def sample_rows(cfg: ScaleConfig) -> np.ndarray:
    rng = np.random.default_rng([cfg.seed, 3])
    return np.sort(rng.choice(cfg.employees, min(cfg.sample, cfg.employees), replace=False))


# --- scoring ----------------------------------------------------------------------------

LAYOUTS = {896: (512, 384), 1280: (512, 384, 384)}  # use+e5, use+e5+minilm
MODEL_DIMS = {"use": 512, "e5": 384, "minilm": 384}


def default_dim() -> int:
    """Dimension of the configured embedder (``PORTE_VOIX_EMBEDDER``) when it is made of packaged models, else 896."""
    from assistant.config import settings

    names = settings().embedder.split("+")
    return sum(MODEL_DIMS[n] for n in names) if all(n in MODEL_DIMS for n in names) else 896


def parts(dim: int) -> list[slice]:
    """Column blocks of the member models (``LAYOUTS``); other sizes are one model."""
    sizes = LAYOUTS.get(dim, (dim,))
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
    """The recommend recipe for a block of people at once: (B, T, d) -> (B, N).

    ``ranking.fused`` (per model, each unit's similarities standardised over all
    items, averaged over models), positive evidence only, then the weighted mean
    over units (``ranking.mean_over_units``). Omitted: language centring (a
    per-vector preprocessing) and k-NN smoothing (needs the item graph, measured
    in the ``product`` worker).
    """
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
    """What HNSW is asked for one person: the weighted mean of their units, unit length."""
    return _unit((weights[:, None] * person).sum(axis=0))


def recall_at_k(approx: np.ndarray, exact: np.ndarray) -> float:
    """Mean share of each exact top-k row found in the matching approximate row."""
    hits = [len(set(a.tolist()) & set(e.tolist())) / len(e) for a, e in zip(approx, exact)]
    return float(np.mean(hits)) if hits else 0.0


# --- workers (one process per method and dimension) -------------------------------------

def _rss_mb() -> float:
    """Peak RSS of this process in MB: ``VmHWM``, since ``ru_maxrss`` carries the parent's peak over fork+exec."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def worker_numpy(cfg: ScaleConfig, outdir: Path) -> dict:
    base = _rss_mb()
    t0 = time.perf_counter()
    items, people, weights = make_items(cfg), make_people(cfg), unit_weights(cfg)
    gen_s = time.perf_counter() - t0
    t0, c0 = time.perf_counter(), time.process_time()
    idx, _ = brute_force_topk(people, items, weights, cfg.k, cfg.block)
    query_s, query_cpu = time.perf_counter() - t0, time.process_time() - c0
    peak = _rss_mb()
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


def worker_product(cfg: ScaleConfig, outdir: Path, repeat: int = 5) -> dict:
    """The product's own ``matching.recommend`` on a library of ``cfg.items`` synthetic items.

    Items (Zipf-distributed pseudo-words, ~120 per text) and their ``cfg.dim``-d
    vectors go straight into a fresh store; the employee is imported with
    ``people.import_people`` and embedded by a deterministic fake of that size.
    """
    import pyarrow as pa

    from assistant import matching
    from assistant.embeddings import text_hash
    from assistant.people import import_people
    from assistant.store import open_store
    from models import get_embedder, register_embedder
    from models.fake import FakeEmbedder

    from .bench import hot_spots

    os.environ["PORTE_VOIX_HOME"] = str(outdir / "product-home")
    name = f"bench-fake-{cfg.dim}"

    @register_embedder(name)
    def _fake():
        fake = FakeEmbedder(cfg.dim)
        fake.name = name
        return fake

    embedder = get_embedder(name)
    rng = np.random.default_rng([cfg.seed, 4])
    syllables = np.array("ka lo mi ne ra to vu se chi dan fer gri hol jun pes tri sol ver".split())
    vocab = np.array(["".join(rng.choice(syllables, rng.integers(2, 5))) for _ in range(8000)])
    zipf = 1 / np.arange(1, len(vocab) + 1)
    words = rng.choice(vocab, (cfg.items, 126), p=zipf / zipf.sum())
    titles = [" ".join(w[:6]) for w in words]
    texts = [" ".join(w[6:]) for w in words]
    ids = [f"item-{i:06d}" for i in range(cfg.items)]
    store = open_store()
    hashes = [text_hash(f"{t}\n{x}") for t, x in zip(titles, texts)]
    content = pa.table({"id": ids, "title": titles, "text": texts, "language": ["fr", "en"] * (cfg.items // 2) + ["fr"] * (cfg.items % 2),
                        "h": hashes})
    store.db.register("c", content)
    store.execute("INSERT INTO content (id, title, text, kind, language, language_supported, content_hash, record_hash) "
                  "SELECT id, title, text, 'article', language, TRUE, h, h FROM c")
    vecs = make_items(cfg)
    emb = pa.table({"h": hashes, "v": [v.tobytes() for v in vecs]})
    store.db.register("e", emb)
    store.execute(f"INSERT INTO embeddings (model, text_hash, dim, vector) SELECT ?, h, {cfg.dim}, v FROM e", [name])
    person = {"email": "bench@example.com", "name": "Bench", "languages": ["fr", "en"],
              "expertise": " ".join(words[0][:30]), "skills": list(words[1][:6]),
              "posts": [" ".join(words[n][:60]) for n in (2, 3, 4)]}
    (outdir / "person.jsonl").write_text(json.dumps(person) + "\n", encoding="utf-8")
    import_people(store, [outdir / "person.jsonl"])
    t0 = time.perf_counter()
    matching.recommend(store, person["email"], embedder=embedder)
    first_s = time.perf_counter() - t0
    warm = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        matching.recommend(store, person["email"], embedder=embedder)
        warm.append(time.perf_counter() - t0)
    import cProfile

    profiler = cProfile.Profile()
    profiler.runcall(matching.recommend, store, person["email"], embedder=embedder)
    return {"method": "product_recommend", "dim": cfg.dim, "items": cfg.items,
            "first_call_s": round(first_s, 2), "warm_median_ms": round(float(np.median(warm)) * 1000, 1),
            "warm_calls": repeat, "peak_rss_mb": round(_rss_mb(), 1), "profile_top": hot_spots(profiler, 1, top=8)}


def workers() -> dict:
    """Each method's worker; the VSS one lives in ``scale_vss`` (imported only when used)."""
    from .scale_vss import worker_vss

    return {"numpy": worker_numpy, "vss": worker_vss, "product": worker_product}


def run_worker(method: str, cfg: ScaleConfig, outdir: Path, timeout: float = 1200) -> dict:
    """Run one method in a fresh Python process; return its JSON result (``error`` on failure)."""
    cmd = [sys.executable, "-m", "evals.scale", "--worker", method, "--config", json.dumps(asdict(cfg)),
           "--outdir", str(outdir)]
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, cwd=root, env=env)
    except subprocess.TimeoutExpired:
        return {"method": method, "dim": cfg.dim, "error": f"timed out after {timeout:.0f} s"}
    if proc.returncode != 0:
        return {"method": method, "dim": cfg.dim, "error": proc.stderr.strip().splitlines()[-1:] or ["failed"]}
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_wall_s"] = round(time.perf_counter() - t0, 2)
    return result


def run_scale(cfg: ScaleConfig, dims=(896, 512), vss_dims=(896,), product: bool = True, progress=print) -> dict:
    """Both methods at each dimension, recall of VSS against the exact numpy top-k, and a verdict."""
    out = {"config": {**asdict(cfg), "dims": list(dims), "vss_dims": list(vss_dims)}, "runs": [], "cpu_count": os.cpu_count(),
           "load_average_start": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory(prefix="pv-scale-") as tmp:
        outdir = Path(tmp)
        for dim in dims:
            c = replace(cfg, dim=dim)
            progress(f"scale: numpy brute force, {c.employees} x {c.items}, {dim} dims ...")
            exact = run_worker("numpy", c, outdir)
            out["runs"].append(exact)
            if dim not in vss_dims:
                continue
            progress(f"scale: DuckDB VSS (HNSW), {c.items} items, {dim} dims, {min(c.sample, c.employees)} employees queried ...")
            vss = run_worker("vss", c, outdir)
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
            out["product_recommend"] = run_worker("product", c, outdir)
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


def resolve_dims(dims: str | None, vss_dims: str | None) -> tuple[list[int], list[int]]:
    """``--dims`` / ``--vss-dims`` strings, with the defaults described in ``main``."""
    out = [int(d) for d in dims.split(",") if d] if dims else list(dict.fromkeys([default_dim(), 512]))
    return out, [int(d) for d in vss_dims.split(",") if d] if vss_dims is not None else out[:1]


SMALL = ScaleConfig(employees=1000, items=5000, sample=200, product_items=2000)


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


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals.scale", description=__doc__.split("\n\n")[0])
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
        result = workers()[args.worker](ScaleConfig(**json.loads(args.config)), Path(args.outdir))
        print(json.dumps(result))
        return 0
    cfg = SMALL if args.small else ScaleConfig()
    cfg = replace(cfg, **{k: v for k, v in {"employees": args.employees, "items": args.items,
                                            "sample": args.sample}.items() if v})
    if args.product_items is not None:
        cfg = replace(cfg, product_items=args.product_items)
    dims, vss_dims = resolve_dims(args.dims, args.vss_dims)
    result = run_scale(cfg, dims, vss_dims, progress=lambda m: print(m, file=sys.stderr))
    print(json.dumps(result, indent=2) if args.json else markdown(result))
    return 0 if all("error" not in r for r in result["runs"]) else 1


if __name__ == "__main__":
    sys.exit(main())
