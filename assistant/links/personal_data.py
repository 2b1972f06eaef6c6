"""Links' part of one person's data (``storage.personal_data``): their links, hits and conversions in the
click log beside the store. The visitors' pseudonyms and the leads' CRM ids are other people's and never
exported."""

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


PART = Part(files={"click_log": File(_clicklog_export, _clicklog_erase)})
