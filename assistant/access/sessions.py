"""Sign-in sessions: random bearer tokens, stored only as hashes, with expiry and revocation.

A session lets a signed-in browser survive a reload (the UI keeps the token in
a cookie). The token is 32 random bytes (``secrets.token_urlsafe``); the store
keeps only its SHA-256, so a copy of the database opens no session. A session
ends at the first of: ``ABSOLUTE`` (12 h) after sign-in, ``IDLE`` (2 h) without
use, sign-out (:func:`revoke`), or any password change or account deletion
(:func:`revoke_all`, called by ``accounts``). Every call checks the account
still exists, so a role change or an erasure takes effect at the next click.

    >>> from assistant.access.accounts import create_account
    >>> _ = create_account(store, "ana@example.com", "correct horse battery", rounds=4)
    >>> token = create(store, "ana@example.com")
    >>> account_for(store, token).username
    'ana@example.com'
    >>> revoke(store, token)
    True
    >>> account_for(store, token) is None
    True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from ..storage.store import Store
from .identity import Account, get_account

ABSOLUTE = dt.timedelta(hours=12)
IDLE = dt.timedelta(hours=2)
TOUCH_EVERY = dt.timedelta(minutes=1)  # last_seen is written at most this often (no write per click)


def _digest(token: str) -> str:
    return hashlib.sha256((token or "").encode("utf-8")).hexdigest()


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now()


def create(store: Store, username: str, now: dt.datetime | None = None, lifetime: dt.timedelta = ABSOLUTE) -> str:
    """A new session for ``username``; returns the token (shown once: only its hash is stored)."""
    now = _now(now)
    username = username.strip().lower()
    if get_account(store, username) is None:
        raise LookupError(f"no account {username!r}")
    token = secrets.token_urlsafe(32)
    store.execute("INSERT INTO sessions (token_hash, username, created_at, last_seen_at, expires_at) VALUES (?, ?, ?, ?, ?)",
                  [_digest(token), username, now, now, now + lifetime])
    store.execute("DELETE FROM sessions WHERE expires_at < ? OR last_seen_at < ?", [now, now - IDLE])
    return token


def account_for(store: Store, token: str | None, now: dt.datetime | None = None) -> Account | None:
    """The account of a live session, else None (unknown, expired, idle too long, revoked, account gone)."""
    if not token:
        return None
    now = _now(now)
    rows = store.rows("SELECT username, last_seen_at, expires_at FROM sessions WHERE token_hash = ?", [_digest(token)])
    if not rows:
        return None
    row = rows[0]
    if row["expires_at"] <= now or row["last_seen_at"] + IDLE <= now:
        revoke(store, token)
        return None
    account = get_account(store, row["username"])
    if account is None:
        revoke(store, token)
        return None
    if now - row["last_seen_at"] >= TOUCH_EVERY:
        store.execute("UPDATE sessions SET last_seen_at = ? WHERE token_hash = ?", [now, _digest(token)])
    return account


def revoke(store: Store, token: str | None) -> bool:
    """End one session (sign-out); True when it existed."""
    digest = _digest(token or "")
    existed = bool(store.value("SELECT 1 FROM sessions WHERE token_hash = ?", [digest]))
    store.execute("DELETE FROM sessions WHERE token_hash = ?", [digest])
    return existed


def revoke_all(store: Store, username: str) -> int:
    """End every session of ``username`` (password change, account deletion, erasure); returns how many."""
    username = username.strip().lower()
    n = store.value("SELECT count(*) FROM sessions WHERE username = ?", [username])
    store.execute("DELETE FROM sessions WHERE username = ?", [username])
    return n


def active(store: Store, username: str, now: dt.datetime | None = None) -> int:
    """How many live sessions ``username`` has (for the admin page and tests)."""
    now = _now(now)
    return store.value("SELECT count(*) FROM sessions WHERE username = ? AND expires_at > ? AND last_seen_at > ?",
                       [username.strip().lower(), now, now - IDLE])
