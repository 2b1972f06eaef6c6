"""Engagement dashboards at programme scale: 10 million events over 100,000 shares, each query timed.

Scope and why: a programme of a few thousand ambassadors accumulates millions
of hits in a year; the marketing page must still answer in under a second per
query on the 2-core machine. The dashboards read the per-share totals that
every writer keeps (``events``), never the raw events, so their cost follows
the number of shares; this benchmark checks it, and also times the writes that
keep the totals (a sync of new hits and an analytics import on top of the
10 million events, and a full rebuild).

What it builds, in a throw-away home, with SQL generators (``range``), through
the product's own schema and migrations: ``employees`` (5 % of them on the
leaderboard), ``items`` content items (10 % job offers), ``shares`` posted
shares over a year in 20 campaigns and 2 networks, and ``events`` engagement
events: clicks from the click log (12 % bots, visitors spread so about 60 % of
human clicks are first visits), reported network metrics for half the shares,
and conversions. Then it times, three runs each (median and max reported):
the KPI row, the breakdowns per campaign / team / network / week, the share
table and a filtered one, filter options, points, leaderboard and ambassador,
goals, authenticity vs engagement (sample + Spearman bootstrap), applications.

Usage: ``python -m evals engagement_bench`` (10,000,000 events, 100,000
shares), ``--small`` (1,000,000 / 10,000), ``--events``, ``--shares``;
writes ``evals/reports/engagement_bench.{json,md}``.

    >>> r = run(BenchConfig(events=20_000, shares=500, employees=100, items=50), report=None)
    >>> r["sizes"]["engagement_events"], r["sizes"]["shares"], r["all_under_1s"]
    (20000, 500, True)
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import pandas as pd

from assistant.config import Settings
from assistant.links.clicklog import ClickLog
from assistant.reporting import analytics_import, dashboards, events, goals, metrics, points, sync
from assistant.storage.store import close_all, open_store

REPORTS = Path(__file__).resolve().parents[1] / "reports"
TODAY = dt.date(2026, 6, 30)


@dataclass(frozen=True)
class BenchConfig:
    events: int = 10_000_000
    shares: int = 100_000
    employees: int = 5_000
    items: int = 2_000
    runs: int = 3
    new_hits: int = 30_000       # the sync timed on top (about a minute of a busy campaign)
    imported: int = 1_000        # analytics rows (posts) imported on top


SMALL = BenchConfig(events=1_000_000, shares=10_000, employees=1_000, items=500)


def _generate(store, c: BenchConfig) -> dict:
    """Fill the store with synthetic data by SQL; returns seconds per table."""
    seconds = {}
    t = time.perf_counter()
    store.execute(f"""INSERT INTO employees (email, name, team, languages, skills, network_size, consent_program,
                                             consent_leaderboard, record_hash)
                      SELECT 'e' || i || '@bench.example', 'Employee ' || i, 'team-' || (i % 12), ['fr'], [],
                             100 + (i * 37) % 2900, TRUE, i % 20 = 0, 'h' FROM range({c.employees}) t(i)""")
    store.execute(f"""INSERT INTO content (id, title, text, kind, language, language_supported, campaign,
                                           content_hash, record_hash)
                      SELECT 'c-' || i, 'Item ' || i, 'text', CASE WHEN i % 10 = 0 THEN 'job_offer' ELSE 'article' END,
                             'fr', TRUE, 'campaign-' || (i % 20), 'h' || i, 'r' || i FROM range({c.items}) t(i)""")
    store.execute(f"""INSERT INTO shares (id, email, content_id, text, network, campaign, score, shared_at, status,
                                          posted_at)
                      SELECT 's-' || i, 'e' || ((i * 7919) % {c.employees}) || '@bench.example', 'c-' || (i % {c.items}),
                             'Shared text ' || i, CASE WHEN i % 3 = 0 THEN 'x' ELSE 'linkedin' END,
                             'campaign-' || (i % {c.items} % 20), (i * 61) % 101,
                             TIMESTAMP '{TODAY - dt.timedelta(days=365)}' + to_minutes(i * 525600 // {c.shares}),
                             'posted', TIMESTAMP '{TODAY - dt.timedelta(days=365)}' + to_minutes(i * 525600 // {c.shares})
                      FROM range({c.shares}) t(i)""")
    seconds["employees_items_shares"] = round(time.perf_counter() - t, 1)
    network = c.shares // 2 * 5       # five reported metrics for half the shares
    conversions = max(1, c.events // 200)
    clicks = c.events - network - conversions
    t = time.perf_counter()
    store.execute(f"""INSERT INTO engagement_events (share_id, kind, count, happened_at, source, source_key, visitor,
                                                     first_visit, is_bot, bot_reason, ua_class, referrer, click_id)
                      SELECT 's-' || (hash(i) % {c.shares}), 'click', 1,
                             TIMESTAMP '{TODAY - dt.timedelta(days=365)}' + to_seconds(i * 31536000 // {clicks}),
                             'clicklog', i::TEXT, md5((i // 3)::TEXT)[:24], i % 5 < 3 AND i % 8 <> 0, i % 8 = 0,
                             CASE WHEN i % 8 = 0 THEN 'preview:LinkedInBot' END,
                             CASE WHEN i % 8 = 0 THEN 'bot' ELSE 'desktop' END, 'linkedin.com', 'cid' || i
                      FROM range({clicks}) t(i)""")
    seconds["click_events"] = round(time.perf_counter() - t, 1)
    t = time.perf_counter()
    store.execute(f"""INSERT INTO engagement_events (share_id, kind, count, happened_at, source, source_key)
                      SELECT 's-' || (2 * (i // 5)), ['impression', 'reaction', 'comment', 'reshare', 'network_click'][1 + i % 5],
                             CASE i % 5 WHEN 0 THEN 200 + i % 3000 WHEN 1 THEN i % 40 WHEN 2 THEN i % 7 ELSE i % 4 END,
                             TIMESTAMP '{TODAY}', 'network', 'bench-export' FROM range({network}) t(i)""")
    store.execute(f"""INSERT INTO engagement_events (share_id, kind, count, happened_at, source, source_key, value,
                                                     currency)
                      SELECT 's-' || ((i * 104729) % {c.shares}), CASE WHEN i % 4 = 0 THEN 'application' ELSE 'lead' END,
                             1, TIMESTAMP '{TODAY}', 'webhook', 'crm-' || i, CASE WHEN i % 4 = 0 THEN NULL ELSE 1000.0 END,
                             'EUR' FROM range({conversions}) t(i)""")
    seconds["network_and_conversion_events"] = round(time.perf_counter() - t, 1)
    return seconds


def _time(call, runs: int) -> dict:
    """Wall time (median, max) and CPU time of this process, DuckDB's threads included (median): the CPU
    time does not grow when other jobs share the machine, the wall time does."""
    samples, cpu = [], []
    for _ in range(runs):
        t, c = time.perf_counter(), time.process_time()
        result = call()
        samples.append(time.perf_counter() - t)
        cpu.append(time.process_time() - c)
    size = len(result) if isinstance(result, (list, dict)) else None
    return {"median_s": round(statistics.median(samples), 3), "max_s": round(max(samples), 3),
            "cpu_s": round(statistics.median(cpu), 3), "rows": size}


def _queries(store, settings: Settings) -> dict:
    """The marketing page's queries with its own filters (``dashboards.PageFilters``: posts with words
    only, names only with consent), over the whole history (the page's widest period), plus the
    employee-side and gamification reads."""
    rates = metrics.rates(store, settings)
    page = dashboards.PageFilters()
    one = dashboards.PageFilters(campaign="campaign-3")
    month = points.month_bounds(TODAY)
    return {
        "filter_options": lambda: metrics.filter_options(store),
        "kpis (breakdown, everything)": lambda: metrics.breakdown(store, None, page, rates=rates),
        "per campaign (+ brand baseline)": lambda: metrics.campaign_metrics(store, settings.brand_followers, page,
                                                                             rates=rates),
        "per team": lambda: metrics.breakdown(store, "team", page, rates=rates),
        "per network": lambda: metrics.breakdown(store, "network", page, rates=rates),
        "per week": lambda: metrics.breakdown(store, "week", page, rates=rates),
        "per team, one campaign": lambda: metrics.breakdown(store, "team", one, rates=rates),
        "per person (consenting named, others in one row)": lambda: dashboards.per_person(store, page),
        "share table (latest 2,000)": lambda: metrics.share_metrics(store, page, limit=2000),
        "share table, one campaign (all rows)": lambda: metrics.share_metrics(store, one),
        "an employee's shares": lambda: metrics.share_metrics(store, "e42@bench.example"),
        "points this month": lambda: points.points(store, *month),
        "leaderboard this month": lambda: points.leaderboard(store, *month),
        "ambassador of the month": lambda: [points.ambassador_of_the_month(store, TODAY)],
        "goals progress (5 goals)": lambda: goals.progress(store, TODAY),
        "authenticity vs engagement (sample + Spearman CI)":
            lambda: [dashboards.correlation(dashboards.score_vs_engagement(store, page))],
        "near copies, one campaign": lambda: dashboards.near_copies(store, one),
        "near copies, everything": lambda: dashboards.near_copies(store, page),
        "applications per offer": lambda: dashboards.applications(store, filters=page),
        "applications per referrer": lambda: dashboards.applications(store, by="referrer", filters=page),
    }


def _writes(store, settings: Settings, c: BenchConfig) -> dict:
    """The writes that keep the totals, on top of the full event table."""
    out = {}
    log = ClickLog(settings.clicklog_path)
    now = dt.datetime.combine(TODAY, dt.time(12)).timestamp()
    rows = [(f"new-{i}", "AbC123xy", f"s-{(i * 7) % c.shares}", now + i / 1000, TODAY.isoformat(), "GET",
             "linkedin.com", f"visitor-{i // 2}", "bot" if i % 8 == 0 else "desktop", int(i % 8 == 0),
             "preview:LinkedInBot" if i % 8 == 0 else None) for i in range(c.new_hits)]
    log.append_hits(rows)
    t = time.perf_counter()
    done = sync.sync(store, log)
    out[f"sync of {c.new_hits:,} new hits"] = {"seconds": round(time.perf_counter() - t, 3), "hits": done["hits"]}
    reported = {(f"s-{i * 3}", metric): 1000 + i for i in range(c.imported)
                for metric in ("impression", "reaction", "comment", "reshare", "network_click")}
    t = time.perf_counter()
    report = analytics_import.record_reported(store, reported, origin="bench")
    out[f"analytics import of {c.imported:,} posts"] = {"seconds": round(time.perf_counter() - t, 3),
                                                        **{k: report.counts[k] for k in ("added", "updated")}}
    t = time.perf_counter()
    events.rebuild_totals(store)
    out["rebuild of every share's totals"] = {"seconds": round(time.perf_counter() - t, 3)}
    return out


def run(config: BenchConfig = BenchConfig(), report: Path | None = REPORTS / "engagement_bench.json",
        database_url: str | None = None) -> dict:
    """Build the synthetic programme, time every dashboard query and the writes; returns the report.

    ``database_url``: an empty PostgreSQL database to build it in instead of a DuckDB file (README "PostgreSQL")."""
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="pv-engagement-bench-") as folder:
        settings = Settings(home=Path(folder), embedder="fake", generator="fake", database_url=database_url)
        store = open_store(settings)
        try:
            generated = _generate(store, config)
            t = time.perf_counter()
            events.rebuild_totals(store)
            generated["share_totals"] = round(time.perf_counter() - t, 1)
            for n, campaign in enumerate(("campaign-1", "campaign-2", "campaign-3", "campaign-4", "campaign-5")):
                goals.add_goal(store, campaign, list(goals.METRICS)[n], 100, due=TODAY + dt.timedelta(days=n))
            sizes = {table: store.value(f"SELECT count(*) FROM {table}")  # table names from this tuple only
                     for table in ("employees", "content", "shares", "engagement_events", "share_totals")}
            queries = {name: _time(call, config.runs) for name, call in _queries(store, settings).items()}
            writes = _writes(store, settings, config)
            database_mb = round((store.value("SELECT size FROM postgres_query('pg', 'SELECT pg_database_size("
                                             "current_database()) AS size')") if database_url
                                 else settings.db_path.stat().st_size) / 1e6)
        finally:
            close_all()
    result = {"config": asdict(config), "store": "postgresql" if database_url else "duckdb", "sizes": sizes, "generation_s": generated, "database_mb": database_mb,
              "queries": queries, "writes": writes,
              "all_under_1s": all(q["max_s"] < 1.0 for q in queries.values()),
              "load_average": {"before": [round(x, 2) for x in load_before],
                               "after": [round(x, 2) for x in os.getloadavg()]}, "cpus": os.cpu_count()}
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(result, indent=2) + "\n")
        report.with_suffix(".md").write_text(markdown(result))
    return result


def markdown(result: dict) -> str:
    """The report as a Markdown table (the README quotes it)."""
    s = result["sizes"]
    lines = [f"Engagement dashboards over {s['engagement_events']:,} events and {s['shares']:,} shares "
             f"on {result.get('store', 'duckdb')} "
             f"({result['cpus']} CPUs, load average before {result['load_average']['before'][0]}):", "",
             "| query | median | max | CPU | rows |", "|---|---|---|---|---|"]
    for name, q in result["queries"].items():
        lines.append(f"| {name} | {q['median_s'] * 1000:.0f} ms | {q['max_s'] * 1000:.0f} ms | "
                     f"{q['cpu_s'] * 1000:.0f} ms | {q['rows']} |")
    lines += ["", "| write | seconds |", "|---|---|"]
    lines += [f"| {name} | {w['seconds']} |" for name, w in result["writes"].items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals engagement_bench", description=__doc__.split("\n")[0])
    p.add_argument("--small", action="store_true", help="1,000,000 events over 10,000 shares")
    p.add_argument("--events", type=int)
    p.add_argument("--shares", type=int)
    p.add_argument("--database-url", help="an empty PostgreSQL database (report: engagement_bench_postgres.*)")
    args = p.parse_args(argv)
    config = SMALL if args.small else BenchConfig()
    config = BenchConfig(**{**asdict(config), **{k: v for k, v in (("events", args.events), ("shares", args.shares))
                                                  if v}})
    report = REPORTS / ("engagement_bench_postgres.json" if args.database_url else "engagement_bench.json")
    result = run(config, report, args.database_url)
    print(markdown(result))
    return 0 if result["all_under_1s"] else 1


if __name__ == "__main__":
    sys.exit(main())
