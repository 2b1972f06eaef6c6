"""Measuring helpers shared by the benchmarks (``bench``, ``scale``, ``ui_bench``, ``ui_latency``, ``click_load``).

Scope: peak memory of this process, repeated timings and their summary, a
cProfile digest, the environment of a child process, a free port and the app
started in a child process. They live here, in
one public module, so the benchmarks never reach into each other's private
helpers.

Why a child environment helper: a benchmark that starts ``porte-voix``, a
worker or the app in another process hands it its configuration through the
variables the config module reads. :func:`child_env` writes them from the
``Settings`` this process was handed, so the child runs that configuration and
never a stale ``PORTE_VOIX_*`` variable of the shell.

    >>> stats_ms([0.010, 0.012, 0.011])["median_ms"]
    11.0
    >>> env = child_env(Settings(home=Path("/tmp/pv"), embedder="fake", plugins=("tests.fakes",)))
    >>> env["PORTE_VOIX_EMBEDDER"], env["PORTE_VOIX_PLUGINS"], env["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT)
    ('fake', 'tests.fakes', True)
"""

from __future__ import annotations

import contextlib
import cProfile
import os
import pstats
import resource
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Callable, Iterable

from assistant.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def peak_rss_mb() -> float:
    """Peak RSS of this process in MB: ``VmHWM``, since ``ru_maxrss`` carries the parent's peak over fork+exec."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(call: Callable, args: Iterable) -> list[float]:
    """Seconds taken by ``call(arg)`` for each of ``args``."""
    out = []
    for arg in args:
        t0 = time.perf_counter()
        call(arg)
        out.append(time.perf_counter() - t0)
    return out


def stats_ms(samples: list[float]) -> dict:
    """Median, p95 (nearest rank), min and max of ``samples`` (seconds), in milliseconds."""
    ms = sorted(s * 1000 for s in samples)
    p95 = ms[min(len(ms) - 1, max(0, round(0.95 * len(ms)) - 1))]
    return {"median_ms": round(statistics.median(ms), 1), "p95_ms": round(p95, 1), "min_ms": round(ms[0], 1),
            "max_ms": round(ms[-1], 1), "calls": len(ms)}


def hot_spots(profiler: cProfile.Profile, calls: int, top: int = 12) -> list[dict]:
    """The functions with the most own time per call (project code and its direct library calls)."""
    stats = pstats.Stats(profiler)
    rows = []
    for (file, line, fn), (_, ncalls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = Path(file)
        label = f"{where.parent.name}/{where.name}:{line}({fn})" if file.startswith("/") else f"{file}({fn})"
        rows.append({"function": label, "calls_per_request": round(ncalls / calls, 1),
                     "cum_ms_per_request": round(cumtime / calls * 1000, 2),
                     "own_ms_per_request": round(tottime / calls * 1000, 2)})
    rows.sort(key=lambda r: -r["own_ms_per_request"])
    return rows[:top]


def settings_env(settings: Settings) -> dict[str, str]:
    """The ``PORTE_VOIX_*`` variables that make ``assistant.config.load_settings`` return ``settings``."""
    env = {"PORTE_VOIX_HOME": str(settings.home), "PORTE_VOIX_EMBEDDER": settings.embedder,
           "PORTE_VOIX_GENERATOR": settings.generator, "PORTE_VOIX_MAX_FILE_MB": str(settings.max_file_mb),
           "PORTE_VOIX_BCRYPT_ROUNDS": str(settings.bcrypt_rounds),
           "PORTE_VOIX_BRAND_FOLLOWERS": str(settings.brand_followers),
           "PORTE_VOIX_USE_THREADS": str(settings.use_threads), "PORTE_VOIX_PLUGINS": ",".join(settings.plugins),
           "PORTE_VOIX_POLISH": settings.polish, "PORTE_VOIX_TRANSLATOR": settings.translator}
    optional = {"PORTE_VOIX_GENERATOR_BASE_URL": settings.generator_base_url,
                "PORTE_VOIX_GENERATOR_MODEL": settings.generator_model,
                "PORTE_VOIX_GENERATOR_API_KEY": settings.generator_api_key}
    env.update({key: value for key, value in optional.items() if value})
    return {**settings.extra, **env}


def child_env(settings: Settings, **extra: str) -> dict[str, str]:
    """Environment for a child process: this process's (PATH, locale, thread limits) with every
    ``PORTE_VOIX_*`` variable replaced by ``settings``, the repository first on ``PYTHONPATH``
    (so ``-m evals…`` and a plugin such as ``tests.fakes`` import from any folder), then ``extra``."""
    inherited = {k: v for k, v in os.environ.items() if not k.startswith("PORTE_VOIX_")}
    path = os.pathsep.join(filter(None, [str(ROOT), inherited.get("PYTHONPATH")]))
    return {**inherited, **settings_env(settings), "PYTHONPATH": path, **extra}


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (the system picks it)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_app(script: str, settings: Settings, port: int, wait_s: float = 120.0) -> subprocess.Popen:
    """``streamlit run SCRIPT`` (``app.py`` or ``serve.py``) under ``settings`` on 127.0.0.1:``port``,
    returned once its health check answers; stopped and ``RuntimeError`` after ``wait_s`` seconds."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=child_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + wait_s
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2).read() == b"ok":
                return proc
        except OSError:
            time.sleep(0.3)
    proc.terminate()
    proc.wait(timeout=30)
    raise RuntimeError(f"streamlit run {script} did not answer on port {port} within {wait_s:.0f} s")
