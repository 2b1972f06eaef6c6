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

A redirect is answered once its hit is committed to the SQLite click log, so
a service killed with ``kill -9`` has lost no hit it answered (a committed
WAL transaction survives the process; ``synchronous=NORMAL``: only a power cut
can lose the last ones). Group commit keeps that cheap: the request queues its
hit and wakes the writer thread, which commits everything queued in one
transaction (hashing the visitor and classifying the user agent there, off the
event loop) and then releases those requests; hits that arrive during a commit
go in the next one. Only while the log is unavailable does a redirect not wait
(at most ``durable_wait`` for the failing commit): the writer keeps the hits in
memory and retries with back-off; past ``max_pending`` hits the oldest are
dropped and counted as ``lost``. Counts are served by ``/healthz``, written to
the log's ``service_runs`` table every few seconds and at shutdown, and printed
when the service stops.

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
import collections
import contextlib
import datetime as dt
import json
import logging
import secrets
import sqlite3
import threading
import time
from typing import Callable

import psycopg
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from .. import periodic
from ..config import Settings
from ..links import conversions, visitors
from ..links.clicklog import ClickLog
from ..links.guessing import CodeWalkGuard
from ..links.http_guard import Limits, guarded
from ..links.replica import Replica
from ..links.request_body import bounded
from ..links.tracked import CODE, with_click_id
from ..storage import keys
from . import unsubscribe

log = logging.getLogger(__name__)
MAX_BODY = 16_384


class HitWriter:
    """Moves hits from memory to the click log in a background thread (group commit); never blocks
    ``submit``, whose ``written`` callback tells when the hit is committed (or could not be, for now)."""

    def __init__(self, clicklog: ClickLog, flush_every: float = 0.05, max_pending: int = 200_000,
                 report_every: float = 2.0, durable_wait: float = 1.0):
        self.log = clicklog
        self.flush_every = flush_every  # the idle turn; a submitted hit wakes the writer at once
        self.durable_wait = durable_wait
        self.max_pending = max_pending
        self.report_every = report_every
        self.run_id = secrets.token_hex(6)
        self.started_at = time.time()
        self.stats = {"received": 0, "written": 0, "lost": 0, "pending": 0, "forgotten": 0, "early": 0,
                      "last_error": None}  # early: redirects answered before their hit's commit (durable_wait passed)
        self._incoming: collections.deque = collections.deque()
        self._retry: list[tuple] = []  # (hit, None): their callbacks were called when the commit failed
        self._salts: dict[dt.date, bytes] = {}
        self._job: periodic.Job | None = None
        self._wait, self._last_report = flush_every, 0.0
        self._lock = threading.Lock()  # one flush at a time (the thread, or stop())
        self._deferred = False

    def submit(self, hit: tuple, written: Callable[[], None] | None = None) -> None:
        """Queue one raw hit ``(click_id, code, share_id, at, method, referrer, ip, user_agent)``; ``written``
        is called (in the writer's thread) once its transaction committed, or failed (then the hit waits in
        memory for a retry)."""
        self._incoming.append((hit, written))  # atomic; the writer thread pops from the other end
        self.stats["received"] += 1
        if self.durable:  # while the log is unavailable the writer keeps its back-off
            self._job.wake()

    @property
    def durable(self) -> bool:
        """Whether a request should wait for its hit's commit: the writer runs and the log took the last one."""
        return self._job is not None and self.stats["last_error"] is None

    async def written(self, hit: tuple) -> None:
        """Queue ``hit`` and, while :attr:`durable`, return once it is committed (at most ``durable_wait``)."""
        if not self.durable:
            self.submit(hit)
            return
        loop = asyncio.get_running_loop()
        done = loop.create_future()

        def settle() -> None:
            if not done.done():
                done.set_result(None)

        def wake_request() -> None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile (shutdown): nobody waits
                loop.call_soon_threadsafe(settle)

        self.submit(hit, wake_request)
        await asyncio.wait({done}, timeout=self.durable_wait)
        if not done.done():  # answered anyway: a kill -9 now could lose this hit
            self.stats["early"] += 1

    def pending_share(self, click_id: str) -> str | None:
        """The share of a click still in memory (the log was unavailable), or None."""
        for hit, _ in list(self._retry) + list(self._incoming):
            if hit[0] == click_id:
                return hit[2]
        return None

    def _row(self, hit: tuple) -> tuple:
        click_id, code, share_id, at, method, referrer, ip, user_agent = hit
        day = dt.datetime.fromtimestamp(at, dt.timezone.utc).date()
        salt = self._salts.get(day)
        if salt is None:
            salt = self._salts[day] = self.log.salt(day)
            for old in [d for d in self._salts if d < day - dt.timedelta(days=1)]:
                del self._salts[old]
        ua_class, is_bot, reason = visitors.classify(user_agent, method)
        return (click_id, code, share_id, at, day.isoformat(), method, visitors.referrer_host(referrer),
                visitors.visitor_hash(salt, ip, user_agent), ua_class, int(is_bot), reason)

    def flush(self) -> bool:
        """Write everything queued; False (hits kept for a retry) when the log is unavailable."""
        with self._lock:
            batch, self._retry = self._retry, []
            while self._incoming:
                batch.append(self._incoming.popleft())
            taken = batch
            try:
                if batch:
                    rows = [self._row(hit) for hit, _ in batch]
                    new, erased = self.log.append_live_hits(rows)  # hits of a share erased meanwhile: dropped
                    self.stats["written"] += new
                    self.stats["forgotten"] += erased
                    self.stats["lost"] += len(rows) - new - erased  # a click id drawn twice (72 random bits): never seen
                self.stats["last_error"] = None
                return True
            except (sqlite3.Error, OSError) as exc:
                self.stats["last_error"] = f"{exc.__class__.__name__}: {exc}"
                overflow = len(batch) - self.max_pending
                if overflow > 0:
                    self.stats["lost"] += overflow
                    batch = batch[overflow:]
                self._retry = [(hit, None) for hit, _ in batch]
                return False
            finally:
                self.stats["pending"] = len(self._retry) + len(self._incoming)
                for _, written in taken:  # the requests waiting for these hits go on
                    if written is not None:
                        written()

    def report(self) -> None:
        """Write the counters to the log (best effort: the log may be the thing that is down)."""
        try:
            self.log.record_run(self.run_id, self.started_at, self.stats)
        except (sqlite3.Error, OSError):
            pass

    def _turn(self) -> float:
        """One turn of the writer's job: flush, report now and then; the wait before the next turn, doubled
        (up to 2 s) while the log is unavailable."""
        if not self._deferred:  # this thread's connection commits; the checkpoint job checkpoints
            self.log.defer_checkpoints()
            self._deferred = True
        self._wait = self.flush_every if self.flush() else min(max(self._wait, self.flush_every) * 2, 2.0)
        if time.monotonic() - self._last_report > self.report_every:
            self.report()
            self._last_report = time.monotonic()
        return self._wait

    def start(self) -> "HitWriter":
        """Start the writer thread, and beside it the checkpoints of the log, once a second: a request waits
        for its commit, and a checkpoint inside a commit (SQLite's default) writes and syncs the database
        file (measured: p99 314 ms with them, 12 ms without, 500 requests/s)."""
        if self._job is None:
            self._job = periodic.every("porte-voix-hit-writer", self.flush_every, self._turn)
            self._checkpoints = periodic.every("porte-voix-click-log-checkpoint", 1.0, self.log.checkpoint)
        return self

    def stop(self, timeout: float = 10.0) -> dict:
        """Stop the thread, write what is left (retrying until ``timeout``); unwritten hits count as lost."""
        if self._job is not None:
            self._job.stop()
            self._checkpoints.stop()
            self._job = None
        deadline = time.monotonic() + timeout
        while not self.flush() and time.monotonic() < deadline:
            time.sleep(0.2)
        if self.stats["pending"]:
            self.stats["lost"] += self.stats["pending"]
            self._retry, self.stats["pending"] = [], 0
            self._incoming.clear()
        self.report()
        return dict(self.stats)


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
               replica: Replica | None = None) -> Starlette:
    """The ASGI app over one click log; ``secret`` signs conversions (or a function giving it, called at each
    conversion: :func:`service_app` reads it from the store then, so it starts without the store); ``clock`` is injectable for tests;
    ``extra_routes`` (the unsubscribe routes, see :func:`service_app`) are matched before ``/<code>``;
    ``guard`` slows down addresses that walk codes (``guessing``); ``replica`` links the log to a
    PostgreSQL store (``links.replica``), started and stopped with the app."""
    writer = writer or HitWriter(clicklog)
    links = LinkCache(clicklog)
    guard = guard or CodeWalkGuard()

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
            try:
                if await asyncio.to_thread(replica.link, code) is not None:
                    links.refresh()
                    found = links.location(code, click_id)
            except psycopg.Error:
                return JSONResponse({"error": "unavailable", "message": "the link cannot be checked now; retry"},
                                    503, headers={"retry-after": "5", "cache-control": "no-store"})
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
                             **({"store": {k: v for k, v in replica.stats.items() if k != "last_error"}}
                                if replica is not None else {})},
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
