"""The admin audit log: who did what to the installation's data, and when.

One row per administrative act, written by the service that performs it (never
by the UI alone, so the CLI and the app leave the same trail):

| action | target | written by |
|---|---|---|
| ``account.create`` ``account.reset`` ``account.delete`` ``account.roles`` ``account.password`` | username | ``accounts`` |
| ``person.erase`` ``person.readmit`` | pseudonym of the email (``erased:…``) | ``privacy`` |
| ``person.export`` | email | ``privacy`` |
| ``import.content`` ``import.people`` | files imported | the import pipeline (``catalog``, ``people``) |
| ``policy.save`` | policy file | ``policy`` |
| ``store.backup`` ``store.restore`` ``demo.load`` | folder | ``backup``, ``demo`` |

``actor`` is the signed-in username in the app, ``cli:<system user>`` on the
command line. ``detail`` is a small JSON object (counts, roles; never a
password, never a person's data beyond the target). The log is append-only
except for erasure: when a person is erased, their email is replaced by their
pseudonym in the rows that name them (:func:`pseudonymise`), so the trail stays
readable without keeping the email.

    >>> record(store, "nadia@example.com", "account.create", "ana@example.com", {"roles": ["employee"]})
    >>> [(e["actor"], e["action"], e["target"], e["detail"]) for e in entries(store)]
    [('nadia@example.com', 'account.create', 'ana@example.com', {'roles': ['employee']})]
"""

from __future__ import annotations

import datetime as dt
import json
import os
import pwd
import re

from .store import Store

_ACTION = re.compile(r"^[a-z_]+\.[a-z_]+$")


def system_actor() -> str:
    """``cli:<user>`` for commands run on the server (the operating-system account running them)."""
    try:
        name = pwd.getpwuid(os.getuid()).pw_name
    except KeyError:
        name = str(os.getuid())
    return f"cli:{name}"


def record(store: Store, actor: str | None, action: str, target: str | None = None, detail: dict | None = None,
           now: dt.datetime | None = None) -> None:
    """Append one entry. ``action`` is ``<object>.<verb>`` (see the table above)."""
    if not _ACTION.match(action or ""):
        raise ValueError(f"audit action must look like 'object.verb', got {action!r}")
    store.execute("INSERT INTO audit_log (logged_at, actor, action, target, detail) VALUES (?, ?, ?, ?, ?)",
                  [now or dt.datetime.now(), actor or "unknown", action, target,
                   json.dumps(detail, ensure_ascii=False, default=str) if detail else None])


def entries(store: Store, action: str | None = None, actor: str | None = None, since: dt.datetime | None = None,
            limit: int = 200) -> list[dict]:
    """Newest first; ``action`` may be a prefix (``"account."``). ``detail`` comes back as a dict."""
    rows = store.rows(
        """SELECT id, logged_at, actor, action, target, detail FROM audit_log
           WHERE (? IS NULL OR starts_with(action, ?)) AND (? IS NULL OR actor = ?) AND (? IS NULL OR logged_at >= ?)
           ORDER BY logged_at DESC, id DESC LIMIT ?""",
        [action, action, actor, actor, since, since, limit])
    for row in rows:
        row["detail"] = json.loads(row["detail"]) if row["detail"] else None
    return rows


def pseudonymise(store: Store, value: str, pseudonym: str) -> int:
    """Replace ``value`` (an erased person's email) by ``pseudonym`` wherever the log names it; returns rows changed."""
    value = value.strip().lower()
    where = "lower(actor) = ? OR lower(target) = ? OR contains(lower(coalesce(detail::VARCHAR, '')), ?)"
    n = store.value(f"SELECT count(*) FROM audit_log WHERE {where}", [value, value, value])
    if n:
        store.execute(
            f"""UPDATE audit_log SET
                  actor = CASE WHEN lower(actor) = ? THEN ? ELSE actor END,
                  target = CASE WHEN lower(target) = ? THEN ? ELSE target END,
                  detail = CASE WHEN contains(lower(coalesce(detail::VARCHAR, '')), ?)
                           THEN regexp_replace(detail::VARCHAR, ?, ?, 'gi')::JSON ELSE detail END
                WHERE {where}""",
            [value, pseudonym, value, pseudonym, value, re.escape(value), pseudonym, value, value, value])
    return n
