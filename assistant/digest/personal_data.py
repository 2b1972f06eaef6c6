"""Digests' part of one person's data (``storage.personal_data``): their deliveries, opt-outs and
preferences, the preferences they set for others, their name in failure reasons (pseudonymised), and the
opt-out inbox beside the store (``unsubscribe``), where a tombstone kills their unsubscribe links."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from ..config import Settings
from ..storage.personal_data import File, Part, Person, sqlite_rewrite, sqlite_rows
from ..storage.store import Store
from . import log, unsubscribe


def _pseudonymise_runs(store: Store, p: Person, alias: str) -> dict[str, int]:
    return {"digest_runs": log.pseudonymise(store, p.email, alias)}


def _optouts_export(settings: Settings, p: Person) -> dict:
    path = unsubscribe.inbox_path(settings)
    if not path.exists():
        return {}
    with closing(sqlite3.connect(path, timeout=10)) as db:
        return {"optouts": sqlite_rows(db, "optouts", "lower(email) = ?", [p.email])}


def _optouts_erase(settings: Settings, p: Person) -> dict:
    """Delete their opt-outs and leave the tombstone that kills their unsubscribe links (``unsubscribe.bury``)."""
    deleted = unsubscribe.bury(settings, p.email)
    with closing(sqlite3.connect(unsubscribe.inbox_path(settings), timeout=10, isolation_level=None)) as db:
        return {"deleted": deleted, "wal_truncated": sqlite_rewrite(db) if deleted else True}


PART = Part(
    rows={"digest_deliveries": ("lower(email) = ?", lambda p: [p.email]),
          "digest_optouts": ("lower(email) = ?", lambda p: [p.email]),
          "digest_preferences": ("lower(email) = ?", lambda p: [p.email])},
    authored={"digest_preferences": "updated_by"},
    kept=frozenset({"digest_runs"}), erase=_pseudonymise_runs,  # a run's counts are kept, reasons pseudonymised
    files={"optouts": File(_optouts_export, _optouts_erase)})
