"""The click service: the one public-facing part of Porte-voix (Starlette + uvicorn, nothing of the app).

Routes:

| request | answer |
|---|---|
| ``GET /<code>`` (and ``HEAD``) | **302** to the share's UTM-tagged target + ``pv_cid=<click id>`` (never 301: a cached redirect would hide repeat clicks) |
| ``GET /healthz`` | 200 JSON: hits received / written / pending / lost, links known, state of the log |
| ``POST /v1/conversions`` | signed conversion (see ``conversions``): 201 stored, 200 duplicate, 4xx JSON error |
| ``GET /unsubscribe/<token>`` | the digests' unsubscribe page: one button (a GET never unsubscribes); 404 for a forged token |
| ``POST /unsubscribe/<token>`` | one-click unsubscribe (RFC 8058, ``List-Unsubscribe-Post``): 200, noted in ``optouts.sqlite3`` |
| anything else | 404 JSON |

A redirect is answered once its hit is committed to the SQLite click log
(``links.hitwriter``: group commit, so a ``kill -9`` loses no hit it answered).
Its counts are served by ``/healthz``, written to the log's ``service_runs``
table every few seconds and at shutdown, and printed when the service stops.

On a PostgreSQL store (``PORTE_VOIX_DATABASE_URL``) each replica of the
service, on any host, keeps this local log and runs a ``links.replica.Replica``
beside the writer: it learns new short links from the store within a second
(an unknown code is asked of the store before a 404; 503 while the store is
unreachable), forwards the committed hits and conversions to the store exactly
once, and applies erasures to the local log. ``/healthz`` adds its state
(``store``). A PostgreSQL outage stops none of the redirects: they wait for the
local commit only, and the backlog is forwarded when the store is back.

The unsubscribe routes are ``web.unsubscribe.routes`` (signed tokens, no sign-in),
mounted by :func:`service_app` ahead of ``/<code>``: they are the public address
every digest's ``List-Unsubscribe`` header points to, and the Streamlit app
cannot answer a POST. They write only the opt-out inbox (SQLite), never the
app's DuckDB file, and this process imports no duckdb.

Usage: ``porte-voix links serve [--host H] [--port P]``, or in a test::

    app = create_app(ClickLog(path), secret=b"…")   # then starlette.testclient.TestClient(app)
    app = service_app(settings)                      # what `links serve` runs: with the unsubscribe routes
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import sqlite3
import time
from typing import Callable

import psycopg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from ..config import Settings
from ..links import conversions
from ..links.clicklog import ClickLog
from ..links.guessing import CodeWalkGuard, LookupBudget
from ..links.hitwriter import HitWriter
from ..links.http_guard import Limits, guarded
from ..links.replica import Replica
from ..links.request_body import bounded
from ..links.tracked import CODE, with_click_id
from ..storage import keys
from . import unsubscribe

log = logging.getLogger(__name__)
MAX_BODY = 16_384


class LinkCache:
    """Code → (share id, redirect template), loaded from the log and refreshed when an unknown code is asked
    for. The template is the target split around the click id's place, so a redirect costs one string join
    instead of parsing the URL (click ids are URL-safe: nothing to escape).

    An erasure deletes links under the running service: each lookup first reads the log's count of link
    removals (one indexed read, a few microseconds) and reloads the whole table when it moved, so an erased
    person's codes stop redirecting at the next request."""

    def __init__(self, clicklog: ClickLog):
        self.log = clicklog
        self._map: dict[str, tuple[str, str, tuple[str, str] | None]] = {}
        self._rowid = 0
        self._removals = clicklog.removals()
        self.refresh()

    def _reload_if_removed(self) -> None:
        removals = self.log.removals()
        if removals != self._removals:
            self._map, self._rowid, self._removals = {}, 0, removals
            self.refresh()

    @staticmethod
    def template(target: str) -> tuple[str, str] | None:
        """``(before, after)`` such that ``before + click_id + after == with_click_id(target, click_id)``;
        None for a target that already holds ``%00`` (then each redirect parses it)."""
        marked = with_click_id(target, "\x00")
        return tuple(marked.split("%00")) if marked.count("%00") == 1 else None

    def refresh(self) -> None:
        for rowid, code, share_id, target in self.log.links_after(self._rowid):
            self._map[code] = (share_id, target, self.template(target))
            self._rowid = rowid

    def location(self, code: str, click_id: str) -> tuple[str, str] | None:
        """``(share_id, redirect URL with the click id)`` for a known code, else None."""
        try:
            self._reload_if_removed()
        except sqlite3.Error:
            pass  # the log is unavailable (then no erasure can remove links either): redirects go on from memory
        found = self._map.get(code)
        if found is None and CODE.match(code):
            try:
                self.refresh()  # a share made since the last look
            except sqlite3.Error:
                return None
            found = self._map.get(code)
        if found is None:
            return None
        share_id, target, template = found
        return share_id, (template[0] + click_id + template[1] if template else with_click_id(target, click_id))

    def __len__(self) -> int:
        return len(self._map)


def create_app(clicklog: ClickLog, secret: bytes | Callable[[], bytes], writer: HitWriter | None = None, clock=time.time,
               extra_routes: list | None = None, guard: CodeWalkGuard | None = None,
               replica: Replica | None = None, lookups: LookupBudget | None = None) -> Starlette:
    """The ASGI app over one click log; ``secret`` signs conversions (or a function giving it, called at each
    conversion: :func:`service_app` reads it from the store then, so it starts without the store); ``clock`` is injectable for tests;
    ``extra_routes`` (the unsubscribe routes, see :func:`service_app`) are matched before ``/<code>``;
    ``guard`` slows down addresses that walk codes (``guessing``); ``replica`` links the log to a
    PostgreSQL store (``links.replica``), started and stopped with the app; ``lookups`` caps its store lookups
    of codes it does not know yet, all addresses together (``guessing.LookupBudget``)."""
    writer = writer or HitWriter(clicklog)
    links = LinkCache(clicklog)
    guard = guard or CodeWalkGuard()
    lookups = lookups or LookupBudget()

    def retry_later(seconds: int) -> Response:
        return JSONResponse({"error": "unavailable", "message": "the link cannot be checked now; retry"}, 503,
                            headers={"retry-after": str(seconds), "cache-control": "no-store"})

    async def redirect(request: Request) -> Response:
        code = request.path_params["code"]
        ip = request.client.host if request.client else None  # X-Forwarded-For from trusted proxies only (serve)
        wait = guard.blocked(ip)
        if wait is not None:
            return JSONResponse({"error": "too_many_requests", "message": "too many unknown links; slow down"}, 429,
                                headers={"retry-after": str(wait), "cache-control": "no-store"})
        click_id = secrets.token_urlsafe(9)
        found = links.location(code, click_id)
        if found is None and replica is not None and CODE.match(code):  # a share made since the last pull
            if not lookups.take():  # random codes from many networks: past the cap the store is not asked
                return retry_later(1)
            try:
                if await asyncio.to_thread(replica.link, code) is not None:
                    links.refresh()
                    found = links.location(code, click_id)
            except psycopg.Error:
                return retry_later(5)
        if found is None:
            guard.missed(ip)
            return JSONResponse({"error": "not_found", "message": "unknown link"}, 404)
        share_id, location = found
        await writer.written((click_id, code, share_id, time.time(), request.method, request.headers.get("referer"),
                              ip, request.headers.get("user-agent")))  # committed before it is answered
        return Response(status_code=302, headers={"location": location, "cache-control": "no-store"})

    async def healthz(request: Request) -> Response:
        stats = writer.stats
        return JSONResponse({"ok": True, "log": "ok" if not stats["last_error"] else "unavailable",
                             "hits_received": stats["received"], "hits_written": stats["written"],
                             "hits_pending": stats["pending"], "hits_lost": stats["lost"],
                             "hits_forgotten": stats["forgotten"], "hits_answered_before_commit": stats["early"],
                             "links": len(links),
                             **({"store": {k: v for k, v in replica.stats.items() if k != "last_error"},
                                 "lookups_refused": lookups.refused} if replica is not None else {})},
                            headers={"cache-control": "no-store"})  # the error's text stays in service_runs

    async def share_for(payload: dict) -> str:
        share_id = payload["share_id"]
        if payload["click_id"]:
            clicked = clicklog.share_of_click(payload["click_id"]) or writer.pending_share(payload["click_id"])
            if clicked is None and replica is not None:  # a click answered by another replica
                clicked = await asyncio.to_thread(replica.share_of_click, payload["click_id"])
            if clicked is None:
                raise conversions.Refused(422, "unknown_click", "no click has this click_id")
            if share_id and share_id != clicked:
                raise conversions.Refused(422, "share_mismatch", "click_id belongs to another share than share_id")
            share_id = clicked
        if not clicklog.has_share(share_id):  # also a click still in memory whose share was erased since
            raise conversions.Refused(422, "unknown_share", "no tracked link has this share_id")
        return share_id

    async def read_body(request: Request) -> bytes:
        """The body, refused past ``MAX_BODY`` without reading the rest (the service is public)."""
        body = await bounded(request, MAX_BODY)
        if body is None:
            raise conversions.Refused(413, "too_large", f"the body is over {MAX_BODY} bytes")
        return body

    async def conversion(request: Request) -> Response:
        try:
            body = await read_body(request)
            given = request.headers.get(conversions.SIGNATURE_HEADER)
            conversions.verify(secret() if callable(secret) else secret, body, request.headers.get(conversions.TIMESTAMP_HEADER), given, now=clock())
            try:
                data = json.loads(body)
            except ValueError:
                raise conversions.Refused(400, "bad_json", "the body is not valid JSON") from None
            payload = conversions.parse_payload(data)
            share_id = await share_for(payload)
            status = clicklog.add_conversion({**payload, "share_id": share_id, "received_at": time.time(),
                                              "source": "webhook"}, signature=given.strip())
        except conversions.Refused as exc:
            return JSONResponse(exc.as_json(), exc.status)
        except (sqlite3.Error, psycopg.Error):
            return JSONResponse({"error": "unavailable", "message": "the click log is unavailable; retry later"}, 503)
        if status == "replay":
            return JSONResponse({"error": "replay", "message": "this signed request was already received"}, 409)
        return JSONResponse({"status": status, "share_id": share_id, "external_id": payload["external_id"]},
                            201 if status == "stored" else 200)

    async def not_found(request: Request, exc) -> Response:
        return JSONResponse({"error": "not_found", "message": "unknown route"}, 404)

    @contextlib.asynccontextmanager
    async def lifespan(app):
        writer.start()
        if replica is not None:
            replica.start()
        yield
        stats = writer.stop()
        if replica is not None:
            replica.stop()  # forwards the last hits (one try: what fails is forwarded at the next start)
        log.warning("click service stopped: %(received)s hits received, %(written)s written, %(lost)s lost", stats)

    app = Starlette(routes=[Route("/healthz", healthz, methods=["GET"]),
                            Route("/v1/conversions", conversion, methods=["POST"]),
                            *(extra_routes or []),
                            Route("/{code}", redirect, methods=["GET", "HEAD"])],
                    exception_handlers={404: not_found, 405: not_found}, lifespan=lifespan)
    app.router.redirect_slashes = False  # Starlette's slash redirect builds its Location from the Host header
    app.state.writer, app.state.links, app.state.replica = writer, links, replica
    return app


def service_app(settings: Settings, writer: HitWriter | None = None) -> Starlette:
    """The click service of the installation at ``settings``: short links, conversions, and the digests'
    one-click unsubscribe (``web.unsubscribe.routes``), over the home's click log and keys."""
    settings.ensure()
    clicklog = ClickLog(settings.clicklog_path)
    replica, known = None, []
    if settings.database_url:  # the links, salts and erasures of the store before the first request
        replica = Replica(settings.database_url, clicklog, settings=settings)
        replica.turn()

    def secret() -> bytes:
        """The installation's conversions secret (on PostgreSQL the store's, the same for every replica: while
        the store is away a conversion answers 503), read once."""
        if not known:
            known.append(keys.conversions_secret(settings, settings.conversions_secret))
        return known[0]

    return create_app(clicklog, secret, writer=writer, extra_routes=unsubscribe.routes(settings), replica=replica)


def server_config(app, host: str, port: int, trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1"),
                  limits: Limits | None = None) -> uvicorn.Config:
    """How uvicorn runs the click service (``serve``, and the tests' real servers): the guarded protocol
    (``http_guard``: head size and count, slow requests, open connections), no WebSocket, and
    ``X-Forwarded-For`` believed only from ``trusted_proxies`` (none: never)."""
    return uvicorn.Config(app, host=host, port=port, log_level="warning", access_log=False, server_header=False,
                          http=guarded((limits or Limits()).within()), ws="none", timeout_keep_alive=5,
                          proxy_headers=bool(trusted_proxies), forwarded_allow_ips=list(trusted_proxies), lifespan="on")


def serve(settings: Settings, host: str | None = None, port: int | None = None) -> None:
    """Run the click service for the installation of ``settings`` until stopped (Ctrl-C or SIGTERM)."""
    app = service_app(settings)
    host, port = host or settings.links_host, port or settings.links_port
    print(f"click service on http://{host}:{port} (links {settings.links_base_url}/<code>, unsubscribe "
          f"{settings.unsubscribe_base_url or settings.links_base_url}/unsubscribe/<token>, log {settings.clicklog_path})", flush=True)
    run(app, host, port, settings.trusted_proxies)


def run(app, host: str, port: int, trusted_proxies: tuple[str, ...] = ("127.0.0.1", "::1")) -> None:
    """Serve ``app`` with :func:`server_config`'s guarded server until stopped (Ctrl-C or SIGTERM): the click
    service, and the unsubscribe page when it is served alone (``porte-voix digest unsubscribe-server``)."""
    server = uvicorn.Server(server_config(app, host, port, trusted_proxies))
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C / SIGINT: a normal stop, after the lifespan shutdown
        server.run()
    if not server.started:
        raise SystemExit(3)  # could not listen (port taken, …): uvicorn has said why
