"""Who an account is: its username, the employee's email and its roles, read from the store.

Split from ``accounts`` (passwords, throttling, audit) so that ``sessions`` can resolve a
token to an ``Account`` without importing the module that revokes sessions.

>>> Account("ana@example.com", "ana@example.com", ("employee", "admin")).has("admin")
True
"""

from __future__ import annotations

from dataclasses import dataclass

from ..storage.store import Store

ROLES = ("employee", "marketing", "content", "admin")


@dataclass(frozen=True)
class Account:
    username: str
    email: str | None
    roles: tuple[str, ...]

    def has(self, role: str) -> bool:
        return role in self.roles


def account_from_row(row: dict) -> Account:
    return Account(row["username"], row["email"], tuple(r for r in ROLES if r in (row["roles"] or [])))


def get_account(store: Store, username: str) -> Account | None:
    rows = store.rows("SELECT username, email, roles FROM accounts WHERE username = ?", [(username or "").strip().lower()])
    return account_from_row(rows[0]) if rows else None
