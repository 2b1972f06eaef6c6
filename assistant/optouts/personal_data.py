"""Opt-outs' part of one person's data (``storage.personal_data``): their rows in the opt-out inbox beside
the store (``inbox``); erasing them leaves the tombstone that kills their unsubscribe links."""

from __future__ import annotations

import sqlite3
from contextlib import closing

from ..config import Settings
from ..storage.personal_data import File, Part, Person, sqlite_rewrite, sqlite_rows
from . import inbox


def _optouts_export(settings: Settings, p: Person) -> dict:
    path = inbox.inbox_path(settings)
    if not path.exists():
        return {}
    with closing(sqlite3.connect(path, timeout=10)) as db:
        return {"optouts": sqlite_rows(db, "optouts", "lower(email) = ?", [p.email])}


def _optouts_erase(settings: Settings, p: Person) -> dict:
    """Delete their opt-outs and leave the tombstone that kills their unsubscribe links (``inbox.bury``)."""
    deleted = inbox.bury(settings, p.email)
    with closing(sqlite3.connect(inbox.inbox_path(settings), timeout=10, isolation_level=None)) as db:
        return {"deleted": deleted, "wal_truncated": sqlite_rewrite(db) if deleted else True}


PART = Part(files={"optouts": File(_optouts_export, _optouts_erase)})
