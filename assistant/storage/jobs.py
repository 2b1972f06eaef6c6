"""Background jobs that must run in one process at a time: the digest schedule, the engagement sync.

Scope and why: every app process starts the same background threads. On the embedded DuckDB file there
is one writing process, so a lock per process is enough. On PostgreSQL three app processes (and a cron
``porte-voix engagement sync``) share one database: :func:`once` takes a PostgreSQL advisory lock named
after the job, on a connection of its own held while the job runs, so a second process finds it taken
and skips that turn instead of running the job again beside the first. A process that dies loses its
connection, and PostgreSQL releases the lock with it: no lease to expire, no stale row to clean.

    >>> with once(store, "engagement-sync") as mine:
    ...     mine       # True: no other process runs this job now
    True
"""

from __future__ import annotations

import threading
from contextlib import contextmanager
from typing import Iterator

import psycopg

from .store import Store

_local: dict[tuple[str, str], threading.Lock] = {}
_guard = threading.Lock()


def _thread_lock(store: Store, name: str) -> threading.Lock:
    with _guard:
        return _local.setdefault((str(store.path), name), threading.Lock())


@contextmanager
def once(store: Store, name: str) -> Iterator[bool]:
    """Inside, True when this thread runs job ``name`` now; False when another thread or process is running it."""
    lock = _thread_lock(store, name)
    if not lock.acquire(blocking=False):
        yield False
        return
    try:
        if store.url is None:
            yield True
            return
        with psycopg.connect(store.url, autocommit=True, connect_timeout=10) as con:
            key = ("porte-voix job " + name,)
            mine = con.execute("SELECT pg_try_advisory_lock(hashtext(%s))", key).fetchone()[0]
            try:
                yield mine
            finally:
                if mine:
                    con.execute("SELECT pg_advisory_unlock(hashtext(%s))", key)
    finally:
        lock.release()
