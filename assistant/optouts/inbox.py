"""The opt-out inbox: one-click unsubscribes noted by any process, folded into the digests' preferences.

Scope and why: the public unsubscribe route (``web.unsubscribe``, mounted by the
click service) must not write the app's DuckDB file (one writer), so an opt-out
goes to a small SQLite inbox under the home (``optouts.sqlite3``), and
``digest.preferences.fold_optouts`` moves new ones into the preferences
(frequency ``never``) before every digest run and when the preferences are shown.

An erased person's tokens are dead: the erasure (:func:`bury`) leaves a tombstone,
their keyed digest from the register of erased people (``storage.erased``), in
the inbox file, which the route checks before showing or writing anything (the
public service cannot read the store); the fold never applies an erased
person's opt-out and deletes it.

Its schema is named migrations, applied and recorded in ``_migrations`` as the store's and the click
log's are (``storage.schema_steps``); an inbox made when its tables were created ``IF NOT EXISTS``
adopts the steps whose tables it has.

    >>> from assistant.config import Settings
    >>> s = Settings(home=tmp / "inbox")
    >>> record(s, "ana@example.com", "link"), [row[1] for row in after(s, 0)]
    (True, ['ana@example.com'])
"""

from __future__ import annotations

import datetime as dt
import secrets
import sqlite3
from pathlib import Path

from ..config import Settings
from ..storage import erased, schema_steps
from . import tokens

MIGRATIONS: list[schema_steps.Step] = []
migration = schema_steps.collector(MIGRATIONS)


@migration
def o001_optouts(db: sqlite3.Connection) -> None:
    db.execute("""CREATE TABLE optouts (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL,
                  at TEXT NOT NULL, source TEXT NOT NULL)""")


@migration
def o002_tombstones(db: sqlite3.Connection) -> None:
    """The keyed digests of erased people (see :func:`bury`)."""
    db.execute("CREATE TABLE erased (digest TEXT PRIMARY KEY)")


@migration
def o003_inbox_id(db: sqlite3.Connection) -> None:
    """On a PostgreSQL store (``links.replica``): the inbox's identity for forwarding, a random id drawn once;
    the tombstones of people erased on any machine, as the store sends them (``tokens.tombstone``)."""
    db.execute("CREATE TABLE inbox (id TEXT NOT NULL)")
    db.execute("INSERT INTO inbox VALUES (?)", [secrets.token_hex(8)])
    db.execute("CREATE TABLE tombstones (tombstone TEXT PRIMARY KEY)")


def _tables_made(db: sqlite3.Connection) -> list[str]:
    """An inbox from before the named migrations: the steps whose tables it already has."""
    have = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    return [name for name, table in (("o001_optouts", "optouts"), ("o002_tombstones", "erased")) if table in have]


def inbox_path(settings: Settings) -> Path:
    return settings.home / "optouts.sqlite3"


def _inbox(settings: Settings) -> sqlite3.Connection:
    settings.home.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(inbox_path(settings), timeout=10)
    try:
        schema_steps.migrate(con, MIGRATIONS, begin="BEGIN IMMEDIATE", adopt=_tables_made)
    except BaseException:
        con.close()
        raise
    return con


def _tombstone(settings: Settings, email: str) -> str | None:
    """The erased-register digest of ``email`` (``storage.erased``), None when nobody was ever erased here.

    On PostgreSQL the salt is the store's, read once: while the store is away before that, None (the page
    answers from the inbox; the fold never applies an erased person's opt-out, and the tombstones the
    store sends, :func:`keep_tombstones`, delete it here)."""
    try:
        key = erased.salt(settings, create=False)
    except Exception as exc:  # psycopg's errors: the store is away (only with a database URL)
        if not settings.database_url or not _unavailable(exc):
            raise
        return None
    return erased.digest(settings, email) if key is not None else None


_DEAD = ("EXISTS (SELECT 1 FROM erased WHERE digest = ?) "  # buried here, or sent by the store
         "OR EXISTS (SELECT 1 FROM tombstones WHERE tombstone = ?)")


def _sent(settings: Settings, email: str) -> str | None:
    """The tombstone the store would send for ``email`` (on PostgreSQL only)."""
    return tokens.tombstone(settings, email) if settings.database_url else None


def _unavailable(exc: Exception) -> bool:
    import psycopg  # only with a database URL

    return isinstance(exc, (psycopg.OperationalError, OSError))


def identity(settings: Settings) -> str:
    """This inbox's id (``o003_inbox_id``): with the local id, the key of its opt-outs in the store."""
    con = _inbox(settings)
    try:
        return con.execute("SELECT id FROM inbox").fetchone()[0]
    finally:
        con.close()


def keep_tombstones(settings: Settings, tombstones: set[str]) -> int:
    """Make this inbox's store-sent tombstones the store's (``optout_erasures``, on PostgreSQL: ``links.replica``):
    people erased on any machine are dead here, readmitted ones alive again; the opt-outs of the dead are
    deleted (``secure_delete``). Returns the opt-outs deleted."""
    if not tombstones and not inbox_path(settings).exists():
        return 0
    with _inbox(settings) as con:
        con.execute("PRAGMA secure_delete = ON")
        have = {row[0] for row in con.execute("SELECT tombstone FROM tombstones")}
        con.executemany("INSERT OR IGNORE INTO tombstones VALUES (?)", [(t,) for t in tombstones - have])
        con.executemany("DELETE FROM tombstones WHERE tombstone = ?", [(t,) for t in have - tombstones])
        dead = [email for (email,) in con.execute("SELECT DISTINCT lower(email) FROM optouts")
                if tokens.tombstone(settings, email) in tombstones]
        deleted = sum(con.execute("DELETE FROM optouts WHERE lower(email) = ?", [email]).rowcount for email in dead)
    con.close()
    return deleted


def is_buried(settings: Settings, email: str) -> bool:
    """Whether ``email`` was erased: their tokens are dead (the public service cannot read the store's register)."""
    if not inbox_path(settings).exists():
        return False
    con = _inbox(settings)
    try:
        return con.execute(f"SELECT 1 WHERE {_DEAD}", [_tombstone(settings, email), _sent(settings, email)]
                           ).fetchone() is not None
    finally:
        con.close()


def record(settings: Settings, email: str, source: str, now: dt.datetime | None = None) -> bool:
    """Note an opt-out (from any process of the installation); False, noting nothing, for an erased person."""
    with _inbox(settings) as con:
        cur = con.execute(f"INSERT INTO optouts (email, at, source) SELECT ?, ?, ? WHERE NOT ({_DEAD})",
                          [email, (now or dt.datetime.now()).isoformat(timespec="seconds"), source,
                           _tombstone(settings, email), _sent(settings, email)])
    con.close()
    return cur.rowcount == 1


def after(settings: Settings, last: int) -> list[tuple[int, str, str, str]]:
    """``(id, email, at, source)`` of the opt-outs noted after id ``last``, oldest first (none without an inbox)."""
    if not inbox_path(settings).exists():
        return []
    con = _inbox(settings)
    try:
        return con.execute("SELECT id, email, at, source FROM optouts WHERE id > ? ORDER BY id", [last]).fetchall()
    finally:
        con.close()


def forget(settings: Settings, email: str) -> None:
    """Remove ``email``'s opt-outs from the inbox (erasure; ``digest.preferences.erase`` clears the store's side)."""
    if inbox_path(settings).exists():
        with _inbox(settings) as con:
            con.execute("DELETE FROM optouts WHERE email = ?", [email.strip().lower()])
        con.close()


def bury(settings: Settings, email: str) -> int:
    """Erasure: kill ``email``'s tokens (a tombstone, their keyed digest) and delete their opt-outs, in one
    transaction, so a click on an old link after this shows and writes nothing. Returns opt-outs deleted."""
    email = email.strip().lower()
    with _inbox(settings) as con:
        con.execute("INSERT OR IGNORE INTO erased (digest) VALUES (?)", [erased.digest(settings, email)])
        deleted = con.execute("DELETE FROM optouts WHERE lower(email) = ?", [email]).rowcount
    con.close()
    return deleted


def revive(settings: Settings, email: str) -> None:
    """The person was readmitted (``people readmit``): their new tokens work again."""
    digest = _tombstone(settings, email)
    if digest is not None and inbox_path(settings).exists():
        with _inbox(settings) as con:
            con.execute("DELETE FROM erased WHERE digest = ?", [digest])
            con.execute("DELETE FROM tombstones WHERE tombstone = ?", [_sent(settings, email)])
        con.close()
    if settings.database_url:  # every host's inbox drops it at its next turn (``links.replica``)
        import psycopg  # only with a database URL

        with psycopg.connect(settings.database_url, autocommit=True) as con:
            con.execute("DELETE FROM optout_erasures WHERE tombstone = %s", [tokens.tombstone(settings, email)])
