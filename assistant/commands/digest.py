"""``porte-voix digest …``: send this week's digests, send a test digest, show the runs, serve unsubscribe links.

Scope: the command-line side of the digests; ``cli.parser`` calls
:func:`add_parsers` once. Each command takes ``(args, ctx)`` and returns the
exit code: 0 done, 1 some deliveries failed, 2 error (as every command).

    porte-voix digest send --dry-run --json    # what would go out, per message
    porte-voix digest send                     # the cron line's command (idempotent per employee and week)
    porte-voix digest test nadia.benali@nordlys-energie.example
    porte-voix digest status
"""

from __future__ import annotations

import json
import sys

from ..context import Context
from ..digest import log, sending
from ..web import clickservice, unsubscribe


def add_parsers(subparsers) -> None:
    """Add ``digest send|test|status|unsubscribe-server`` to the ``porte-voix`` parser."""
    digest = subparsers.add_parser("digest", help="weekly digests by e-mail, Slack or Teams").add_subparsers(
        dest="action", required=True)
    s = digest.add_parser("send", help="send this week's digests to everyone due (never twice a week)")
    s.add_argument("--dry-run", action="store_true", help="build and print them; send and record nothing")
    s.add_argument("--period", help="ISO week, e.g. 2026-W50 (default: this week)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_send)
    s = digest.add_parser("test", help="send a test digest to one person now (whatever their consent)")
    s.add_argument("email")
    s.add_argument("--channel", choices=["email", "slack", "teams"])
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_test)
    s = digest.add_parser("status", help="the latest digest runs and their failures")
    s.add_argument("--limit", type=int, default=10)
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_status)
    s = digest.add_parser("unsubscribe-server", help="serve the one-click unsubscribe links (when the click service "
                                                    "does not)")
    s.add_argument("--host", default="127.0.0.1")
    s.add_argument("--port", type=int, default=8503)
    s.set_defaults(run=cmd_unsubscribe_server)


def _print_messages(report: sending.RunReport, as_json: bool) -> None:
    if as_json:
        print(json.dumps(report.messages(), ensure_ascii=False, default=str))
        return
    for m in report.messages():
        print(f"{m['status']:>8}  {m['email']}  [{m['language']}, {m['channel']}]  {m['subject']}")
        for n, item in enumerate(m["items"], 1):
            print(f"          {n}. {item['title']}\n             {item['link']}")
        if m["error"]:
            print(f"          error: {m['error']}")


def _summary(report: sending.RunReport) -> str:
    head = f"digests {report.period}: {report.due} due"
    if report.dry_run:
        return f"{head} (dry run: nothing sent); built in {report.build_seconds:.1f} s"
    return (f"{head}, {report.sent} sent, {report.failed} failed, {report.skipped} already taken; "
            f"built in {report.build_seconds:.1f} s, sent in {report.send_seconds:.1f} s")


def cmd_send(args, ctx: Context) -> int:
    report = sending.send(ctx, trigger="cli", dry_run=args.dry_run, period=args.period)
    _print_messages(report, args.json)
    print(_summary(report), file=sys.stderr if args.json else sys.stdout)
    return 1 if report.failed else 0


def cmd_test(args, ctx: Context) -> int:
    report = sending.send_test(ctx, args.email, channel=args.channel)
    _print_messages(report, args.json)
    return 1 if report.failed else 0


def cmd_status(args, ctx: Context) -> int:
    runs = log.runs(ctx.store, args.limit)
    failed = log.deliveries(ctx.store, status="failed", limit=50)
    if args.json:
        print(json.dumps({"runs": runs, "failures": failed}, ensure_ascii=False, default=str))
        return 0
    if not runs:
        print("no digest sent yet")
    for r in runs:
        print(f"{r['started_at']:%Y-%m-%d %H:%M}  {r['period']:<10} {r['trigger']:<8} due {r['due']}, sent {r['sent']}, "
              f"failed {r['failed']}, already taken {r['skipped']}{'  error: ' + r['error'] if r['error'] else ''}")
    for f in failed:
        print(f"failed: {f['email']} ({f['period']}, {f['channel']}, {f['attempts']} attempts): {f['error']}")
    return 0


def cmd_unsubscribe_server(args, ctx: Context) -> int:
    """The unsubscribe page alone, behind the click service's guarded server (``http_guard``'s limits)."""
    print(f"unsubscribe page on http://{args.host}:{args.port}/unsubscribe/<token>", flush=True)
    clickservice.run(unsubscribe.create_app(ctx.settings), args.host, args.port, ctx.settings.trusted_proxies)
    return 0
