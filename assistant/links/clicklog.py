"""The click log: short links, hits and conversions in a small SQLite file beside the DuckDB one.

Why not the app's DuckDB file: DuckDB lets one process write a database, and
the app holds it; the click service is a separate, public-facing process. Why
SQLite in WAL mode: it ships with Python, several processes can write it
safely (writes are serialised by a file lock, each waits ``busy_timeout``),
readers never block writers nor the other way round, and a transaction of a
few hundred hits costs well under a millisecond. ``synchronous=NORMAL``: a
committed hit survives a crash of the process; only a power cut can lose the
last commits.

Tables (``<home>/clicks.sqlite3``; its schema is named migrations, applied and recorded in
``_migrations`` as the DuckDB store's are, by ``storage.schema_steps``):

| table | written by | read by |
|---|---|---|
| ``links`` code → share id, target URL | the app and the CLI when a share is made | the click service |
| ``hits`` one row per request of a short link | the click service | ``sync`` (into DuckDB) |
| ``conversions`` leads, sign-ups, sales, applications | the click service (webhook) | ``sync`` |
| ``signatures`` conversion signatures seen in the last minutes | the click service | replay check |
| ``salts`` today's visitor salt (older ones are deleted) | the click service | the click service |
| ``service_runs`` received / written / lost / pending per service process | the click service | ``engagement stats`` |
| ``link_removals`` one row per erasure that deleted links (no code, no share id) | the erasure | the click service |
| ``replica`` this log's id among the replicas forwarding to PostgreSQL (``links.replica``) | created once | the forwarder |

    >>> import tempfile, pathlib
    >>> log = ClickLog(pathlib.Path(tempfile.mkdtemp()) / "clicks.sqlite3")
    >>> log.add_link("AbC123xy", "s-1", "https://n.example/a?utm_content=s-1")
    True
    >>> log.link("AbC123xy")
    ('s-1', 'https://n.example/a?utm_content=s-1')
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import sqlite3
import threading
import time
from pathlib import Path
from typing import Iterable, Iterator

from ..storage import schema_steps

HIT_COLUMNS = ("click_id", "code", "share_id", "at", "day", "method", "referrer_host", "visitor", "ua_class",
               "is_bot", "bot_reason")
_INSERT_HIT = f"INSERT OR IGNORE INTO hits ({', '.join(HIT_COLUMNS)}) VALUES ({', '.join('?' * len(HIT_COLUMNS))})"
CONVERSION_COLUMNS = ("external_id", "share_id", "click_id", "event", "value", "currency", "occurred_at",
                      "received_at", "source")

MIGRATIONS: list[schema_steps.Step] = []
migration = schema_steps.collector(MIGRATIONS)


@migration
def c001_links_hits_conversions(db: sqlite3.Connection) -> None:
    _statements(db, """
        CREATE TABLE links (code TEXT PRIMARY KEY, share_id TEXT NOT NULL, target TEXT NOT NULL,
                            created_at REAL NOT NULL);
        CREATE INDEX links_share_idx ON links (share_id);
        CREATE TABLE hits (id INTEGER PRIMARY KEY AUTOINCREMENT, click_id TEXT NOT NULL UNIQUE, code TEXT NOT NULL,
                           share_id TEXT NOT NULL, at REAL NOT NULL, day TEXT NOT NULL, method TEXT NOT NULL,
                           referrer_host TEXT, visitor TEXT, ua_class TEXT, is_bot INTEGER NOT NULL,
                           bot_reason TEXT);
        CREATE TABLE conversions (id INTEGER PRIMARY KEY AUTOINCREMENT, external_id TEXT NOT NULL UNIQUE,
                                  share_id TEXT NOT NULL, click_id TEXT, event TEXT NOT NULL, value REAL,
                                  currency TEXT, occurred_at REAL NOT NULL, received_at REAL NOT NULL,
                                  source TEXT NOT NULL);
        CREATE TABLE signatures (signature TEXT PRIMARY KEY, seen_at REAL NOT NULL);
        CREATE TABLE salts (day TEXT PRIMARY KEY, salt BLOB NOT NULL);
        CREATE TABLE service_runs (id TEXT PRIMARY KEY, pid INTEGER, started_at REAL, updated_at REAL,
                                   received INTEGER, written INTEGER, lost INTEGER, pending INTEGER,
                                   last_error TEXT);
        """)


@migration
def c002_link_removals(db: sqlite3.Connection) -> None:
    """One row per erasure that removed links: a click service reloads its code table when the count moves."""
    db.execute("CREATE TABLE link_removals (id INTEGER PRIMARY KEY AUTOINCREMENT, removed_at REAL NOT NULL)")


@migration
def c003_replica(db: sqlite3.Connection) -> None:
    """The log's identity for forwarding to a PostgreSQL store (``links.replica``): a random id drawn once, and
    whether the log already held hits then (made before forwarding: the store's sync may have folded them)."""
    db.execute("CREATE TABLE replica (id TEXT NOT NULL, legacy INTEGER NOT NULL)")
    legacy = db.execute("SELECT EXISTS (SELECT 1 FROM hits)").fetchone()[0]
    db.execute("INSERT INTO replica VALUES (?, ?)", [secrets.token_hex(8), int(legacy)])


def _numbered(db: sqlite3.Connection) -> list[str]:
    """A log made before the named migrations counted its steps in ``PRAGMA user_version``: those are applied."""
    version = db.execute("PRAGMA user_version").fetchone()[0]
    return [name for name, _ in MIGRATIONS[:version]]


def _statements(db: sqlite3.Connection, script: str) -> None:
    """Run ``;``-separated DDL inside the caller's transaction (``executescript`` would commit first)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)


class ClickLog:
    """One click-log file; each thread gets its own SQLite connection."""

    def __init__(self, path: Path, timeout: float = 5.0):
        self.path = Path(path)
        self.timeout = timeout
        self._local = threading.local()
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.migrate()

    # --- connection and schema ----------------------------------------------------------------

    @property
    def db(self) -> sqlite3.Connection:
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None, check_same_thread=False)
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            self._local.con = con
        return con

    def migrate(self) -> list[str]:
        """Apply the log's pending migrations (``BEGIN IMMEDIATE``: one process migrates, the others wait and
        find them recorded); returns the names applied now."""
        applied = schema_steps.migrate(self.db, MIGRATIONS, begin="BEGIN IMMEDIATE", adopt=_numbered)
        try:
            os.chmod(self.path, 0o600)
        except OSError:
            pass
        return applied

    def close(self) -> None:
        con = getattr(self._local, "con", None)
        if con is not None:
            con.close()
            self._local.con = None

    # --- links ---------------------------------------------------------------------------------

    def add_link(self, code: str, share_id: str, target: str) -> bool:
        """Map ``code`` to a share's target; False when the code already exists (for this or another share)."""
        cur = self.db.execute("INSERT OR IGNORE INTO links (code, share_id, target, created_at) VALUES (?, ?, ?, ?)",
                              [code, share_id, target, time.time()])
        return cur.rowcount == 1

    def link(self, code: str) -> tuple[str, str] | None:
        """``(share_id, target)`` of a code, or None."""
        row = self.db.execute("SELECT share_id, target FROM links WHERE code = ?", [code]).fetchone()
        return (row[0], row[1]) if row else None

    def has_share(self, share_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM links WHERE share_id = ?", [share_id]).fetchone() is not None

    def code_of(self, share_id: str) -> str | None:
        row = self.db.execute("SELECT code FROM links WHERE share_id = ? ORDER BY created_at LIMIT 1",
                              [share_id]).fetchone()
        return row[0] if row else None

    def add_links(self, rows: Iterable[tuple[str, str, str]]) -> int:
        """Insert ``(code, share_id, target)`` rows not yet known, in one transaction; returns how many."""
        with self._immediate() as db:
            before = db.total_changes
            db.executemany("INSERT OR IGNORE INTO links (code, share_id, target, created_at) VALUES (?, ?, ?, ?)",
                           [(code, share, target, time.time()) for code, share, target in rows])
        return db.total_changes - before

    def linked_shares(self) -> set[str]:
        return {row[0] for row in self.db.execute("SELECT DISTINCT share_id FROM links")}

    def links_after(self, rowid: int) -> list[tuple[int, str, str, str]]:
        """``(rowid, code, share_id, target)`` added after ``rowid`` (the service's cache refresh)."""
        return self.db.execute("SELECT rowid, code, share_id, target FROM links WHERE rowid > ? ORDER BY rowid",
                               [rowid]).fetchall()

    def removals(self) -> int:
        """How many erasures removed links so far: a cache of the links is stale when this moved."""
        return self.db.execute("SELECT coalesce(max(id), 0) FROM link_removals").fetchone()[0]

    # --- hits ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def _immediate(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once (``BEGIN IMMEDIATE``): committed, or rolled back on error."""
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def append_hits(self, rows: Iterable[tuple]) -> int:
        """Insert hits (tuples in ``HIT_COLUMNS`` order) in one transaction; returns how many were new."""
        with self._immediate() as db:
            before = db.total_changes
            db.executemany(_INSERT_HIT, rows)
        return db.total_changes - before

    def append_live_hits(self, rows: list[tuple]) -> tuple[int, int]:
        """The click service's :meth:`append_hits`: hits of codes no longer linked (their share was erased
        since the redirect) are dropped, in the same transaction. Returns ``(written, dropped)``."""
        with self._immediate() as db:
            live = {code for code in {row[1] for row in rows}
                    if db.execute("SELECT 1 FROM links WHERE code = ?", [code]).fetchone()}
            kept = [row for row in rows if row[1] in live]
            before = db.total_changes
            db.executemany(_INSERT_HIT, kept)
        return db.total_changes - before, len(rows) - len(kept)

    def defer_checkpoints(self) -> None:
        """This thread's commits leave the WAL to :meth:`checkpoint` (the click service's writer: a request
        waits for its commit, and an automatic checkpoint inside a commit writes and syncs the database file)."""
        self.db.execute("PRAGMA wal_autocheckpoint=0")

    def checkpoint(self) -> None:
        """Copy the WAL into the database file without blocking writers (``PASSIVE``)."""
        self.db.execute("PRAGMA wal_checkpoint(PASSIVE)")

    def hits_after(self, last_id: int, limit: int = 50_000) -> list[tuple]:
        """``(id, *HIT_COLUMNS)`` with id > ``last_id``, oldest first (ids grow in commit order)."""
        return self.db.execute(f"SELECT id, {', '.join(HIT_COLUMNS)} FROM hits WHERE id > ? ORDER BY id LIMIT ?",
                               [last_id, limit]).fetchall()

    def share_of_click(self, click_id: str) -> str | None:
        row = self.db.execute("SELECT share_id FROM hits WHERE click_id = ?", [click_id]).fetchone()
        return row[0] if row else None

    def replica(self) -> tuple[str, bool]:
        """``(id, legacy)`` of this log (``c003_replica``)."""
        row = self.db.execute("SELECT id, legacy FROM replica").fetchone()
        return row[0], bool(row[1])

    def prune_hits(self, up_to_id: int, before: float) -> int:
        """Delete hits with id <= ``up_to_id`` (forwarded) made before ``before`` (Unix seconds)."""
        with self._immediate() as db:
            return db.execute("DELETE FROM hits WHERE id <= ? AND at < ?", [up_to_id, before]).rowcount

    def count_hits(self) -> int:
        return self.db.execute("SELECT count(*) FROM hits").fetchone()[0]

    # --- conversions ---------------------------------------------------------------------------

    def add_conversion(self, row: dict, signature: str | None = None, window_s: float = 300.0) -> str:
        """Store one conversion: ``"stored"``, ``"duplicate"`` (its external_id is known: nothing changes) or
        ``"replay"`` (this exact signature was already used: nothing stored).

        The signature and the conversion are written in one transaction, so a request that failed to store
        can be sent again with the same signature.
        """
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            if signature is not None:
                db.execute("DELETE FROM signatures WHERE seen_at < ?", [time.time() - 2 * window_s])
                if db.execute("INSERT OR IGNORE INTO signatures VALUES (?, ?)", [signature, time.time()]).rowcount == 0:
                    db.execute("ROLLBACK")
                    return "replay"
            cur = db.execute(f"INSERT OR IGNORE INTO conversions ({', '.join(CONVERSION_COLUMNS)}) "
                             f"VALUES ({', '.join('?' * len(CONVERSION_COLUMNS))})",
                             [row.get(c) for c in CONVERSION_COLUMNS])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return "stored" if cur.rowcount == 1 else "duplicate"

    def conversions_after(self, last_id: int, limit: int = 50_000) -> list[tuple]:
        return self.db.execute(f"SELECT id, {', '.join(CONVERSION_COLUMNS)} FROM conversions WHERE id > ? "
                               "ORDER BY id LIMIT ?", [last_id, limit]).fetchall()

    # --- salts, service health, erasure ----------------------------------------------------------

    def keep_salt(self, day: dt.date, salt: bytes) -> bytes:
        """Keep ``salt`` as ``day``'s unless the log has one already (a day's pseudonyms never change within
        a log); returns the day's salt."""
        self.db.execute("INSERT OR IGNORE INTO salts VALUES (?, ?)", [day.isoformat(), salt])
        return self.db.execute("SELECT salt FROM salts WHERE day = ?", [day.isoformat()]).fetchone()[0]

    def has_salt(self, day: dt.date) -> bool:
        return self.db.execute("SELECT 1 FROM salts WHERE day = ?", [day.isoformat()]).fetchone() is not None

    def salt(self, day: dt.date) -> bytes:
        """The visitor salt of ``day`` (UTC), created by whichever process needs it first; salts of days
        before yesterday are deleted, which makes their pseudonyms unlinkable."""
        key = day.isoformat()
        db = self.db
        row = db.execute("SELECT salt FROM salts WHERE day = ?", [key]).fetchone()
        if row:
            return row[0]
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute("INSERT OR IGNORE INTO salts VALUES (?, ?)", [key, secrets.token_bytes(32)])
            db.execute("DELETE FROM salts WHERE day < ?", [(day - dt.timedelta(days=1)).isoformat()])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return db.execute("SELECT salt FROM salts WHERE day = ?", [key]).fetchone()[0]

    def record_run(self, run_id: str, started_at: float, stats: dict) -> None:
        self.db.execute(
            """INSERT INTO service_runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (id) DO UPDATE SET updated_at = excluded.updated_at, received = excluded.received,
                 written = excluded.written, lost = excluded.lost, pending = excluded.pending,
                 last_error = excluded.last_error""",
            [run_id, os.getpid(), started_at, time.time(), stats["received"], stats["written"], stats["lost"],
             stats["pending"], stats.get("last_error")])

    def service_runs(self) -> list[dict]:
        cur = self.db.execute("SELECT * FROM service_runs ORDER BY started_at")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]

    def forget_shares(self, share_ids: Iterable[str]) -> int:
        """Delete the links, hits and conversions of these shares (a person's erasure); returns rows deleted.

        ``secure_delete`` overwrites the deleted rows' bytes in their pages (a running replica cannot afford
        the ``VACUUM`` that ``personal_data`` runs); :meth:`scrub` then empties the WAL."""
        deleted, links = 0, 0
        self.db.execute("PRAGMA secure_delete=ON")
        with self._immediate() as db:
            for share_id in share_ids:
                links += db.execute("DELETE FROM links WHERE share_id = ?", [share_id]).rowcount
                for table in ("hits", "conversions"):
                    deleted += db.execute(f"DELETE FROM {table} WHERE share_id = ?", [share_id]).rowcount
            if links:  # running click services drop their cached codes (``removals``)
                db.execute("INSERT INTO link_removals (removed_at) VALUES (?)", [time.time()])
        return deleted + links

    def scrub(self) -> bool:
        """Copy the WAL into the file and truncate it; True when it could (a reader can delay that)."""
        row = self.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
        return not (row and row[0])


_logs: dict[Path, ClickLog] = {}
_logs_lock = threading.Lock()


def open_log(path: Path) -> ClickLog:
    """The click log at ``path`` (one object per file per process; created and migrated on first use)."""
    path = Path(path)
    with _logs_lock:
        log = _logs.get(path)
        if log is None:
            log = _logs[path] = ClickLog(path)
        return log
