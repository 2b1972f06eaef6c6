"""Access's part of one person's data (``storage.personal_data``): accounts, sessions, interface
preferences (by username) and failed sign-in counters (kept under a hash of each username)."""

from __future__ import annotations

from ..storage.personal_data import Part, Person
from ..storage.store import Store
from . import throttle


def _counters(store: Store, p: Person) -> dict[str, list[dict]]:
    keys = [throttle._key("account", name) for name in p.usernames]
    return {"signin_throttle": store.rows(
        "SELECT * FROM signin_throttle WHERE list_contains(?::VARCHAR[], key) ORDER BY key", [keys])}


def _forget(store: Store, p: Person, alias: str) -> dict[str, int]:
    return {"signin_throttle": sum(throttle.forget(store, name) for name in p.usernames)}


PART = Part(
    rows={"sessions": ("list_contains(?::VARCHAR[], username)", lambda p: [list(p.usernames)]),
          "ui_preferences": ("list_contains(?::VARCHAR[], username)", lambda p: [list(p.usernames)]),
          "accounts": ("lower(email) = ? OR list_contains(?::VARCHAR[], username)", lambda p: [p.email, list(p.usernames)])},
    hidden={"accounts": ("password_hash",), "sessions": ("token_hash",)},
    handled=frozenset({"signin_throttle"}), export=_counters, erase=_forget)
