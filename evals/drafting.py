"""``python -m evals drafting``: what the drafting pipeline hands employees, measured on the demo data.

For a deterministic sample of (employee, item) pairs from ``data/demo`` (both
languages, every kind), it drafts the variants with the configured generator
and reports, over the drafts that reach the employee: % in the right
language, % keeping all key facts, % policy-clean, mean originality against
the source (1 − share of copied word 3-grams), % in the first person, %
replaced by the grounded fallback or completed by a facts line, verbatim copies,
and p50/p95 latency per variant, to the model's first token (not the forced opening shown at
once), and until all 3 variants
are final. The checks of every candidate the model wrote (before repair or
fallback) say how good the model itself is.

    python -m evals drafting --pairs 8            # real model (~15-30 s per pair on 2 cores)
    PORTE_VOIX_GENERATOR=fake PORTE_VOIX_PLUGINS=tests.fakes python -m evals drafting --pairs 40
    python -m evals drafting --set data/drafting-eval --pairs 22 --generators qwen2.5-coder-0.5b gemma3-270m smollm2-135m

The demo is loaded into a throw-away home (``assistant.demo.load``); the model
is the configured one, built with the model cache of the configured home, so
its one-time conversion is shared with the app and not redone per run.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from assistant import demo
from assistant.config import Settings, load_settings
from assistant.context import Context, open_context
from assistant.imports.catalog import ingest
from assistant.imports.people import import_people
from assistant.storage.store import close_all
from assistant.writing import drafting
from assistant.writing.authenticity import voice_markers
from assistant.writing.guardrails import GUARDS, MAX_COPIED
from models.generator import get_generator
from models.scheduler import Interleaved

from . import report as reports

TARGETS = {"right_language": 0.98, "all_facts": 0.95, "policy_clean": 1.0, "verbatim_copies": 0,
           "pass_every_check": 0.95, "fallback": 0.20, "chatter": 0, "model_urls": 0, "wrong_company": 0,
           "invented_numbers": 0}
CHECKS = tuple(k for k in GUARDS)  # per-check rates, for the model's candidates and for what reaches the employee


def sample_pairs(store, n: int, seed: int = 0) -> list[tuple[str, str]]:
    """``n`` (email, content id) pairs: employees in the program, items in a language they write."""
    rng = random.Random(seed)
    persons = store.rows("SELECT email, languages FROM employees WHERE consent_program ORDER BY email")
    items = store.rows("SELECT id, language FROM content WHERE NOT retired ORDER BY id")
    pairs = []
    for i in range(n):
        person = persons[i % len(persons)]
        fits = [it for it in items if it["language"] in person["languages"]] or items
        pairs.append((person["email"], rng.choice(fits)["id"]))
    return pairs


def summarise(drafts: list[dict], raw: list[dict], first_tokens: list[float], requests: list[float] = ()) -> dict:
    def rate(values):
        return round(float(np.mean(values)), 4) if len(values) else None

    def share(rows, key):
        return rate([r[key] for r in rows])

    def pct(values, q):
        return round(float(np.percentile(values, q)), 2) if len(values) else None

    seconds = [d["seconds"] for d in drafts]
    return {
        "variants": len(drafts),
        "right_language": share(drafts, "language_ok"),
        "all_facts": share(drafts, "facts_ok"),
        "policy_clean": share(drafts, "policy_ok"),
        "originality_mean": rate([1 - d["copied"] for d in drafts]),
        "first_person": share(drafts, "first_person"),
        "fallback": share(drafts, "fallback"),
        "verbatim_copies": sum(d["copied"] >= 0.9 for d in drafts),
        "latency_p50_s": pct(seconds, 50),
        "latency_p95_s": pct(seconds, 95),
        "first_token_p50_s": pct(first_tokens, 50),
        "first_token_p95_s": pct(first_tokens, 95),
        "all_variants_p50_s": pct(requests, 50),
        "all_variants_p95_s": pct(requests, 95),
        "repaired": share(drafts, "repaired"),
        "model_candidates": len(raw),
        "model_pass_rate": share(raw, "passed"),  # a candidate passes as written or with its facts line
        "model_pass_unrepaired": rate([r["passed"] and not r["repaired"] for r in raw]),
        "model_all_facts": rate([not r["facts_missing"] for r in raw]),
        "model_original": rate([r["copied"] <= MAX_COPIED for r in raw]),
        "pass_every_check": share(drafts, "passed"),
        "chatter": sum(not d["checks"].get("chatter_ok", True) for d in drafts),
        "model_urls": sum(not d["checks"].get("urls_ok", True) for d in drafts),
        "wrong_company": sum(not d["checks"].get("company_ok", True) for d in drafts),
        "invented_numbers": sum(not d["checks"].get("numbers_ok", True) for d in drafts),
        "fallback_by_language": {lang: share([d for d in drafts if d.get("language") == lang], "fallback")
                                 for lang in sorted({d.get("language") for d in drafts} - {None})},
        "check_rates_delivered": {k: rate([d["checks"].get(k, True) for d in drafts]) for k in CHECKS},
        "check_rates_model": {k: rate([k not in r.get("failed_checks", []) for r in raw]) for k in CHECKS},
        "check_rates_model_by_language": {
            lang: {"passed": share([r for r in raw if r.get("language") == lang], "passed"),
                   **{k: rate([k not in r.get("failed_checks", []) for r in raw if r.get("language") == lang])
                      for k in CHECKS}}
            for lang in sorted({r.get("language") for r in raw} - {None})},
    }


def _record(payload: dict) -> dict:
    c = payload["checks"]
    return {**{k: c[k] for k in ("language_ok", "facts_ok", "policy_ok", "copied")}, "passed": c["passed"],
            "checks": {k: c.get(k, True) for k in CHECKS}, "fallback": payload["fallback"],
            "repaired": drafting.repaired(c), "seconds": payload["seconds"], "text": payload["text"],
            "angle": payload["angle"], "language": payload["language"], "first_person": voice_markers(payload["text"], payload["language"])["first_person"]}


def load_set(folder: Path, root: Path, base: Settings, generator) -> list[tuple[Context, str, str]]:
    """The second drafting set (``data/drafting-eval``): one throw-away home per company, with its own
    policy, items and people; returns its ``(context, email, content id)`` pairs."""
    def rows(name):
        return [json.loads(line) for line in (folder / name).read_text(encoding="utf-8").splitlines() if line.strip()]

    contexts = {}
    for company in rows("companies.jsonl"):
        home = root / f"company-{len(contexts)}"
        ctx = open_context(base.but(home=home), generator=generator)
        ctx.settings.ensure().policy_path.write_text(company["policy"], encoding="utf-8")
        name = company["company"]
        items = [i for i in rows("content.jsonl") if i["company"] == name]
        persons = [p for p in rows("people.jsonl") if p["company"] == name]
        (home / "items.jsonl").write_text("\n".join(json.dumps(i, ensure_ascii=False) for i in items), encoding="utf-8")
        (home / "people.jsonl").write_text("\n".join(json.dumps(p, ensure_ascii=False) for p in persons), encoding="utf-8")
        ingest(ctx.store, [home / "items.jsonl"])
        import_people(ctx.store, [home / "people.jsonl"])
        ctx.store.execute("UPDATE employees SET consent_program = TRUE")  # the set's people all opted in
        contexts.update({i["id"]: ctx for i in items})
    return [(contexts[p["content"]], p["person"], p["content"]) for p in rows("pairs.jsonl")]


def concurrent(jobs: list[tuple[Context, str, str]]) -> dict:
    """Draft ``jobs`` at the same moment (one thread each, as employees would): first token and all
    three variants per request, p50/p95."""
    firsts, totals = [], []

    def one(ctx, email, content_id):
        started, first = time.perf_counter(), None
        for kind, payload in drafting.stream_variants(ctx, email, content_id, n=3):
            if kind == "token" and first is None and not payload.get("forced"):  # the model's first token
                first = time.perf_counter() - started
        firsts.append(first if first is not None else time.perf_counter() - started)
        totals.append(time.perf_counter() - started)

    threads = [threading.Thread(target=one, args=job) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    pct = lambda values, q: round(float(np.percentile(values, q)), 2)  # noqa: E731
    return {"requests": len(jobs), "first_token_p50_s": pct(firsts, 50), "first_token_p95_s": pct(firsts, 95),
            "all_variants_p50_s": pct(totals, 50), "all_variants_p95_s": pct(totals, 95)}


def run(settings: Settings, pairs_n: int, seed: int = 0, dataset: Path | None = None,
        concurrency: tuple[int, ...] = ()) -> dict:
    """Draft for ``pairs_n`` pairs on the demo data in a throw-away home; the model of ``settings``
    (with the model cache of ``settings.home``) is loaded and warmed up, as the app does at start,
    before any request is timed."""
    with tempfile.TemporaryDirectory(prefix="porte-voix-drafting-") as home:
        scratch = settings.but(home=Path(home))
        try:
            open_context(scratch)  # imports the plugins first: the configured model may come from one
            generator = Interleaved(get_generator(settings.generator,
                                                  cache_dir=settings.ensure().model_cache / "generators"))
            ctx = open_context(scratch, generator=generator)
            pairs = load_set(dataset, Path(home), settings, generator)[:pairs_n] if dataset else None
            return _run(ctx, pairs_n, seed, pairs, concurrency)
        finally:
            close_all()


def _run(ctx: Context, pairs_n: int, seed: int, pairs=None, concurrency: tuple[int, ...] = ()) -> dict:
    if pairs is None:
        demo.load(ctx)
        pairs = [(ctx, email, content_id) for email, content_id in sample_pairs(ctx.store, pairs_n, seed)]
    generator = ctx.generator
    started = time.perf_counter()
    getattr(generator, "load", lambda: None)()  # generators without weights have nothing to load
    load_seconds = round(time.perf_counter() - started, 1)
    drafting.warm_up(generator)  # as the app does at start: the shared prompt start is computed once
    warm_seconds = round(time.perf_counter() - started - load_seconds, 1)
    drafts, raw, first_tokens, requests, speeds = [], [], [], [], []
    for pair_ctx, email, content_id in pairs:
        started, first = time.perf_counter(), None
        for kind, payload in drafting.stream_variants(pair_ctx, email, content_id, n=3):
            if kind == "token" and first is None and not payload.get("forced"):  # the model's first token
                first = time.perf_counter() - started
            if kind == "variant":
                c = payload["checks"]
                raw.extend({**r, "language": payload["language"], "angle": payload["angle"]}
                           for r in c.get("candidates", []))
                drafts.append(_record(payload))
        requests.append(time.perf_counter() - started)
        if first is not None:
            first_tokens.append(first)
        if getattr(generator, "last_stats", None):
            speeds.append(generator.last_stats["tokens_per_second"])
    speed = {"tokens_per_second_p50": round(float(np.median(speeds)), 1)} if speeds else {}
    together = {f"concurrent_{k}": concurrent([pairs[i % len(pairs)] for i in range(k)]) for k in concurrency}
    return {"generator": generator.name, "load_seconds": load_seconds, "warm_up_seconds": warm_seconds, **speed,
            **summarise(drafts, raw, first_tokens, requests), **together,
            "samples": [{"angle": d["angle"], "fallback": d["fallback"], "text": d["text"],
                         "failed": [k for k, ok in d["checks"].items() if not ok]} for d in drafts[:12]],
            "candidate_samples": [{"text": r.get("text", ""), "failed": r.get("failed_checks", [])} for r in raw[:12]],
            "every_candidate": raw, "every_draft": drafts}


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    settings = settings or load_settings()
    p = argparse.ArgumentParser(prog="python -m evals drafting")
    p.add_argument("--pairs", type=int, default=8, help="(employee, item) pairs, 3 variants each")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--set", type=Path, help="a drafting set folder (e.g. data/drafting-eval) instead of the demo sample")
    p.add_argument("--concurrent", type=int, nargs="*", default=[], help="also time K requests at once (e.g. 1 2 5)")
    p.add_argument("--generators", nargs="+", metavar="NAME",
                   help="compare these generators on the same pairs (default: the configured one); the first "
                        "is the report's headline system")
    p.add_argument("--json", action="store_true")
    p.add_argument("--dump", type=Path, metavar="FILE",
                   help="also write every candidate and every delivered draft (JSON lines, one per text) to FILE")
    args = p.parse_args(argv)
    dumped = []
    systems = []
    for name in args.generators or [settings.generator]:
        start = time.perf_counter()
        try:
            metrics = run(settings.but(generator=name), args.pairs, args.seed, args.set, tuple(args.concurrent))
        except Exception as exc:  # a model that cannot load or decode here is a result of the comparison too
            if not args.generators or len(args.generators) == 1:
                raise
            systems.append({"system": name, "metrics": {}, "n": 0, "error": f"{type(exc).__name__}: {exc}",
                            "seconds": round(time.perf_counter() - start, 1)})
            continue
        dumped += [{"system": name, "kind": kind, **row} for kind, key in (("candidate", "every_candidate"),
                                                                            ("draft", "every_draft"))
                   for row in metrics.pop(key)]
        systems.append({"system": metrics.pop("generator"), "metrics": metrics, "n": metrics["variants"],
                        "seconds": round(time.perf_counter() - start, 1)})
    head = next((s for s in systems if "error" not in s), systems[0])
    dataset = (args.set.name if args.set else "demo") + ("-comparison" if len(systems) > 1 else "")
    result = {"task": "drafting", "dataset": dataset, **head, "targets": TARGETS, "systems": systems}
    path = reports.write(result)
    if args.dump:
        args.dump.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in dumped), encoding="utf-8")
    print(json.dumps(result, ensure_ascii=False) if args.json else json.dumps(result, indent=1, ensure_ascii=False))
    if not args.json:
        print(f"written {path}")
    return 0
