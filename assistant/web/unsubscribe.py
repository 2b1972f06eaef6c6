"""The one-click unsubscribe page: ``GET`` and ``POST /unsubscribe/{token}``, served by the click service.

Scope and why: every digest carries ``List-Unsubscribe: <…/unsubscribe/<token>>``
with ``List-Unsubscribe-Post: List-Unsubscribe=One-Click`` (RFC 8058), so a mail
client's "Unsubscribe" button POSTs to that URL and the employee is out, with no
sign-in. That URL must be public and accept POST, which the Streamlit app
cannot: :func:`routes` are mounted by the click service (``clickservice.service_app``),
or served alone by :func:`create_app` (``porte-voix digest unsubscribe-server``,
through the same guarded server). They check the token (``optouts.tokens``) and
note the opt-out in the inbox (``optouts.inbox``), never the app's DuckDB file,
and import no digest code.

A GET shows one button (link scanners follow GETs, so a GET never unsubscribes);
a POST unsubscribes, answers 200, and is idempotent. An erased person's link is
dead (404, their address never shown).
"""

from __future__ import annotations

import contextlib
import html

from starlette.applications import Starlette
from starlette.responses import HTMLResponse
from starlette.routing import Route

from ..config import Settings
from ..links.replica import Replica
from ..links.request_body import bounded
from ..optouts import inbox, tokens
from ..words.catalogue import LANGUAGES, options

MAX_BODY = 4096  # an RFC 8058 POST carries "List-Unsubscribe=One-Click"; the service is public: read no more


def _page(lang: str, body: str, status: int = 200) -> HTMLResponse:
    words = options(lang, "unsubscribe_page")
    return HTMLResponse(f"""<!doctype html><html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width"><meta name="robots" content="noindex">
<title>{html.escape(words['title'])}</title></head>
<body style="font-family:sans-serif;max-width:34rem;margin:3rem auto;line-height:1.5">{body}</body></html>""",
                        status_code=status)


def routes(settings: Settings, app_base_url: str | None = None) -> list:
    """``GET`` and ``POST /unsubscribe/{token}``, to mount in a Starlette app (the click service)."""
    prefs = f"{(app_base_url or settings.app_base_url)}/?page=profile"

    def language(request) -> tuple[str, dict]:
        """The page's language (``?lang=``, French by default) and its words (``unsubscribe_page.*``)."""
        lang = request.query_params.get("lang", "fr")
        lang = lang if lang in LANGUAGES else "fr"
        return lang, options(lang, "unsubscribe_page")

    def person(request) -> str | None:
        email = tokens.email_of(settings, request.path_params["token"])
        return None if email is None or inbox.is_buried(settings, email) else email  # an erased person's link is dead

    async def ask(request):
        lang, words = language(request)
        email = person(request)
        if email is None:
            return _page(lang, f"<p>{html.escape(words['bad'])}</p>", 404)
        return _page(lang, f"""<h1>{html.escape(words['title'])}</h1><p>{html.escape(words['ask'].format(email=email))}</p>
<form method="post"><button type="submit" style="font-size:1.1rem;padding:.5rem 1rem">{html.escape(words['button'])}</button></form>""")

    async def confirm(request):
        lang, words = language(request)
        email = person(request)
        if email is None:
            return _page(lang, f"<p>{html.escape(words['bad'])}</p>", 404)
        body = await bounded(request, MAX_BODY)
        if body is None:
            return _page(lang, f"<p>{html.escape(words['bad'])}</p>", 413)
        if not inbox.record(settings, email, "one-click" if body.startswith(b"List-Unsubscribe") else "link"):
            return _page(lang, f"<p>{html.escape(words['bad'])}</p>", 404)  # erased while the page was open
        return _page(lang, f"""<h1>{html.escape(words['title'])}</h1><p>{html.escape(words['done'].format(email=email))}</p>
<p>{html.escape(words['prefs'])} <a href="{html.escape(prefs)}">{html.escape(prefs)}</a></p>""")

    return [Route("/unsubscribe/{token}", ask, methods=["GET"]), Route("/unsubscribe/{token}", confirm, methods=["POST"])]


def create_app(settings: Settings) -> Starlette:
    """A Starlette app serving only the unsubscribe routes (when the click service does not mount them). On
    PostgreSQL a background thread forwards the home's inbox to the store, as the click service's does
    (``links.replica``), so a digest run on any machine applies the opt-outs noted here."""
    forwarder = Replica(settings.database_url, None, settings=settings) if settings.database_url else None

    @contextlib.asynccontextmanager
    async def lifespan(app):
        if forwarder is not None:
            forwarder.start()
        try:
            yield
        finally:
            if forwarder is not None:
                forwarder.stop()

    app = Starlette(routes=routes(settings), lifespan=lifespan)
    app.state.replica = forwarder
    app.router.redirect_slashes = False  # Starlette's slash redirect builds its Location from the Host header
    return app
