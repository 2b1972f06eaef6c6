"""Opt-outs' part of one person's data (``storage.personal_data``): their rows in the opt-out inbox beside
the store (``inbox``), and on PostgreSQL those forwarded from any host not folded yet (``optout_forwards``);
erasing them leaves the tombstone that kills their unsubscribe links (other hosts' inboxes get it from the
store's ``optout_erasures``: ``links.replica.pull_tombstones``)."""

from __future__ import annotations

import sqlite3
import time
from contextlib import closing
from typing import TYPE_CHECKING

from ..config import Settings
from ..storage.personal_data import File, Part, Person, sqlite_rewrite, sqlite_rows
from . import inbox, tokens

if TYPE_CHECKING:  # annotations only
    from ..storage.store import Store


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


def _tell_hosts(store: Store, p: Person, alias: str) -> dict:
    """On PostgreSQL, the person's tombstone for every host's inbox (``links.replica.pull_tombstones``), in the
    erasure's transaction: their links die there and their opt-outs are deleted there."""
    if not store.postgres:
        return {}
    settings = Settings(home=store.path.parent, database_url=store.url)  # the store's home holds its keys' cache
    store.execute("INSERT INTO optout_erasures (tombstone, erased_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                  [tokens.tombstone(settings, p.email), time.time()])
    return {"optout_erasures": 1}


PART = Part(rows={"optout_forwards": ("lower(email) = ?", lambda p: [p.email])},
            kept=frozenset({"optout_inboxes", "optout_erasures"}), erase=_tell_hosts,
            files={"optouts": File(_optouts_export, _optouts_erase)})
