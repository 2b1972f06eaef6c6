"""Engagement's part of one person's data (``storage.personal_data``): their shares with their events and
totals, the goals and rates they authored, and their links, hits and conversions in the click log. The
visitors' pseudonyms and the leads' CRM ids are other people's and never exported."""

from __future__ import annotations

from ..config import Settings
from ..storage.personal_data import File, Part, Person, sqlite_rewrite, sqlite_rows
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


PART = Part(
    rows={"engagement_events": ("list_contains(?::VARCHAR[], share_id)", lambda p: [list(p.share_ids)]),
          "share_totals": ("list_contains(?::VARCHAR[], share_id)", lambda p: [list(p.share_ids)]),
          "shares": ("email = ?", lambda p: [p.email])},
    authored={"campaign_goals": "created_by", "programme_rates": "updated_by"},
    hidden={"engagement_events": ("visitor", "source_key")},  # who clicked, the CRM's lead id
    kept=frozenset({"sync_state"}),
    files={"click_log": File(_clicklog_export, _clicklog_erase)})
