"""Personal data, declared by the feature that stores it.

Each feature package names its own part of one person's data in a ``personal_data`` module: the
tables holding their rows and how to select them, author columns to clear, columns never exported,
tables with nothing personal, special handling, and files beside the store. ``app.privacy`` exports
and erases the union of the parts and knows no table itself; ``tests/app/test_privacy.py`` fails when a
table of the store is declared by no part, so a table added later cannot escape export and erasure.

    >>> Part(rows={"drafts": ("email = ?", lambda p: [p.email])}).tables()
    {'drafts'}
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from . import audit

if TYPE_CHECKING:  # annotations only
    from ..config import Settings
    from .store import Store


@dataclass(frozen=True)
class Person:
    """Who is exported or erased: the email, the usernames of their accounts, the ids of their shares."""
    email: str
    usernames: tuple[str, ...]
    share_ids: tuple[str, ...]


@dataclass(frozen=True)
class File:
    """Personal data in a file beside the store: ``export(settings, person) -> {table: rows}``,
    ``erase(settings, person) -> {"deleted": n, ...}`` (must leave no byte of the person in the file)."""
    export: Callable[[Settings, Person], dict]
    erase: Callable[[Settings, Person], dict]


@dataclass(frozen=True)
class Part:
    """One feature's share of a person's data.

    ``rows``: table → (WHERE selecting the person's rows, its parameters from a :class:`Person`), deleted in
    this order; ``authored``: table → author column set to NULL; ``hidden``: table → columns never exported
    (secrets, other people's ids); ``kept``: tables with nothing personal (mentions only); ``handled``: tables
    that ``export`` (``{table: rows}``) and ``erase`` take care of: ``erase(store, person, pseudonym) ->
    {table: rows changed}`` runs inside the erasure's transaction after every part's rows are deleted,
    ``erase_before`` the same before (for what needs those rows, e.g. the texts behind vectors);
    ``files``: name → :class:`File`.
    """
    rows: dict[str, tuple[str, Callable[[Person], list]]] = field(default_factory=dict)
    authored: dict[str, str] = field(default_factory=dict)
    hidden: dict[str, tuple[str, ...]] = field(default_factory=dict)
    kept: frozenset[str] = frozenset()
    handled: frozenset[str] = frozenset()
    export: Callable[[Store, Person], dict[str, list[dict]]] | None = None
    erase: Callable[[Store, Person, str], dict[str, int]] | None = None
    erase_before: Callable[[Store, Person, str], dict[str, int]] | None = None
    files: dict[str, File] = field(default_factory=dict)

    def tables(self) -> set[str]:
        """Every table of the store this part declares."""
        return set(self.rows) | set(self.authored) | set(self.kept) | set(self.handled)


def sqlite_rows(db: sqlite3.Connection, table: str, where: str, params: list) -> list[dict]:
    """Rows of a SQLite file beside the store (the click log, the opt-out inbox) as dicts."""
    cur = db.execute(f"SELECT * FROM {table} WHERE {where}", params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def sqlite_rewrite(db: sqlite3.Connection) -> bool:
    """Rebuild a SQLite file after deletions and empty its WAL; True when the WAL could be emptied
    (a reader in another process can delay that until its next checkpoint)."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("VACUUM")  # rewrites every page: freed pages no longer hold the deleted rows
    row = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return not (row and row[0])


def _pseudonymise_audit(store: Store, p: Person, alias: str) -> dict[str, int]:
    return {"audit_log": sum(audit.pseudonymise(store, name, alias) for name in p.usernames)}


# the store's own tables: the audit log names people (pseudonymised), the policy's versions their saver (cleared);
# bookkeeping, the erasure register and the installation's secrets do not
PART = Part(kept=frozenset({"_migrations", "erased_people", "installation_secrets"}), handled=frozenset({"audit_log"}),
            authored={"policy_versions": "saved_by"}, erase=_pseudonymise_audit)
