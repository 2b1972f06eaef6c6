"""Limits on what one client may hold of the public click service: head size and count, slow requests, sockets.

uvicorn (with httptools) reads a request head of any size, waits for slow
headers and bodies forever and accepts connections until the process runs out
of file descriptors: one 100 MB header stalled ``/healthz`` for 17.7 s, and
1,100 slow connections under ``ulimit -n 1024`` made 44 of 45 health probes
fail. :class:`GuardedProtocol` is uvicorn's httptools protocol with the limits
nginx and Apache (``mod_reqtimeout``) put in front of applications:

| limit | default | past it |
|---|---|---|
| request line + headers | 16 KiB | **431**, connection closed (counted while it arrives) |
| header fields | 100 | **431**, connection closed |
| whole request (head and body) | 10 s from its first byte, or from the connection's opening | **408**, connection closed |
| open connections | 512 (at most the file-descriptor limit less 64) | the oldest connection not being answered is closed to make room; **503** when all are |

A connection idle between requests is closed by uvicorn after
``timeout_keep_alive`` (5 s). uvicorn's own ``limit_concurrency`` is not
used: it answers 503 to every new request, health probes included, and does
nothing against slow clients. Behind a reverse proxy (README: "The click
service on the internet") nginx applies the same limits first.

    >>> Limits().max_head_bytes, Limits(max_connections=10_000).within(1024).max_connections
    (16384, 960)
"""

from __future__ import annotations

import dataclasses
import resource
from dataclasses import dataclass

import httptools
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

REASONS = {408: b"Request Timeout", 431: b"Request Header Fields Too Large", 503: b"Service Unavailable"}
LINGER_S, LINGER_BYTES = 1.0, 1 << 20  # after a refusal, what is still read (and dropped) so the answer arrives


@dataclass(frozen=True)
class Limits:
    max_head_bytes: int = 16_384
    max_headers: int = 100
    read_timeout_s: float = 10.0
    max_connections: int = 512

    def within(self, open_files: int | None = None) -> "Limits":
        """These limits, with ``max_connections`` under the process's file-descriptor limit (less 64 for the
        listening socket, the click log, the log files)."""
        if open_files is None:
            open_files = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
        if open_files == resource.RLIM_INFINITY:
            return self
        return dataclasses.replace(self, max_connections=max(8, min(self.max_connections, open_files - 64)))


class _Refused(Exception):
    """Raised inside a parser callback to stop parsing; the status is kept on the protocol."""


class GuardedProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with :class:`Limits` (``guarded(limits)`` makes the class to hand uvicorn)."""

    limits = Limits()
    opened: dict = {}  # this server's connections in the order they opened (``guarded`` gives each its own)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._deadline = None      # timer closing a request that is not fully received in time
        self._head_bytes = 0       # bytes received since the current head began (head not complete yet)
        self._head_done = False
        self._header_count = 0
        self._refusal: int | None = None
        self._dropped: int | None = None  # bytes dropped since the connection was refused (None: not refused)

    # --- connection ---------------------------------------------------------------------------

    def connection_made(self, transport) -> None:
        super().connection_made(transport)
        self.opened[self] = None
        self._arm()
        if len(self.connections) > self.limits.max_connections:
            self._make_room()

    def connection_lost(self, exc) -> None:
        self._disarm()
        self.opened.pop(self, None)
        super().connection_lost(exc)

    def _busy(self) -> bool:
        """Being answered: its request was fully received and the response is not finished (never closed to
        make room; a connection still sending its request, or idle, may be)."""
        return self._deadline is None and self.cycle is not None and not self.cycle.response_complete

    def _make_room(self) -> None:
        """Close the oldest connection that is idle or still sending its request; refuse this one if none.
        Oldest first, from the front of ``opened``: a few connections looked at, not all of them."""
        for other in self.opened:
            if other is self:
                break
            if not other._busy() and not other.transport.is_closing():
                other.transport.close()
                return
        self._refuse(503)

    # --- timing -------------------------------------------------------------------------------

    def _arm(self) -> None:
        if self._deadline is None:
            self._deadline = self.loop.call_later(self.limits.read_timeout_s, self._too_slow)

    def _disarm(self) -> None:
        if self._deadline is not None:
            self._deadline.cancel()
            self._deadline = None

    def _too_slow(self) -> None:
        self._deadline = None
        if not self.transport.is_closing():
            self._refuse(408)

    def _refuse(self, status: int) -> None:
        """Answer ``status`` and close. The client may still be sending: closing with unread bytes would reset
        the connection and lose the answer, so the rest is read and dropped for a moment (a "lingering
        close", as nginx does), at most ``LINGER_S`` and ``LINGER_BYTES``."""
        self._disarm()
        if self.transport.is_closing() or self._dropped is not None:
            return
        self._dropped = 0
        self.transport.write(b"HTTP/1.1 %d %s\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
                             % (status, REASONS[status]))
        if self.transport.can_write_eof():
            self.transport.write_eof()
            self.loop.call_later(LINGER_S, self.transport.close)
        else:
            self.transport.close()

    # --- parsing ------------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self._dropped is not None:  # refused: dropped, never parsed
            self._dropped += len(data)
            if self._dropped > LINGER_BYTES:
                self.transport.close()
            return
        self._unset_keepalive_if_required()
        if not self._head_done:
            self._head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:  # uvicorn's answer (the click service runs with ws="none")
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        except httptools.HttpParserError:
            if self._refusal:
                self._refuse(self._refusal)
            else:
                self.send_400_response("Invalid HTTP request received.")
            return
        if not self._head_done and self._head_bytes > self.limits.max_head_bytes:
            self._refuse(431)  # a head still arriving and already too big: never read the rest

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._head_done, self._header_count = False, 0
        self._arm()

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_count += 1
        if self._header_count > self.limits.max_headers:
            self._refusal = 431
            raise _Refused
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        size = len(self.url) + sum(len(n) + len(v) + 4 for n, v in self.headers)
        if size > self.limits.max_head_bytes:  # a head that came in whole, in one read
            self._refusal = 431
            raise _Refused
        self._head_done = True
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        super().on_message_complete()
        self._disarm()  # received in time; the next request arms the timer again at its first byte
        self._head_done, self._head_bytes = False, 0


def guarded(limits: Limits) -> type[GuardedProtocol]:
    """A protocol class with ``limits``, for ``uvicorn.Config(http=...)``."""
    return type("GuardedProtocol", (GuardedProtocol,), {"limits": limits, "opened": {}})
