"""One-click unsubscribe from digests: signed tokens, an opt-out inbox, and the two HTTP routes.

Scope and why: every digest carries ``List-Unsubscribe: <…/unsubscribe/<token>>``
with ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), so a mail
client's "Unsubscribe" button POSTs to that URL and the employee is out, with no
sign-in. That URL must be public and accept POST, which the Streamlit app
cannot: the routes below belong in the public-facing service (mount
:func:`routes` in the click service, or run :func:`create_app` on its own). That
process must not write the app's DuckDB file (one writer), so an opt-out goes to
a small SQLite inbox under the home, and :func:`fold` moves new ones into the
preferences (frequency ``never``) before every digest run and when the
preferences are shown.

Tokens need no table: ``base64url(email) "." base64url(HMAC-SHA256(key, email))[:22]``
with the installation key ``unsubscribe`` (``keys.key``), so any process of the
installation can check one, and nobody can forge one for somebody else.

    >>> from assistant.config import Settings
    >>> s = Settings(home=tmp / "h")
    >>> t = token(s, "Ana@Example.com")
    >>> email_of(s, t), email_of(s, t[:-2] + "xx"), email_of(Settings(home=tmp / "other"), t)
    ('ana@example.com', None, None)

A GET shows one button (link scanners follow GETs, so a GET never unsubscribes);
a POST unsubscribes, answers 200, and is idempotent.

An erased person's tokens are dead: the erasure (:func:`bury`) leaves a tombstone,
their keyed digest from the register of erased people (``storage.erased``), in
the inbox file, which the routes check before showing or writing anything (the
public service cannot read the store); :func:`fold` never applies an erased
person's opt-out and deletes it.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import html
import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from ..config import Settings
from ..links.request_body import bounded
from ..storage import erased, keys
from . import preferences

if TYPE_CHECKING:  # the store (duckdb) stays out of the public click service, which mounts these routes
    from ..storage.store import Store

PAGE_TEXT = {
    "fr": {"title": "Se désabonner des résumés Porte-voix", "ask": "Ne plus recevoir les résumés Porte-voix à {email} ?",
           "button": "Me désabonner", "done": "C'est fait : vous ne recevrez plus de résumés à {email}.",
           "prefs": "Vous pouvez les réactiver à tout moment dans vos préférences :", "bad": "Ce lien n'est pas valide."},
    "en": {"title": "Unsubscribe from Porte-voix digests", "ask": "Stop receiving Porte-voix digests at {email}?",
           "button": "Unsubscribe", "done": "Done: you will not receive digests at {email} any more.",
           "prefs": "You can turn them back on at any time in your preferences:", "bad": "This link is not valid."},
}


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
    base = settings.unsubscribe_base_url or settings.links_base_url
    return f"{base}/unsubscribe/{token(settings, email)}?lang={lang}"


# --- the inbox (SQLite: the public service writes, the app folds) ----------------------

def inbox_path(settings: Settings) -> Path:
    return settings.home / "optouts.sqlite3"


def _inbox(settings: Settings) -> sqlite3.Connection:
    settings.home.mkdir(parents=True, exist_ok=True)
    con = sqlite3.connect(inbox_path(settings), timeout=10)
    con.execute("""CREATE TABLE IF NOT EXISTS optouts (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL,
                   at TEXT NOT NULL, source TEXT NOT NULL)""")
    con.execute("CREATE TABLE IF NOT EXISTS erased (digest TEXT PRIMARY KEY)")  # tombstones: see :func:`bury`
    return con


def _tombstone(settings: Settings, email: str) -> str | None:
    """The erased-register digest of ``email`` (``storage.erased``), None when nobody was ever erased here."""
    key = erased.salt(settings.home, create=False)
    return erased.digest(settings.home, email) if key is not None else None


def is_buried(settings: Settings, email: str) -> bool:
    """Whether ``email`` was erased: their tokens are dead (the public service cannot read the store's register)."""
    digest = _tombstone(settings, email)
    if digest is None or not inbox_path(settings).exists():
        return False
    con = _inbox(settings)
    try:
        return con.execute("SELECT 1 FROM erased WHERE digest = ?", [digest]).fetchone() is not None
    finally:
        con.close()


def record(settings: Settings, email: str, source: str, now: dt.datetime | None = None) -> bool:
    """Note an opt-out (from any process of the installation); False, noting nothing, for an erased person."""
    with _inbox(settings) as con:
        cur = con.execute("INSERT INTO optouts (email, at, source) SELECT ?, ?, ? "
                          "WHERE NOT EXISTS (SELECT 1 FROM erased WHERE digest = ?)",
                          [email, (now or dt.datetime.now()).isoformat(timespec="seconds"), source,
                           _tombstone(settings, email)])
    con.close()
    return cur.rowcount == 1


def forget(settings: Settings, email: str) -> None:
    """Remove ``email``'s opt-outs from the inbox (erasure; ``preferences.erase`` clears the store's side)."""
    if inbox_path(settings).exists():
        with _inbox(settings) as con:
            con.execute("DELETE FROM optouts WHERE email = ?", [email.strip().lower()])
        con.close()


def bury(settings: Settings, email: str) -> int:
    """Erasure: kill ``email``'s tokens (a tombstone, their keyed digest) and delete their opt-outs, in one
    transaction, so a click on an old link after this shows and writes nothing. Returns opt-outs deleted."""
    email = email.strip().lower()
    with _inbox(settings) as con:
        con.execute("INSERT OR IGNORE INTO erased (digest) VALUES (?)", [erased.digest(settings.home, email)])
        deleted = con.execute("DELETE FROM optouts WHERE lower(email) = ?", [email]).rowcount
    con.close()
    return deleted


def revive(settings: Settings, email: str) -> None:
    """The person was readmitted (``people readmit``): their new tokens work again."""
    digest = _tombstone(settings, email)
    if digest is not None and inbox_path(settings).exists():
        with _inbox(settings) as con:
            con.execute("DELETE FROM erased WHERE digest = ?", [digest])
        con.close()


def fold(store: Store, settings: Settings) -> int:
    """Apply opt-outs received since the last fold (frequency ``never``); returns how many were new.

    Opt-outs of erased people (one that raced the erasure) are deleted from the inbox, never applied."""
    if not inbox_path(settings).exists():
        return 0
    last = store.value("SELECT coalesce(max(id), 0) FROM digest_optouts")
    con = _inbox(settings)
    try:
        rows = con.execute("SELECT id, email, at, source FROM optouts WHERE id > ? ORDER BY id", [last]).fetchall()
    finally:
        con.close()
    gone = erased.which(store, sorted({row[1] for row in rows}))
    for email in gone:
        bury(settings, email)
    rows = [row for row in rows if row[1] not in gone]
    for row_id, email, at, source in rows:
        store.execute("INSERT OR IGNORE INTO digest_optouts (id, email, opted_out_at, source) VALUES (?, ?, ?, ?)",
                      [row_id, email, dt.datetime.fromisoformat(at), source])
        preferences.set_preferences(store, email, frequency="never", by="unsubscribe-link")
    return len(rows)


# --- HTTP ------------------------------------------------------------------------------

MAX_BODY = 4096  # an RFC 8058 POST carries "List-Unsubscribe=One-Click"; the service is public: read no more


def _page(lang: str, body: str, status: int = 200) -> HTMLResponse:
    words = PAGE_TEXT[lang]
    return HTMLResponse(f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><meta name="robots" content="noindex">
<title>{html.escape(words['title'])}</title></head>
<body style="font-family:sans-serif;max-width:34rem;margin:3rem auto;line-height:1.5">{body}</body></html>""",
                        status_code=status)


def routes(settings: Settings, app_base_url: str | None = None) -> list:
    """``GET`` and ``POST /unsubscribe/{token}``, to mount in a Starlette app (the click service)."""
    prefs = f"{(app_base_url or settings.app_base_url)}/?page=profile"

    def language(request) -> str:
        lang = request.query_params.get("lang", "fr")
        return lang if lang in PAGE_TEXT else "fr"

    def person(request) -> str | None:
        email = email_of(settings, request.path_params["token"])
        return None if email is None or is_buried(settings, email) else email  # an erased person's link is dead

    async def ask(request):
        lang, words = language(request), PAGE_TEXT[language(request)]
        email = person(request)
        if email is None:
            return _page(lang, f"<p>{html.escape(words['bad'])}</p>", 404)
        return _page(lang, f"""<h1>{html.escape(words['title'])}</h1><p>{html.escape(words['ask'].format(email=email))}</p>
<form method="post"><button type="submit" style="font-size:1.1rem;padding:.5rem 1rem">{html.escape(words['button'])}</button></form>""")

    async def confirm(request):
        lang, words = language(request), PAGE_TEXT[language(request)]
        email = person(request)
        if email is None:
            return _page(lang, f"<p>{html.escape(words['bad'])}</p>", 404)
        body = await bounded(request, MAX_BODY)
        if body is None:
            return _page(lang, f"<p>{html.escape(words['bad'])}</p>", 413)
        if not record(settings, email, "one-click" if body.startswith(b"List-Unsubscribe") else "link"):
            return _page(lang, f"<p>{html.escape(words['bad'])}</p>", 404)  # erased while the page was open
        return _page(lang, f"""<h1>{html.escape(words['title'])}</h1><p>{html.escape(words['done'].format(email=email))}</p>
<p>{html.escape(words['prefs'])} <a href="{html.escape(prefs)}">{html.escape(prefs)}</a></p>""")

    return [Route("/unsubscribe/{token}", ask, methods=["GET"]), Route("/unsubscribe/{token}", confirm, methods=["POST"])]


def create_app(settings: Settings) -> Starlette:
    """A Starlette app serving only the unsubscribe routes (when the click service does not mount them)."""
    return Starlette(routes=routes(settings))
