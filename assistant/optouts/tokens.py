"""Unsubscribe tokens: who a one-click unsubscribe link is for, signed so nobody can forge one.

Tokens need no table: ``base64url(email)`` signed by the installation's signer
(``assistant.signing``: itsdangerous, HMAC-SHA256, purpose ``unsubscribe``) under
the installation key ``unsubscribe`` (``keys.key``), so any process of the
installation can check one (the public service as the app), and nobody can
forge one for somebody else.

Links in digests sent before tokens were signed this way carry
``base64url(email) "." base64url(HMAC-SHA256(key, email))[:22]``: :func:`email_of`
still accepts them (:func:`_earlier_form`), since a link in an e-mail already
sent must keep working for as long as people keep the e-mail.

    >>> from assistant.config import Settings
    >>> s = Settings(home=tmp / "h")
    >>> t = token(s, "Ana@Example.com")
    >>> email_of(s, t), email_of(s, t[:-2] + "xx"), email_of(Settings(home=tmp / "other"), t)
    ('ana@example.com', None, None)
    >>> email_of(s, _earlier_form(s, "ana@example.com")), email_of(s, _earlier_form(s, "ana@example.com")[:-1])
    ('ana@example.com', None)
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from pathlib import Path

from .. import signing
from ..config import Settings
from ..storage import keys


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@functools.lru_cache(maxsize=8)
def _key(home: Path, database_url: str | None) -> bytes:  # on PostgreSQL the database's key (storage.installation)
    return keys.key(Settings(home=home, database_url=database_url), "unsubscribe")


def token(settings: Settings, email: str) -> str:
    """The token of ``email``'s unsubscribe link."""
    return signing.sign(_key(settings.home, settings.database_url), "unsubscribe", _b64(email.strip().lower().encode()))


def email_of(settings: Settings, value: str) -> str | None:
    """The email a token was made for, or None when it is not one of this installation's."""
    encoded = signing.unsign(_key(settings.home, settings.database_url), "unsubscribe", value)
    try:
        email = _unb64(encoded).decode() if encoded else None
        if email is None and value and "." in value:  # a link of a digest sent before (see the module)
            email = _unb64(value.split(".", 1)[0]).decode()
            email = email if hmac.compare_digest(value, _earlier_form(settings, email)) else None
    except (ValueError, UnicodeDecodeError):
        return None
    return email


def _earlier_form(settings: Settings, email: str) -> str:
    """The token of ``email`` as digests sent before signed ones carried it."""
    mac = hmac.new(_key(settings.home, settings.database_url), email.encode(), hashlib.sha256).digest()
    return f"{_b64(email.encode())}.{_b64(mac)[:22]}"


def tombstone(settings: Settings, email: str) -> str:
    """What marks ``email``'s links dead on every host of a PostgreSQL installation (``inbox.keep_tombstones``):
    a keyed hash under the links' own key, which a click host has (the erasure register's salt it has not)."""
    key = _key(settings.home, settings.database_url)
    return hmac.new(key, b"erased:" + email.strip().lower().encode(), hashlib.sha256).hexdigest()


def link(settings: Settings, email: str, lang: str) -> str:
    """The public address of ``email``'s unsubscribe page (``web.unsubscribe``), in ``lang``."""
    base = settings.unsubscribe_base_url or settings.links_base_url
    return f"{base}/unsubscribe/{token(settings, email)}?lang={lang}"
