"""Signed values: what the installation hands out and must recognise as its own (``itsdangerous``).

One :class:`itsdangerous.Signer` per purpose (``session``, ``unsubscribe``…), each with the purpose as its
salt, so a value signed for one purpose is refused for another even under the same key. The signature is
HMAC-SHA256, base64url, after a ``.``: ``<value>.<signature>``.

What does not go through here, and why: the conversions webhook's ``v1=<hex>`` over ``<timestamp>.<body>``
(``links/conversions.py``: a wire format other systems implement, which a signer cannot produce);
the register of erased people (``storage/erased.py``: a keyed hash looked up by value, not a signature, and
changing it would forget who was erased); the backup manifest (``storage/backup.py``: backups already made
carry ``hmac-sha256:<hex>`` and must still restore).

    >>> signed = sign(b"k" * 32, "session", "tok")
    >>> unsign(b"k" * 32, "session", signed), unsign(b"k" * 32, "unsubscribe", signed), unsign(b"x" * 32, "session", signed)
    ('tok', None, None)
    >>> unsign(b"k" * 32, "session", "tok.forged"), unsign(b"k" * 32, "session", None)
    (None, None)
"""

from __future__ import annotations

import hashlib

from itsdangerous import BadSignature, Signer

MAX_CHARS = 512  # longer input is refused before any work (a cookie, a token in a link)


def signer(key: bytes, purpose: str) -> Signer:
    """The signer of ``purpose`` under ``key`` (an installation key, ``storage.keys``)."""
    return Signer(key, salt=f"porte-voix.{purpose}", digest_method=hashlib.sha256)


def sign(key: bytes, purpose: str, value: str) -> str:
    """``value`` with its signature: ``<value>.<signature>``."""
    return signer(key, purpose).sign(value).decode("ascii")


def unsign(key: bytes, purpose: str, signed: str | None) -> str | None:
    """The value inside ``signed``, or None when it is missing, too long, malformed or not signed by us."""
    if not signed or len(signed) > MAX_CHARS:
        return None
    try:
        return signer(key, purpose).unsign(signed).decode("utf-8") or None
    except (BadSignature, UnicodeError):
        return None
