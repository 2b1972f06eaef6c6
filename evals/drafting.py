"""``python -m evals drafting``: what the drafting pipeline hands employees, measured on the demo data.

For a deterministic sample of (employee, item) pairs from ``data/demo`` (both
languages, every kind), it drafts the variants with the configured generator
and reports, over the drafts that reach the employee: % in the right
language, % keeping all key facts, % policy-clean, mean originality against
the source (1 − share of copied word 3-grams), % in the first person, %
replaced by the grounded fallback or completed by a facts line, verbatim copies,
and p50/p95 latency per variant, to the first token, and until all 3 variants
are final. The checks of every candidate the model wrote (before repair or
fallback) say how good the model itself is.

    python -m evals drafting --pairs 8            # real model (~15-30 s per pair on 2 cores)
    PORTE_VOIX_GENERATOR=fake PORTE_VOIX_PLUGINS=tests.fakes python -m evals drafting --pairs 40

The demo is loaded into a throw-away home (``assistant.demo.load``); the model
is the configured one, built with the model cache of the configured home, so
its one-time conversion is shared with the app and not redone per run.
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from assistant import demo, drafting
from assistant.authenticity import voice_markers
from assistant.config import Settings, load_settings
from assistant.context import Context, open_context
from assistant.store import close_all
from models.generator import get_generator

from . import report as reports

TARGETS = {"right_language": 0.98, "all_facts": 0.95, "policy_clean": 1.0, "verbatim_copies": 0}


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
        "model_original": rate([r["copied"] <= drafting.MAX_COPIED for r in raw]),
    }


def run(settings: Settings, pairs_n: int, seed: int = 0) -> dict:
    """Draft for ``pairs_n`` pairs on the demo data in a throw-away home; the model of ``settings``
    (with the model cache of ``settings.home``) is loaded and warmed up, as the app does at start,
    before any request is timed."""
    with tempfile.TemporaryDirectory(prefix="porte-voix-drafting-") as home:
        scratch = settings.but(home=Path(home))
        try:
            open_context(scratch)  # imports the plugins first: the configured model may come from one
            generator = get_generator(settings.generator, cache_dir=settings.ensure().model_cache / "generators")
            return _run(open_context(scratch, generator=generator), pairs_n, seed)
        finally:
            close_all()


def _run(ctx: Context, pairs_n: int, seed: int) -> dict:
    demo.load(ctx)
    generator = ctx.generator
    started = time.perf_counter()
    getattr(generator, "load", lambda: None)()  # generators without weights have nothing to load
    load_seconds = round(time.perf_counter() - started, 1)
    drafting.warm_up(generator)  # as the app does at start: the shared prompt start is computed once
    warm_seconds = round(time.perf_counter() - started - load_seconds, 1)
    drafts, raw, first_tokens, requests, speeds = [], [], [], [], []
    for email, content_id in sample_pairs(ctx.store, pairs_n, seed):
        started, first = time.perf_counter(), None
        for kind, payload in drafting.stream_variants(ctx, email, content_id, n=3):
            if kind == "token" and first is None:
                first = time.perf_counter() - started
            if kind == "variant":
                c = payload["checks"]
                raw.extend(c.get("candidates", []))
                drafts.append({**{k: c[k] for k in ("language_ok", "facts_ok", "policy_ok", "copied")},
                               "fallback": payload["fallback"], "repaired": bool(c.get("repaired_facts")),
                               "seconds": payload["seconds"],
                               "first_person": voice_markers(payload["text"], payload["language"])["first_person"]})
        requests.append(time.perf_counter() - started)
        if first is not None:
            first_tokens.append(first)
        if getattr(generator, "last_stats", None):
            speeds.append(generator.last_stats["tokens_per_second"])
    speed = {"tokens_per_second_p50": round(float(np.median(speeds)), 1)} if speeds else {}
    return {"generator": generator.name, "load_seconds": load_seconds, "warm_up_seconds": warm_seconds, **speed,
            **summarise(drafts, raw, first_tokens, requests)}


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    settings = settings or load_settings()
    p = argparse.ArgumentParser(prog="python -m evals drafting")
    p.add_argument("--pairs", type=int, default=8, help="(employee, item) pairs, 3 variants each")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    start = time.perf_counter()
    metrics = run(settings, args.pairs, args.seed)
    result = {"task": "drafting", "dataset": "demo", "system": metrics.pop("generator"), "metrics": metrics,
              "n": metrics["variants"], "seconds": round(time.perf_counter() - start, 1), "targets": TARGETS}
    result["systems"] = [{"system": result["system"], "metrics": metrics, "n": result["n"], "seconds": result["seconds"]}]
    path = reports.write(result)
    print(json.dumps(result, ensure_ascii=False) if args.json else json.dumps(result, indent=1, ensure_ascii=False))
    if not args.json:
        print(f"written {path}")
    return 0
