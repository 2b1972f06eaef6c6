"""One migration scheme for every store: append-only named steps, applied once, in order, recorded by name.

Scope and why: the DuckDB store (``migrations``), the click log (``links.clicklog``) and the opt-out
inbox (``optouts.inbox``) each keep a list of named steps; :func:`migrate` applies the ones not yet
recorded in the store's ``_migrations`` table (name, applied_at), each in its own transaction with
its record, so a step that fails leaves nothing half done. Never edit or reorder an applied step;
add a new one at the end. This module imports no database driver: the public click service uses it
without DuckDB.

Several processes may open one store at once (the app, the CLI and the click service share the
SQLite files): each step's transaction starts with ``begin`` (``BEGIN IMMEDIATE`` for SQLite takes
the write lock at once) and looks again at what is recorded, so a step another process applied while
this one waited is skipped. A store made under an older scheme says which steps it already holds
(``adopt``), recorded once before anything runs.

    >>> import sqlite3
    >>> steps = []
    >>> step = collector(steps)
    >>> @step
    ... def s001_notes(db):
    ...     db.execute("CREATE TABLE notes (text TEXT)")
    >>> con = sqlite3.connect(":memory:", isolation_level=None)
    >>> migrate(con, steps, begin="BEGIN IMMEDIATE"), migrate(con, steps, begin="BEGIN IMMEDIATE")
    (['s001_notes'], [])
"""

from __future__ import annotations

import contextlib
from typing import Any, Callable, Iterable, Iterator

TABLE = "_migrations"
Step = tuple[str, Callable[[Any], None]]


def collector(steps: list[Step]) -> Callable:
    """A decorator that appends the decorated function to ``steps`` as the next step, named after it."""
    def register(fn: Callable[[Any], None]) -> Callable[[Any], None]:
        steps.append((fn.__name__, fn))
        return fn
    return register


def recorded(con) -> set[str] | None:
    """The names recorded in ``con``'s store, or None when it has no ``_migrations`` table yet."""
    try:
        return {row[0] for row in con.execute(f"SELECT name FROM {TABLE}").fetchall()}
    except Exception:  # no table yet: each driver names that error its own way; the next transaction creates it
        return None


def migrate(con, steps: Iterable[Step], *, begin: str = "BEGIN TRANSACTION", db=None,
            lock: Callable[[Any], None] | None = None, adopt: Callable[[Any], list[str]] | None = None,
            setup: Callable[[Any], None] | None = None) -> list[str]:
    """Apply the steps not yet recorded, in order; return the names applied now.

    ``con`` runs the transactions and the ``_migrations`` rows; ``db`` (default ``con``) runs the steps'
    DDL, for a store whose schema lives behind the connection (``storage.postgres``); ``lock(con)`` is
    called first in each transaction (an advisory lock where ``begin`` takes none); ``adopt(con)`` names
    the steps a store made under an older scheme already holds (called once, on a store with nothing
    recorded); ``setup(con)`` runs at every call, in the first transaction (what must be current even when
    no step is pending, such as PostgreSQL's stand-ins for DuckDB functions)."""
    steps, db = list(steps), db if db is not None else con
    done = recorded(con) if setup is None else None
    if done is not None and all(name in done for name, _ in steps):
        return []  # the usual case, read-only: no write lock for a store that is up to date
    with _transaction(con, begin, lock):
        if setup is not None:
            setup(con)
        db.execute(f"CREATE TABLE IF NOT EXISTS {TABLE} (name TEXT PRIMARY KEY, applied_at TIMESTAMP)")
        if adopt is not None and not recorded(con):
            for name in adopt(con):
                con.execute(f"INSERT INTO {TABLE} VALUES (?, current_timestamp)", [name])
    done, applied = recorded(con) or set(), []
    for name, fn in steps:
        if name in done:
            continue
        with _transaction(con, begin, lock):
            if con.execute(f"SELECT 1 FROM {TABLE} WHERE name = ?", [name]).fetchone():
                continue  # applied before, or by another process while this one waited (commits nothing)
            fn(db)
            con.execute(f"INSERT INTO {TABLE} VALUES (?, current_timestamp)", [name])
        applied.append(name)
    return applied


@contextlib.contextmanager
def _transaction(con, begin: str, lock) -> Iterator[None]:
    """``begin`` (then ``lock``) … ``COMMIT``; ``ROLLBACK`` on any error, re-raised."""
    con.execute(begin)
    try:
        if lock is not None:
            lock(con)
        yield
    except BaseException:
        con.execute("ROLLBACK")
        raise
    con.execute("COMMIT")
