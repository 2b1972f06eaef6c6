"""``porte-voix`` subcommands for engagement: share, links serve / retire, engagement sync / import / stats.

``cli.py`` calls :func:`add_parsers` once. Each command is ``run(args, ctx)``.
``links serve`` is the public click service: it reads only ``ctx.settings``,
so the DuckDB file (which the app holds) is never opened and no model loads
(the context builds both lazily).

    porte-voix share EMAIL CONTENT_ID --network linkedin --text-file post.txt --json
    porte-voix links serve --host 0.0.0.0 --port 8502
    porte-voix links retire 3f9a0c1d2e4b   # a click host taken out of service (PostgreSQL)
    porte-voix engagement sync
    porte-voix engagement import linkedin-export.xlsx x-export.csv conversions.csv
    porte-voix engagement stats --share s-1a2b3c --json

Exit codes as for the other commands: 0 ok, 1 some input rejected or
unmatched, 2 error.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

from ..links.clicklog import open_log
from ..links.tracked import NETWORKS
from ..reporting import engagement_import, metrics, sync
from ..sharing import shares
from ..web import clickservice

STAT_FIELDS = ("hits", "bot_hits", "human_clicks", "unique_human_clicks", "conversions", "leads", "applications",
               "impressions", "reactions", "comments", "reshares", "network_clicks", "reach", "reach_reported")


def add_parsers(subparsers) -> None:
    """Add ``share``, ``links`` and ``engagement`` to the ``porte-voix`` parser."""
    s = subparsers.add_parser("share", help="share a text as the Share button does (checks, score, policy, "
                                            "short link) and print the share")
    s.add_argument("email")
    s.add_argument("content_id")
    s.add_argument("--network", required=True, choices=NETWORKS)
    s.add_argument("--text-file", required=True, type=Path, help="the post's text (UTF-8)")
    s.add_argument("--share-id", help="make the command idempotent (default: a new id)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_share)

    links = subparsers.add_parser("links", help="tracked short links").add_subparsers(dest="action", required=True)
    s = links.add_parser("serve", help="run the public click service (302 redirects, /healthz, conversions)")
    s.add_argument("--host", help="interface to listen on (default PORTE_VOIX_LINKS_HOST or 127.0.0.1)")
    s.add_argument("--port", type=int, help="port (default PORTE_VOIX_LINKS_PORT or 8502)")
    s.set_defaults(run=cmd_links_serve)
    s = links.add_parser("retire", help="take a click-service replica taken out of service off the reports "
                                        "(PostgreSQL; its id is in `engagement stats`)")
    s.add_argument("replica")
    s.set_defaults(run=cmd_links_retire)

    eng = subparsers.add_parser("engagement", help="clicks, conversions and network statistics") \
        .add_subparsers(dest="action", required=True)
    s = eng.add_parser("sync", help="fold new hits and conversions of the click log into the database")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_sync)
    s = eng.add_parser("import", help="import network analytics exports (LinkedIn XLSX/CSV, X CSV, generic CSV) "
                                      "or a conversions CSV")
    s.add_argument("paths", nargs="+", type=Path)
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_import)
    s = eng.add_parser("stats", help="per share: hits, bot hits, human and unique human clicks, conversions, "
                                     "network metrics")
    s.add_argument("--share", help="one share id")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_stats)


def cmd_share(args, ctx) -> int:
    try:
        text = args.text_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ValueError(f"{args.text_file}: cannot read ({exc.__class__.__name__})") from None
    try:
        result = shares.share(ctx, args.email, args.content_id, text, args.network, share_id=args.share_id)
    except shares.ShareBlocked as exc:
        print(f"porte-voix: the policy blocks this text: {exc}", file=sys.stderr)
        return 1
    row = ctx.store.rows("SELECT shared_at FROM shares WHERE id = ?", [result["share_id"]])[0]
    out = {"share_id": result["share_id"], "email": args.email, "content_id": args.content_id,
           "network": result["network"], "campaign": result["campaign"], "short_url": result["short_url"],
           "tracked_url": result["tracked_url"], "text": result["text"], "score": result["score"],
           "violations": result["violations"], "links": result["links"], "shared_at": row["shared_at"]}
    if args.json:
        print(json.dumps(out, ensure_ascii=False, default=str))
    else:
        print(f"{out['text']}\n\nshare {out['share_id']} · authenticity {out['score']:.0f}/100 · "
              f"link {out['short_url'] or '(the item has no URL)'}")
        for v in out["violations"]:
            print(f"  policy ({v['severity']}): {v['message']}")
    return 0


def cmd_links_serve(args, ctx) -> int:
    clickservice.serve(ctx.settings, host=args.host, port=args.port)  # settings only: no store, no model
    return 0


def cmd_links_retire(args, ctx) -> int:
    if not sync.retire(ctx.store, args.replica):
        raise LookupError(f"no click-service replica {args.replica!r} (`porte-voix engagement stats` lists them)")
    print(f"replica {args.replica} retired: off the reports until it forwards again")
    return 0


def cmd_sync(args, ctx) -> int:
    start = time.perf_counter()
    done = sync.sync(ctx.store, open_log(ctx.settings.clicklog_path))
    done["seconds"] = round(time.perf_counter() - start, 3)
    if args.json:
        print(json.dumps(done))
    elif done.get("busy"):
        print("another process is folding the click log right now (the app's sync): nothing to do")
    else:
        skipped = f", {done['skipped']} skipped (share unknown or erased)" if done["skipped"] else ""
        print(f"{done['hits']} hits and {done['conversions']} conversions folded{skipped}; {done['seconds']:.2f} s")
    return 0


def cmd_import(args, ctx) -> int:
    results = engagement_import.import_files(ctx, args.paths)
    if args.json:
        print(json.dumps(results, ensure_ascii=False))
    else:
        for result in results:
            for problem in result["problems"]:
                print(f"{'unmatched' if 'no share with' in problem else 'rejected'}: {problem}", file=sys.stderr)
            if result["kind"] == "analytics":
                print(result["summary"])
            else:
                print(f"conversions {result['file']}: {result['stored']} stored, {result['duplicate']} already "
                      f"known, {result['rejected']} rejected")
    return 1 if engagement_import.failed(results) else 0


def cmd_stats(args, ctx) -> int:
    rows = metrics.share_metrics(ctx.store, metrics.Filters(include_prepared=True))
    if args.share:
        rows = [r for r in rows if r["id"] == args.share]
        if not rows:
            raise LookupError(f"no share {args.share!r}")
    runs = open_log(ctx.settings.clicklog_path).service_runs()
    service = {k: sum(r[k] or 0 for r in runs) for k in ("received", "written", "lost", "pending")}
    out = {"shares": [{"share_id": r["id"], "email": r["email"], "campaign": r["campaign"], "network": r["network"],
                       "status": r["status"], **{k: r[k] for k in STAT_FIELDS}} for r in rows],
           "click_service": service, "click_replicas": sync.replicas(ctx.store), "rules": metrics.RULES}
    if args.json:
        print(json.dumps(out, ensure_ascii=False, default=str))
        return 0
    print(f"{'share':<16} {'hits':>6} {'bots':>6} {'human':>6} {'unique':>6} {'conv':>5} {'impr':>7} {'react':>6} "
          f"{'comm':>5} {'repost':>6}")
    for r in out["shares"]:
        print(f"{r['share_id']:<16} {r['hits']:>6} {r['bot_hits']:>6} {r['human_clicks']:>6} "
              f"{r['unique_human_clicks']:>6} {r['conversions']:>5} {r['impressions'] if r['impressions'] is not None else '—':>7} "
              f"{r['reactions']:>6} {r['comments']:>5} {r['reshares']:>6}")
    print(f"click service: {service['received']} hits received, {service['written']} written, {service['lost']} lost")
    for r in out["click_replicas"]:  # replicas on their own hosts (PostgreSQL)
        print(f"  replica {r['replica']} on {r['host']}: last forwarded {r['seconds_ago']:.0f} s ago, "
              f"{r['waiting']} hits waiting for the sync")
    for name, rule in metrics.RULES.items():
        print(f"  {name}: {rule}")
    return 0
