"""Who may sign in, with which roles: local accounts with bcrypt hashes, and role checks.

Local accounts are the embedded default: a username (usually the work email),
the email of the employee it belongs to, a set of roles and a bcrypt hash of
the password (the password itself is never stored). An account can hold
several roles: the marketing person is also an employee.

Roles: ``employee`` (my feed, my profile), ``marketing`` (authenticity and
engagement dashboards), ``content`` (experts), ``admin`` (library, people,
campaigns, policy, accounts).

When ``.streamlit/secrets.toml`` has an ``[auth]`` section the app also offers
Streamlit's OIDC sign-in (``st.login``); the identity provider proves the
email and :func:`account_for_email` maps it to the roles stored here (an email
with no account but an employee record gets ``employee``). This module never
imports Streamlit: the UI calls it with what ``st.user`` says.

    >>> account = create_account(store, "camille@example.com", "s3cret-pass", roles=["employee"], rounds=4)
    >>> authenticate(store, "camille@example.com", "s3cret-pass", rounds=4).roles
    ('employee',)
    >>> require(account, "admin")
    Traceback (most recent call last):
    ...
    assistant.accounts.Forbidden: camille@example.com does not have the admin role
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import bcrypt

from .store import Store

ROLES = ("employee", "marketing", "content", "admin")
MIN_PASSWORD = 8
MAX_PASSWORD_BYTES = 72  # bcrypt ignores (bcrypt>=5: refuses) anything longer
ROUNDS = 12  # bcrypt cost by default; the ``bcrypt_rounds`` setting lowers it in tests (never below 4)


class Forbidden(PermissionError):
    """The signed-in account lacks the role (or the ownership) an action needs."""


class AccountError(ValueError):
    """A bad username, password or role given when creating or changing an account."""


@dataclass(frozen=True)
class Account:
    username: str
    email: str | None
    roles: tuple[str, ...]

    def has(self, role: str) -> bool:
        return role in self.roles


def hash_password(password: str, rounds: int | None = None) -> str:
    data = password.encode("utf-8")
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"password too short: at least {MIN_PASSWORD} characters")
    if len(data) > MAX_PASSWORD_BYTES:
        raise AccountError(f"password too long: at most {MAX_PASSWORD_BYTES} bytes")
    return bcrypt.hashpw(data, bcrypt.gensalt(max(4, rounds or ROUNDS))).decode("ascii")


def _clean_roles(roles) -> list[str]:
    roles = [str(r).strip().lower() for r in roles if str(r).strip()]
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise AccountError(f"unknown role(s) {', '.join(unknown)}; use {', '.join(ROLES)}")
    if not roles:
        raise AccountError("an account needs at least one role")
    return [r for r in ROLES if r in roles]


def _row_to_account(row: dict) -> Account:
    return Account(row["username"], row["email"], tuple(r for r in ROLES if r in (row["roles"] or [])))


def create_account(store: Store, username: str, password: str, roles=("employee",), email: str | None = None,
                   replace: bool = False, rounds: int | None = None) -> Account:
    """Create (or, with ``replace``, reset) an account; returns it. Raises ``AccountError``."""
    username = username.strip().lower()
    if not username:
        raise AccountError("username is empty")
    email = (email or (username if "@" in username else None) or None)
    email = email.strip().lower() if email else None
    roles = _clean_roles(roles)
    digest = hash_password(password, rounds)
    exists = store.value("SELECT 1 FROM accounts WHERE username = ?", [username])
    if exists and not replace:
        raise AccountError(f"account {username!r} already exists")
    with store.transaction():
        store.execute("DELETE FROM accounts WHERE username = ?", [username])
        store.execute("INSERT INTO accounts (username, email, roles, password_hash) VALUES (?, ?, ?, ?)",
                      [username, email, roles, digest])
    return Account(username, email, tuple(roles))


def ensure_account(store: Store, username: str, password: str, roles, email: str | None = None,
                   rounds: int | None = None) -> bool:
    """Create the account unless it exists (idempotent); True when created now."""
    if store.value("SELECT 1 FROM accounts WHERE username = ?", [username.strip().lower()]):
        return False
    create_account(store, username, password, roles, email, rounds=rounds)
    return True


@lru_cache(maxsize=4)
def _dummy_hash(rounds: int) -> bytes:
    return bcrypt.hashpw(b"not-a-password", bcrypt.gensalt(max(4, rounds)))


def authenticate(store: Store, username: str, password: str, rounds: int | None = None) -> Account | None:
    """The account when the password matches, else None (same work done for unknown users)."""
    rows = store.rows("SELECT * FROM accounts WHERE username = ?", [(username or "").strip().lower()])
    data = (password or "").encode("utf-8")
    if len(data) > MAX_PASSWORD_BYTES:
        return None
    if not rows:
        bcrypt.checkpw(data, _dummy_hash(rounds or ROUNDS))
        return None
    if not bcrypt.checkpw(data, rows[0]["password_hash"].encode("ascii")):
        return None
    return _row_to_account(rows[0])


def get_account(store: Store, username: str) -> Account | None:
    rows = store.rows("SELECT username, email, roles FROM accounts WHERE username = ?", [username.strip().lower()])
    return _row_to_account(rows[0]) if rows else None


def account_for_email(store: Store, email: str) -> Account | None:
    """Roles for an email proven by an identity provider (OIDC); None when unknown."""
    email = (email or "").strip().lower()
    if not email:
        return None
    rows = store.rows("SELECT username, email, roles FROM accounts WHERE email = ? ORDER BY username", [email])
    if rows:
        return _row_to_account(rows[0])
    if store.value("SELECT 1 FROM employees WHERE email = ?", [email]):
        return Account(email, email, ("employee",))
    return None


def list_accounts(store: Store) -> list[dict]:
    return store.rows("SELECT username, email, roles, created_at FROM accounts ORDER BY username")


def set_roles(store: Store, username: str, roles) -> None:
    store.execute("UPDATE accounts SET roles = ? WHERE username = ?", [_clean_roles(roles), username.strip().lower()])


def change_password(store: Store, username: str, password: str, rounds: int | None = None) -> None:
    store.execute("UPDATE accounts SET password_hash = ? WHERE username = ?",
                  [hash_password(password, rounds), username.strip().lower()])


def delete_account(store: Store, username: str) -> None:
    store.execute("DELETE FROM accounts WHERE username = ?", [username.strip().lower()])


def require(account: Account | None, role: str) -> Account:
    """The account when it holds ``role``; raises ``Forbidden`` otherwise (server-side check)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}")
    if account is None:
        raise Forbidden("sign in first")
    if not account.has(role):
        raise Forbidden(f"{account.username} does not have the {role} role")
    return account


def require_self(account: Account | None, email: str) -> str:
    """``email`` when it is the signed-in employee's own; raises ``Forbidden`` otherwise.

    An employee sees and changes only their own drafts, posts and profile,
    whatever other roles they hold.
    """
    require(account, "employee")
    email = (email or "").strip().lower()
    if not account.email or account.email != email:
        raise Forbidden(f"{account.username} may only read or change their own data")
    return email
