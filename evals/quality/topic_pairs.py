"""Cross-language agreement on the demo: a French topic and its English translation find the same.

Scope: ``evals/data/topic_pairs.jsonl`` holds pairs written for this project about the demo company
(``{"id", "kind": "topic"|"nonsense", "fr", "en"}``; not taken from any eval set). On the demo loaded into
a throw-away home, for each pair:

- **experts**: ``matching.experts`` (with its relevance floor, as the Experts page shows it) for the
  French and for the English text; agreement = overlap of the two top-5 lists, ``|A ∩ B| / max(|A|, |B|)``
  (1.0 when both find the same people, and when both find nobody);
- **items**: a probe employee whose only text is the topic as their expertise statement, reading both
  languages, gets ``matching.recommend``; per item language, the two top-5 lists are compared
  (``|A ∩ B| / 5``), so a French statement that picks the French version of a news item and an English
  one that picks its English version are not counted as disagreeing.

Nonsense pairs must find nobody in either language. Metric names are an API: ``overlap@5`` (mean of
the experts' and items' overlaps over the real topics), ``overlap@5_experts``, ``overlap@5_items``,
``found_fr``/``found_en`` (share of real topics with at least one expert), ``nonsense_found_fr``/
``nonsense_found_en`` (share of nonsense topics with anyone: 0 is right), and per pair the names found.

    $ python -m evals topics               # writes evals/reports/topics-demo.{json,md}
"""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

from assistant.config import Settings
from assistant.context import open_context
from assistant.demo import load as load_demo
from assistant.demo_accounts import DOMAIN
from assistant.imports.people import apply_recorded_opt_ins, import_people
from assistant.retrieval import matching

PAIRS = Path(__file__).resolve().parents[1] / "data" / "topic_pairs.jsonl"
DEMO_TIME = dt.datetime(2026, 11, 22, 9, 0)  # the demo's "today" (data/demo/README.md)
K = 5


def read_pairs(path: Path = PAIRS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def overlap(a: list, b: list, k: int = K, fixed: bool = False) -> float:
    """Share of the top ``k`` both lists hold: over ``k`` when ``fixed``, else over the longer top (1.0 when both are empty).

    >>> overlap(["x", "y"], ["y", "x", "z"]), overlap([], []), overlap(list("abcde"), list("abfgh"), fixed=True)
    (0.6667, 1.0, 0.4)
    """
    a, b = a[:k], b[:k]
    denominator = k if fixed else max(len(a), len(b))
    return round(len(set(a) & set(b)) / denominator, 4) if denominator else 1.0


def _probe(ctx, tmp: Path, key: str, text: str) -> str:
    """An employee whose only text is ``text`` (their expertise statement), reading French and English; in
    the demo's domain, so a kept ``--home`` stays a demo home and the next run can load it again. Probes
    never accept interviews and have no posts: they change neither the experts nor the items' centre."""
    email = f"probe-{key}@{DOMAIN}"
    path = tmp / f"{key}.jsonl"
    path.write_text(json.dumps({"email": email, "name": key, "languages": ["fr", "en"], "expertise": text,
                                "consent_program": True}, ensure_ascii=False) + "\n", encoding="utf-8")
    import_people(ctx.store, [path])
    apply_recorded_opt_ins(ctx.store, [path])
    return email


def _top_items(ctx, email: str) -> dict[str, list[str]]:
    ranked = matching.recommend(ctx, email, limit=1000)
    return {lang: [r["id"] for r in ranked if r["language"] == lang][:K] for lang in ("fr", "en")}


def run_topic_pairs(settings: Settings, home: Path, pairs: list[dict] | None = None) -> dict:
    """Load the demo under ``home`` (kept if it exists) and measure every pair; the report of ``python -m evals topics``."""
    started = time.perf_counter()
    ctx = open_context(settings.but(home=Path(home).resolve()), clock=lambda: DEMO_TIME)
    load_demo(ctx)
    tmp = Path(home) / "probes"
    tmp.mkdir(parents=True, exist_ok=True)
    rows = []
    for pair in pairs or read_pairs():
        found = {lang: matching.experts(ctx, pair[lang], limit=K) for lang in ("fr", "en")}
        row = {"id": pair["id"], "kind": pair["kind"], "fr": pair["fr"], "en": pair["en"],
               "experts": {lang: [r["name"] for r in found[lang]] for lang in found}}
        row["overlap_experts"] = overlap(row["experts"]["fr"], row["experts"]["en"])
        if pair["kind"] == "topic":
            items = {lang: _top_items(ctx, _probe(ctx, tmp, f"{pair['id']}-{lang}", pair[lang])) for lang in ("fr", "en")}
            row["items"] = items
            row["overlap_items"] = round(sum(overlap(items["fr"][l], items["en"][l], fixed=True) for l in ("fr", "en")) / 2, 4)
        rows.append(row)
    topics = [r for r in rows if r["kind"] == "topic"]
    nonsense = [r for r in rows if r["kind"] == "nonsense"]

    def share(values) -> float:
        values = list(values)
        return round(sum(values) / len(values), 4) if values else 0.0

    metrics = {
        "overlap@5_experts": share(r["overlap_experts"] for r in topics),
        "overlap@5_items": share(r["overlap_items"] for r in topics),
        "found_fr": share(bool(r["experts"]["fr"]) for r in topics),
        "found_en": share(bool(r["experts"]["en"]) for r in topics),
        "nonsense_found_fr": share(bool(r["experts"]["fr"]) for r in nonsense),
        "nonsense_found_en": share(bool(r["experts"]["en"]) for r in nonsense),
    }
    metrics = {"overlap@5": round((metrics["overlap@5_experts"] + metrics["overlap@5_items"]) / 2, 4), **metrics}
    return {"task": "topics", "dataset": "demo", "system": "product", "metrics": metrics, "n": len(topics),
            "seconds": round(time.perf_counter() - started, 2), "systems": [{"system": "product", "metrics": metrics,
                                                                              "n": len(topics), "seconds": 0.0}],
            "pairs": rows, "data": {"topics": len(topics), "nonsense": len(nonsense), "embedder": settings.embedder}}
