"""Two ways to put the store on PostgreSQL, timed on the same server: DuckDB attaching it, or psycopg.

Scope and why: ``PORTE_VOIX_DATABASE_URL`` could be served either by DuckDB's ``postgres`` extension (the
product's SQL, written for DuckDB, runs unchanged against the attached database) or by rewriting the store
for psycopg 3 (every query in PostgreSQL's dialect). This measures what each costs for the store's two kinds
of work: small transactional statements (a sign-in, an autosave, a counter) and analytical reads (the
dashboards), plus the bulk write of an import, and whether a counter updated from several threads at once
keeps every increment (DuckDB's own ``UPDATE`` over an attached table reads, computes and writes back by row
address; the store sends updates to PostgreSQL instead: ``assistant/storage/postgres.py``).

Usage: ``python -m evals postgres_routes --url postgresql://…`` (an empty database), or without ``--url`` a
throw-away server is started (Debian's ``postgresql`` must be installed; ``evals/postgres_server.py``).
``--rows`` (default 1,000,000). Prints a Markdown table and writes ``evals/reports/postgres_routes.json``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import psycopg

from assistant.storage import postgres
from evals.postgres_server import PostgresServer

REPORTS = Path(__file__).resolve().parents[1] / "reports"


def _per_call_ms(call, n: int) -> float:
    samples = []
    for i in range(n):
        t = time.perf_counter()
        call(i)
        samples.append(time.perf_counter() - t)
    return round(statistics.median(samples) * 1000, 2)


def _concurrent_increments(increment, threads: int = 4, each: int = 50) -> int:
    """Run ``increment`` ``each`` times in each of ``threads`` threads at once; returns how many landed."""
    def work():
        for _ in range(each):
            increment()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return threads * each


def run(url: str, rows: int = 1_000_000) -> dict:
    out: dict = {"rows": rows}
    with tempfile.TemporaryDirectory() as ext:
        duck = postgres.connect(url, Path(ext), {})
        pg = psycopg.connect(url, autocommit=True)
        pg.execute("DROP TABLE IF EXISTS bench_kv, bench_events, bench_counter")
        pg.execute("CREATE TABLE bench_kv (id BIGINT PRIMARY KEY, name TEXT NOT NULL, n INTEGER NOT NULL DEFAULT 0)")
        pg.execute("CREATE TABLE bench_counter (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)")
        pg.execute("INSERT INTO bench_counter VALUES (1, 0)")
        duck.execute("CALL pg_clear_cache()")
        cur = postgres.use(duck.cursor())

        # small statements, one at a time (the app's clicks)
        out["insert one row (ms)"] = {
            "duckdb attach": _per_call_ms(lambda i: cur.execute("INSERT INTO bench_kv VALUES (?, ?, 0)", [i, "x"]), 300),
            "psycopg": _per_call_ms(lambda i: pg.execute("INSERT INTO bench_kv VALUES (%s, %s, 0)", [10**6 + i, "y"]),
                                    300)}
        out["select one row by key (ms)"] = {
            "duckdb attach": _per_call_ms(lambda i: cur.execute("SELECT name FROM bench_kv WHERE id = ?", [i]).fetchall(),
                                          300),
            "psycopg": _per_call_ms(lambda i: pg.execute("SELECT name FROM bench_kv WHERE id = %s", [i]).fetchall(), 300)}
        out["update a counter (ms)"] = {
            "duckdb attach, DuckDB's UPDATE": _per_call_ms(
                lambda i: cur.execute("UPDATE bench_kv SET n = n + 1 WHERE id = ?", [i]), 100),
            "duckdb attach, the store's (run in PostgreSQL)": _per_call_ms(
                lambda i: postgres.write(cur, "UPDATE bench_kv SET n = n + 1 WHERE id = ?", [i], False), 100),
            "psycopg": _per_call_ms(lambda i: pg.execute("UPDATE bench_kv SET n = n + 1 WHERE id = %s", [i]), 100)}

        # the same counter from 4 threads at once, 50 increments each
        landed = {}
        local = threading.local()

        def cursor():
            if getattr(local, "cur", None) is None:
                local.cur = postgres.use(duck.cursor())
            return local.cur

        for name, increment in (
                ("duckdb attach, DuckDB's UPDATE",
                 lambda: cursor().execute("UPDATE bench_counter SET n = n + 1 WHERE id = 1")),
                ("duckdb attach, the store's (run in PostgreSQL)",
                 lambda: postgres.write(cursor(), "UPDATE bench_counter SET n = n + 1 WHERE id = 1", [], False))):
            pg.execute("UPDATE bench_counter SET n = 0")
            errors = []

            def safe(increment=increment):
                try:
                    increment()
                except Exception as exc:  # a refused write is reported, as a lost one would be
                    errors.append(type(exc).__name__)

            sent = _concurrent_increments(safe)
            landed[name] = {"sent": sent, "counted": pg.execute("SELECT n FROM bench_counter").fetchone()[0],
                            "errors": len(errors)}
        out["4 threads x 50 increments of one counter"] = landed

        # bulk write and analytics
        t = time.perf_counter()
        cur.execute(f"""CREATE TABLE bench_events AS SELECT i AS id, 's-' || (i % 100000) AS share_id,
                        ['click', 'reaction', 'comment'][1 + i % 3] AS kind, (i % 7)::INTEGER AS count
                        FROM range({rows}) t(i)""")
        out[f"write {rows:,} rows (s)"] = {"duckdb attach (COPY)": round(time.perf_counter() - t, 2)}
        pg.execute("DROP TABLE bench_events")
        t = time.perf_counter()
        pg.execute(f"""CREATE TABLE bench_events AS SELECT i AS id, 's-' || (i % 100000) AS share_id,
                       (ARRAY['click', 'reaction', 'comment'])[1 + i % 3] AS kind, i % 7 AS count
                       FROM generate_series(0, {rows - 1}) i""")
        out[f"write {rows:,} rows (s)"]["PostgreSQL itself (generate_series)"] = round(time.perf_counter() - t, 2)
        duck.execute("CALL pg_clear_cache()")
        group = "SELECT share_id, sum(count) FILTER (WHERE kind = 'click') FROM bench_events GROUP BY share_id"
        t = time.perf_counter()
        cur.execute(group).fetchall()
        duck_s = time.perf_counter() - t
        t = time.perf_counter()
        pg.execute(group).fetchall()
        out[f"GROUP BY over {rows:,} rows (s)"] = {"duckdb attach": round(duck_s, 2),
                                                   "psycopg (PostgreSQL runs it)": round(time.perf_counter() - t, 2)}
        pg.execute("DROP TABLE bench_kv, bench_events, bench_counter")
        pg.close()
        duck.close()
    return out


def markdown(result: dict) -> str:
    lines = ["| measure | route | value |", "|---|---|---|"]
    for measure, routes in result.items():
        if isinstance(routes, dict):
            for route, value in routes.items():
                lines.append(f"| {measure} | {route} | {value} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals postgres_routes", description=__doc__.split("\n")[0])
    p.add_argument("--url", help="an empty PostgreSQL database (default: a throw-away server)")
    p.add_argument("--rows", type=int, default=1_000_000)
    args = p.parse_args(argv)
    server = None
    if args.url is None:
        server = PostgresServer.start()
        args.url = server.create_database("routes")
    try:
        result = run(args.url, args.rows)
    finally:
        if server:
            server.stop()
    REPORTS.mkdir(exist_ok=True)
    (REPORTS / "postgres_routes.json").write_text(json.dumps(result, indent=2) + "\n")
    print(markdown(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
