"""``python -m evals drafting``: what the drafting pipeline hands employees, measured.

Drafts are built on the employee's own words (``assistant.writing.drafting``). The
default run drafts every case of ``own-words.jsonl`` in a drafting set (an
employee, an item, the line they would give: French and English, four companies,
cross-language pairs, lines with typos and without punctuation) and reports,
over every variant: their words kept (≥ 80 % of their content words), the key
point's facts kept, right language, every check passed, the longest run copied
from the item, third-person self-references, per-check rates, the 3-gram Jaccard
similarity between colleagues' stories of one item (five colleagues, five lines),
and the time to the first variant, alone and with five employees at once. Key points of items in
the other language are translated first, timed apart, as the app does while the employee writes.

``--pairs N`` drafts N (employee, item) pairs *without* words: the outline path,
whose checks are reported the same way.

    python -m evals drafting --set data/drafting-eval            # the 42 own-words cases
    python -m evals drafting --set data/drafting-eval --pairs 22  # the outline path on the second set's pairs
    python -m evals drafting --polish qwen2.5-coder-0.5b --cases 12  # a model's polish pass, gated per language

With ``--polish``, each model smooths the story of each case (as ``PORTE_VOIX_POLISH=on`` would) and
the report gives, per language, the share of its polished stories that pass every check against the
share of composed ones, and the gate that follows (``assistant/writing/prompts/gates.yaml`` records it).
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from assistant.config import Settings, load_settings
from assistant.context import Context, open_context
from assistant.imports.catalog import ingest
from assistant.imports.people import import_people
from assistant.storage.store import close_all
from assistant.writing import drafting, translation
from assistant.writing.guardrails import COMPOSED_GUARDS
from models.generator import get_generator
from models.scheduler import Interleaved

from evals import report as reports

TARGETS = {"own_words_kept": 1.0, "all_facts": 1.0, "right_language": 1.0, "pass_every_check": 0.95,
           "longest_copied_run_max": 12, "third_person": 0, "colleague_similarity": 0.25,
           "first_variant_p95_s": 1.0, "five_at_once_first_variant_p95_s": 2.0}
CHECKS = COMPOSED_GUARDS


def _rows(folder: Path, name: str) -> list[dict]:
    return [json.loads(line) for line in (folder / name).read_text(encoding="utf-8").splitlines() if line.strip()]


def summarise(drafts: list[dict], firsts: list[float], together: list[float]) -> dict:
    def rate(values):
        return round(float(np.mean(values)), 4) if len(values) else None

    def pct(values, q):
        return round(float(np.percentile(values, q)), 3) if len(values) else None

    checks = [d["checks"] for d in drafts]
    stories = {}
    for d in drafts:
        if d["form"] == "story":
            stories.setdefault(d["content"], []).append(d["text"])
    similar = [jaccard(a, b) for texts in stories.values() if len(texts) >= 5
               for a, b in itertools.combinations(texts, 2)]
    return {
        "variants": len(drafts),
        "own_words_kept": rate([c["own_words_ok"] for c in checks]),
        "own_words_kept_mean": rate([c["own_words_kept"] for c in checks]),
        "all_facts": rate([c["facts_ok"] for c in checks]),
        "right_language": rate([c["language_ok"] for c in checks]),
        "pass_every_check": rate([c["passed"] for c in checks]),
        "longest_copied_run_max": max((c["copy_run"] for c in checks), default=0),
        "third_person": sum(not c["third_person_ok"] for c in checks),
        "colleague_similarity": rate(similar),
        "colleague_pairs": len(similar),
        "cross_language_variants": sum(d["key_point_via"] != "item" for d in drafts),
        "first_variant_p50_s": pct(firsts, 50), "first_variant_p95_s": pct(firsts, 95),
        "five_at_once_first_variant_p95_s": pct(together, 95),
        "check_rates": {k: rate([c.get(k, True) for c in checks]) for k in CHECKS},
        "by_language": {lang: rate([d["checks"]["passed"] for d in drafts if d["language"] == lang])
                        for lang in sorted({d["language"] for d in drafts})},
    }


def jaccard(a: str, b: str) -> float:
    """3-gram Jaccard similarity of two texts' words."""
    def grams(text):
        words = re.findall(r"\w+", text.casefold())
        return set(zip(words, words[1:], words[2:]))
    x, y = grams(a), grams(b)
    return len(x & y) / len(x | y) if x | y else 0.0


def load_set(folder: Path, root: Path, base: Settings, generator) -> dict:
    """A drafting set (``data/drafting-eval``): one throw-away home per company, with its own policy, items
    and people; returns ``{"contexts": {content id: context}, "pairs": [(context, email, content id)],
    "own_words": [case]}``."""
    def rows(name):
        return _rows(folder, name) if (folder / name).exists() else []

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
    return {"contexts": contexts, "own_words": rows("own-words.jsonl"),
            "pairs": [(contexts[p["content"]], p["person"], p["content"]) for p in rows("pairs.jsonl")]}


def first_variant(ctx: Context, email: str, content_id: str, words: str | None) -> tuple[float, list[dict]]:
    """Seconds to the first variant, and every variant of the request."""
    started, first, out = time.perf_counter(), None, []
    for kind, payload in drafting.stream_variants(ctx, email, content_id, n=3, words=words):
        if kind == "variant":
            first = first if first is not None else time.perf_counter() - started
            out.append(payload)
    return first or 0.0, out


def at_once(jobs: list[tuple]) -> list[float]:
    """The first-variant time of each of ``jobs`` run at the same moment (one thread each)."""
    times: list[float] = []

    def one(job):
        times.append(first_variant(*job)[0])

    threads = [threading.Thread(target=one, args=(job,)) for job in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return times


def polish_gate(settings: Settings, dataset: Path, model: str, cases_n: int | None = None) -> dict:
    """Whether ``model``'s polish pass helps, per language: the share of polished stories that pass every
    check against the share of composed stories that do (the gate opens where it is at least as high)."""
    with tempfile.TemporaryDirectory(prefix="porte-voix-polish-") as home:
        try:
            scratch = settings.but(home=Path(home), polish="on")
            open_context(scratch)  # plugins first: the model may come from one
            generator = Interleaved(get_generator(model, cache_dir=settings.ensure().model_cache / "generators"))
            cases = load_set(dataset, Path(home), scratch, generator)
            stories, polished, seconds = {}, {}, []
            every = cases["own_words"]
            chosen = every[::max(1, len(every) // cases_n)][:cases_n] if cases_n else every  # spread over the set
            for case in chosen:
                ctx = cases["contexts"][case["content"]]
                started = time.perf_counter()
                events = list(drafting.stream_variants(ctx, case["person"], case["content"], n=1, words=case["words"]))
                seconds.append(time.perf_counter() - started)
                story = next(p for k, p in events if k == "variant" and p["form"] == "story")
                better = next((p for k, p in events if k == "variant" and p["form"] == "polished"), None)
                stories.setdefault(story["language"], []).append(story["checks"]["passed"])
                polished.setdefault(story["language"], []).append(better is not None)
            rates = {lang: {"composed_pass": round(float(np.mean(stories[lang])), 3),
                            "polished_pass": round(float(np.mean(polished[lang])), 3), "cases": len(stories[lang])}
                     for lang in sorted(stories)}
            return {"model": model, "rates": rates, "seconds_p50": round(float(np.median(seconds)), 1),
                    "gate": {lang: r["polished_pass"] >= r["composed_pass"] for lang, r in rates.items()}}
        finally:
            close_all()


def run(settings: Settings, dataset: Path, pairs_n: int | None = None) -> dict:
    """Draft the set's own-words cases (or, with ``pairs_n``, that many pairs without words) in throw-away
    homes, one per company."""
    with tempfile.TemporaryDirectory(prefix="porte-voix-drafting-") as home:
        try:
            cases = load_set(dataset, Path(home), settings.but(home=Path(home)), None)
            if pairs_n is not None:
                jobs = [(ctx, email, cid, None) for ctx, email, cid in cases["pairs"][:pairs_n]]
            else:
                jobs = [(cases["contexts"][c["content"]], c["person"], c["content"], c["words"])
                        for c in cases["own_words"]]
            translating = []  # the app translates a key point while the employee writes their sentence: done first
            for ctx, email, cid, words in jobs:
                plan = drafting.plan_for(ctx, email, cid, words=words, translate=False)
                if drafting.needs_translation(plan):
                    started = time.perf_counter()
                    translation.ensure(ctx, plan.item, plan.lang)
                    translating.append(time.perf_counter() - started)
            for ctx, email, cid, words in jobs[:2]:  # dictionaries and checkers load once per process, as in the app
                first_variant(ctx, email, cid, words)
            firsts, drafts = [], []
            for ctx, email, cid, words in jobs:
                seconds, variants = first_variant(ctx, email, cid, words)
                firsts.append(seconds)
                drafts += [{**v, "content": cid, "email": email} for v in variants]
            together = []
            for start in range(0, min(len(jobs), 20), 5):
                together += at_once(jobs[start:start + 5])
            metrics = summarise(drafts, firsts, together)
            metrics["translations"] = len(translating)
            metrics["translation_p50_s"] = round(float(np.median(translating)), 2) if translating else None
            metrics["translation_p95_s"] = round(float(np.percentile(translating, 95)), 2) if translating else None
            metrics["samples"] = [{"form": d["form"], "text": d["text"]} for d in drafts[:9]]
            metrics["failures"] = [{"text": d["text"], "failed": [k for k in CHECKS if not d["checks"].get(k, True)]}
                                   for d in drafts if not d["checks"]["passed"]][:10]
            return metrics
        finally:
            close_all()


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    settings = settings or load_settings()
    p = argparse.ArgumentParser(prog="python -m evals drafting")
    p.add_argument("--set", type=Path, default=Path("data/drafting-eval"), help="a drafting set folder")
    p.add_argument("--pairs", type=int, help="draft this many pairs without words (the outline path)")
    p.add_argument("--polish", nargs="+", metavar="MODEL",
                   help="also measure each model's polish pass against the composed stories (its gate per language)")
    p.add_argument("--cases", type=int, help="with --polish: N own-words cases only, spread over the set")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    start = time.perf_counter()
    metrics = run(settings, args.set, args.pairs)
    if args.polish:
        metrics["polish_gates"] = [polish_gate(settings, args.set, model, args.cases) for model in args.polish]
    dataset = args.set.name + ("-outline" if args.pairs is not None else "") + ("-polish" if args.polish else "")
    result = {"task": "drafting", "dataset": dataset, "system": "composed", "metrics": metrics,
              "n": metrics["variants"], "seconds": round(time.perf_counter() - start, 1), "targets": TARGETS}
    path = reports.write(result)
    print(json.dumps(result, ensure_ascii=False) if args.json else json.dumps(result, indent=1, ensure_ascii=False))
    if not args.json:
        print(f"written {path}")
    return 0
