"""Unsubscribe tokens: who a one-click unsubscribe link is for, signed so nobody can forge one.

Tokens need no table: ``base64url(email) "." base64url(HMAC-SHA256(key, email))[:22]``
with the installation key ``unsubscribe`` (``keys.key``), so any process of the
installation can check one (the public service as the app), and nobody can
forge one for somebody else.

    >>> from assistant.config import Settings
    >>> s = Settings(home=tmp / "h")
    >>> t = token(s, "Ana@Example.com")
    >>> email_of(s, t), email_of(s, t[:-2] + "xx"), email_of(Settings(home=tmp / "other"), t)
    ('ana@example.com', None, None)
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
from pathlib import Path

from ..config import Settings
from ..storage import keys


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@functools.lru_cache(maxsize=8)
def _key(home: Path) -> bytes:
    return keys.key(home, "unsubscribe")


def _signature(settings: Settings, email: str) -> str:
    return _b64(hmac.new(_key(settings.home), email.encode(), hashlib.sha256).digest())[:22]


def token(settings: Settings, email: str) -> str:
    email = email.strip().lower()
    return f"{_b64(email.encode())}.{_signature(settings, email)}"


def email_of(settings: Settings, value: str) -> str | None:
    """The email a token was made for, or None when it is not one of this installation's."""
    try:
        encoded, signature = value.split(".", 1)
        email = _unb64(encoded).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return email if hmac.compare_digest(signature, _signature(settings, email)) else None


def link(settings: Settings, email: str, lang: str) -> str:
    """The public address of ``email``'s unsubscribe page (``web.unsubscribe``), in ``lang``."""
    base = settings.unsubscribe_base_url or settings.links_base_url
    return f"{base}/unsubscribe/{token(settings, email)}?lang={lang}"
