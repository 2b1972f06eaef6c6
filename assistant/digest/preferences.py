"""Each employee's digest preferences: how often (weekly, every two weeks, never) and where (e-mail, Slack, Teams).

Scope: the preferences belong to the employee, like consent; an employee who
never chose gets a weekly e-mail (only once enrolled: ``consent_program``).
A channel the installation has not configured (no Slack webhook, say) falls
back to e-mail when sending, so nobody is silently dropped.

    >>> get(store, "camille@example.com")
    {'frequency': 'weekly', 'channel': 'email'}
    >>> set_preferences(store, "camille@example.com", frequency="biweekly", channel="slack", by="camille@example.com")
    >>> get(store, "camille@example.com")
    {'frequency': 'biweekly', 'channel': 'slack'}
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import TYPE_CHECKING

from ..config import Settings
from ..links import replica
from ..optouts import inbox
from ..storage import erased

if TYPE_CHECKING:  # annotations only: the store is the caller's
    from ..storage.store import Store

FREQUENCIES = ("weekly", "biweekly", "never")
CHANNELS = ("email", "slack", "teams")
DEFAULT = {"frequency": "weekly", "channel": "email"}


def get(store: Store, email: str) -> dict:
    """``{"frequency", "channel"}`` of ``email`` (defaults when never set)."""
    row = store.rows("SELECT frequency, channel FROM digest_preferences WHERE email = ?", [email.strip().lower()])
    return row[0] if row else dict(DEFAULT)


def all_preferences(store: Store) -> dict[str, dict]:
    """Everyone's saved preferences, ``{email: {"frequency", "channel"}}`` (absent: the defaults)."""
    return {r["email"]: {"frequency": r["frequency"], "channel": r["channel"]}
            for r in store.rows("SELECT email, frequency, channel FROM digest_preferences")}


def set_preferences(store: Store, email: str, frequency: str | None = None, channel: str | None = None,
                    by: str | None = None) -> None:
    """Change the frequency and/or channel; ``ValueError`` on an unknown value."""
    if frequency is not None and frequency not in FREQUENCIES:
        raise ValueError(f"unknown digest frequency {frequency!r}; use {', '.join(FREQUENCIES)}")
    if channel is not None and channel not in CHANNELS:
        raise ValueError(f"unknown digest channel {channel!r}; use {', '.join(CHANNELS)}")
    email = email.strip().lower()
    current = get(store, email)
    store.execute(
        """INSERT INTO digest_preferences (email, frequency, channel, updated_by, updated_at)
           VALUES (?, ?, ?, ?, current_timestamp)
           ON CONFLICT (email) DO UPDATE SET frequency = excluded.frequency, channel = excluded.channel,
                                             updated_by = excluded.updated_by, updated_at = excluded.updated_at""",
        [email, frequency or current["frequency"], channel or current["channel"], by])


def channels(settings: Settings) -> tuple[str, ...]:
    """The channels this installation can deliver to (e-mail always listed: it is the fallback)."""
    return ("email",) + (("slack",) if settings.slack_webhook_url else ()) + (("teams",) if settings.teams_webhook_url else ())


def effective_channel(settings: Settings, channel: str) -> str:
    """``channel`` when configured here, else e-mail."""
    return channel if channel in channels(settings) else "email"


def erase(store: Store, email: str) -> None:
    """Forget ``email``'s preferences and digest history (called when a person's data is erased)."""
    email = email.strip().lower()
    for table in ("digest_preferences", "digest_deliveries", "digest_optouts"):
        store.execute(f"DELETE FROM {table} WHERE email = ?", [email])


def fold_optouts(store: Store, settings: Settings) -> int:
    """Apply the opt-outs noted in the inbox (``optouts.inbox``) since the last fold: frequency ``never``;
    returns how many were new. Runs before every digest run and when the preferences are shown.

    Opt-outs of erased people (one that raced the erasure) are deleted from the inbox, never applied.
    On PostgreSQL, every host's (:func:`_fold_forwarded`)."""
    if store.postgres:
        return _fold_forwarded(store, settings)
    if not inbox.inbox_path(settings).exists():
        return 0
    rows = inbox.after(settings, store.value("SELECT coalesce(max(id), 0) FROM digest_optouts"))
    gone = erased.which(store, sorted({row[1] for row in rows}))
    for email in gone:
        inbox.bury(settings, email)
    rows = [row for row in rows if row[1] not in gone]
    for row_id, email, at, source in rows:
        store.execute("INSERT OR IGNORE INTO digest_optouts (id, email, opted_out_at, source) VALUES (?, ?, ?, ?)",
                      [row_id, email, dt.datetime.fromisoformat(at), source])
        set_preferences(store, email, frequency="never", by="unsubscribe-link")
    return len(rows)


def _fold_forwarded(store: Store, settings: Settings) -> int:
    """On PostgreSQL: forward this home's inbox, then apply what every host forwarded (``optout_forwards``,
    ``links.replica``) and delete it there. Each opt-out lands once in ``digest_optouts``, under an id drawn
    from its key (inbox id, local id): two folds at once write the same row, and two inboxes' local ids never
    collide. One already in ``digest_optouts`` (the same person and second: folded from this home's inbox
    before forwarding existed) is not applied again. An erased person's is deleted, never applied: the
    hosts' inboxes drop it with the tombstones (``replica.pull_tombstones``)."""
    if inbox.inbox_path(settings).exists():  # this home's (``digest unsubscribe-server``, a click service here)
        with replica.connect(settings.database_url) as con:
            replica.forward_optouts(con, settings)
    rows = store.rows("SELECT replica, local_id, email, opted_out_at AS at, source FROM optout_forwards "
                      "ORDER BY opted_out_at, replica, local_id")
    gone = erased.which(store, sorted({r["email"] for r in rows}))
    for email in gone:
        inbox.bury(settings, email)
    applied = 0
    for r in rows:
        at = dt.datetime.fromisoformat(r["at"])
        with store.transaction():
            key = [r["replica"], r["local_id"]]
            if not store.value("SELECT 1 FROM optout_forwards WHERE replica = ? AND local_id = ?", key):
                continue  # another process folded it meanwhile
            store.execute("DELETE FROM optout_forwards WHERE replica = ? AND local_id = ?", key)
            if r["email"] in gone or store.value("SELECT 1 FROM digest_optouts WHERE email = ? AND opted_out_at = ?",
                                                 [r["email"], at]):
                continue
            store.execute("INSERT INTO digest_optouts (id, email, opted_out_at, source) VALUES (?, ?, ?, ?) "
                          "ON CONFLICT DO NOTHING", [_forwarded_id(*key), r["email"], at, r["source"]])
            set_preferences(store, r["email"], frequency="never", by="unsubscribe-link")
        applied += 1
    return applied


def _forwarded_id(inbox_id: str, local_id: int) -> int:
    """``digest_optouts.id`` of a forwarded opt-out: 62 bits of a hash of its key, above 2**62 (the ids a
    home's inbox gave before are small)."""
    digest = hashlib.sha256(f"{inbox_id}:{local_id}".encode()).digest()
    return (1 << 62) | (int.from_bytes(digest[:8], "big") & ((1 << 62) - 1))
