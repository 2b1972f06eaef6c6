"""Installation state every process must agree on, kept in the database when the store is on PostgreSQL.

Scope and why: on the embedded DuckDB store, one machine runs everything, and the installation's keys
(``keys``), the erasure register's salt (``erased``) and the social-media policy (``writing.policy``) are files in
the home. With ``PORTE_VOIX_DATABASE_URL`` several machines run app processes, the CLI and the click service
with homes of their own; a key or a salt made by each home would split the installation (a session cookie
signed on one machine refused by another, a short link whose code differs per machine, an erased person
imported again by a machine with another salt, a policy edit applied on one machine only). So on PostgreSQL
those values live in two tables (migration ``m013_installation_state``):

* ``installation_secrets (name, value, origin, created_at)``: a 32-byte value per name, hex. Created once: the
  first writer wins atomically (``INSERT … ON CONFLICT DO NOTHING``, then read back) and a value is never
  replaced, so each process caches what it read for its lifetime. Where the home already holds the value
  (an installation moving to PostgreSQL, or one started before this table existed), that file's value is
  what the first process inserts (``origin`` = ``adopted``), so existing cookies, short links, unsubscribe
  links and erasures stay valid. Read with a plain psycopg connection (:func:`secret`), so the click
  service, which never opens the store, reads the same keys: ``SELECT value FROM installation_secrets WHERE
  name = %s`` is all another program needs.
* ``policy_versions (id, text, saved_by, saved_at)``: every saved policy, the highest id current. Each process
  checks the current id at each use (one small query per request), so an admin's save is applied by every
  process at its next request; the rows are the policy's history (who saved which text, when). A home's
  ``policy.yaml`` is adopted as version 0 while the table is empty.

What stays out of the database, and why:

* the backup signing key (``keys`` name ``backup``): it vouches for an archive made by ``porte-voix backup``; a
  key carried by the data it vouches for proves nothing, and on PostgreSQL ``porte-voix backup`` refuses
  anyway (``pg_dump``), so the key stays with the operator in the home.
* the conversions secret when ``PORTE_VOIX_CONVERSIONS_SECRET`` sets it (the value typed into the CRM).
* caches rebuilt on demand (models, extensions) and the click log and opt-out inbox of the click service,
  which are per-machine logs that the sync folds into the store.

What putting secrets in the database costs: a copy of the database (a ``pg_dump``) now holds them. The
session-cookie key alone opens no session (sessions are token hashes in the store); the links key reveals
codes of shares the copy lists anyway; the erasure salt lets whoever holds a copy and a list of candidate
emails tell which of them were erased (the embedded store keeps the salt out of the database file for that
reason). Against that, a salt per machine would let a machine import an erased person again, a failure of
the erasure itself. So dumps are to be kept like the database (deploy/README.md, "Backups").
"""

from __future__ import annotations

import datetime as dt
import secrets as random
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..config import Settings

if TYPE_CHECKING:  # the click service reads secrets here and imports no duckdb
    from .store import Store

_known: dict[tuple[str, str], bytes] = {}  # (database URL, name) -> value: never replaced, so cached for good
_lock = threading.Lock()


def locate(where: "Settings | Store | Path") -> tuple[Path, str | None]:
    """The home and PostgreSQL URL (None: the embedded store, state in files) of ``where``: the settings of an
    installation, its store, or a bare home (files only, as a laptop's home and its doctests have)."""
    if isinstance(where, Settings):
        return where.home, where.database_url
    if isinstance(where, (str, Path)):
        return Path(where), None
    return where.path.parent, where.url  # a Store: its file (or its stand-in on PostgreSQL) lies in the home


def secret(url: str, name: str, adopt: Callable[[], bytes | None], create: bool = True) -> bytes | None:
    """The installation's value ``name`` in the database at ``url``: the stored one; else ``adopt()`` (the home's
    file) or 32 random bytes, inserted unless another process inserted first (then theirs). None when there
    is none and ``create`` is False (nothing is inserted then, unless the home had a value to adopt)."""
    with _lock:
        value = _known.get((url, name))
    if value is not None:
        return value
    import psycopg  # only with a database URL

    # a host that drops packets must not hang a request (the click service asks at its first conversion)
    with psycopg.connect(url, autocommit=True, connect_timeout=5) as con:
        value = _read(con, name)
        if value is None:
            candidate, origin = adopt(), "adopted"
            if candidate is None:
                if not create:
                    return None
                candidate, origin = random.token_bytes(32), "created"
            con.execute("INSERT INTO installation_secrets (name, value, origin, created_at) VALUES (%s, %s, %s, %s) "
                        "ON CONFLICT (name) DO NOTHING", [name, candidate.hex(), origin, dt.datetime.now()])
            value = _read(con, name)  # ours, or the first writer's
    with _lock:
        _known[(url, name)] = value
    return value


def _read(con, name: str) -> bytes | None:
    row = con.execute("SELECT value FROM installation_secrets WHERE name = %s", [name]).fetchone()
    return bytes.fromhex(row[0]) if row else None


def policy_version(store: Store, adopt: Path) -> int | None:
    """The id of the current policy in the database (None: none saved), adopting the home's file ``adopt``
    as version 0 when there is none yet (first process wins, a version saved meanwhile stays current)."""
    version = store.value("SELECT max(id) FROM policy_versions")
    if version is None and adopt.is_file():
        store.execute("INSERT INTO policy_versions (id, text, saved_by, saved_at) VALUES (0, ?, ?, ?) "
                      "ON CONFLICT DO NOTHING", [adopt.read_text(encoding="utf-8"), f"file {adopt}", dt.datetime.now()])
        version = store.value("SELECT max(id) FROM policy_versions")
    return version


def policy_text(store: Store, adopt: Path) -> str | None:
    """The current policy's text in the database (None: none saved; the home's file adopted first, as above)."""
    version = policy_version(store, adopt)
    return None if version is None else store.value("SELECT text FROM policy_versions WHERE id = ?", [version])


def save_policy(store: Store, text: str, actor: str | None, now: dt.datetime | None = None) -> int:
    """Record ``text`` as the current policy, saved by ``actor``; its version id."""
    return store.value("INSERT INTO policy_versions (text, saved_by, saved_at) VALUES (?, ?, ?) RETURNING id",
                       [text, actor, now or dt.datetime.now()])
