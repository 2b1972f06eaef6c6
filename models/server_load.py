"""A busy model server, seen from its client: requests wait in line, and wait as long as it speaks.

Scope: what :mod:`models.openai_generator` does so that a server which is busy but alive is waited
for, and one that is stuck or too slow fails with a clear reason.

- :class:`Slots`: at most ``n`` requests sent at once by one client (shared by every caller of
  that client, e.g. several employees drafting at once), the others queued in arrival order. A
  server that writes one answer at a time gains nothing from more; one that batches takes ``n``.
- :class:`Connections`: the open sockets of one call (one employee's request), so that cancelling
  it wakes every thread blocked in a read at once.
- :class:`Silence`: a request fails once the server has sent *nothing* (no token, no keep-alive
  comment, no header) to any of this client's requests for ``limit_s`` seconds, counted from when
  the request was sent at the earliest. While the server streams another answer, the requests it
  has queued behind it wait: the limit is on the server's silence, not on one request's.

    >>> slots = Slots(1)
    >>> cancelled = threading.Event()
    >>> slots.take(cancelled), slots.free
    (True, 0)
    >>> slots.give(); slots.free
    1
"""
from __future__ import annotations

import socket
import threading
import time
from collections import deque
from contextlib import contextmanager
from typing import Iterator

from .generator import GeneratorUnavailable


class Slots:
    """``n`` request slots handed out first come, first served (a waiter gives up when ``cancelled`` is set)."""

    def __init__(self, n: int):
        self.free = max(1, int(n))
        self._line: deque[threading.Event] = deque()
        self._lock = threading.Lock()

    def take(self, cancelled: threading.Event) -> bool:
        """Wait for a slot; False (and no slot held) once ``cancelled`` is set."""
        ticket = threading.Event()
        with self._lock:
            if self.free and not self._line:
                self.free -= 1
                return True
            self._line.append(ticket)
        while not ticket.wait(0.05):
            if cancelled.is_set():
                with self._lock:
                    if ticket in self._line:
                        self._line.remove(ticket)
                        return False
                self.give()  # handed over while giving up: pass it on
                return False
        return True

    def give(self) -> None:
        """Free a slot: the longest waiter gets it."""
        with self._lock:
            if self._line:
                self._line.popleft().set()
            else:
                self.free += 1


class Watched:
    """One request under watch: its socket, when it was sent, and whether its wait ran out."""

    __slots__ = ("sock", "sent", "expired")

    def __init__(self, sock: socket.socket):
        self.sock, self.sent, self.expired = sock, time.monotonic(), False


class Silence:
    """The silence limit of one server (see the module docstring); one watcher thread while requests wait."""

    def __init__(self, limit_s: float):
        self.limit_s = float(limit_s)
        self.tick_s = min(0.5, self.limit_s / 6)
        self._heard = float("-inf")
        self._watched: set[Watched] = set()
        self._lock = threading.Lock()
        self._watcher: threading.Thread | None = None

    def heard(self) -> None:
        """The server said something (to any request): every waiting request's clock restarts."""
        self._heard = time.monotonic()

    @contextmanager
    def watch(self, sock: socket.socket) -> Iterator[Watched]:
        """Watch a request sent on ``sock``: once the server has been silent too long, the socket is shut
        (the reader's blocked read returns) and ``expired`` is set, so the reader can say why."""
        watched = Watched(sock)
        with self._lock:
            self._watched.add(watched)
            if self._watcher is None:
                self._watcher = threading.Thread(target=self._watch, name="openai-server-silence", daemon=True)
                self._watcher.start()
        try:
            yield watched
        finally:
            with self._lock:
                self._watched.discard(watched)

    def _watch(self) -> None:
        while True:
            time.sleep(self.tick_s)
            with self._lock:
                if not self._watched:
                    self._watcher = None
                    return
                now = time.monotonic()
                for watched in self._watched:
                    if not watched.expired and now - max(self._heard, watched.sent) > self.limit_s:
                        watched.expired = True
                        try:
                            watched.sock.shutdown(socket.SHUT_RDWR)
                        except OSError:
                            pass


class Connections:
    """The open sockets of one call, so that cancelling it unblocks every thread at once."""

    def __init__(self):
        self._open: set = set()
        self._lock = threading.Lock()
        self.cancelled = threading.Event()

    @property
    def closed(self) -> bool:
        return self.cancelled.is_set()

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            if self.cancelled.is_set():
                sock.close()
                raise GeneratorUnavailable("the request was cancelled")
            self._open.add(sock)

    def discard(self, sock: socket.socket) -> None:
        with self._lock:
            self._open.discard(sock)

    def wait(self, seconds: float) -> None:
        """Sleep between retries, waking up early when the call is cancelled."""
        self.cancelled.wait(seconds)

    def close_all(self) -> None:
        with self._lock:
            self.cancelled.set()
            for sock in self._open:
                try:
                    sock.shutdown(socket.SHUT_RDWR)  # wakes a thread blocked in a read
                except OSError:
                    pass
            self._open.clear()
