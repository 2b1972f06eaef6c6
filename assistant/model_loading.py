"""Access to the drafting model: one request at a time, who is waiting, and whether it is still loading.

A process holds one drafting model and it writes one batch at a time, so a
second employee asking for drafts waits. :class:`Turns` makes the wait
visible: first come, first served, and each waiter knows how many people are
ahead ("2 people ahead of you"). :class:`Loading` follows the model's load
at start (``drafting.warm_up`` in a background thread) and gives an estimate
from the last load on this machine, kept in the home.

    >>> turns = Turns()
    >>> a, b = turns.join(), turns.join()
    >>> turns.ahead(a), turns.ahead(b), turns.wait(b, timeout=0.01)
    (0, 1, False)
    >>> turns.leave(a); turns.ahead(b), turns.wait(b, timeout=0.01)
    (0, True)
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterator

FIRST_LOAD_S = 150.0   # one-time conversion of the packaged model, then its load (README "Drafting")
USUAL_LOAD_S = 15.0    # load from the converted folder, when no earlier load was measured here


class Turns:
    """First come, first served turns at one shared resource, with each waiter's position."""

    def __init__(self):
        self._cond = threading.Condition()
        self._line: list[int] = []
        self._tickets = itertools.count(1)

    def join(self) -> int:
        with self._cond:
            ticket = next(self._tickets)
            self._line.append(ticket)
            return ticket

    def ahead(self, ticket: int) -> int:
        """How many people are before ``ticket`` (0: its turn)."""
        with self._cond:
            return self._line.index(ticket) if ticket in self._line else 0

    def waiting(self) -> int:
        """People in line, the one being served included."""
        with self._cond:
            return len(self._line)

    def wait(self, ticket: int, timeout: float) -> bool:
        """True once it is ``ticket``'s turn; False when ``timeout`` seconds passed first."""
        with self._cond:
            return self._cond.wait_for(lambda: not self._line or self._line[0] == ticket, timeout)

    def leave(self, ticket: int) -> None:
        with self._cond:
            if ticket in self._line:
                self._line.remove(ticket)
            self._cond.notify_all()

    @contextmanager
    def turn(self, on_wait: Callable[[int], None] | None = None, poll_s: float = 0.5) -> Iterator[None]:
        """Wait for a turn (calling ``on_wait(people ahead)`` every ``poll_s``), hold it, give it back."""
        ticket = self.join()
        try:
            while not self.wait(ticket, poll_s):
                if on_wait:
                    on_wait(self.ahead(ticket))
            yield
        finally:
            self.leave(ticket)


class Loading:
    """The drafting model's load: started, finished (or failed), and how long it should take."""

    def __init__(self, record: Path | None = None, first_time: bool = False):
        self.record = record
        self.first_time = first_time
        self.started: float | None = None
        self.finished: float | None = None
        self.error: str | None = None

    def begin(self) -> None:
        self.started = time.monotonic()

    def end(self, error: str | None = None) -> None:
        self.finished, self.error = time.monotonic(), error
        if error is None and self.record is not None and self.started is not None:
            try:
                self.record.parent.mkdir(parents=True, exist_ok=True)
                self.record.write_text(json.dumps({"load_s": round(self.finished - self.started, 1)}))
            except OSError:
                pass  # an estimate is a nicety; a read-only home must not stop drafting

    @property
    def done(self) -> bool:
        return self.finished is not None

    def estimate_s(self) -> float:
        """Expected total load time: the last one measured here, else the usual figures."""
        try:
            return float(json.loads(self.record.read_text())["load_s"]) if self.record else USUAL_LOAD_S
        except (OSError, ValueError, KeyError, TypeError):
            return FIRST_LOAD_S if self.first_time else USUAL_LOAD_S

    def remaining_s(self) -> float:
        """Seconds still expected (never below 1 while loading)."""
        if self.done:
            return 0.0
        spent = time.monotonic() - self.started if self.started is not None else 0.0
        return max(1.0, self.estimate_s() - spent)


def first_load(generator) -> bool:
    """Whether the packaged model still needs its one-time conversion (best effort; False when unknown)."""
    try:
        pinned = generator._pinned_gguf_sha()
        return bool(pinned) and not generator._is_converted(generator.converted_dir(pinned))
    except Exception:
        return False
