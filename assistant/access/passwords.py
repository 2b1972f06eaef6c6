"""Password rules and bcrypt hashes for local accounts (OWASP ASVS level 1, section 2.1).

A password must be at least ``MIN_LENGTH`` (12) characters, at most 72 bytes
(bcrypt's limit, refused rather than silently cut), and not guessable: not in
the list of common passwords shipped with the product, not one character or a
keyboard/digit run repeated, not the account's own name. Any character is
allowed (spaces, accents, emoji), so a passphrase is the easy way through.

The common-password list (``assistant/access/common-passwords.txt``, 19,640 entries,
lower-cased) is Django 5.2's ``django/contrib/auth/common-passwords.txt.gz``
(BSD-3-Clause), itself Royce Williams' list of the 20,000 most common passwords
in public breach corpora. It is compared case-insensitively. Entries shorter
than 12 characters are already refused by the length rule; the list catches the
long ones ("1q2w3e4r5t6y", "qwerty123456", "123456789123", …).

    >>> problems("correct horse battery")
    []
    >>> problems("password")
    ['too short: at least 12 characters']
    >>> problems("QWERTY123456")
    ['too common: it is in the list of common passwords']
    >>> problems("ana@example.com", username="ana@example.com")
    ['too guessable: it contains your username']
    >>> problems("password", lang="fr")
    ['trop court : au moins 12 caractères']
    >>> check_password("correct horse battery") == "correct horse battery"
    True
    >>> verify("correct horse battery", hash_password("correct horse battery", rounds=4))
    True
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import bcrypt

from ..words.catalogue import translate

MIN_LENGTH = 12
MAX_BYTES = 72     # bcrypt ignores (bcrypt >= 5: refuses) anything longer
ROUNDS = 12        # bcrypt cost by default; the ``bcrypt_rounds`` setting lowers it in tests (never below 4)
_RUNS = ("0123456789012345678901234567890", "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyz",
         "qwertyuiopqwertyuiopqwertyuiop", "azertyuiopazertyuiopazertyuiop", "asdfghjklasdfghjklasdfghjkl",
         "zxcvbnmzxcvbnmzxcvbnm", "9876543210987654321098765432109")


class PasswordRejected(ValueError):
    """A password that breaks rules; ``codes`` lists them, :meth:`message` says them in French or English."""

    def __init__(self, codes: list[str]):
        self.codes = codes
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        return translate(lang, "password.refused", reasons="; ".join(_reason(code, lang) for code in self.codes))


@lru_cache(maxsize=1)
def common_passwords() -> frozenset[str]:
    """The shipped list of common passwords, lower-cased (loaded once)."""
    text = resources.files("assistant.access").joinpath("common-passwords.txt").read_text(encoding="utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip())


def _is_run(text: str) -> bool:
    """One character repeated, or a stretch of a digit/alphabet/keyboard run (forwards)."""
    if len(set(text)) <= 2:
        return True
    return any(text in run for run in _RUNS)


def problem_codes(password: str, username: str | None = None) -> list[str]:
    """Codes of the rules ``password`` breaks: ``short``, ``long``, ``common``, ``run``, ``username``."""
    password = password or ""
    found = []
    if len(password) < MIN_LENGTH:
        found.append("short")
    if len(password.encode("utf-8")) > MAX_BYTES:
        found.append("long")
    if found:
        return found
    folded = password.strip().lower()
    if folded in common_passwords():
        found.append("common")
    elif _is_run(folded):
        found.append("run")
    name = (username or "").strip().lower()
    if name and (name in folded or (len(local := name.split("@")[0]) >= 4 and local in folded)):
        found.append("username")
    return found


def problems(password: str, username: str | None = None, lang: str = "en") -> list[str]:
    """Every rule ``password`` breaks, as sentences in ``lang`` (fr or en); empty list: acceptable."""
    return [_reason(code, lang) for code in problem_codes(password, username)]


def _reason(code: str, lang: str) -> str:
    """The rule ``code`` as a sentence in ``lang`` (the catalogue's ``password.*``)."""
    return translate(lang, f"password.{code}", n={"short": MIN_LENGTH, "long": MAX_BYTES}.get(code, ""))


def check_password(password: str, username: str | None = None) -> str:
    """``password`` when it follows the rules; raises ``PasswordRejected`` with every reason otherwise."""
    found = problem_codes(password, username)
    if found:
        raise PasswordRejected(found)
    return password


def hash_password(password: str, rounds: int | None = None) -> str:
    """A bcrypt hash (the password itself is never stored). Checks only bcrypt's byte limit."""
    data = password.encode("utf-8")
    if len(data) > MAX_BYTES:
        raise PasswordRejected(["long"])
    return bcrypt.hashpw(data, bcrypt.gensalt(max(4, rounds or ROUNDS))).decode("ascii")


def verify(password: str, digest: str) -> bool:
    """Whether ``password`` matches the bcrypt ``digest`` (False for over-long input, never an error)."""
    data = (password or "").encode("utf-8")
    if len(data) > MAX_BYTES:
        return False
    return bcrypt.checkpw(data, digest.encode("ascii"))


@lru_cache(maxsize=4)
def dummy_hash(rounds: int) -> str:
    """A hash to check against when the account does not exist, so unknown names cost the same time."""
    return hash_password("not-a-password-of-anyone", rounds)
