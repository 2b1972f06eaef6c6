"""Slow clients against the click service: do health probes still answer while many connections dribble?

Scope and why: the click service is public; a "slowloris" client opens many
connections and sends a request head one byte at a time, so a server without
timeouts or a connection cap holds every socket until it runs out of file
descriptors and stops accepting anyone. The issue's probe: 1,100 slow
connections against a service under ``ulimit -n 1024`` made 44 of 45 health
probes fail.

What runs (on this machine, client and server sharing the CPUs):

1. ``python -m assistant.cli links serve`` in a throw-away home, its
   file-descriptor limit set to ``open_files`` (``ulimit -n``);
2. ``connections`` slow clients (asyncio): each sends a request line and one
   header, then one more header byte every ``drip_s`` seconds, and opens a new
   connection ``reconnect_s`` after the server closed its own (slowloris tools
   re-open dead sockets at their next round; 0: at once);
3. meanwhile, from a thread of its own (not the slow clients' event loop), a
   health probe every ``probe_every_s``: a new connection, ``GET /healthz``,
   failed when it does not answer 200 within ``probe_timeout_s``.

Usage: ``python -m evals slow_clients`` (1,100 connections under 1,024 files for
20 s); ``--connections``, ``--open-files``, ``--seconds``; writes
``evals/reports/slow_clients.json``. ``tests/links/test_click_limits.py`` runs a
smaller one (300 connections under 256 files).

    >>> summary([0.01, 0.02, None, 0.03])
    {'probes': 4, 'failed': 1, 'p50_ms': 20.0, 'max_ms': 30.0}
"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.config import Settings

from evals.measure import child_env, free_port

REPORTS = Path(__file__).resolve().parents[1] / "reports"


@dataclass(frozen=True)
class SlowConfig:
    connections: int = 1100
    open_files: int = 1024
    seconds: float = 20.0
    drip_s: float = 1.0
    reconnect_s: float = 1.0
    probe_every_s: float = 0.4
    probe_timeout_s: float = 2.0


def summary(latencies: list[float | None]) -> dict:
    """Probes, failures (None) and latency of the answered ones."""
    ok = sorted(x for x in latencies if x is not None)
    return {"probes": len(latencies), "failed": len(latencies) - len(ok),
            "p50_ms": round(ok[len(ok) // 2] * 1000, 1) if ok else None,
            "max_ms": round(ok[-1] * 1000, 1) if ok else None}


async def _slow_client(port: int, drip_s: float, reconnect_s: float, stop: asyncio.Event, counts: dict) -> None:
    while not stop.is_set():
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            counts["opened"] += 1
            writer.write(b"GET /healthz HTTP/1.1\r\nHost: go.example\r\nX-a: ")
            while not stop.is_set():
                try:
                    await asyncio.wait_for(reader.read(1024), drip_s)  # an answer (408) or the end: closed
                    break
                except asyncio.TimeoutError:
                    writer.write(b"b")
                    await writer.drain()
            counts["closed_by_server"] += int(not stop.is_set())
            writer.close()
            await asyncio.sleep(reconnect_s)
        except (OSError, asyncio.IncompleteReadError):
            counts["errors"] += 1
            await asyncio.sleep(drip_s)


def _probe(port: int, timeout_s: float) -> float | None:
    """Seconds ``GET /healthz`` took on a new connection; None when it failed or took over ``timeout_s``."""
    started = time.perf_counter()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: go.example\r\nConnection: close\r\n\r\n")
            head = s.recv(64)
    except OSError:
        return None
    elapsed = time.perf_counter() - started
    return elapsed if head.startswith(b"HTTP/1.1 200") and elapsed <= timeout_s else None


def _probes(port: int, config: SlowConfig, latencies: list) -> None:
    deadline = time.monotonic() + config.seconds
    while time.monotonic() < deadline:
        latencies.append(_probe(port, config.probe_timeout_s))
        time.sleep(config.probe_every_s)


async def _attack(port: int, config: SlowConfig) -> dict:
    stop, counts = asyncio.Event(), {"opened": 0, "closed_by_server": 0, "errors": 0}
    clients = [asyncio.create_task(_slow_client(port, config.drip_s, config.reconnect_s, stop, counts))
               for _ in range(config.connections)]
    await asyncio.sleep(min(3.0, config.seconds / 4))  # let them all connect first
    latencies: list = []
    await asyncio.to_thread(_probes, port, config, latencies)
    stop.set()
    await asyncio.wait(clients, timeout=config.drip_s * 3)
    for task in clients:
        task.cancel()
    return {"health": summary(latencies), "slow_clients": counts}


def _limit(open_files: int):
    def apply() -> None:
        resource.setrlimit(resource.RLIMIT_NOFILE, (open_files, open_files))
    return apply


def run(config: SlowConfig = SlowConfig(), report: Path | None = REPORTS / "slow_clients.json") -> dict:
    """Run the probe against a fresh ``links serve``; returns (and writes) the report."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = config.connections + 256
    if soft < need:  # the client side holds every slow connection
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(need, hard), hard))
    with tempfile.TemporaryDirectory(prefix="pv-slow-") as home:
        port = free_port()
        settings = Settings(home=Path(home), embedder="fake", generator="fake", plugins=("tests.fakes",),
                            links_port=port, links_base_url=f"http://127.0.0.1:{port}")
        service = subprocess.Popen([sys.executable, "-m", "assistant.cli", "links", "serve", "--port", str(port)],
                                   env=child_env(settings), preexec_fn=_limit(config.open_files),
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 120
            while _probe(port, 1.0) is None:
                if service.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the click service did not start: {service.stderr.read()[-2000:]}")
                time.sleep(0.2)
            result = asyncio.run(_attack(port, config))
            result["health_after"] = summary([_probe(port, config.probe_timeout_s) for _ in range(3)])
        finally:
            service.send_signal(signal.SIGINT)
            try:
                service.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                service.kill()
                service.communicate()
    result["config"] = asdict(config)
    if report is not None:
        report.parent.mkdir(parents=True, exist_ok=True)
        report.write_text(json.dumps(result, indent=2) + "\n")
    return result


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m evals slow_clients", description=__doc__.split("\n")[0])
    p.add_argument("--connections", type=int, default=SlowConfig.connections)
    p.add_argument("--open-files", type=int, default=SlowConfig.open_files)
    p.add_argument("--seconds", type=float, default=SlowConfig.seconds)
    p.add_argument("--reconnect", type=float, default=SlowConfig.reconnect_s, help="seconds before a closed one re-opens")
    p.add_argument("--report", type=Path, default=REPORTS / "slow_clients.json")
    args = p.parse_args(argv)
    result = run(SlowConfig(connections=args.connections, open_files=args.open_files, seconds=args.seconds,
                            reconnect_s=args.reconnect), report=args.report)
    print(json.dumps(result, indent=2))
    return 0 if result["health"]["failed"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
