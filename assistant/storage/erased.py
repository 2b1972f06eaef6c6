"""The register of erased people: salted hashes, so an erasure sticks without keeping the email.

After an erasure nothing stored may name the person, yet the next HR import
must not bring them back as if nothing happened. So the store keeps, in
``erased_people``, an HMAC-SHA256 of the lower-cased email keyed by a random
salt that lives in the home (``<home>/erasure.salt``, 32 bytes, 0600), not in
the database: a copy of the database alone cannot be tested against a list of
emails. On PostgreSQL, where machines with homes of their own share the store,
the salt lives in the database instead (``installation``, which says what that
costs): a salt per home would hash one email two ways, and a machine would
import again a person erased on another. The home's file, where there is one,
is the value the database adopts. An import asks :func:`is_erased` and rejects the row (the person must
opt in again: an admin runs ``porte-voix people readmit EMAIL`` at their
request, which calls :func:`readmit`). The backup copies the salt with the
database; a home restored without it forgets who was erased.

The same keyed hash names the person in the audit log (:func:`pseudonym`).

It is written with ``hmac``, not with the installation's signer (``assistant.signing``,
itsdangerous): it is a keyed hash looked up by value, not a signature carried and
checked, and a signer derives its key from a salt, so its digests would differ from
the ones already stored and every past erasure would be forgotten.

    >>> is_erased(store, "ana@example.com")
    False
    >>> remember(store, "Ana@Example.com")
    >>> is_erased(store, "ana@example.com"), pseudonym(store, "ana@example.com")[:7]
    (True, 'erased:')
    >>> which(store, ["ana@example.com", "bo@example.com"])
    {'ana@example.com'}
    >>> readmit(store, "ana@example.com"), is_erased(store, "ana@example.com")
    (True, False)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import TYPE_CHECKING

from ..words.catalogue import translate
from . import installation

if TYPE_CHECKING:  # the public click service checks tombstones with this module and imports no duckdb
    from .store import Store

SALT_FILE = "erasure.salt"
REJECTION = translate("en", "errors.erased")  # the import refusal (imports.people), as logs and the CLI read it


def salt_path(home: Path) -> Path:
    return Path(home) / SALT_FILE


def salt(where: installation.Settings | Store | Path, create: bool = True) -> bytes | None:
    """The installation's salt (``where``: its settings, its store, or a home), created (0600, atomically) on
    first need; None when absent and ``create`` is False. On PostgreSQL, the database's (see above)."""
    home, url = installation.locate(where)
    if url:
        return installation.secret(url, "erasure-salt", adopt=lambda: salt(home, create=False), create=create)
    path = salt_path(home)
    try:
        return path.read_bytes()
    except FileNotFoundError:
        if not create:
            return None
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process made it first
        return path.read_bytes()
    with os.fdopen(fd, "wb") as out:
        out.write(secrets.token_bytes(32))
        out.flush()
        os.fsync(out.fileno())
    return path.read_bytes()


def _digest(key: bytes, email: str) -> str:
    return hmac.new(key, email.strip().lower().encode("utf-8"), hashlib.sha256).hexdigest()


def digest(where: installation.Settings | Store | Path, email: str) -> str:
    """The keyed hash stored for ``email`` (creates the salt when needed)."""
    return _digest(salt(where), email)


def pseudonym(where: installation.Settings | Store | Path, email: str) -> str:
    """A stable stand-in for an erased person in logs: ``erased:`` + 12 hex digits of their keyed hash."""
    return "erased:" + digest(where, email)[:12]


def remember(store: Store, email: str, now: dt.datetime | None = None) -> None:
    """Record that ``email`` was erased (idempotent)."""
    store.execute("INSERT INTO erased_people (digest, erased_at) VALUES (?, ?) ON CONFLICT DO NOTHING",
                  [digest(store, email), now or dt.datetime.now()])


def is_erased(store: Store, email: str) -> bool:
    """Whether ``email`` was erased and not readmitted (imports skip such people)."""
    key = salt(store, create=False)
    if key is None:  # no salt: nobody was ever erased in this home
        return False
    return bool(store.value("SELECT 1 FROM erased_people WHERE digest = ?", [_digest(key, email)]))


def which(store: Store, emails: list[str]) -> set[str]:
    """The erased ones among ``emails`` (one query for a whole import batch)."""
    key = salt(store, create=False)
    if key is None or not emails:
        return set()
    digests = {_digest(key, e): e for e in emails}
    found = store.rows("SELECT digest FROM erased_people WHERE list_contains(?::VARCHAR[], digest)", [list(digests)])
    return {digests[r["digest"]] for r in found}


def readmit(store: Store, email: str) -> bool:
    """Forget the erasure of ``email`` (they opted in again); True when they were in the register."""
    key = salt(store, create=False)
    if key is None:
        return False
    value = _digest(key, email)
    found = bool(store.value("SELECT 1 FROM erased_people WHERE digest = ?", [value]))
    store.execute("DELETE FROM erased_people WHERE digest = ?", [value])
    return found


def count(store: Store) -> int:
    return store.value("SELECT count(*) FROM erased_people")
