"""How long building the weekly digests takes: 10,000 enrolled employees over 50,000 items.

Scope and why: the digests rank the whole library for everyone at once
(``assistant.retrieval.batch_ranking.recommend_many``); the issue's budget is < 2 minutes
on the 2-core machine, where ranking employees one ``recommend`` at a time
would take hours and the scale run's bare block products took 183 s. This
script builds a synthetic installation in a temporary home, with the scale
run's clustered vectors (``evals.synthetic``) stored as embeddings, so nothing
is embedded, then times, in one process:

1. the content index (``matching.content_index``: vectors, language means, the
   items' k-NN graph; cached per process and day, so the app's schedule
   usually finds it built by the feed);
2. ``digests.build`` for everyone due (ranking, last posts, goals, links), with
   the profile texts' languages stored, as after the first run;
3. rendering every e-mail body (HTML);

checks ``recommend_many`` against ``recommend`` for a few employees, and times
``language.detect`` on the demo's real expertise statements and skills lines:
the first run detects two texts per employee once (``text_languages``), which
``--first-run`` measures for real (slower than real texts: langdetect rarely
settles on the synthetic pseudo-words).

Usage: ``python -m evals digest_bench`` (10,000 x 50,000, 1280 dimensions: the
default ensemble's width), ``--small`` (1,000 x 5,000), ``--employees``,
``--items``, ``--dim``, ``--check N``; writes ``evals/reports/digest_bench-<employees>x<items>.json``.

    >>> r = run(ScaleConfig(employees=30, items=200, dim=16, topics=4), check=2, report=None)
    >>> r["digests"], r["check"]["same_items"]
    (30, 2)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np
import pyarrow as pa

from assistant import language
from assistant.config import Settings, load_settings
from assistant.context import open_context
from assistant.demo import DEMO_DIR
from assistant.digest import digests
from assistant.retrieval import matching
from assistant.retrieval.embeddings import text_hash
from assistant.storage.store import close_all

from evals.measure import ROOT, peak_rss_mb
from evals.synthetic import ScaleConfig, SyntheticEmbedder, make_items, make_people, pseudo_texts

FULL = ScaleConfig(employees=10_000, items=50_000, dim=1280, texts=4)
SMALL = replace(FULL, employees=1000, items=5000)
REPORTS = ROOT / "evals" / "reports"
TODAY = dt.date(2026, 12, 7)


def populate(ctx, cfg: ScaleConfig) -> None:
    """Items, employees (expertise, skills, ``texts - 2`` posts, all enrolled, three posted shares each with
    clicks and reactions), two campaign goals and every unit's vector, by bulk SQL."""
    store, name = ctx.store, ctx.embedder.name
    words = pseudo_texts(cfg, cfg.items + 3 * cfg.employees, words=40)
    titles = [" ".join(w[:6]) for w in words[:cfg.items]]
    texts = [" ".join(w[6:]) for w in words[:cfg.items]]
    rng = np.random.default_rng([cfg.seed, 7])
    content = pa.table({
        "id": [f"item-{i:06d}" for i in range(cfg.items)], "title": titles, "text": texts,
        "language": ["fr", "en"] * (cfg.items // 2) + ["fr"] * (cfg.items % 2),
        "campaign": [f"campaign-{c}" if c < 5 else None for c in rng.integers(0, 50, cfg.items)],
        "priority": rng.integers(0, 4, cfg.items).astype(np.int32),
        "published_at": [TODAY - dt.timedelta(days=int(d)) for d in rng.integers(0, 365, cfg.items)],
        "h": [text_hash(f"{t}\n{x}") for t, x in zip(titles, texts)]})
    store.db.register("bench_content", content)
    store.execute("""INSERT INTO content (id, title, text, kind, language, language_supported, campaign, priority,
                                         published_at, content_hash, record_hash)
                     SELECT id, title, text, 'article', language, TRUE, campaign, priority, published_at, h, h
                     FROM bench_content""")
    people_words = words[cfg.items:]
    emails = [f"employee{i:05d}@example.com" for i in range(cfg.employees)]
    langs = [["fr", "en"], ["en"], ["fr"]]
    expertise = [" ".join(people_words[3 * i][:25]) for i in range(cfg.employees)]
    skills = [list(people_words[3 * i + 1][:6]) for i in range(cfg.employees)]
    employees = pa.table({"email": emails, "name": [f"Employee {i}" for i in range(cfg.employees)],
                          "languages": [langs[i % 3] for i in range(cfg.employees)], "expertise": expertise,
                          "skills": skills})
    store.db.register("bench_employees", employees)
    store.execute("""INSERT INTO employees (email, name, languages, expertise, skills, consent_program, record_hash)
                     SELECT email, name, languages, expertise, skills, TRUE, email FROM bench_employees""")
    n_posts = max(cfg.texts - 2, 0)
    post_rows = [(f"p{i}-{j}", emails[i], " ".join(people_words[3 * i + 2][j * 10:(j + 1) * 10 + 8]), ["fr", "en"][(i + j) % 2])
                 for i in range(cfg.employees) for j in range(n_posts)]
    if post_rows:
        posts = pa.table({"id": [r[0] for r in post_rows], "email": [r[1] for r in post_rows],
                          "text": [r[2] for r in post_rows], "language": [r[3] for r in post_rows]})
        store.db.register("bench_posts", posts)
        store.execute("""INSERT INTO employee_posts (id, email, text, language, language_supported)
                         SELECT id, email, text, language, TRUE FROM bench_posts""")
    units = make_people(cfg)  # (employees, texts, dim): expertise, skills, posts
    unit_texts = [[expertise[i], ", ".join(skills[i])] + [r[2] for r in post_rows[i * n_posts:(i + 1) * n_posts]]
                  for i in range(cfg.employees)]
    hashes, blobs = [], []
    for i, texts_i in enumerate(unit_texts):
        for j, text in enumerate(texts_i[:cfg.texts]):
            hashes.append(text_hash(text))
            blobs.append(units[i, j].tobytes())
    hashes += list(content["h"].to_pylist())
    blobs += [v.tobytes() for v in make_items(cfg)]
    vectors = pa.table({"h": hashes, "v": blobs})
    store.db.register("bench_vectors", vectors)
    store.execute("INSERT OR IGNORE INTO embeddings (model, text_hash, dim, vector) SELECT ?, h, ?, v FROM bench_vectors",
                  [name, cfg.dim])
    shares = 3 * cfg.employees  # three posted shares each, with tracked clicks and reported reactions
    picks = rng.integers(0, cfg.items, shares)
    store.db.register("bench_shares", pa.table({
        "id": [f"s-{i:07d}" for i in range(shares)], "email": [emails[i // 3] for i in range(shares)],
        "content_id": [f"item-{int(c):06d}" for c in picks],
        "shared": [dt.datetime.combine(TODAY, dt.time(8)) - dt.timedelta(days=int(d)) for d in rng.integers(1, 90, shares)],
        "clicks": rng.integers(0, 40, shares), "reactions": rng.integers(0, 25, shares)}))
    store.execute("""INSERT INTO shares (id, email, content_id, text, network, shared_at, status, posted_at)
                     SELECT id, email, content_id, 'my own words', 'linkedin', shared, 'posted', shared FROM bench_shares""")
    store.execute("""INSERT INTO share_totals (share_id, hits, unique_human_clicks, reactions)
                     SELECT id, clicks, clicks, reactions FROM bench_shares""")
    store.execute("""INSERT INTO engagement_events (share_id, kind, count, source)
                     SELECT id, 'reaction', reactions, 'network' FROM bench_shares WHERE reactions > 0""")
    for campaign, target in (("campaign-0", 500), ("campaign-1", 200)):
        store.execute("INSERT INTO campaign_goals (campaign, metric, target, due) VALUES (?, 'shares', ?, ?)",
                      [campaign, target, TODAY + dt.timedelta(days=14)])
    profile_langs = pa.table({"h": [text_hash(t) for i in range(cfg.employees) for t in unit_texts[i][:2]],
                              "l": [langs[i % 3][0] for i in range(cfg.employees) for _ in range(2)]})
    store.db.register("bench_langs", profile_langs)
    store.execute("INSERT OR IGNORE INTO text_languages SELECT h, l FROM bench_langs")  # as after a first run


def _timed(call):
    t0, c0 = time.perf_counter(), time.process_time()
    value = call()
    return value, round(time.perf_counter() - t0, 2), round(time.process_time() - c0, 2)


def detect_ms() -> float:
    """Milliseconds ``language.detect`` takes per profile text (the demo's expertise statements and skills lines)."""
    texts = []
    for line in (DEMO_DIR / "people.jsonl").read_text(encoding="utf-8").splitlines():
        person = json.loads(line)
        texts += [person.get("expertise") or "", ", ".join(person.get("skills") or [])]
    texts = [t for t in texts if t]
    t0 = time.perf_counter()
    for text in texts:
        language.detect.__wrapped__(text)   # not the per-process cache
    return (time.perf_counter() - t0) / len(texts) * 1000


def report_path(cfg: ScaleConfig) -> Path:
    """``evals/reports/digest_bench-<employees>x<items>.json``: one file per size, so a small run keeps the full one."""
    return REPORTS / f"digest_bench-{cfg.employees}x{cfg.items}.json"


def run(cfg: ScaleConfig, check: int = 10, report: Path | None | bool = True, settings: Settings | None = None,
        first_run: bool = False, progress=lambda message: None) -> dict:
    """Build the installation, time the digests, check a sample; returns (and writes) the report.

    ``settings`` (the entry point's) give everything but the home and the embedder; without them, the defaults."""
    with tempfile.TemporaryDirectory(prefix="pv-digest-bench-") as tmp:
        embedder = SyntheticEmbedder(cfg)
        home = Path(tmp) / "home"
        base = settings or Settings(home=home)
        ctx = open_context(base.but(home=home, embedder=embedder.name, plugins=()), embedder=embedder,
                           clock=lambda: dt.datetime.combine(TODAY, dt.time(9)))
        try:
            progress(f"digest bench: populating {cfg.employees:,} employees x {cfg.items:,} items, {cfg.dim} dims ...")
            _, populate_s, _ = _timed(lambda: populate(ctx, cfg))
            period = digests.period_of(TODAY)
            progress("digest bench: content index (k-NN graph of the items) ...")
            _, index_s, index_cpu = _timed(lambda: matching.content_index(ctx.store, embedder, TODAY))
            recipients = digests.due(ctx, period)
            cold_s = cold_cpu = None
            if first_run:
                ctx.store.execute("DELETE FROM text_languages")
                progress(f"digest bench: building {len(recipients):,} digests, profile languages not stored yet ...")
                _, cold_s, cold_cpu = _timed(lambda: digests.build(ctx, recipients, period))
            progress(f"digest bench: building {len(recipients):,} digests ...")
            built, warm_s, warm_cpu = _timed(lambda: digests.build(ctx, recipients, period))
            progress("digest bench: rendering every e-mail (HTML) ...")
            _, render_s, _ = _timed(lambda: [d.body("html") for d in built])
            rng = np.random.default_rng(cfg.seed)
            sample = [recipients[int(i)]["email"] for i in rng.choice(len(recipients), min(check, len(recipients)), replace=False)]
            progress(f"digest bench: checking {len(sample)} employees against recommend() ...")
            by_email = {d.email: [i["id"] for i in d.items] for d in built}
            same, single = 0, []
            for email in sample:
                t0 = time.perf_counter()
                one = matching.recommend(ctx, email, limit=digests.ITEMS)
                single.append(time.perf_counter() - t0)
                same += by_email[email] == [r["id"] for r in one]
        finally:
            close_all()
    result = {
        "config": asdict(cfg), "cpu_count": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()],
        "digests": len(built), "populate_s": populate_s,
        "content_index_s": index_s, "content_index_cpu_s": index_cpu,
        "build_first_run_s": cold_s, "build_first_run_cpu_s": cold_cpu,
        "detect_ms_per_text": round(detect_ms(), 2),
        "build_s": warm_s, "build_cpu_s": warm_cpu, "render_email_bodies_s": render_s,
        "ms_per_employee": round(warm_s / max(len(built), 1) * 1000, 3),
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "check": {"employees": len(sample), "same_items": int(same),
                  "recommend_one_ms_median": round(float(np.median(single)) * 1000, 1) if single else None},
    }
    if report:
        report = report_path(cfg) if report is True else report
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


def markdown(r: dict) -> str:
    c = r["config"]
    first = (f"| build all digests, first run (languages detected) | {r['build_first_run_s']} | {r['build_first_run_cpu_s']} |"
             if r["build_first_run_s"] is not None else
             f"| first run only: detect 2 profile texts per employee ({r['detect_ms_per_text']} ms each) | "
             f"~{2 * c['employees'] * r['detect_ms_per_text'] / 1000:.0f} (estimated) | |")
    return "\n".join([
        f"{r['digests']:,} digests ({c['employees']:,} employees x {c['items']:,} items, {c['dim']} dims, "
        f"{c['texts']} profile units each); {r['cpu_count']} CPUs, load average {r['load_average']}.",
        "",
        "| step | wall s | CPU s |", "|---|---:|---:|",
        f"| content index (items' k-NN graph; cached per process and day) | {r['content_index_s']} | {r['content_index_cpu_s']} |",
        f"| build all digests (ranking, last posts, goals, links) | {r['build_s']} | {r['build_cpu_s']} |",
        first,
        f"| render every e-mail body (HTML) | {r['render_email_bodies_s']} | |",
        "",
        f"{r['ms_per_employee']} ms per employee; peak RSS {r['peak_rss_mb']:.0f} MB; same top {digests.ITEMS} as "
        f"recommend() for {r['check']['same_items']}/{r['check']['employees']} sampled employees (one warm "
        f"recommend(): {r['check']['recommend_one_ms_median']} ms median).",
    ])


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals digest_bench", description=__doc__.split("\n\n")[0])
    p.add_argument("--small", action="store_true", help="1,000 employees x 5,000 items")
    p.add_argument("--employees", type=int)
    p.add_argument("--items", type=int)
    p.add_argument("--dim", type=int, help="vector width (default 1280, the default ensemble's)")
    p.add_argument("--check", type=int, default=10, help="employees compared with recommend()")
    p.add_argument("--first-run", action="store_true", help="also time a build that detects the profile languages")
    p.add_argument("--json", action="store_true")
    args = p.parse_args(argv)
    cfg = SMALL if args.small else FULL
    cfg = replace(cfg, **{k: v for k, v in {"employees": args.employees, "items": args.items, "dim": args.dim}.items() if v})
    result = run(cfg, check=args.check, settings=load_settings(), first_run=args.first_run,
                 progress=lambda m: print(m, file=sys.stderr, flush=True))
    print(json.dumps(result, indent=2) if args.json else markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
