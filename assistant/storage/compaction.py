"""Rewrite the DuckDB file with only its live rows, so deleted data leaves no bytes behind.

DuckDB marks the blocks of deleted rows free and reuses them later; until then
the old bytes (an erased person's email, name, posts) stay in the file, even
after ``CHECKPOINT`` or ``VACUUM``. Erasure therefore ends with
:func:`copy_live`: the database is copied, table by table, into a fresh file
(``COPY FROM DATABASE``: tables, sequences with their current values, indexes,
views, macros), which then atomically replaces the old one.

While the file is rewritten the process's store is closed: ``store.close()``
waits for running queries and closes every thread's cursor, so a request that
arrives meanwhile fails with "connection closed" (``faults`` calls it busy:
try again) instead of writing to a file about to be replaced. The same
``Store`` object then continues on the new file (``store.reopen``). A token
written into the copy and read back through the reopened store proves the
process really sees the new file (it would not if some other connection in
the process still held the old one: the rewrite then fails loudly).

The WAL is part of it: closing the last connection checkpoints it into the
old file, and the new file starts without one. Cost: the time to copy the live
data (the demo store: well under a second; see README "Reliability").

    >>> stats = copy_live(store, ctx.settings)
    >>> stats["bytes_after"] > 0 and store.value("SELECT count(*) FROM _migrations") > 0
    True
"""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

import duckdb
import psycopg

from ..config import Settings
from . import store as store_module
from .store import Store


class CompactionError(RuntimeError):
    """The rewrite could not complete; the store goes on with its previous file."""


def sql_string(value: str) -> str:
    """A SQL string literal (for ``ATTACH``, which takes no ``?`` parameter)."""
    return "'" + str(value).replace("'", "''") + "'"


def sql_name(value: str) -> str:
    """A quoted SQL identifier (a database name such as ``porte-voix``)."""
    return '"' + str(value).replace('"', '""') + '"'


def file_bytes(path: Path) -> int:
    """Size of the database file plus its WAL, if any."""
    wal = Path(f"{path}.wal")
    return sum(p.stat().st_size for p in (Path(path), wal) if p.exists())


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_database(source: Path, target: Path, token: str | None = None) -> None:
    """Copy the live contents of the closed database ``source`` into the new file ``target``.

    ``source`` is opened read-only (never changed); ``target`` must not exist. ``token``, when
    given, is left in ``target`` as table ``_compaction`` for the caller to check.
    """
    if target.exists():
        raise FileExistsError(target)
    con = duckdb.connect(str(source), read_only=True)
    try:
        name = con.execute("SELECT current_database()").fetchone()[0]
        con.execute(f"ATTACH {sql_string(target)} AS pv_copy (READ_WRITE)")
        try:
            con.execute(f"COPY FROM DATABASE {sql_name(name)} TO pv_copy")
            if token is not None:
                con.execute("CREATE TABLE pv_copy._compaction AS SELECT ?::VARCHAR AS token", [token])
        finally:
            con.execute("DETACH pv_copy")
    finally:
        con.close()
    with open(target, "rb+") as f:
        os.fsync(f.fileno())


def copy_live(store: Store, settings: Settings) -> dict:
    """Rewrite the store's file in place with only its live data; returns sizes and seconds.

    ``{"bytes_before", "bytes_after", "seconds"}``. Raises ``CompactionError`` (the old file kept)
    when the copy fails or another connection in this process still holds the file.
    """
    path = settings.db_path
    if Path(store.path) != path:
        raise ValueError(f"store {store.path} is not the one of {settings.home}")
    if store.postgres:
        return vacuum(store)
    start = time.perf_counter()
    before = file_bytes(path)
    fresh = path.with_name(path.name + ".compact")
    token = secrets.token_hex(16)
    for leftover in (fresh, Path(f"{fresh}.wal")):
        leftover.unlink(missing_ok=True)
    store.close()
    try:
        if Path(f"{path}.wal").exists():
            raise CompactionError(f"{path}.wal is still there after closing the store: another connection "
                                  "holds the database in this process")
        copy_database(path, fresh, token)
        os.replace(fresh, path)
        _fsync_dir(path.parent)
    except (duckdb.Error, OSError) as exc:
        raise CompactionError(f"could not rewrite {path.name}: {exc}") from exc
    finally:
        fresh.unlink(missing_ok=True)
        Path(f"{fresh}.wal").unlink(missing_ok=True)
        store_module.reopen(store, settings)
    try:
        seen = store.value("SELECT token FROM _compaction")
    except duckdb.CatalogException:
        seen = None
    if seen != token:
        raise CompactionError(f"{path.name} was rewritten but this process still sees the old file: "
                              "another connection holds it")
    store.execute("DROP TABLE _compaction")
    store.execute("CHECKPOINT")
    return {"bytes_before": before, "bytes_after": file_bytes(path), "seconds": round(time.perf_counter() - start, 3)}


def vacuum(store: Store) -> dict:
    """The PostgreSQL store's counterpart: ``VACUUM`` marks the deleted rows' space free for PostgreSQL to
    overwrite, without locking out the other processes. Their bytes stay on disk until it does (or until a
    ``VACUUM FULL`` in a maintenance window, which rewrites each table: deploy/README.md)."""
    start = time.perf_counter()
    with psycopg.connect(store.url, autocommit=True) as con:
        size = "SELECT pg_database_size(current_database())"
        before = con.execute(size).fetchone()[0]
        con.execute("VACUUM")
        after = con.execute(size).fetchone()[0]
    return {"bytes_before": before, "bytes_after": after, "seconds": round(time.perf_counter() - start, 3),
            "vacuumed": True}
