"""Who may sign in, with which roles: local accounts, throttled sign-in, OIDC mapping, role checks.

Local accounts are the embedded default: a username (usually the work email),
the email of the employee it belongs to, a set of roles and a bcrypt hash of
the password (the password itself is never stored; rules in ``passwords``). An
account can hold several roles: the marketing person is also an employee.

Roles: ``employee`` (my feed, my profile), ``marketing`` (authenticity and
engagement dashboards), ``content`` (experts), ``admin`` (library, people,
campaigns, policy, accounts).

Sign-in (:func:`authenticate`) is throttled per account and per client
(``throttle``): past a few failures it raises ``Throttled`` with the seconds
left, before checking the password. A password change, a reset or a deletion
ends every session of the account (``sessions``). Creating, resetting,
deleting an account and changing roles or passwords are written to the audit
log with the actor's name.

When ``.streamlit/secrets.toml`` has an ``[auth]`` section the app also offers
Streamlit's OIDC sign-in (``st.login``); :func:`account_for_oidc` maps the
identity provider's claims to the roles stored here, and only when the
provider says the email is verified (``email_verified``). This module never
imports Streamlit: the UI calls it with what ``st.user`` says.

    >>> account = create_account(store, "camille@example.com", "correct horse battery", roles=["employee"], rounds=4)
    >>> authenticate(store, "camille@example.com", "correct horse battery", rounds=4).roles
    ('employee',)
    >>> account_for_oidc(store, {"email": "camille@example.com", "email_verified": False}) is None
    True
    >>> require(account, "admin")
    Traceback (most recent call last):
    ...
    assistant.access.accounts.Forbidden: camille@example.com does not have the admin role
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Mapping

from ..storage import audit
from ..storage.store import Store
from ..words.worded import Worded
from . import passwords, sessions, throttle
from .identity import ROLES, Account, account_from_row, get_account  # noqa: F401  (part of this module's API)
from .passwords import PasswordRejected
from .throttle import Throttled  # noqa: F401  (raised by authenticate; callers catch accounts.Throttled)

MIN_PASSWORD = passwords.MIN_LENGTH
MAX_PASSWORD_BYTES = passwords.MAX_BYTES
ROUNDS = passwords.ROUNDS  # bcrypt cost by default; the ``bcrypt_rounds`` setting lowers it in tests (never below 4)

log = logging.getLogger(__name__)


class Forbidden(PermissionError):
    """The signed-in account lacks the role (or the ownership) an action needs."""


class AccountError(Worded):
    """A bad username, password or role given when creating or changing an account (a catalogue key)."""


class WeakPassword(AccountError):
    """A password that breaks the rules; ``codes`` and ``message(lang)`` say which (see ``passwords``)."""

    def __init__(self, rejected: PasswordRejected):
        self.codes = rejected.codes
        self._rejected = rejected
        ValueError.__init__(self, str(rejected))

    def message(self, lang: str = "en") -> str:
        return self._rejected.message(lang)


def _norm(username: str | None) -> str:
    return (username or "").strip().lower()


def hash_password(password: str, rounds: int | None = None, username: str | None = None) -> str:
    """Check the rules, then hash; raises ``WeakPassword``."""
    try:
        passwords.check_password(password, username)
        return passwords.hash_password(password, rounds or ROUNDS)
    except PasswordRejected as exc:
        raise WeakPassword(exc) from None


def _clean_roles(roles) -> list[str]:
    roles = [str(r).strip().lower() for r in roles if str(r).strip()]
    unknown = sorted(set(roles) - set(ROLES))
    if unknown:
        raise AccountError("errors.unknown_roles", roles=", ".join(unknown), known=", ".join(ROLES))
    if not roles:
        raise AccountError("errors.no_role")
    return [r for r in ROLES if r in roles]


def create_account(store: Store, username: str, password: str, roles=("employee",), email: str | None = None,
                   replace: bool = False, rounds: int | None = None, actor: str | None = None) -> Account:
    """Create (or, with ``replace``, reset: sessions end) an account; returns it.

    Raises ``AccountError`` (``WeakPassword`` for a password that breaks the rules). Audited as
    ``account.create`` or ``account.reset`` by ``actor``.
    """
    username = _norm(username)
    if not username:
        raise AccountError("errors.username_empty")
    email = (email or (username if "@" in username else None) or None)
    email = email.strip().lower() if email else None
    roles = _clean_roles(roles)
    digest = hash_password(password, rounds, username)
    exists = store.value("SELECT 1 FROM accounts WHERE username = ?", [username])
    if exists and not replace:
        raise AccountError("errors.account_exists", name=username)
    with store.transaction():
        store.execute("DELETE FROM accounts WHERE username = ?", [username])
        store.execute("INSERT INTO accounts (username, email, roles, password_hash) VALUES (?, ?, ?, ?)",
                      [username, email, roles, digest])
        if exists:
            sessions.revoke_all(store, username)
        audit.record(store, actor, "account.reset" if exists else "account.create", username, {"roles": roles})
    return Account(username, email, tuple(roles))


def ensure_account(store: Store, username: str, password: str, roles, email: str | None = None,
                   rounds: int | None = None, actor: str | None = None) -> bool:
    """Create the account unless it exists (idempotent); True when created now."""
    if store.value("SELECT 1 FROM accounts WHERE username = ?", [_norm(username)]):
        return False
    create_account(store, username, password, roles, email, rounds=rounds, actor=actor)
    return True


def authenticate(store: Store, username: str, password: str, rounds: int | None = None, client: str | None = None,
                 now: dt.datetime | None = None) -> Account | None:
    """The account when the password matches, else None; raises ``Throttled`` while locked out.

    ``client`` identifies the caller (the browser's address, ``client_address``; None when unknown: such
    attempts share one client key) for per-client throttling. The attempt is counted before the password
    is checked, atomically (``throttle.begin``), so parallel guesses cannot outrun the lock. Unknown
    usernames cost the same bcrypt work and count against the throttle like known ones. The failure
    that starts a lock raises ``Throttled`` at once, so the person learns how long to wait.
    """
    username = _norm(username)
    attempt = throttle.begin(store, username, client, now)  # counted as a failure before the password is checked
    rows = store.rows("SELECT * FROM accounts WHERE username = ?", [username])
    digest = rows[0]["password_hash"] if rows else passwords.dummy_hash(max(4, rounds or ROUNDS))
    if passwords.verify(password, digest) and rows:
        throttle.succeeded(store, username, attempt)
        return account_from_row(rows[0])
    if attempt.lock is not None:
        log.warning("sign-in locked for %s s (%s key) after repeated failures", attempt.lock.seconds_left,
                    attempt.lock.scope)
        raise attempt.lock
    return None


def account_for_email(store: Store, email: str) -> Account | None:
    """Roles for an email already proven by an identity provider; None when unknown.

    Use :func:`account_for_oidc` with the provider's claims: it checks ``email_verified`` first.
    """
    email = _norm(email)
    if not email:
        return None
    rows = store.rows("SELECT username, email, roles FROM accounts WHERE email = ? ORDER BY username", [email])
    if rows:
        return account_from_row(rows[0])
    if store.value("SELECT 1 FROM employees WHERE email = ?", [email]):
        return Account(email, email, ("employee",))
    return None


def email_verified(claims: Mapping) -> bool:
    """Whether OIDC ``claims`` assert a verified email (``true``, or the string "true" some providers send)."""
    value = claims.get("email_verified") if isinstance(claims, Mapping) else None
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def account_for_oidc(store: Store, claims: Mapping) -> Account | None:
    """The account for an identity provider's ``claims`` (``st.user``), or None.

    None when the email is missing or not verified by the provider (anyone can register an
    unverified address at some providers), or when no account or employee has that email.
    """
    if not email_verified(claims):
        return None
    return account_for_email(store, str(claims.get("email") or ""))


def list_accounts(store: Store) -> list[dict]:
    return store.rows("SELECT username, email, roles, created_at FROM accounts ORDER BY username")


def set_roles(store: Store, username: str, roles, actor: str | None = None) -> None:
    username, roles = _norm(username), _clean_roles(roles)
    with store.transaction():
        store.execute("UPDATE accounts SET roles = ? WHERE username = ?", [roles, username])
        audit.record(store, actor, "account.roles", username, {"roles": roles})


def change_password(store: Store, username: str, password: str, rounds: int | None = None,
                    actor: str | None = None) -> int:
    """Set a new password and end every session of the account; returns the sessions ended.

    Raises ``WeakPassword``. The caller signs the person in again if they changed their own.
    """
    username = _norm(username)
    digest = hash_password(password, rounds, username)
    if get_account(store, username) is None:
        raise AccountError("errors.no_account", name=username)
    with store.transaction():
        store.execute("UPDATE accounts SET password_hash = ? WHERE username = ?", [digest, username])
        ended = sessions.revoke_all(store, username)
        throttle.forget(store, username)
        audit.record(store, actor, "account.password", username)
    return ended


def delete_account(store: Store, username: str, actor: str | None = None) -> bool:
    """Delete the account and end its sessions (the employee record stays); True when it existed."""
    username = _norm(username)
    existed = get_account(store, username) is not None
    with store.transaction():
        store.execute("DELETE FROM accounts WHERE username = ?", [username])
        sessions.revoke_all(store, username)
        if existed:
            audit.record(store, actor, "account.delete", username)
    return existed


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
