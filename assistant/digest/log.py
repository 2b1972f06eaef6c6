"""The record of digests: runs, and one delivery per employee and period with its status and failure reason.

Scope and why: the admin page shows when digests went out, to how many people,
and what failed and why; and the store is what makes sending idempotent. A
delivery is *claimed* before anything is sent by inserting its row, and the
``UNIQUE (email, period)`` key lets one claim win, whichever process (the
app's schedule, a cron job, an admin's click) tries. A claim that ended
``failed`` may be claimed again by a later run of the same period; ``sent`` and
``sending`` ones never are (a crash mid-send leaves ``sending``: at most once).

    >>> import datetime as dt
    >>> now = dt.datetime(2026, 12, 7, 9, 0)
    >>> run = start_run(store, "2026-W50", "cli", now)
    >>> first = claim(store, run, "ana@example.com", "2026-W50", "email", "fr", "Sujet", [], now)
    >>> claim(store, run, "ana@example.com", "2026-W50", "email", "fr", "Sujet", [], now) is None
    True
    >>> finish_delivery(store, first, False, 3, "SMTP 451 try later", now)
    >>> claim(store, run, "ana@example.com", "2026-W50", "email", "fr", "Sujet", [], now) == first
    True
"""

from __future__ import annotations

import datetime as dt
import json
import re

from ..storage.store import Store

SENDING, SENT, FAILED = "sending", "sent", "failed"


def start_run(store: Store, period: str, trigger: str, now: dt.datetime) -> int:
    return store.value("INSERT INTO digest_runs (period, trigger, started_at) VALUES (?, ?, ?) RETURNING id",
                       [period, trigger, now])


def finish_run(store: Store, run_id: int, now: dt.datetime, *, due: int, sent: int, failed: int, skipped: int,
               build_seconds: float | None = None, error: str | None = None) -> None:
    store.execute("""UPDATE digest_runs SET finished_at = ?, due = ?, sent = ?, failed = ?, skipped = ?,
                     build_seconds = ?, error = ? WHERE id = ?""",
                  [now, due, sent, failed, skipped, build_seconds, error, run_id])


def claim(store: Store, run_id: int, email: str, period: str, channel: str, language: str, subject: str,
          items: list[dict], now: dt.datetime) -> int | None:
    """The delivery id when this run may send ``email``'s digest of ``period`` now; None when another has it."""
    items_json = json.dumps(items, ensure_ascii=False)
    row = store.execute(
        """INSERT INTO digest_deliveries (run_id, email, period, channel, language, subject, items, status, created_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'sending', ?) ON CONFLICT DO NOTHING RETURNING id""",
        [run_id, email, period, channel, language, subject, items_json, now]).fetchone()
    if row:
        return row[0]
    row = store.execute(  # a failed delivery of this period: a later run tries again
        """UPDATE digest_deliveries SET run_id = ?, channel = ?, language = ?, subject = ?, items = ?, status = 'sending',
                  error = NULL WHERE email = ? AND period = ? AND status = 'failed' RETURNING id""",
        [run_id, channel, language, subject, items_json, email, period]).fetchone()
    return row[0] if row else None


def finish_delivery(store: Store, delivery_id: int, ok: bool, attempts: int, error: str | None,
                    now: dt.datetime) -> None:
    store.execute("""UPDATE digest_deliveries SET status = ?, attempts = attempts + ?, error = ?, sent_at = ?
                     WHERE id = ?""", [SENT if ok else FAILED, attempts, None if ok else error, now if ok else None,
                                       delivery_id])


def taken(store: Store, period: str, max_attempts: int | None = None) -> set[str]:
    """Emails whose digest of ``period`` is sent, being sent, or failed ``max_attempts`` times: not to build again."""
    return {r[0] for r in store.execute(
        "SELECT email FROM digest_deliveries WHERE period = ? AND (status <> 'failed' OR attempts >= ?)",
        [period, max_attempts if max_attempts is not None else 2 ** 31]).fetchall()}


def last_sent(store: Store) -> dict[str, str]:
    """Each employee's latest period with a digest sent (ISO weeks sort as text)."""
    return dict(store.execute("""SELECT email, max(period) FROM digest_deliveries
                                 WHERE status = 'sent' AND period NOT LIKE 'test:%' GROUP BY email""").fetchall())


def runs(store: Store, limit: int = 20) -> list[dict]:
    """The latest runs, newest first: period, trigger, times, due / sent / failed / skipped."""
    return store.rows("SELECT * FROM digest_runs ORDER BY started_at DESC, id DESC LIMIT ?", [limit])


def deliveries(store: Store, run_id: int | None = None, status: str | None = None, limit: int = 200) -> list[dict]:
    """Deliveries (of one run, of one status), newest first, with the failure reason."""
    where, params = [], []
    if run_id is not None:
        where.append("run_id = ?")
        params.append(run_id)
    if status:
        where.append("status = ?")
        params.append(status)
    sql = ("SELECT id, run_id, email, period, channel, language, subject, status, attempts, error, created_at, sent_at "
           f"FROM digest_deliveries {'WHERE ' + ' AND '.join(where) if where else ''} "
           "ORDER BY created_at DESC, id DESC LIMIT ?")
    return store.rows(sql, params + [limit])


def pseudonymise(store: Store, email: str, pseudonym: str) -> int:
    """Replace ``email`` (an erased person's, any case) by ``pseudonym`` in the failure reasons of runs and of
    other people's deliveries (a relay's error can name several recipients); returns rows changed. Their own
    deliveries are deleted by the erasure (``privacy``); a run's counts are kept."""
    email = email.strip().lower()
    changed = 0
    for table in ("digest_runs", "digest_deliveries"):
        changed += store.value(f"SELECT count(*) FROM {table} WHERE contains(lower(coalesce(error, '')), ?)", [email])
        store.execute(f"UPDATE {table} SET error = regexp_replace(error, ?, ?, 'gi') "
                      f"WHERE contains(lower(coalesce(error, '')), ?)", [re.escape(email), pseudonym, email])
    return changed
