r"""Admin operations on the content library and people, as the Library page needs them.

Uploads go through the same importers as the CLI (``catalog.ingest``,
``people.import_people``) so the rules and the error report are identical;
this module only stages uploaded bytes in a temporary folder under their
original names (an item's id can come from its file name) and reports the
problems without the temporary path. Editing an item or a campaign bumps
``updated_at``, which is what invalidates the cached content index.

    >>> data = b"id,title,text\njob-data-eng-lyon,Data engineer in Lyon,We hire a data engineer in Lyon.\n"
    >>> import_uploads(store, "content", [("jobs.csv", data)]).counts["added"]
    1
    >>> update_item(store, "job-data-eng-lyon", priority=2, retired=False)
    >>> store.value("SELECT priority FROM content WHERE id = ?", ["job-data-eng-lyon"])
    2
"""

from __future__ import annotations

import datetime as dt
from typing import Callable

from ..storage.store import Store
from ..words.worded import Worded
from . import people
from .catalog import LIMITS, content_hash, ingest, normalise_kind
from .importing import ImportReport
from .people import import_people
from .uploads import staged

Progress = Callable[[str, int, int], None]  # (stage, done, total)
ITEM_FIELDS = ("title", "url", "kind", "campaign", "priority", "published_at", "expires_at", "retired")
PERSON_FIELDS = ("name", "role", "team", "network_size")


def import_uploads(store: Store, target: str, files: list[tuple[str, bytes]], *, max_file_mb: float = 50.0,
                   on_file: Callable[[str], None] | None = None) -> ImportReport:
    """Import uploaded ``(name, bytes)`` files into ``"content"`` or ``"people"``; returns the ImportReport.

    Each upload is staged under its own name (``uploads.staged``: two uploads with one name never
    overwrite each other, names such as ``..`` stay inside the staging folder).
    """
    importer = {"content": ingest, "people": import_people}[target]
    with staged(files) as (paths, unstage):
        report = importer(store, paths, max_file_mb=max_file_mb,
                          on_file=(lambda p: on_file(p.name)) if on_file else None)
    report.problems = [unstage(p) for p in report.problems]
    report.refusals = [(unstage(where), reason) for where, reason in report.refusals]
    report.notes = [unstage(n) for n in report.notes]
    return report


# --- items ----------------------------------------------------------------------------

def items(store: Store, include_retired: bool = True, search: str = "") -> list[dict]:
    where = [] if include_retired else ["NOT retired"]
    params: list = []
    if search.strip():
        where.append("(title ILIKE ? OR id ILIKE ? OR coalesce(campaign, '') ILIKE ?)")
        params += [f"%{search.strip()}%"] * 3
    sql = ("SELECT id, title, kind, language, campaign, priority, published_at, expires_at, retired, url, updated_at "
           "FROM content" + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY published_at DESC NULLS LAST, id")
    return store.rows(sql, params)


def update_item(store: Store, item_id: str, **fields) -> None:

    unknown = set(fields) - set(ITEM_FIELDS)
    if unknown:
        raise ValueError(f"cannot edit {', '.join(sorted(unknown))}")
    if "title" in fields and not str(fields["title"] or "").strip():
        raise Worded("errors.title_empty")
    if "kind" in fields:
        fields["kind"] = normalise_kind(fields["kind"])
    if "campaign" in fields:
        fields["campaign"] = str(fields["campaign"] or "").strip() or None
    if "priority" in fields:
        fields["priority"] = int(fields["priority"] or 0)
    start, end = fields.get("published_at"), fields.get("expires_at")
    if start and end and end < start:
        raise Worded("errors.expires_before", end=end, start=start)
    if not fields:
        return
    sets = ", ".join(f"{k} = ?" for k in fields)
    store.execute(f"UPDATE content SET {sets}, updated_at = current_timestamp WHERE id = ?", list(fields.values()) + [item_id])


def retire(store: Store, item_id: str, retired: bool = True) -> None:
    update_item(store, item_id, retired=retired)


# --- campaigns and calendar -----------------------------------------------------------

def campaigns(store: Store) -> list[dict]:
    """One row per campaign: items, publish window (earliest start, latest end), highest priority."""
    return store.rows(
        """SELECT campaign, count(*) AS items, count(*) FILTER (WHERE NOT retired) AS active,
                  min(published_at) AS published_at, max(expires_at) AS expires_at, max(priority) AS priority
           FROM content WHERE campaign IS NOT NULL GROUP BY campaign ORDER BY campaign""")


def set_campaign(store: Store, name: str, published_at: dt.date | None = None, expires_at: dt.date | None = None,
                 priority: int | None = None, items: list[str] | None = None) -> int:
    """Apply a publish window and priority to a campaign's items (and add ``items`` to it); returns items changed."""
    name = (name or "").strip()
    if not name:
        raise Worded("errors.campaign_name_empty")
    if published_at and expires_at and expires_at < published_at:
        raise Worded("errors.campaign_dates", end=expires_at, start=published_at)
    if priority is not None and not 0 <= int(priority) <= 3:
        raise Worded("errors.priority_range")
    with store.transaction():
        for item_id in items or []:
            store.execute("UPDATE content SET campaign = ?, updated_at = current_timestamp WHERE id = ?", [name, item_id])
        store.execute(
            """UPDATE content SET published_at = coalesce(?, published_at), expires_at = coalesce(?, expires_at),
                      priority = coalesce(?, priority), updated_at = current_timestamp WHERE campaign = ?""",
            [published_at, expires_at, priority, name])
        return store.value("SELECT count(*) FROM content WHERE campaign = ?", [name])


def calendar(store: Store, start: dt.date, end: dt.date) -> list[dict]:
    """Items whose publish window meets ``[start, end]``, for a timeline (open ends clipped to the range)."""
    rows = store.rows(
        """SELECT id, title, kind, language, coalesce(campaign, 'always-on') AS campaign, priority,
                  coalesce(published_at, ?) AS starts, coalesce(expires_at, ?) AS ends
           FROM content
           WHERE NOT retired AND coalesce(published_at, ?) <= ? AND coalesce(expires_at, ?) >= ?
           ORDER BY starts, id""",
        [start, end, start, end, end, start])
    for r in rows:
        r["starts"], r["ends"] = max(r["starts"], start), min(r["ends"], end)
    return rows


# --- people ---------------------------------------------------------------------------

def people_table(store: Store) -> list[dict]:
    return store.rows(
        """SELECT email, name, role, team, languages, network_size, consent_program, consent_leaderboard,
                  consent_interviews, (SELECT count(*) FROM employee_posts p WHERE p.email = e.email) AS posts
           FROM employees e ORDER BY name""")


def update_person(store: Store, email: str, **fields) -> None:
    """Admin edits of HR fields; consent and the personal profile stay the employee's own."""
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise ValueError(f"cannot edit {', '.join(sorted(unknown))} here (consent and profile belong to the employee)")
    if "name" in fields and not str(fields["name"] or "").strip():
        raise Worded("errors.name_empty")
    people.update_fields(store, email, fields)


def update_text(store: Store, item_id: str, text: str) -> None:
    """Replace an item's text (an admin's correction, from the Library page); its vectors follow at the
    next embedding (they are keyed by the text). A re-import of the unchanged source keeps the correction."""

    text = (text or "").strip()
    if not text:
        raise Worded("errors.text_empty")
    if len(text) > LIMITS["text"]:
        raise Worded("errors.text_too_long", n=LIMITS["text"])
    title = store.value("SELECT title FROM content WHERE id = ?", [item_id])
    if title is None:
        raise LookupError(f"no content item {item_id!r}")
    store.execute("UPDATE content SET text = ?, content_hash = ?, updated_at = current_timestamp WHERE id = ?",
                  [text, content_hash(title, text), item_id])
