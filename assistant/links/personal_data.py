"""Links' part of one person's data (``storage.personal_data``): their links, hits and conversions in the
click log beside the store, and on a PostgreSQL store those the click-service replicas forwarded
(``click_hits``, ``click_conversions``). The visitors' pseudonyms and the leads' CRM ids are other people's
and never exported.

Replicas on other hosts keep their own logs: the erasure writes the person's share ids to
``click_erasures`` in its transaction, and each running replica deletes those shares from its log within
a second or two (``links.replica``; a stopped one at its next start)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from ..config import Settings
from ..storage.personal_data import File, Part, Person, sqlite_rewrite, sqlite_rows

if TYPE_CHECKING:  # annotations only
    from ..storage.store import Store
from .clicklog import open_log

_CLICKLOG_HIDDEN = {"hits": ("visitor",), "conversions": ("external_id",)}


def _clicklog_export(settings: Settings, p: Person) -> dict:
    path = settings.clicklog_path
    if not p.share_ids or not path.exists():
        return {}
    db = open_log(path).db
    return {table: [{k: v for k, v in r.items() if k not in _CLICKLOG_HIDDEN.get(table, ())}
                    for sid in p.share_ids for r in sqlite_rows(db, table, "share_id = ?", [sid])]
            for table in ("links", "hits", "conversions")}


def _clicklog_erase(settings: Settings, p: Person) -> dict:
    """Delete their links, hits and conversions, then rebuild the SQLite file and empty its WAL."""
    path = settings.clicklog_path
    if not p.share_ids or not path.exists():
        return {"deleted": 0}
    log = open_log(path)
    deleted = log.forget_shares(p.share_ids)
    return {"deleted": deleted, "wal_truncated": sqlite_rewrite(log.db)}


def _tell_replicas(store: Store, p: Person, alias: str) -> dict:
    """On PostgreSQL, one ``click_erasures`` row per erased share, for the replicas' logs."""
    if not store.postgres:
        return {}
    now = time.time()
    for share_id in p.share_ids:
        store.execute("INSERT INTO click_erasures VALUES (?, ?) ON CONFLICT DO NOTHING", [share_id, now])
    return {"click_erasures": len(p.share_ids)}


_BY_SHARE = ("list_contains(?::VARCHAR[], share_id)", lambda p: [list(p.share_ids)])
PART = Part(rows={"click_hits": _BY_SHARE, "click_conversions": _BY_SHARE},
            hidden={"click_hits": ("visitor",), "click_conversions": ("external_id",)},
            kept=frozenset({"click_replicas", "click_erasures", "click_salts"}), erase=_tell_replicas,
            files={"click_log": File(_clicklog_export, _clicklog_erase)})
