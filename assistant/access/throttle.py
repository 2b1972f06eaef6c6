"""Sign-in throttling: per-account and per-client lockout with growing delays (OWASP ASVS 2.2.1).

Each sign-in attempt counts against two keys: the username typed (whether or not
such an account exists, so the answer never tells which accounts exist) and the
client (the browser's address as :mod:`client_address` resolves it; an unknown
address counts under one shared key, as a proxy's address would). Past a
threshold the key is locked for a while, the lock doubling with each further
failure up to a cap:

| key | free failures | first lock | cap | counter forgotten after |
|---|---|---|---|---|
| account | 5 | 60 s | 15 min | a successful sign-in, or 1 h without failure |
| client | 30 | 60 s | 15 min | 1 h without failure |

An attempt is counted as a failure **before** its password is checked
(:func:`begin`), and the lock it would start is set at the same time; a right
password then gives the failure back (:func:`succeeded`). Counting and locking
happen under one lock per database, in one transaction, so attempts sent at
the same moment are counted one by one: twelve parallel guesses get five
passwords checked, not twelve, and never a write conflict. On a PostgreSQL
store shared by several app processes the count is one atomic upsert run in
PostgreSQL (``storage.postgres``), so the processes' guesses are counted one
by one too (``tests/storage/test_postgres.py``).

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
import threading
from dataclasses import dataclass, field

from ..storage.store import Store
from ..words.catalogue import translate

UNKNOWN_CLIENT = "unknown"  # the client key of attempts whose address is unknown (all of them share it)


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
        return translate(lang, "password.throttled", wait=_duration(self.seconds_left, lang))


@dataclass
class Attempt:
    """An attempt counted by :func:`begin`: the locks it set (``key → until``) and the longest of them."""
    username: str
    client_key: str
    locks: dict[str, dt.datetime] = field(default_factory=dict)
    lock: Throttled | None = None


def _duration(seconds: int, lang: str) -> str:
    if seconds < 90:
        return f"{seconds} s"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} min"


def _key(scope: str, value: str) -> str:
    return scope + ":" + hashlib.sha256(value.strip().lower().encode("utf-8")).hexdigest()


def _keys(username: str | None, client: str | None) -> list[tuple[str, str, Rule]]:
    return [("account", _key("account", username or ""), ACCOUNT),
            ("client", _key("client", client or UNKNOWN_CLIENT), CLIENT)]


def _now(now: dt.datetime | None) -> dt.datetime:
    return now or dt.datetime.now()


_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _serial(store: Store) -> threading.Lock:
    """One lock per database file: DuckDB refuses ("Conflict on update") a second transaction writing a row
    another one has written, so the counters are written one attempt at a time (one process writes the file)."""
    with _locks_guard:
        return _locks.setdefault(str(store.path), threading.Lock())


def _locked(store: Store, keys, now: dt.datetime) -> Throttled | None:
    for scope, key, _ in keys:
        until = store.value("SELECT locked_until FROM signin_throttle WHERE key = ?", [key])
        if until is not None and until > now:
            return Throttled(scope, math.ceil((until - now).total_seconds()))
    return None


def _count(store: Store, keys, now: dt.datetime) -> tuple[dict[str, dt.datetime], Throttled | None]:
    """Count one failure on each key, in one transaction, and set the lock it starts; returns
    ``({key: locked until}, the longest lock)``. The caller holds :func:`_serial`."""
    locks: dict[str, dt.datetime] = {}
    lock = None
    with store.transaction():
        for scope, key, rule in keys:
            stale = now - dt.timedelta(seconds=rule.forget_after_s)
            failures = store.value(
                """INSERT INTO signin_throttle (key, failures, last_failure) VALUES (?, 1, ?)
                   ON CONFLICT (key) DO UPDATE SET
                     failures = CASE WHEN signin_throttle.last_failure < ? THEN 1 ELSE signin_throttle.failures + 1 END,
                     locked_until = CASE WHEN signin_throttle.last_failure < ? THEN NULL ELSE signin_throttle.locked_until END,
                     last_failure = excluded.last_failure
                   RETURNING failures""",
                [key, now, stale, stale])
            if failures >= rule.free:
                seconds = min(rule.cap_s, rule.first_lock_s * 2 ** min(failures - rule.free, 20))
                locks[key] = now + dt.timedelta(seconds=seconds)
                store.execute("UPDATE signin_throttle SET locked_until = ? WHERE key = ?", [locks[key], key])
                if lock is None or seconds > lock.seconds_left:
                    lock = Throttled(scope, seconds)
        store.execute("DELETE FROM signin_throttle WHERE last_failure < ? AND coalesce(locked_until, last_failure) < ?",
                      [now - dt.timedelta(seconds=max(ACCOUNT.forget_after_s, CLIENT.forget_after_s)), now])
    return locks, lock


def check(store: Store, username: str | None, client: str | None = None, now: dt.datetime | None = None) -> None:
    """Raise ``Throttled`` when the account or the client is locked now; else None (counts nothing)."""
    lock = _locked(store, _keys(username, client), _now(now))
    if lock is not None:
        raise lock


def begin(store: Store, username: str | None, client: str | None = None, now: dt.datetime | None = None) -> Attempt:
    """Count a sign-in attempt as a failure before its password is checked, atomically.

    Raises ``Throttled`` (counting nothing) when the account or the client is locked now. Otherwise the
    failure is counted and the lock it starts, if any, is set at once, so attempts made meanwhile are
    refused unchecked; returns the :class:`Attempt`, whose ``lock`` the caller raises when the password
    is wrong, or gives back with :func:`succeeded` when it is right.
    """
    now, keys = _now(now), _keys(username, client)
    with _serial(store):
        lock = _locked(store, keys, now)
        if lock is not None:
            raise lock
        locks, lock = _count(store, keys, now)
    return Attempt(username or "", keys[1][1], locks, lock)


def failed(store: Store, username: str | None, client: str | None = None,
           now: dt.datetime | None = None) -> Throttled | None:
    """Count one failure on both keys; returns the lock it starts (longest of the two), or None."""
    now = _now(now)
    with _serial(store):
        return _count(store, _keys(username, client), now)[1]


def succeeded(store: Store, username: str, attempt: Attempt | None = None) -> None:
    """A successful sign-in clears the account's counter, and gives the client back the failure
    :func:`begin` counted in advance (with the lock it set). Not the client's other failures: one good
    account must not reset an address that is guessing others."""
    with _serial(store), store.transaction():
        store.execute("DELETE FROM signin_throttle WHERE key = ?", [_key("account", username)])
        if attempt is not None:
            store.execute("""UPDATE signin_throttle SET failures = greatest(failures - 1, 0),
                               locked_until = CASE WHEN locked_until = ? THEN NULL ELSE locked_until END
                             WHERE key = ?""", [attempt.locks.get(attempt.client_key), attempt.client_key])


def forget(store: Store, username: str) -> int:
    """Drop the account's counter (erasure, or an admin unlocking it); returns rows deleted."""
    key = _key("account", username)
    with _serial(store):
        n = store.value("SELECT count(*) FROM signin_throttle WHERE key = ?", [key])
        store.execute("DELETE FROM signin_throttle WHERE key = ?", [key])
    return n


def failures(store: Store, username: str) -> int:
    """The failures counted now against ``username`` (0 when none)."""
    return store.value("SELECT failures FROM signin_throttle WHERE key = ?", [_key("account", username)]) or 0


def locked_keys(store: Store, now: dt.datetime | None = None) -> dict[str, int]:
    """How many accounts and clients are locked now: ``{"account": n, "client": m}`` (for the admin)."""
    rows = store.rows("SELECT split_part(key, ':', 1) AS scope, count(*) AS n FROM signin_throttle "
                      "WHERE locked_until > ? GROUP BY ALL", [_now(now)])
    return {"account": 0, "client": 0} | {r["scope"]: r["n"] for r in rows}
