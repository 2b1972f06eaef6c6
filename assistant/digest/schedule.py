"""When digests go out: the in-app schedule (a background thread) and the rule it shares with cron.

Scope and why: an installation either runs the app all week, and the app's own
thread sends the digests, or runs ``porte-voix digest send`` from cron (the
DuckDB file has one writer, so cron suits installations where the app is not
running at that hour; the command exits 2 when the app holds the file). Both
paths are safe together and on repeat: every delivery is claimed in the store
under ``UNIQUE (email, period)``, so nobody gets a week twice.

The thread wakes every ``every_s`` seconds; from the configured weekday and
hour (``digest_weekday``, ``digest_hour``; Monday 9:00 by default) to the end
of the ISO week it runs :func:`sending.send`, which sends only to people
still due: the week's digests the first time, then anyone who enrolled since,
and a later try for deliveries that failed (bounded). Its first look comes one
period after it starts, not at once: the app starts the thread when its first
page is opened (``resources.digest_schedule``), and that page must not wait
behind a digest run in the same process, nor must an app opened for a moment
(a health check, a test) send anything.

    >>> import datetime as dt
    >>> from assistant.config import Settings
    >>> s = Settings(home=tmp, digest_weekday=1, digest_hour=9)
    >>> [is_due(s, dt.datetime(2026, 12, d, h)) for d, h in ((7, 8), (7, 9), (9, 3), (13, 23))]
    [False, True, True, True]
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from typing import TYPE_CHECKING

from .. import periodic
from ..config import Settings
from ..retrieval import text_languages
from ..storage import jobs
from . import sending

if TYPE_CHECKING:  # the composition root sits above this layer (LAYERS in assistant/__init__.py)
    from ..context import Context

log = logging.getLogger(__name__)
EVERY_S = 600.0
_running: dict[str, periodic.Job] = {}
_running_lock = threading.Lock()


def is_due(settings: Settings, now: dt.datetime) -> bool:
    """True from the configured weekday and hour until the end of that ISO week."""
    day = now.isoweekday()
    return day > settings.digest_weekday or (day == settings.digest_weekday and now.hour >= settings.digest_hour)


def tick(ctx: Context) -> sending.RunReport | None:
    """One look at the clock: send to whoever is due when it is time; otherwise detect a few more profile
    languages ahead of the run (``text_languages.warm``: at most 2,000 texts, ~10 s, per tick). With several
    app processes on one PostgreSQL store, one of them looks at a time (``storage.jobs``)."""
    with jobs.once(ctx.store, "digest-schedule") as mine:
        return _tick(ctx) if mine else None


def _tick(ctx: Context) -> sending.RunReport | None:
    if not is_due(ctx.settings, ctx.now()):
        text_languages.warm(ctx.store, text_languages.profile_texts(ctx.store))
        return None
    report = sending.send(ctx, trigger="schedule")
    if report.due:
        log.info("digests %s: %d due, %d sent, %d failed, %d already taken", report.period, report.due, report.sent,
                 report.failed, report.skipped)
    return report


def start_background(ctx: Context, every_s: float = EVERY_S) -> threading.Thread:
    """Start the schedule for ``ctx``'s store, once per process (later calls return the running one's thread):
    a background job (``assistant.periodic``) that first looks at the clock ``every_s`` seconds after it starts,
    then every ``every_s`` seconds, and ends with the store."""
    key = str(ctx.settings.db_path)
    with _running_lock:
        running = _running.get(key)
        if running and running.is_alive():
            return running.thread
        def run() -> None:
            tick(ctx)

        _running[key] = periodic.every("porte-voix-digests", every_s, run, done=lambda: ctx.store.closed)
        return _running[key].thread


def stop_background(ctx: Context, timeout: float = 5.0) -> None:
    """Stop the schedule thread of ``ctx``'s store (tests; the app's thread ends with the process)."""
    with _running_lock:
        running = _running.pop(str(ctx.settings.db_path), None)
    if running:
        running.stop(timeout)
