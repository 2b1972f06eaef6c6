"""Sign-in throttling: per-account and per-client lockout with growing delays (OWASP ASVS 2.2.1).

Each failed sign-in counts against two keys: the username typed (whether or not
such an account exists, so the answer never tells which accounts exist) and the
client (the browser's IP address, as the UI knows it). Past a threshold the key
is locked for a while, the lock doubling with each further failure up to a cap:

| key | free failures | first lock | cap | counter forgotten after |
|---|---|---|---|---|
| account | 5 | 60 s | 15 min | a successful sign-in, or 1 h without failure |
| client | 30 | 60 s | 15 min | 1 h without failure |

While a key is locked, sign-in is refused before the password is even checked
(no bcrypt work, no oracle: the right password is refused too), and the
attempt does not lengthen the lock. So 100 guesses at one account take at least
5 + the sum of the growing locks; an attacker spraying many accounts from one
address is stopped by the client key. The price, as with any lockout, is that
someone who knows a username can keep that account locked out for up to 15
minutes at a time; the admin sees it in ``locked_keys`` counts.

Keys are stored as SHA-256 digests: a password typed into the username field
by mistake is never stored in clear.

    >>> import datetime as dt
    >>> t = dt.datetime(2030, 1, 1, 9, 0)
    >>> [failed(store, "ana@example.com", "10.0.0.1", t) for _ in range(4)]
    [None, None, None, None]
    >>> lock = failed(store, "ana@example.com", "10.0.0.1", t)
    >>> (lock.scope, lock.seconds_left)
    ('account', 60)
    >>> check(store, "ana@example.com", "10.0.0.1", t + dt.timedelta(seconds=61)) is None
    True
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from dataclasses import dataclass

from ..storage.store import Store


@dataclass(frozen=True)
class Rule:
    free: int            # failures allowed before the first lock
    first_lock_s: int
    cap_s: int
    forget_after_s: int  # a counter idle this long starts over


ACCOUNT = Rule(free=5, first_lock_s=60, cap_s=15 * 60, forget_after_s=3600)
CLIENT = Rule(free=30, first_lock_s=60, cap_s=15 * 60, forget_after_s=3600)


class Throttled(PermissionError):
    """Sign-in refused for ``seconds_left`` seconds (``scope``: "account" or "client")."""

    def __init__(self, scope: str, seconds_left: int):
        self.scope = scope
        self.seconds_left = max(1, int(seconds_left))
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        wait = _duration(self.seconds_left, lang)
        if lang == "fr":
            return f"Trop de tentatives de connexion échouées : réessayez dans {wait}."
        return f"Too many failed sign-in attempts: try again in {wait}."


def _duration(seconds: int, lang: str) -> str:
    if seconds < 90:
        return f"{seconds} s"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} min"


def _key(scope: str, value: str) -> str:
    return scope + ":" + hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()


def _keys(username: str | None, client: str | None) -> list[tuple[str, str, Rule]]:
    keys = [("account", _key("account", username or ""), ACCOUNT)]
    if client:
        keys.append(("client", _key("client", client), CLIENT))
    return keys


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now()


def check(store: Store, username: str | None, client: str | None = None, now: dt.datetime | None = None) -> None:
    """Raise ``Throttled`` when the account or the client is locked now; else None."""
    now = _now(now)
    for scope, key, _ in _keys(username, client):
        until = store.value("SELECT locked_until FROM signin_throttle WHERE key = ?", [key])
        if until is not None and until > now:
            raise Throttled(scope, math.ceil((until - now).total_seconds()))


def failed(store: Store, username: str | None, client: str | None = None,
           now: dt.datetime | None = None) -> Throttled | None:
    """Count one failure on both keys; returns the lock it starts (longest of the two), or None."""
    now = _now(now)
    lock = None
    with store.transaction():
        for scope, key, rule in _keys(username, client):
            stale = now - dt.timedelta(seconds=rule.forget_after_s)
            store.execute(
                """INSERT INTO signin_throttle (key, failures, last_failure) VALUES (?, 1, ?)
                   ON CONFLICT (key) DO UPDATE SET
                     failures = CASE WHEN signin_throttle.last_failure < ? THEN 1 ELSE signin_throttle.failures + 1 END,
                     locked_until = CASE WHEN signin_throttle.last_failure < ? THEN NULL ELSE signin_throttle.locked_until END,
                     last_failure = excluded.last_failure""",
                [key, now, stale, stale])
            failures = store.value("SELECT failures FROM signin_throttle WHERE key = ?", [key])
            if failures >= rule.free:
                seconds = min(rule.cap_s, rule.first_lock_s * 2 ** min(failures - rule.free, 20))
                store.execute("UPDATE signin_throttle SET locked_until = ? WHERE key = ?",
                              [now + dt.timedelta(seconds=seconds), key])
                if lock is None or seconds > lock.seconds_left:
                    lock = Throttled(scope, seconds)
        store.execute("DELETE FROM signin_throttle WHERE last_failure < ? AND coalesce(locked_until, last_failure) < ?",
                      [now - dt.timedelta(seconds=max(ACCOUNT.forget_after_s, CLIENT.forget_after_s)), now])
    return lock


def succeeded(store: Store, username: str) -> None:
    """A successful sign-in clears the account's counter (not the client's: one good account must not
    reset an address that is guessing others)."""
    store.execute("DELETE FROM signin_throttle WHERE key = ?", [_key("account", username)])


def forget(store: Store, username: str) -> int:
    """Drop the account's counter (erasure, or an admin unlocking it); returns rows deleted."""
    key = _key("account", username)
    n = store.value("SELECT count(*) FROM signin_throttle WHERE key = ?", [key])
    store.execute("DELETE FROM signin_throttle WHERE key = ?", [key])
    return n


def locked_keys(store: Store, now: dt.datetime | None = None) -> dict[str, int]:
    """How many accounts and clients are locked now: ``{"account": n, "client": m}`` (for the admin)."""
    rows = store.rows("SELECT split_part(key, ':', 1) AS scope, count(*) AS n FROM signin_throttle "
                      "WHERE locked_until > ? GROUP BY ALL", [_now(now)])
    return {"account": 0, "client": 0} | {r["scope"]: r["n"] for r in rows}
