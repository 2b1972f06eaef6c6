"""The sign-in cookie: a signed, expiring, HTTP-only cookie naming a server-side session.

Streamlit talks to the browser over a websocket, which cannot set cookies, so
signing in takes one extra step: the app creates the session
(``sessions.create``), parks its token under a one-time *grant* (random, valid
for a minute, usable once), and a tiny component in the page posts the grant
to ``/api/session`` (``assistant/ui/web.py``), whose answer sets the cookie
with ``HttpOnly``, ``SameSite=Lax`` and ``Max-Age`` = the session's lifetime
(``Secure`` behind HTTPS). Scripts in the page never see the cookie; the
websocket's handshake carries it, so every new tab or reload reads it through
``st.context.cookies`` and is signed in again until the session expires or is
revoked (sign-out, password change).

The cookie's value is ``<token>.<signature>``: the token is random and stored
only hashed on the server; the signature (``assistant.signing``: itsdangerous,
HMAC-SHA256 under a key of the installation, see ``keys``, salted with the
purpose ``session``) lets a forged or truncated value be refused before any
lookup. Cookies signed before this scheme (a bare HMAC of the token) are
refused: their holders sign in again, once.

    >>> value = sign(b"k" * 32, "tok")
    >>> unsign(b"k" * 32, value), unsign(b"other" * 8, value), unsign(b"k" * 32, "tok.forged")
    ('tok', None, None)
    >>> grants = Grants(ttl_s=60, clock=lambda: 0.0)
    >>> g = grants.issue("tok")
    >>> grants.redeem(g), grants.redeem(g)
    ('tok', None)
"""

from __future__ import annotations

import secrets
import threading
import time
from typing import Callable

from .. import signing

COOKIE = "pv_session"
ROUTE = "/api/session"
GRANT_TTL_S = 60.0


def sign(secret: bytes, token: str) -> str:
    """The cookie value for ``token``."""
    return signing.sign(secret, "session", token)


def unsign(secret: bytes, value: str | None) -> str | None:
    """The token inside a cookie value, or None when it is missing, malformed or not ours."""
    return signing.unsign(secret, "session", value)


class Grants:
    """One-time grants: the page redeems one to receive the cookie of a session the app just created."""

    def __init__(self, ttl_s: float = GRANT_TTL_S, clock: Callable[[], float] = time.monotonic):
        self._ttl, self._clock = ttl_s, clock
        self._items: dict[str, tuple[float, str, float]] = {}
        self._lock = threading.Lock()

    def issue(self, token: str, max_age_s: float = 0.0) -> str:
        """A fresh grant for ``token``; ``max_age_s`` is the cookie's lifetime."""
        grant = secrets.token_urlsafe(24)
        now = self._clock()
        with self._lock:
            self._items = {g: v for g, v in self._items.items() if v[0] > now}  # forget expired ones
            self._items[grant] = (now + self._ttl, token, max_age_s)
        return grant

    def redeem(self, grant: str) -> str | None:
        """The token of ``grant`` (once), or None when unknown, used or expired."""
        return (self.redeem_with_age(grant) or (None, 0.0))[0]

    def redeem_with_age(self, grant: str) -> tuple[str, float] | None:
        with self._lock:
            item = self._items.pop(grant or "", None)
        if item is None or item[0] <= self._clock():
            return None
        return item[1], item[2]


GRANTS = Grants()  # one per process: the app and its web routes run in the same server process
