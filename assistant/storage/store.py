"""The DuckDB store: one database file, migrated on opening (``migrations``), small query helpers.

All values go through ``?`` parameters. With ``settings.database_url`` the same store lives on a PostgreSQL
server instead, which DuckDB attaches (``storage.postgres``): the same SQL and migrations, many processes.

Usage::

    store = open_store(settings)         # under settings.home, migrated
    store.rows("SELECT id, title FROM content WHERE kind = ?", ["news"])

DuckDB lets one process write a file; within a process, threads share one
database instance through ``store.cursor()``.

On PostgreSQL a server restart or outage fails the requests made while it is away with
:class:`StoreUnavailable` (its message names the server, never the password), and the next request
after it reconnects: DuckDB's postgres extension opens a new connection when its pooled one is dead
(measured: a ``pg_ctl restart`` under the app, then the next query and write succeed). A transaction
that was open when the server went away is rolled back with its connection.
"""

from __future__ import annotations

import importlib
import os
import re
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

import duckdb
from psycopg.conninfo import conninfo_to_dict

from ..config import Settings
from . import postgres
from .faults import StoreLocked, duckdb_file_fault
from .migrations import migrate

__all__ = ["Store", "StoreLocked", "StoreUnavailable", "close_all", "extension_path", "open_store", "opened",
           "reopen"]

_LOST = re.compile(r"unable to connect|server closed the connection|connection refused|terminating connection|"
                   r"could not connect|connection to server|no connection to the server|ssl syscall", re.IGNORECASE)


class StoreUnavailable(duckdb.ConnectionException):
    """The PostgreSQL server could not be reached for this request; the next request reconnects. A
    ``ConnectionException``: ``faults`` tells people "under maintenance for a few seconds: try again", and an
    import stops on it as on any failure of the store (``imports.importing.STORE_ERRORS``)."""


def _unavailable(url: str) -> StoreUnavailable:
    """The error for a request that found the server away, naming it by ``host:port/database`` (no password)."""
    info = conninfo_to_dict(url)
    where = f"{info.get('host', 'localhost')}:{info.get('port', 5432)}/{info.get('dbname', '')}"
    return StoreUnavailable(f"the PostgreSQL store at {where} is unavailable (restarting or unreachable); "
                            "retry in a moment")


class Store:
    """A migrated DuckDB database with small query helpers."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path, url: str | None = None):
        self.con = con
        self.path = path  # the database file: caches keyed on it never mix two homes
        self.url = url  # a PostgreSQL store's URL (``storage.postgres``); None: the DuckDB file at ``path``
        self.postgres = url is not None
        self._local = threading.local()
        self.closed = False  # background threads (engagement sync, digests) end when their store is closed

    @property
    def db(self) -> duckdb.DuckDBPyConnection:
        """This thread's cursor on the shared database instance."""
        cur = getattr(self._local, "cursor", None)
        if cur is None:
            cur = self.con.cursor()
            if self.postgres:
                postgres.use(cur)
            self._local.cursor = cur
        return cur

    def execute(self, sql: str, params: list | tuple | None = None):
        try:
            if self.postgres and postgres.runs_in_postgres(sql):  # updates, upserts: atomic across processes
                return postgres.write(self.db, sql, params, getattr(self._local, "in_transaction", False))
            return self.db.execute(sql, params or [])
        except duckdb.Error as exc:
            lost = self._lost(exc)
            if lost is None:
                raise
            raise lost from None  # DuckDB's message holds the whole URL, password included

    def _lost(self, exc: duckdb.Error) -> StoreUnavailable | None:
        """A :class:`StoreUnavailable` in place of ``exc`` when the PostgreSQL server is away, else None."""
        if not self.postgres or isinstance(exc, StoreUnavailable) or not _LOST.search(str(exc)):
            return None
        return _unavailable(self.url)

    def rows(self, sql: str, params: list | tuple | None = None) -> list[dict[str, Any]]:
        cur = self.execute(sql, params)
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def value(self, sql: str, params: list | tuple | None = None):
        row = self.execute(sql, params).fetchone()
        return row[0] if row else None

    @contextmanager
    def transaction(self) -> Iterator["Store"]:
        self.db.execute("BEGIN TRANSACTION")
        self._local.in_transaction = True
        try:
            yield self
        except BaseException:
            self._local.in_transaction = False
            try:
                self.db.execute("ROLLBACK")
            except duckdb.Error:
                # the PostgreSQL server went away mid-transaction: its side is rolled back with the connection,
                # and the error to report is the one that ended the block; the next request reconnects
                if not self.postgres:
                    raise
            raise
        self._local.in_transaction = False
        try:
            self.db.execute("COMMIT")
        except duckdb.Error as exc:
            lost = self._lost(exc)
            if lost is None:
                raise
            raise lost from None  # DuckDB's message holds the whole URL, password included

    @contextmanager
    def registered(self, name: str, table) -> Iterator["Store"]:
        """A Python table (Arrow, pandas) visible to this thread's SQL as ``name`` inside the block: a
        list of keys goes in as a table to join, not as a ``list_contains`` parameter scanned per row."""
        self.db.register(name, table)
        try:
            yield self
        finally:
            self.db.unregister(name)

    def load_extension(self, name: str) -> None:
        """Load a DuckDB extension shipped by a PyPI package, by file path (never a download)."""
        path = extension_path(name)
        self.db.execute(f"LOAD '{path.as_posix()}'")

    def close(self) -> None:
        self.closed = True
        self.con.close()


def extension_path(name: str) -> Path:
    """Path of ``<name>.duckdb_extension`` inside the ``duckdb-extension-<name>`` package."""
    package = importlib.import_module(f"duckdb_extension_{name}")
    folder = Path(package.__file__).parent / "extensions" / f"v{duckdb.__version__}"
    path = folder / f"{name}.duckdb_extension"
    if not path.exists():
        raise FileNotFoundError(
            f"DuckDB extension {name!r} for DuckDB {duckdb.__version__} not found at {path}; "
            f"install duckdb-extension-{name}=={duckdb.__version__}"
        )
    return path


_open: dict[Path, Store] = {}
_open_lock = threading.Lock()


def open_store(settings: Settings) -> Store:
    """The migrated store under ``settings.home``; one instance per database file per process."""
    settings = settings.ensure()
    os.umask(0o077)  # files this process creates (DuckDB's WAL and temp files too) are private to its user
    config = {"extension_directory": str(settings.extension_dir), "autoinstall_known_extensions": "false",
              "autoload_known_extensions": "false"}
    with _open_lock:
        store = _open.get(settings.db_path)
        if store is not None:
            return store
        if settings.database_url:  # the shared PostgreSQL store: no file, no single-writer lock
            try:
                con = postgres.connect(settings.database_url, settings.extension_dir, config)
                migrate(con, postgres=True)
            except duckdb.Error as exc:
                if not _LOST.search(str(exc)):
                    raise
                raise _unavailable(settings.database_url) from None  # DuckDB's message holds the password
            store = _open[settings.db_path] = Store(con, settings.db_path, url=settings.database_url)
            return store
        try:
            con = duckdb.connect(str(settings.db_path), config=config)
        except duckdb.IOException as exc:
            if duckdb_file_fault(exc) == "locked":  # a corrupt file says "block" too: see faults
                raise StoreLocked(
                    f"{settings.db_path} is open in another process (the app or another command); "
                    "stop it or use another PORTE_VOIX_HOME"
                ) from exc
            raise
        migrate(con)
        settings.db_path.chmod(0o600)
        store = _open[settings.db_path] = Store(con, settings.db_path)
        return store


def close_all() -> None:
    """Close every open store (tests and long-lived processes switching homes)."""
    with _open_lock:
        for store in _open.values():
            store.close()
        _open.clear()


def opened(settings: Settings) -> Store | None:
    """The store this process already holds for ``settings`` (None when not open here)."""
    with _open_lock:
        return _open.get(settings.db_path)


def reopen(store: Store, settings: Settings) -> Store:
    """Reconnect ``store`` after its file was replaced (``assistant/storage/compaction.py``: erasure, restore).

    The caller has closed it (``store.close()`` waits for running queries and closes every thread's
    cursor); the same ``Store`` object, which contexts and caches hold, continues on a new connection
    made by :func:`open_store`, and each thread gets a new cursor on its next query.
    """
    with _open_lock:
        _open.pop(settings.db_path, None)
    fresh = open_store(settings)
    with _open_lock:
        store.con, store._local = fresh.con, threading.local()
        _open[settings.db_path] = store
    return store
