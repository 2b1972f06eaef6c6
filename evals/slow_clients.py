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
   connection when the server closed its own (as slowloris tools do);
3. meanwhile a health probe every ``probe_every_s``: a new connection, ``GET
   /healthz``, failed when it does not answer 200 within ``probe_timeout_s``.

Usage: ``python -m evals.slow_clients`` (1,100 connections under 1,024 files for
20 s); ``--connections``, ``--open-files``, ``--seconds``; writes
``evals/reports/slow_clients.json``. ``tests/test_click_limits.py`` runs a
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
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from assistant.config import Settings

from .measure import child_env, free_port

REPORTS = Path(__file__).resolve().parent / "reports"


@dataclass(frozen=True)
class SlowConfig:
    connections: int = 1100
    open_files: int = 1024
    seconds: float = 20.0
    drip_s: float = 1.0
    probe_every_s: float = 0.4
    probe_timeout_s: float = 2.0


def summary(latencies: list[float | None]) -> dict:
    """Probes, failures (None) and latency of the answered ones."""
    ok = sorted(x for x in latencies if x is not None)
    return {"probes": len(latencies), "failed": len(latencies) - len(ok),
            "p50_ms": round(ok[len(ok) // 2] * 1000, 1) if ok else None,
            "max_ms": round(ok[-1] * 1000, 1) if ok else None}


async def _slow_client(port: int, drip_s: float, stop: asyncio.Event, counts: dict) -> None:
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
        except (OSError, asyncio.IncompleteReadError):
            counts["errors"] += 1
            await asyncio.sleep(drip_s)


async def _probe(port: int, timeout_s: float) -> float | None:
    started = time.perf_counter()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), timeout_s)
        writer.write(b"GET /healthz HTTP/1.1\r\nHost: go.example\r\nConnection: close\r\n\r\n")
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout_s - (time.perf_counter() - started))
        writer.close()
        return time.perf_counter() - started if head.startswith(b"HTTP/1.1 200") else None
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        return None


async def _attack(port: int, config: SlowConfig) -> dict:
    stop, counts = asyncio.Event(), {"opened": 0, "closed_by_server": 0, "errors": 0}
    clients = [asyncio.create_task(_slow_client(port, config.drip_s, stop, counts)) for _ in range(config.connections)]
    await asyncio.sleep(min(3.0, config.seconds / 4))  # let them all connect first
    latencies = []
    deadline = time.monotonic() + config.seconds
    while time.monotonic() < deadline:
        latencies.append(await _probe(port, config.probe_timeout_s))
        await asyncio.sleep(config.probe_every_s)
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
            while asyncio.run(_probe(port, 1.0)) is None:
                if service.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the click service did not start: {service.stderr.read()[-2000:]}")
                time.sleep(0.2)
            result = asyncio.run(_attack(port, config))
            result["health_after"] = summary([asyncio.run(_probe(port, config.probe_timeout_s)) for _ in range(3)])
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
    p = argparse.ArgumentParser(prog="python -m evals.slow_clients", description=__doc__.split("\n")[0])
    p.add_argument("--connections", type=int, default=SlowConfig.connections)
    p.add_argument("--open-files", type=int, default=SlowConfig.open_files)
    p.add_argument("--seconds", type=float, default=SlowConfig.seconds)
    args = p.parse_args(argv)
    result = run(SlowConfig(connections=args.connections, open_files=args.open_files, seconds=args.seconds))
    print(json.dumps(result, indent=2))
    return 0 if result["health"]["failed"] == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
