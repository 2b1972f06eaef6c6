"""Performance benchmark: ``python -m evals bench`` (or ``python -m evals bench``, ``porte-voix bench``).

Scope and why: the numbers a deployment needs before it trusts the product on
its machine, measured through the product's own entry points.

1. ``embedding``: texts/s per backend (``use``, ``e5``, ``minilm`` and the
   default ensemble) on ~200 FR+EN sentences cut from ``data/demo``, and the
   model load time, each in a fresh process (cold import + weights).
2. ``demo_import``: ``porte-voix demo --json`` in a fresh temporary
   ``PORTE_VOIX_HOME``, twice: the second run must compute 0 embeddings.
3. ``recommend``: cold (a fresh ``porte-voix recommend EMAIL --json`` process)
   and warm (in-process, median and p95 over 20 calls), with a cProfile of the
   warm calls; ``experts`` warm (same topic) and with a new topic per call.
4. ``scale``: :mod:`evals.speed.scale` (10,000 employees x 50,000 items).
5. ``engagement``: :mod:`evals.speed.engagement_bench`, every marketing dashboard query over
   10 million synthetic engagement events and 100,000 shares (target < 1 s each), and the writes
   (sync, analytics import) on top.

Writes ``evals/reports/bench.json`` and ``bench.md``; a partial run
(``--scale-only``, ``--skip-scale``, ``--engagement-only``, ``--skip-engagement``) updates only its sections of an existing
report. Other processes on the machine skew timings: the load average is
recorded at the start and the end. Each process it starts (``porte-voix``, an
embedding worker) gets its configuration from the settings this run was handed
(:func:`evals.measure.child_env`); the in-process part opens its own context.

    $ python -m evals bench --small          # scale at 1,000 x 5,000
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import hashlib
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import duckdb
import numpy

from assistant import language
from assistant.config import Settings, load_settings
from assistant.context import open_context
from assistant.demo import DEMO_DIR as DEMO
from assistant.imports.files import expand
from assistant.imports.readers import read_file
from assistant.retrieval.matching import experts, recommend
from assistant.storage.store import close_all
from assistant.writing.authenticity import score_post

from evals.measure import ROOT, child_env, hot_spots, peak_rss_mb, stats_ms, timed
from evals.speed import engagement_bench
from evals.speed.scale import SMALL, resolve_dims, run_scale
from evals.speed.scale import markdown as scale_markdown
from evals.synthetic import ScaleConfig

REPORTS = Path(__file__).resolve().parents[1] / "reports"
BACKENDS = ("use", "e5", "minilm", "use+e5")
TARGETS = {"demo_first_s": 60.0, "demo_second_s": 5.0, "recommend_warm_ms": 300.0, "recommend_cold_s": 5.0}
EXPERT_TOPICS = ["sécurité des réseaux industriels", "real-time data pipelines and data quality",
                 "prévision de production éolienne", "accessibility of control-room interfaces",
                 "recrutement et culture d'entreprise", "solar farm pilot results", "hameçonnage et sensibilisation",
                 "machine learning for grid forecasting", "sobriété numérique", "customer success stories"]


# --- texts --------------------------------------------------------------------------------

def bench_sentences(n: int = 200) -> list[str]:
    """``n`` sentences, half French and half English, cut from the demo content and employee posts."""
    texts = []
    for path in expand([DEMO / "content"]):
        for record in read_file(path).records:
            f = record.fields
            texts.append(str(f.get("text") or f.get("body") or f.get("content") or f.get("description") or ""))
    for line in (DEMO / "people.jsonl").read_text(encoding="utf-8").splitlines():
        person = json.loads(line)
        texts += [str(p.get("text") if isinstance(p, dict) else p) for p in person.get("posts") or []]
        texts.append(str(person.get("expertise") or ""))
    sentences = {}
    for text in texts:
        for s in re.split(r"(?<=[.!?])\s+", " ".join(text.split())):
            if 30 <= len(s) <= 300:
                sentences.setdefault(s, None)
    ordered = sorted(sentences, key=lambda s: hashlib.sha256(s.encode()).hexdigest())  # mixes sources, stable
    by_lang: dict[str, list[str]] = {"fr": [], "en": []}
    for s in ordered:
        lang = language.detect(s)
        if lang in by_lang and len(by_lang[lang]) < n // 2:
            by_lang[lang].append(s)
        if all(len(v) >= n // 2 for v in by_lang.values()):
            break
    return [s for pair in zip(by_lang["fr"], by_lang["en"]) for s in pair]


# --- 1. embedding throughput (one fresh process per backend) --------------------------------

def embed_worker(name: str, texts: list[str], settings: Settings, min_seconds: float = 3.0) -> dict:
    """Load embedder ``name`` (timed with a first text) and embed ``texts`` at least once, up to three
    times or ``min_seconds``; meant for a fresh process, so the load is cold."""
    with tempfile.TemporaryDirectory(prefix="pv-bench-embed-") as tmp:
        ctx = open_context(settings.but(home=Path(tmp), embedder=name))
        try:
            start = time.perf_counter()
            embedder = ctx.embedder
            embedder.embed_batch(["Chargement du modèle / model warm-up."])
            load_s = time.perf_counter() - start
            done, spent, passes = 0, 0.0, 0
            while passes < 3 and (passes == 0 or spent < min_seconds):
                t0 = time.perf_counter()
                out = embedder.embed_batch(texts)
                spent += time.perf_counter() - t0
                done += len(texts)
                passes += 1
        finally:
            close_all()
    return {"texts_per_s": round(done / spent, 1), "load_s": round(load_s, 2), "dim": int(out.shape[1]),
            "texts": len(texts), "passes": passes, "peak_rss_mb": round(peak_rss_mb(), 1)}


def bench_embedding(backends, texts: list[str], settings: Settings, log) -> dict:
    out = {}
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False, encoding="utf-8") as f:
        json.dump(texts, f, ensure_ascii=False)
    try:
        for name in backends:
            log(f"embedding: {name} ...")
            out[name] = _python_json(["--embed-worker", name, "--texts", f.name], settings, timeout=900)
    finally:
        os.unlink(f.name)
    return out


# --- 2-3. demo import, recommend, experts ------------------------------------------------

def _cli(args: list[str], settings: Settings, timeout: float = 600) -> tuple[float, dict | list | None, str]:
    """``porte-voix ARGS`` in a fresh process configured by ``settings``: wall seconds, its last JSON line, stderr."""
    exe = Path(sys.executable).parent / "porte-voix"
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "assistant.cli"]
    env = child_env(settings, TQDM_DISABLE="1")
    t0 = time.perf_counter()
    proc = subprocess.run(cmd + args, capture_output=True, text=True, timeout=timeout, env=env, cwd=ROOT)
    wall = time.perf_counter() - t0
    lines = proc.stdout.strip().splitlines()
    try:
        data = json.loads(lines[-1]) if lines else None
    except json.JSONDecodeError:
        data = None
    if proc.returncode not in (0, 1) or data is None:
        raise RuntimeError(f"porte-voix {' '.join(args)} failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    return wall, data, proc.stderr


def bench_demo(settings: Settings, log) -> dict:
    """``porte-voix demo`` twice in the (empty) home of ``settings``: the second run must embed nothing."""
    runs = []
    for n in (1, 2):
        log(f"demo import: run {n} (fresh process) ...")
        wall, data, _ = _cli(["demo", "--json"], settings)
        runs.append({"wall_s": round(wall, 2), "in_process_s": data.get("seconds"),
                     "embeddings_computed": data.get("embeddings_computed"),
                     "content": data.get("content", {}).get("counts"), "people": data.get("people", {}).get("counts")})
    first, second = runs
    return {"embedder": settings.embedder, "first": first, "second": second,
            "first_ok": first["wall_s"] < TARGETS["demo_first_s"],
            "second_ok": second["wall_s"] < TARGETS["demo_second_s"] and second["embeddings_computed"] == 0}


def demo_email() -> str:
    return json.loads((DEMO / "people.jsonl").read_text(encoding="utf-8").splitlines()[0])["email"]


def bench_queries(settings: Settings, repeat: int, log) -> tuple[dict, dict]:
    """``recommend`` cold (fresh processes) and warm (in process, profiled), ``experts`` warm on the same and
    on new topics, and the authenticity score of a typed post, on the demo loaded in ``settings.home``."""
    email = demo_email()
    cold = []
    for n in (1, 2):
        log(f"recommend: cold run {n} (fresh process) ...")
        wall, data, _ = _cli(["recommend", email, "--json"], settings)
        cold.append(round(wall, 2))
    log("recommend / experts: warm, in process ...")
    ctx = open_context(settings)
    try:
        t0 = time.perf_counter()
        results = recommend(ctx, email)
        first_s = time.perf_counter() - t0
        warm = timed(lambda _: recommend(ctx, email), range(repeat))
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(repeat):
            recommend(ctx, email)
        profiler.disable()
        rec = {"email": email, "results": len(results), "cold_process_s": cold, "cold_ok": min(cold) < TARGETS["recommend_cold_s"],
               "first_call_in_process_s": round(first_s, 2), "warm": stats_ms(warm),
               "profile_top": hot_spots(profiler, repeat)}
        rec["warm_ok"] = rec["warm"]["median_ms"] < TARGETS["recommend_warm_ms"]

        topic = EXPERT_TOPICS[0]
        t0 = time.perf_counter()
        found = experts(ctx, topic)
        exp_first = time.perf_counter() - t0
        same = timed(lambda _: experts(ctx, topic), range(repeat))
        new = timed(lambda t: experts(ctx, t), EXPERT_TOPICS[1:])
        exp = {"query": topic, "results": len(found), "first_call_s": round(exp_first, 3),
               "warm_same_topic": stats_ms(same), "warm_new_topic": stats_ms(new)}

        item = results[0]["id"]
        typed = [f"Ce que je retiens de ce projet, après {n} mois sur le terrain : on avance vite. Et vous ?"
                 for n in range(repeat + 1)]  # a new text each call, as while typing
        score_post(ctx, email, item, typed[0])
        exp["score_post_warm"] = stats_ms(timed(lambda t: score_post(ctx, email, item, t), typed[1:]))
    finally:
        close_all()
    return rec, exp


# --- machine, report ------------------------------------------------------------------

def machine() -> dict:
    return {"cpu_count": os.cpu_count(), "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None,
            "platform": platform.platform(), "processor": platform.processor() or platform.machine(),
            "python": platform.python_version(), "numpy": numpy.__version__, "duckdb": duckdb.__version__,
            "load_average_start": [round(x, 2) for x in os.getloadavg()],
            "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")}


def _python_json(args: list[str], settings: Settings, timeout: float) -> dict:
    """``python -m evals bench ARGS`` in a fresh process configured by ``settings``; its last JSON line."""
    proc = subprocess.run([sys.executable, "-m", "evals.speed.bench", *args], capture_output=True, text=True,
                          timeout=timeout, cwd=ROOT, env=child_env(settings))
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["failed"])[-1]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def markdown(report: dict) -> str:
    m = report.get("machine", {})
    out = ["# Porte-voix performance benchmark", "",
           f"{m.get('date', '')} · {m.get('cpu_count')} CPUs · Python {m.get('python')} · numpy {m.get('numpy')} · "
           f"DuckDB {m.get('duckdb')} · load average {m.get('load_average_start')} → {m.get('load_average_end')} "
           "(other processes share the CPUs: timings are noisy when it is above the CPU count)", "",
           *([f"Sections measured at: {', '.join(f'{k} {v}' for k, v in report['measured_at'].items())}", ""]
             if report.get("measured_at") else [])]
    if "embedding" in report:
        out += ["## Embedding (fresh process per backend)", "", "| backend | texts/s | load s | dim | peak RSS MB |",
                "|---|---:|---:|---:|---:|"]
        for name, r in report["embedding"].items():
            out.append(f"| {name} | error: {r['error']} | | | |" if "error" in r else
                       f"| {name} | {r['texts_per_s']:.1f} | {r['load_s']:.2f} | {r['dim']} | {r['peak_rss_mb']:.0f} |")
        out.append("")
    if "demo_import" in report:
        d = report["demo_import"]
        out += [f"## Demo import (`porte-voix demo`, embedder {d['embedder']})", "",
                "| run | wall s | in-process s | embeddings computed | target |", "|---|---:|---:|---:|---|"]
        for key, target in (("first", f"< {TARGETS['demo_first_s']:.0f} s"), ("second", f"< {TARGETS['demo_second_s']:.0f} s, 0 embeddings")):
            r = d[key]
            out.append(f"| {key} | {r['wall_s']:.1f} | {r['in_process_s']} | {r['embeddings_computed']} | "
                       f"{target}: {'ok' if d[key + '_ok'] else 'MISSED'} |")
        out.append("")
    if "recommend" in report:
        r, e = report["recommend"], report.get("experts", {})
        out += ["## Queries", "", "| query | median ms | p95 ms | notes |", "|---|---:|---:|---|",
                f"| recommend, cold process | {min(r['cold_process_s']) * 1000:.0f} | {max(r['cold_process_s']) * 1000:.0f} | "
                f"wall time of `porte-voix recommend`; target < {TARGETS['recommend_cold_s']:.0f} s: {'ok' if r['cold_ok'] else 'MISSED'} |",
                f"| recommend, warm | {r['warm']['median_ms']:.1f} | {r['warm']['p95_ms']:.1f} | {r['warm']['calls']} calls; "
                f"target < {TARGETS['recommend_warm_ms']:.0f} ms: {'ok' if r['warm_ok'] else 'MISSED'}; first call in process {r['first_call_in_process_s']} s |"]
        if e:
            out += [f"| experts, warm, same topic | {e['warm_same_topic']['median_ms']:.1f} | {e['warm_same_topic']['p95_ms']:.1f} | {e['warm_same_topic']['calls']} calls |",
                    f"| experts, new topic each call | {e['warm_new_topic']['median_ms']:.1f} | {e['warm_new_topic']['p95_ms']:.1f} | "
                    f"{e['warm_new_topic']['calls']} topics (query embedded each time) |"]
            if "score_post_warm" in e:
                t = e["score_post_warm"]
                out.append(f"| authenticity score of a typed post, warm | {t['median_ms']:.1f} | {t['p95_ms']:.1f} | "
                           f"{t['calls']} new texts; target < 200 ms |")
        out += ["", "Warm `recommend` hot spots (cProfile, per request, by own time):", "",
                "| function | calls | own ms | cumulative ms |", "|---|---:|---:|---:|"]
        out += [f"| `{h['function']}` | {h['calls_per_request']} | {h['own_ms_per_request']} | {h['cum_ms_per_request']} |"
                for h in r["profile_top"]]
        out.append("")
    if "scale" in report:
        out += ["## Scale (synthetic vectors)", "", scale_markdown(report["scale"]), ""]
    if "engagement" in report:
        e = report["engagement"]
        out += ["## Engagement dashboards (synthetic events)", "", engagement_bench.markdown(e),
                f"Every query under 1 s: {'ok' if e['all_under_1s'] else 'MISSED'}.", ""]
    return "\n".join(out)


def write(report: dict, folder: Path) -> Path:
    """Merge ``report`` into ``folder/bench.json`` (sections replaced whole) and rewrite ``bench.md``."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "bench.json"
    merged = {}
    if path.exists():
        with contextlib.suppress(ValueError):
            merged = json.loads(path.read_text(encoding="utf-8"))
    merged.update(report)
    now = dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")
    merged["measured_at"] = {**merged.get("measured_at", {}), **{k: now for k in report if k != "machine"}}
    path.write_text(json.dumps(merged, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (folder / "bench.md").write_text(markdown(merged) + "\n", encoding="utf-8")
    return path


def run(args, settings: Settings, log=print) -> dict:
    report: dict = {"machine": machine()}
    embedder = args.embedder or settings.embedder
    if args.engagement_only:  # only the engagement section
        args.scale_only = args.skip_scale = True
    elif args.scale_only:     # only the scale section
        args.skip_engagement = True
    if not args.scale_only:
        texts = bench_sentences(args.sentences)
        backends = args.backends.split(",") if args.backends is not None else list(dict.fromkeys([*BACKENDS, embedder]))
        if any(backends):
            report["embedding"] = bench_embedding([b for b in backends if b], texts, settings, log)
            for r in report["embedding"].values():
                r.setdefault("mean_chars", round(sum(map(len, texts)) / len(texts), 1))
        with tempfile.TemporaryDirectory(prefix="pv-bench-") as tmp:
            demo = settings.but(home=Path(tmp) / "home", embedder=embedder)
            report["demo_import"] = bench_demo(demo, log)
            report["recommend"], report["experts"] = bench_queries(demo, args.repeat, log)
    if not args.skip_scale:
        cfg = SMALL if args.small else ScaleConfig()
        dims, vss_dims = resolve_dims(args.dims, args.vss_dims, settings.embedder)
        report["scale"] = run_scale(cfg, settings, dims, vss_dims, progress=log)
    if not args.skip_engagement:
        log("engagement dashboards over synthetic events…")
        report["engagement"] = engagement_bench.run(engagement_bench.SMALL if args.small else
                                                    engagement_bench.BenchConfig(), report=None)
    report["machine"]["load_average_end"] = [round(x, 2) for x in os.getloadavg()]
    return report


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    settings = settings or load_settings()
    p = argparse.ArgumentParser(prog="python -m evals bench", description="Porte-voix performance benchmark.")
    p.add_argument("--scale-only", action="store_true", help="only the 10,000 x 50,000 scale run")
    p.add_argument("--skip-scale", action="store_true")
    p.add_argument("--small", action="store_true",
                   help="scale run at 1,000 x 5,000, engagement at 1 million events")
    p.add_argument("--engagement-only", action="store_true", help="only the engagement dashboards (10 million events)")
    p.add_argument("--skip-engagement", action="store_true")
    p.add_argument("--backends", help="embedders to time, comma-separated ('' to skip; default: "
                   f"{', '.join(BACKENDS)} and the configured default)")
    p.add_argument("--embedder", help="embedder for demo/recommend/experts (default: PORTE_VOIX_EMBEDDER or use+e5)")
    p.add_argument("--sentences", type=int, default=200)
    p.add_argument("--repeat", type=int, default=20)
    p.add_argument("--dims", help="scale dimensions (default: the configured embedder's, and 512)")
    p.add_argument("--vss-dims", help="scale dimensions that also run VSS (default: the first of --dims)")
    p.add_argument("--out", type=Path, default=REPORTS)
    p.add_argument("--embed-worker", help=argparse.SUPPRESS)
    p.add_argument("--texts", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.embed_worker:
        texts = json.loads(Path(args.texts).read_text(encoding="utf-8"))
        print(json.dumps(embed_worker(args.embed_worker, texts, settings)))
        return 0
    log = lambda msg: print(msg, file=sys.stderr, flush=True)  # noqa: E731
    report = run(args, settings, log)
    path = write(report, args.out)
    print(markdown(report))
    print(f"\nwritten {path} and {path.with_suffix('.md')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
