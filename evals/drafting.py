"""``python -m evals drafting``: what the drafting pipeline hands employees, measured on the demo data.

For a deterministic sample of (employee, item) pairs from ``data/demo`` (both
languages, every kind), it drafts the variants with the configured generator
and reports, over the drafts that reach the employee: % in the right
language, % keeping all key facts, % policy-clean, mean originality against
the source (1 − share of copied word 3-grams), % in the first person, %
replaced by the grounded fallback, verbatim copies, and p50/p95 latency per
variant, to the first token, and until all 3 variants are final. The same checks on the model's raw attempts
(before regeneration/fallback) say how good the model itself is.

    python -m evals drafting --pairs 8            # real model (~15-30 s per pair on 2 cores)
    PORTE_VOIX_GENERATOR=fake python -m evals drafting --pairs 40
"""

from __future__ import annotations

import argparse
import json
import random
import tempfile
import time

import numpy as np

from assistant import drafting
from assistant.authenticity import voice_markers
from assistant.catalog import ingest
from assistant.cli import DEMO_DIR
from assistant.people import import_people
from assistant.store import close_all, open_store

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
    def share(rows, key):
        return round(float(np.mean([r[key] for r in rows])), 4) if rows else None

    def pct(values, q):
        return round(float(np.percentile(values, q)), 2) if len(values) else None

    seconds = [d["seconds"] for d in drafts]
    return {
        "variants": len(drafts),
        "right_language": share(drafts, "language_ok"),
        "all_facts": share(drafts, "facts_ok"),
        "policy_clean": share(drafts, "policy_ok"),
        "originality_mean": round(float(np.mean([1 - d["copied"] for d in drafts])), 4) if drafts else None,
        "first_person": share(drafts, "first_person"),
        "fallback": share(drafts, "fallback"),
        "verbatim_copies": sum(d["copied"] >= 0.9 for d in drafts),
        "latency_p50_s": pct(seconds, 50),
        "latency_p95_s": pct(seconds, 95),
        "first_token_p50_s": pct(first_tokens, 50),
        "first_token_p95_s": pct(first_tokens, 95),
        "all_variants_p50_s": pct(requests, 50),
        "all_variants_p95_s": pct(requests, 95),
        "model_attempts": len(raw),
        "model_pass_rate": share(raw, "passed"),
        "model_right_language": share(raw, "language_ok"),
        "model_all_facts": share(raw, "facts_ok"),
        "model_original": share(raw, "originality_ok"),
    }


def run(pairs_n: int, seed: int = 0) -> dict:
    home = tempfile.mkdtemp(prefix="porte-voix-drafting-")
    import os

    close_all()
    os.environ["PORTE_VOIX_HOME"] = home
    store = open_store()
    ingest(store, [DEMO_DIR / "content"])
    import_people(store, sorted(DEMO_DIR.glob("people.*")))
    generator = drafting.default_generator()
    drafts, raw, first_tokens, requests = [], [], [], []
    for email, content_id in sample_pairs(store, pairs_n, seed):
        pieces: dict[int, str] = {}
        started, first = time.perf_counter(), None
        for kind, payload in drafting.stream_variants(store, email, content_id, n=3, generator=generator):
            variant = payload["variant"]
            if kind == "token":
                first = first if first is not None else time.perf_counter() - started
                pieces[variant] = pieces.get(variant, "") + payload["text"]
            elif pieces.get(variant):  # a retry or a final draft closes the model's attempt
                raw.append(_raw_checks(store, email, content_id, pieces.pop(variant)))
            if kind == "variant":
                c = payload["checks"]
                drafts.append({**{k: c[k] for k in ("language_ok", "facts_ok", "policy_ok", "copied")},
                               "fallback": payload["fallback"], "seconds": payload["seconds"],
                               "first_person": voice_markers(payload["text"], payload["language"])["first_person"]})
        requests.append(time.perf_counter() - started)
        if first is not None:
            first_tokens.append(first)
    return {"generator": generator.name, **summarise(drafts, raw, first_tokens, requests)}


def _raw_checks(store, email, content_id, text):
    """The guardrails applied to one raw model attempt (as the pipeline does before deciding)."""
    from assistant import catalog, people
    from assistant.facts import key_facts
    from assistant.policy import load_policy
    from assistant.voice import build

    item, person = catalog.get_item(store, content_id), people.get_person(store, email)
    lang = drafting.draft_language(person, item)
    voice = build(person, [p["text"] for p in people.posts_of(store, email)], lang=lang)
    source, removed = drafting.sanitize(item["text"])
    facts = key_facts(source, item["title"] if item["language"] == lang else "", item.get("url"))
    policy = load_policy()
    examples = drafting.own_examples([p["text"] for p in people.posts_of(store, email)], lang)
    return drafting.checks(drafting.finish(text, item, voice, policy, lang), lang, facts, source, policy, removed, examples)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals drafting")
    p.add_argument("--pairs", type=int, default=8, help="(employee, item) pairs, 3 variants each")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    start = time.perf_counter()
    metrics = run(args.pairs, args.seed)
    result = {"task": "drafting", "dataset": "demo", "system": metrics.pop("generator"), "metrics": metrics,
              "n": metrics["variants"], "seconds": round(time.perf_counter() - start, 1), "targets": TARGETS}
    result["systems"] = [{"system": result["system"], "metrics": metrics, "n": result["n"], "seconds": result["seconds"]}]
    path = reports.write(result)
    print(json.dumps(result, ensure_ascii=False) if args.json else json.dumps(result, indent=1, ensure_ascii=False))
    if not args.json:
        print(f"written {path}")
    return 0
