"""One digest run: fold opt-outs, find who is due, build, claim, deliver with retries, record.

Scope and why: the CLI (``porte-voix digest send``), the app's schedule and the
admin page all call :func:`send`; :func:`send_test` sends one digest to an admin.
Every delivery is claimed in the store before it is sent (``log.claim``,
unique per employee and period), so two runs of one week, in one process or
two, never send anybody the same week twice. One run at a time per process.

    >>> report = send(ctx, dry_run=True)
    >>> report.due, report.sent, report.digests
    (0, 0, [])
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from ..imports import people
from . import digests, log, notify
from .preferences import effective_channel, fold_optouts, get as get_preferences

if TYPE_CHECKING:  # the composition root sits above this layer (LAYERS in assistant/__init__.py)
    from ..context import Context

_running = threading.Lock()
RETRY_RUNS = 3   # a failed delivery is tried again by the next runs of its period, up to this many runs


@dataclass
class RunReport:
    period: str
    run_id: int | None = None
    dry_run: bool = False
    due: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0
    build_seconds: float = 0.0
    send_seconds: float = 0.0
    digests: list[dict] = field(default_factory=list)      # summaries: email, language, channel, items, subject
    failures: list[dict] = field(default_factory=list)     # {"email", "channel", "error", "attempts"}
    outcomes: dict = field(default_factory=dict)           # email -> {"status", "attempts", "error"}

    def messages(self) -> list[dict]:
        """Per message: email, language, channel, subject, items (with deep links), and its status."""
        default = {"status": "dry-run" if self.dry_run else "skipped", "attempts": 0, "error": None}
        return [{**d, **self.outcomes.get(d["email"], default)} for d in self.digests]

    def as_dict(self) -> dict:
        return {k: getattr(self, k) for k in ("period", "run_id", "dry_run", "due", "sent", "failed", "skipped",
                                              "build_seconds", "send_seconds", "failures")}


def message_for(digest: digests.Digest) -> notify.Message:
    """The digest as one message on its channel; e-mails carry the one-click unsubscribe headers (RFC 8058)."""
    if digest.channel == "email":
        headers = {"List-Unsubscribe": f"<{digest.links['unsubscribe']}>",
                   "List-Unsubscribe-Post": "List-Unsubscribe=One-Click"}
        return notify.Message("email", digest.email, digest.subject, "", digest.body("html"), headers)
    return notify.Message(digest.channel, digest.email, digest.subject, digest.body("md"))


def _deliver(ctx: Context, claimed: list[tuple[int, digests.Digest]], report: RunReport, attempts: int | None = None,
             sleep=time.sleep) -> None:
    store = ctx.store
    unusable = {}
    for _, digest in claimed:
        if digest.channel not in unusable:
            unusable[digest.channel] = notify.check(ctx.settings, digest.channel)
    ready = []
    for delivery_id, digest in claimed:
        reason = unusable[digest.channel]
        if reason:  # no retry can help: recorded at once
            log.finish_delivery(store, delivery_id, False, 0, reason, ctx.now())
            report.outcomes[digest.email] = {"status": "failed", "attempts": 0, "error": reason}
            report.failed += 1
            report.failures.append({"email": digest.email, "channel": digest.channel, "error": reason, "attempts": 0})
        else:
            ready.append((delivery_id, digest))

    def record(i: int, result: notify.Result) -> None:
        delivery_id, digest = ready[i]
        log.finish_delivery(store, delivery_id, result.ok, result.attempts, result.error, ctx.now())
        report.outcomes[digest.email] = {"status": "sent" if result.ok else "failed", "attempts": result.attempts,
                                         "error": result.error}
        if result.ok:
            report.sent += 1
        else:
            report.failed += 1
            report.failures.append({"email": digest.email, "channel": digest.channel, "error": result.error,
                                    "attempts": result.attempts})

    start = time.perf_counter()
    notify.deliver(ctx.settings, [message_for(d) for _, d in ready], on_result=record, attempts=attempts, sleep=sleep)
    report.send_seconds = round(time.perf_counter() - start, 3)


def send(ctx: Context, trigger: str = "cli", dry_run: bool = False, period: str | None = None, progress=None,
         sleep=time.sleep) -> RunReport:
    """This period's digests to everyone due (``dry_run``: build and report, send and record nothing)."""
    with _running:
        store = ctx.store
        fold_optouts(store, ctx.settings)
        period = period or digests.period_of(ctx.today())
        report = RunReport(period, dry_run=dry_run)
        recipients = digests.due(ctx, period, max_attempts=RETRY_RUNS * ctx.settings.digest_attempts)
        start = time.perf_counter()
        built = digests.build(ctx, recipients, period, progress=progress)
        report.build_seconds = round(time.perf_counter() - start, 3)
        report.due = len(built)
        report.digests = [d.summary() for d in built]
        if dry_run or not built:
            return report
        report.run_id = log.start_run(store, period, trigger, ctx.now())
        claimed = []
        for d in built:
            delivery_id = log.claim(store, report.run_id, d.email, period, d.channel, d.language, d.subject,
                                           [{"id": i["id"], "title": i["title"], "link": i["link"]} for i in d.items],
                                           ctx.now())
            if delivery_id is None:
                report.skipped += 1
            else:
                claimed.append((delivery_id, d))
        error = None
        try:
            _deliver(ctx, claimed, report, sleep=sleep)
        except Exception as exc:  # recorded on the run, then raised: the admin page shows it
            error = f"{type(exc).__name__}: {exc}"
            raise
        finally:
            log.finish_run(store, report.run_id, ctx.now(), due=report.due, sent=report.sent,
                                  failed=report.failed, skipped=report.skipped, build_seconds=report.build_seconds,
                                  error=error)
        return report


def send_test(ctx: Context, email: str, channel: str | None = None) -> RunReport:
    """A test digest to ``email`` (an admin, themselves) now, whatever their consent or frequency; one attempt."""
    store = ctx.store
    person = people.get_person(store, email)
    if person is None:
        raise LookupError(f"no employee profile for {email!r}: a test digest needs one to recommend from")
    preferences = get_preferences(store, person["email"])
    recipient = {"email": person["email"], "name": person["name"], "languages": person["languages"],
                 "frequency": preferences["frequency"],
                 "channel": effective_channel(ctx.settings, channel or preferences["channel"])}
    period = f"test:{ctx.now().isoformat(timespec='seconds')}"
    with _running:
        report = RunReport(period)
        start = time.perf_counter()
        built = digests.build(ctx, [recipient], period, test=True)
        report.build_seconds, report.due = round(time.perf_counter() - start, 3), len(built)
        report.digests = [d.summary() for d in built]
        report.run_id = log.start_run(store, period, "test", ctx.now())
        d = built[0]
        delivery_id = log.claim(store, report.run_id, d.email, period, d.channel, d.language, d.subject,
                                       [{"id": i["id"], "title": i["title"], "link": i["link"]} for i in d.items], ctx.now())
        if delivery_id is None:  # the same second twice
            report.skipped = 1
        else:
            _deliver(ctx, [(delivery_id, d)], report, attempts=1)
        log.finish_run(store, report.run_id, ctx.now(), due=1, sent=report.sent, failed=report.failed,
                              skipped=report.skipped, build_seconds=report.build_seconds)
        return report
