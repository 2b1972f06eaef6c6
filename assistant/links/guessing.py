"""Slow down an address that walks short codes: past ``limit`` unknown codes in a minute, 429 until it ends;
and, on a replica, cap the store lookups of codes it does not know, all addresses together (:class:`LookupBudget`).

Codes are HMACs (62⁸ of them: walking finds nothing), yet a service that answers
thousands of wrong guesses a second hands a crawler a free oracle and makes it
re-read the link table each time. So unknown codes are counted per network
(``visitors.network``: IPv4 /24, IPv6 /64, what one client cannot rotate
cheaply) in fixed windows; past ``limit`` in one window, every code request
from that network gets **429** with ``Retry-After`` until the window ends —
known codes too, or the difference between 302 and 429 would still tell valid
codes apart. A person who mistypes a link twice never notices. Counters live in
memory only (no address is written anywhere), at most ``max_tracked`` networks.

    >>> clock = iter(range(0, 1000, 1)).__next__
    >>> guard = CodeWalkGuard(limit=2, window_s=60, clock=clock)
    >>> guard.missed("203.0.113.5"); guard.missed("203.0.113.77")   # the same /24
    >>> guard.blocked("203.0.113.9"), guard.blocked("198.51.100.1")
    (58, None)
"""

from __future__ import annotations

import math
import threading
import time

from .visitors import network


class CodeWalkGuard:
    """Counts unknown codes per network; ``blocked(ip)`` says for how many seconds it is refused (or None)."""

    def __init__(self, limit: int = 20, window_s: float = 60.0, max_tracked: int = 100_000, clock=time.monotonic):
        self.limit, self.window_s, self.max_tracked, self.clock = limit, window_s, max_tracked, clock
        self._windows: dict[str, list] = {}  # network → [window start, unknown codes asked in it]
        self._lock = threading.Lock()

    def blocked(self, ip: str | None) -> int | None:
        """Seconds left (at least 1) while the network of ``ip`` is over the limit, else None."""
        window = self._windows.get(network(ip))
        if window is None or window[1] < self.limit:
            return None
        left = window[0] + self.window_s - self.clock()
        return max(1, math.ceil(left)) if left > 0 else None

    def missed(self, ip: str | None) -> None:
        """Count one unknown code asked from ``ip``."""
        key, now = network(ip), self.clock()
        with self._lock:
            window = self._windows.get(key)
            if window is None or now - window[0] >= self.window_s:
                if len(self._windows) >= self.max_tracked:
                    self._forget_old(now)
                self._windows[key] = [now, 1]
            else:
                window[1] += 1

    def _forget_old(self, now: float) -> None:
        self._windows = {k: w for k, w in self._windows.items() if now - w[0] < self.window_s}
        if len(self._windows) >= self.max_tracked:  # a flood from that many networks at once: start over
            self._windows = {}


class LookupBudget:
    """A cap on a click replica's store lookups of codes it does not know yet, all networks together: a token
    bucket of ``burst`` lookups, refilled at ``per_s`` a second; ``take()`` is False past it (then the
    service answers 503 with ``Retry-After`` and asks nothing).

    Why: :class:`CodeWalkGuard` stops one network walking codes, not random codes from many networks, and each
    would cost a PostgreSQL query. A genuine code unknown here was made in the last second or so, and the
    replica's own turn pulls it within a second: past the cap a visitor's retry finds it without a lookup.

    >>> now = [0.0]
    >>> budget = LookupBudget(per_s=1.0, burst=2, clock=lambda: now[0])
    >>> [budget.take() for _ in range(3)], budget.refused
    ([True, True, False], 1)
    >>> now[0] = 1.0; budget.take()
    True
    """

    def __init__(self, per_s: float = 20.0, burst: int = 40, clock=time.monotonic):
        self.per_s, self.burst, self.clock = per_s, burst, clock
        self.refused = 0
        self._tokens, self._at = float(burst), clock()
        self._lock = threading.Lock()

    def take(self) -> bool:
        """Spend one lookup if the budget has one."""
        with self._lock:
            now = self.clock()
            self._tokens = min(float(self.burst), self._tokens + (now - self._at) * self.per_s)
            self._at = now
            if self._tokens >= 1.0:
                self._tokens -= 1.0
                return True
            self.refused += 1
            return False
