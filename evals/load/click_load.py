"""Load test of the click service: a real ``porte-voix links serve`` on 127.0.0.1 under a steady request
rate while ``porte-voix engagement sync`` runs again and again, then a count of every hit.

Scope and why: the click service is the one public part of Porte-voix; a
campaign posted by a few hundred employees sends bursts of clicks and previews
while the app folds the log into DuckDB. The issue's targets, on the 2-core
machine: ≥ 500 requests/s sustained for 60 s, p99 < 50 ms, and no hit lost
(hits folded into DuckDB = redirects answered).

What runs (all on this machine, so client, server and syncs share the CPUs):

1. a throw-away home with ``links`` shares and their short links (no model);
2. the service, as a user starts it: ``python -m assistant.cli links serve``;
3. the client: asyncio, ``connections`` keep-alive HTTP/1.1 connections, an
   open-loop schedule (request *i* is due at *t0 + i / rate*; latency is
   measured from sending; how late the client itself was is reported apart),
   browsers and ~10 % bots, visitors spread over 5,000 addresses
   (``X-Forwarded-For``, trusted from 127.0.0.1 as behind a local proxy);
4. ``python -m assistant.cli engagement sync`` in a loop, ``sync_every`` s apart;
5. afterwards: the service drains and stops (its own received / written / lost
   counts), a last sync, and hits in DuckDB are counted.

With ``--database-url postgresql://…/empty`` (or ``--postgres``: a throw-away
server, ``evals/postgres_server.py``) the store is on PostgreSQL and the
service runs as a replica on another host would: a home of its own, links
learnt from the store, every committed hit forwarded to ``click_hits`` within
a second (``links.replica``); the syncs fold what was forwarded. The database
must be empty (the count compares every click event with the redirects).

``--sync-hits 30000`` (with one of them) measures instead what a replica's
hits cost downstream: 30,000 hits in a replica's log over 200 shares,
forwarded to the store in one go (:func:`forwarded_sync`), then folded by one
``engagement sync``.

Usage: ``python -m evals click_load`` (60 s at 500 requests/s), ``--seconds``,
``--rate``, ``--connections``; writes ``evals/reports/click_load.json``
(``click_load_postgres.json`` on PostgreSQL). The test suite runs a
few-second version (``tests/links/test_click_load.py``).

    >>> percentile([5.0, 1.0, 3.0, 2.0, 4.0], 50)
    3.0
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.config import Settings
from assistant.links import replica, visitors
from assistant.links.clicklog import ClickLog, open_log
from assistant.reporting import sync
from assistant.sharing.shares import link_share, record_share
from assistant.storage import keys
from assistant.storage.store import close_all, open_store

from evals.measure import child_env, free_port
from evals.postgres_server import PostgresServer

REPORTS = Path(__file__).resolve().parents[1] / "reports"
BROWSERS = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36",
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15",
    "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0",
)
BOTS = ("LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", "Twitterbot/1.0",
        "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)")


@dataclass(frozen=True)
class LoadConfig:
    seconds: float = 60.0
    rate: float = 500.0           # requests per second, open loop
    connections: int = 32
    links: int = 200
    sync_every: float = 5.0       # pause between two `engagement sync` runs
    bot_share: float = 0.1
    seed: int = 0


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0–100) of ``values``."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered) + 0.5) - 1))]


def _seed(settings: Settings, n: int) -> list[str]:
    """``n`` posted shares with their short links (in the store too: replicas learn them there); returns the
    codes."""
    store = open_store(settings)
    log, key = ClickLog(settings.clicklog_path), keys.key(settings.home, "links")
    codes = []
    for i in range(n):
        share_id = f"s-load-{i:05d}"
        target = f"https://www.nordlys-energie.example/a/{i}?utm_source=linkedin&utm_content={share_id}"
        code = link_share(log, key, share_id, target)
        record_share(store, share_id, f"e{i % 50}@nordlys-energie.example", f"c-{i % 20}", "text", "linkedin",
                     f"campaign-{i % 5}", target, 50.0, short_code=code)
        codes.append(code)
    store.execute("UPDATE shares SET status = 'posted'")
    close_all()
    log.close()
    return codes


async def _client(port: int, codes: list[str], config: LoadConfig) -> dict:
    rng = random.Random(config.seed)
    total = int(config.seconds * config.rate)
    plan = [(rng.choice(codes), rng.choice(BOTS) if rng.random() < config.bot_share else rng.choice(BROWSERS),
             f"10.{rng.randrange(20)}.{rng.randrange(250)}.{rng.randrange(1, 20)}") for _ in range(total)]
    latencies, lateness, statuses, errors = [], [], {}, []
    counter = iter(range(total))
    start = time.perf_counter() + 0.2

    async def worker() -> None:
        reader = writer = None
        for i in counter:
            due = start + i / config.rate
            delay = due - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            code, agent, ip = plan[i]
            request = (f"GET /{code} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUser-Agent: {agent}\r\n"
                       f"X-Forwarded-For: {ip}\r\nReferer: https://www.linkedin.com/\r\n\r\n").encode()
            try:
                if writer is None:
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                sent = time.perf_counter()
                lateness.append(sent - due)
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                length = re.search(rb"(?i)content-length:\s*(\d+)", head)
                if length and int(length.group(1)):
                    await reader.readexactly(int(length.group(1)))
                latencies.append(time.perf_counter() - sent)
                status = int(head.split(b" ", 2)[1])
                statuses[status] = statuses.get(status, 0) + 1
            except (OSError, asyncio.IncompleteReadError) as exc:
                errors.append(f"{exc.__class__.__name__}: {exc}")
                writer = None
        if writer is not None:
            writer.close()

    await asyncio.gather(*(worker() for _ in range(config.connections)))
    elapsed = time.perf_counter() - start
    ms = [x * 1000 for x in latencies]
    late = [x * 1000 for x in lateness]
    return {"requests": total, "answered": len(latencies), "statuses": statuses, "errors": len(errors),
            "error_samples": errors[:5], "seconds": round(elapsed, 2), "rate": round(len(latencies) / elapsed, 1),
            "latency_ms": {q: round(percentile(ms, n), 2) for q, n in (("p50", 50), ("p90", 90), ("p99", 99),
                                                                         ("max", 100))} if ms else {},
            "client_lateness_ms": {"p50": round(percentile(late, 50), 2), "p99": round(percentile(late, 99), 2)}
            if late else {}}


def _health(port: int) -> dict | None:
    try:
        con = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
        con.request("GET", "/healthz")
        return json.loads(con.getresponse().read())
    except (OSError, ValueError):
        return None


def _sync_loop(env: dict, every: float, stop: threading.Event, runs: list[dict]) -> None:
    while not stop.is_set():
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "assistant.cli", "engagement", "sync", "--json"], env=env,
                              capture_output=True, text=True, timeout=600)
        runs.append({"seconds": round(time.perf_counter() - started, 2), "rc": done.returncode,
                     "hits": json.loads(done.stdout)["hits"] if done.returncode == 0 else None,
                     "error": done.stderr.strip()[-300:] if done.returncode else None})
        stop.wait(every)


def _cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a running process (Linux), or None."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(config: LoadConfig = LoadConfig(), report: Path | None = REPORTS / "click_load.json",
        home: Path | None = None, database_url: str | None = None) -> dict:
    """Run the load test in a throw-away home (or ``home``), on the store at ``database_url`` (an empty
    PostgreSQL database) if given; returns (and writes) the report."""
    folder = tempfile.TemporaryDirectory(prefix="pv-load-") if home is None else None
    home = Path(folder.name) if folder else home
    try:
        port = free_port()
        settings = Settings(home=home, embedder="fake", generator="fake", plugins=("tests.fakes",),
                            links_port=port, links_base_url=f"http://127.0.0.1:{port}", database_url=database_url)
        codes = _seed(settings, config.links)
        env = child_env(settings, PORTE_VOIX_LINKS_PORT=str(port))
        service_home = settings.clicklog_path  # the log the service writes
        if database_url:  # the replica on a host of its own: another home, the store's URL
            env["PORTE_VOIX_DATABASE_URL"] = database_url
            service_env = {**env, "PORTE_VOIX_HOME": str(home / "click-host")}
            service_home = home / "click-host" / settings.clicklog_path.name
        else:
            service_env = env
        load_before = os.getloadavg()
        service = subprocess.Popen([sys.executable, "-m", "assistant.cli", "links", "serve", "--port", str(port)],
                                   env=service_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120
            while _health(port) is None:
                if service.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the click service did not start: {service.stderr.read()[-2000:]}")
                time.sleep(0.2)
            stop, syncs = threading.Event(), []
            syncer = threading.Thread(target=_sync_loop, args=(env, config.sync_every, stop, syncs), daemon=True)
            syncer.start()
            service_cpu, client_cpu = _cpu_seconds(service.pid), time.process_time()
            client = asyncio.run(_client(port, codes, config))
            client_cpu = time.process_time() - client_cpu
            stop.set()
            drained = time.monotonic() + 60
            while (h := _health(port)) and (h["hits_written"] + h["hits_lost"] < h["hits_received"] or (
                    "store" in h and h["store"]["forwarded_hits"] < h["hits_written"])) and time.monotonic() < drained:
                time.sleep(0.1)
            health = _health(port)
            service_cpu = (_cpu_seconds(service.pid) - service_cpu) if service_cpu is not None else None
            syncer.join()
        finally:
            service.send_signal(signal.SIGINT)
            _, stderr = service.communicate(timeout=60)
        final_started = time.perf_counter()
        final = subprocess.run([sys.executable, "-m", "assistant.cli", "engagement", "sync", "--json"], env=env,
                               capture_output=True, text=True, timeout=600)
        final_s = time.perf_counter() - final_started
        store = open_store(settings)
        in_duckdb = store.value("SELECT count(*) FROM engagement_events WHERE source = 'clicklog'")
        close_all()
        logged = ClickLog(service_home).count_hits()
        redirects = client["statuses"].get(302, 0)
        stopped = re.search(r"(\d+) hits received, (\d+) written, (\d+) lost", stderr)
        result = {
            "config": asdict(config), "client": client, "service": health,
            "service_at_stop": dict(zip(("received", "written", "lost"), map(int, stopped.groups())))
            if stopped else stderr[-500:],
            "syncs_during_load": {"runs": len(syncs), "failed": sum(r["rc"] != 0 for r in syncs),
                                  "hits_folded": sum(r["hits"] or 0 for r in syncs),
                                  "mean_s": round(sum(r["seconds"] for r in syncs) / len(syncs), 2) if syncs else None,
                                  "errors": [r["error"] for r in syncs if r["error"]][:3]},
            "cpu_ms_per_request": {"service": round(service_cpu / max(1, redirects) * 1000, 3)
                                   if service_cpu is not None else None,
                                   "client": round(client_cpu / max(1, redirects) * 1000, 3)},
            "store": "postgresql" if database_url else "duckdb",
            "final_sync": {"rc": final.returncode, "seconds": round(final_s, 2),
                           "hits": json.loads(final.stdout)["hits"] if final.returncode == 0 else final.stderr[-500:]},
            "final_sync_rc": final.returncode, "hits_logged": logged, "hits_in_duckdb": in_duckdb,
            "lost": redirects - in_duckdb,
            "load_average": {"before": [round(x, 2) for x in load_before],
                             "after": [round(x, 2) for x in os.getloadavg()]}, "cpus": os.cpu_count(),
        }
        result["targets"] = {"rate_ok": client["rate"] >= 0.98 * config.rate,
                             "p99_ok": bool(client["latency_ms"]) and client["latency_ms"]["p99"] < 50,
                             "no_loss": result["lost"] == 0 and logged == redirects and client["errors"] == 0}
        if report is not None:
            report.parent.mkdir(parents=True, exist_ok=True)
            report.write_text(json.dumps(result, indent=2) + "\n")
        return result
    finally:
        if folder:
            folder.cleanup()


def forwarded_sync(database_url: str, hits: int = 30_000, links: int = 200, seed: int = 0) -> dict:
    """Seconds to forward ``hits`` committed hits of one replica's log to the store at ``database_url`` (an empty
    database) and to fold them with one sync; checks that each is counted once."""
    rng = random.Random(seed)
    with tempfile.TemporaryDirectory(prefix="pv-sync-") as folder:
        settings = Settings(home=Path(folder) / "app", embedder="fake", generator="fake", plugins=("tests.fakes",),
                            database_url=database_url)
        codes = _seed(settings, links)
        log = ClickLog(Path(folder) / "click-host" / "clicks.sqlite3")
        store = open_store(settings)
        shares = dict(store.execute("SELECT short_code, id FROM shares").fetchall())
        now = time.time() - 3600
        rows = []
        for i in range(hits):
            code, agent = rng.choice(codes), rng.choice(BROWSERS + BOTS)
            ua_class, is_bot, reason = visitors.classify(agent, "GET")
            at = now + i * 0.1
            rows.append((f"bench-{i}", code, shares[code], at, time.strftime("%Y-%m-%d", time.gmtime(at)), "GET",
                         "linkedin.com", visitors.visitor_hash(b"bench", f"10.0.{rng.randrange(250)}.1", agent),
                         ua_class, int(is_bot), reason))
        log.append_hits(rows)
        started = time.perf_counter()
        with replica.connect(database_url, timeout_s=60) as con:
            sent = replica.forward(con, log)["hits"]
        forward_s = time.perf_counter() - started
        started = time.perf_counter()
        done = sync.sync(store, open_log(settings.clicklog_path))
        fold_s = time.perf_counter() - started
        counted = store.value("SELECT count(DISTINCT click_id) FROM engagement_events WHERE kind = 'click'")
        left = store.value("SELECT count(*) FROM click_hits")
        close_all()
    return {"hits": hits, "forwarded": sent, "forward_s": round(forward_s, 2), "folded": done["hits"],
            "fold_s": round(fold_s, 2), "counted": counted, "left_in_queue": left,
            "load_average": [round(x, 2) for x in os.getloadavg()], "cpus": os.cpu_count()}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals click_load", description=__doc__.split("\n")[0])
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--rate", type=float, default=500.0)
    p.add_argument("--connections", type=int, default=32)
    p.add_argument("--links", type=int, default=200)
    p.add_argument("--sync-every", type=float, default=5.0)
    p.add_argument("--report", type=Path)
    where = p.add_mutually_exclusive_group()
    where.add_argument("--database-url", help="an empty PostgreSQL database: the store there, the service a replica")
    where.add_argument("--postgres", action="store_true", help="the same on a throw-away PostgreSQL server")
    p.add_argument("--sync-hits", type=int, help="measure forwarding and folding this many hits instead")
    args = p.parse_args(argv)
    config = LoadConfig(seconds=args.seconds, rate=args.rate, connections=args.connections, links=args.links,
                        sync_every=args.sync_every)
    server = None
    if args.postgres:
        server = PostgresServer.start()
        args.database_url = server.create_database("click_load")
    report = args.report or REPORTS / ("click_load_postgres.json" if args.database_url else "click_load.json")
    try:
        if args.sync_hits:
            if not args.database_url:
                p.error("--sync-hits needs --database-url or --postgres")
            result = forwarded_sync(args.database_url, args.sync_hits)
            (args.report or REPORTS / "click_sync_postgres.json").write_text(json.dumps(result, indent=2) + "\n")
            print(json.dumps(result, indent=2))
            return 0 if result["counted"] == result["hits"] and not result["left_in_queue"] else 1
        result = run(config, report=report, database_url=args.database_url)
    finally:
        if server is not None:
            server.stop()
    print(json.dumps({k: result[k] for k in ("client", "syncs_during_load", "final_sync", "hits_logged",
                                             "hits_in_duckdb", "lost", "cpu_ms_per_request", "targets",
                                             "load_average")}, indent=2))
    return 0 if all(result["targets"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
