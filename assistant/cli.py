"""The ``porte-voix`` command: import, embed, recommend, find experts, load the demo.

Every subcommand works on the store under ``PORTE_VOIX_HOME``; ``main`` builds the
one :class:`~assistant.context.Context` (from the environment, through the config
module) and hands it to the command. Errors are one
line on stderr with a non-zero exit code, whatever failed (a locked or damaged
store, a bug): a traceback shows only with ``porte-voix --debug COMMAND``, which
also prints the log. ``--json`` prints machine-readable results on stdout
(schemas in README "Command line").
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

from tqdm import tqdm

from . import demo, language
from .commands import admin as commands_admin
from .commands import digest as commands_digest
from .commands import engagement as commands_engagement
from .config import load_settings
from .context import Context, open_context
from .imports.catalog import ingest
from .imports.importing import StoreFailed
from .imports.people import import_people
from .retrieval import matching
from .retrieval.indexing import embed_pending
from .storage import audit, faults
from .writing import authenticity, drafting, injection, starters, translation


REVIEW_LABELS = {"directive": "instructions to a model", "person_claim": "a claim about a person",
                 "company_claim": "a claim about the company (sale, merger, jobs, results)"}


def _progress(desc: str):
    """A tqdm bar on stderr, as a ``progress(done, total)`` callback."""
    state = {}

    def update(done: int, total: int) -> None:
        bar = state.get("bar")
        if bar is None:
            bar = state["bar"] = tqdm(total=total, desc=desc, unit="text", file=sys.stderr, leave=False)
        bar.update(done - bar.n)
        if done >= total:
            bar.close()

    return update


def embed_all(ctx: Context, quiet: bool = False) -> int:
    """Embed every active item and every person's texts that lack a vector; return how many were computed."""
    bars: dict = {}

    def progress(stage: str, done: int, total: int) -> None:
        bars.setdefault(stage, _progress(f"embedding {stage} ({ctx.embedder.name})"))(done, total)

    return embed_pending(ctx.store, ctx.embedder, None if quiet else progress, ctx.today())


def translate_all(ctx: Context, quiet: bool = False) -> int:
    """Translate the key point of every item that has no version in the other language (``translation``), in
    this process: the app never loads the translator; return how many were stored."""
    return translation.translate_pending(ctx, None if quiet else _progress("translating key points"))


def _report(report, embedded: int, as_json: bool, seconds: float, translated: int | None = None) -> int:
    if as_json:
        print(json.dumps({**report.as_dict(), "embeddings_computed": embedded, "seconds": round(seconds, 2),
                          **({} if translated is None else {"translations_stored": translated})}))
    else:
        for problem in report.problems:
            print(f"rejected: {problem}", file=sys.stderr)
        for note in report.notes:
            print(f"note: {note}", file=sys.stderr)
        print(f"{report.summary()}; {embedded} embeddings computed"
              f"{' (all vectors already stored)' if embedded == 0 else ''}"
              f"{'' if translated is None else f'; {translated} key points translated'}; {seconds:.1f} s")
    return report.exit_code


def _audit_import(ctx: Context, target: str, paths, report) -> None:
    audit.record(ctx.store, audit.system_actor(), f"import.{target}", target=", ".join(map(str, paths)),
                 detail={k: report.counts[k] for k in report.counts})


def cmd_ingest(args, ctx: Context) -> int:
    start = time.perf_counter()
    report = ingest(ctx.store, args.paths, max_file_mb=ctx.settings.max_file_mb)
    _audit_import(ctx, "content", args.paths, report)
    for flag in injection.review(ctx.store, report.keys):  # kept, but never given to the drafting model
        label = REVIEW_LABELS[flag["kind"]]
        report.notes.append(f"{flag['id']}: to review, {label} left out of drafts: {flag['sentence'][:160]}")
    embedded = embed_all(ctx, quiet=args.json)
    translated = 0 if args.no_translate else translate_all(ctx, quiet=args.json)
    return _report(report, embedded, args.json, time.perf_counter() - start, translated)


def cmd_people_import(args, ctx: Context) -> int:
    start = time.perf_counter()
    report = import_people(ctx.store, args.paths, max_file_mb=ctx.settings.max_file_mb)
    _audit_import(ctx, "people", args.paths, report)
    embedded = embed_all(ctx, quiet=args.json)
    return _report(report, embedded, args.json, time.perf_counter() - start)


def cmd_demo(args, ctx: Context) -> int:
    start = time.perf_counter()
    loaded = demo.load(ctx)
    content, persons, activity = loaded["content"], loaded["people"], loaded["activity"]
    embedded = embed_all(ctx, quiet=args.json)
    translated = translate_all(ctx, quiet=args.json)
    seconds = time.perf_counter() - start
    if args.json:
        print(json.dumps({"content": content.as_dict(), "people": persons.as_dict(), "embeddings_computed": embedded,
                          "translations_stored": translated, "demo": activity, "seconds": round(seconds, 2)}))
    else:
        for problem in content.problems + persons.problems:
            print(f"rejected: {problem}", file=sys.stderr)
        print(f"{content.summary()}\n{persons.summary()}\n{embedded} embeddings computed; "
              f"{translated} key points translated; "
              f"{activity['accounts']} demo accounts and {activity['shares']} demo shares added; {seconds:.1f} s")
    return 1 if content.counts["rejected"] or persons.counts["rejected"] else 0


def cmd_translate(args, ctx: Context) -> int:
    """Key points of the items missing a translation, stored; ``--stdio``: the app's translation process
    (``translation.ChildTranslator``), which never opens the store."""
    if args.stdio:  # stdout carries the answers only: anything a library prints goes to stderr
        answers, sys.stdout = sys.stdout, sys.stderr
        try:
            translation.serve_stdio(ctx.translator, sys.stdin, answers)
        finally:
            sys.stdout = answers
        return 0
    start = time.perf_counter()
    todo = len(translation.pending(ctx.store, ctx.today()))
    if todo and ctx.translator is None:
        print(f"porte-voix: {todo} key points to translate, but no translator (PORTE_VOIX_TRANSLATOR="
              f"{ctx.settings.translator})", file=sys.stderr)
        return 2
    translated = translate_all(ctx, quiet=args.json)
    seconds = time.perf_counter() - start
    if args.json:
        print(json.dumps({"pending": todo, "translations_stored": translated, "seconds": round(seconds, 2)}))
    else:
        print(f"{translated} of {todo} key points translated; {seconds:.1f} s")
    return 0 if translated == todo else 1


def cmd_recommend(args, ctx: Context) -> int:
    results = matching.recommend(ctx, args.email, limit=args.limit)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, default=str))
        return 0
    if not results:
        print("nothing to recommend (empty library, or everything already shared)")
    for rank, r in enumerate(results, 1):
        tag = f"[{r['kind']}, {r['language']}{', ' + r['campaign'] if r['campaign'] else ''}]"
        print(f"{rank:2}. {r['title']}  {tag}  score {r['score']:.2f}\n    {r['reason']}\n    id {r['id']}")
    return 0


def cmd_experts(args, ctx: Context) -> int:
    results = matching.experts(ctx, args.query, limit=args.limit)
    if args.json:
        print(json.dumps(results, ensure_ascii=False, default=str))
        return 0
    if not results:
        print("no colleague who accepts interview requests matches this topic")
    for rank, r in enumerate(results, 1):
        print(f"{rank:2}. {r['name']} <{r['email']}>  {r['role'] or ''} · {r['team'] or ''}  score {r['score']:.2f}")
        for e in r["evidence"]:
            print(f"    {e['kind']}: {e['text']}")
    return 0


def cmd_draft(args, ctx: Context) -> int:
    drafts = []
    if args.my_words is None and not args.json:
        lang, offered = drafting.starters_for(ctx, args.email, args.content_id, lang=args.lang)
        print(f"({starters.question(lang)} --my-words \"…\"; e.g. " +
              " / ".join(f"« {s['text'].strip()} … »" for s in offered) + ")", file=sys.stderr)
    for kind, payload in drafting.stream_variants(ctx, args.email, args.content_id, n=args.variants, lang=args.lang,
                                                  words=args.my_words):
        if kind == "variant":
            drafts.append(payload)
            if not args.json:
                c = payload["checks"]
                mine = " | ".join(o["text"] for o in payload["own_words"])
                print(f"--- variant {payload['variant']}: {payload['angle_label']} [{payload['language']}, "
                      f"{payload['generator']}, {payload['seconds']:.2f} s]\n{payload['text']}\n"
                      f"checks: {'passed' if c['passed'] else 'FAILED'} · language {c['language']} · your words "
                      f"{c['own_words_kept']:.0%} kept · facts {c['facts_total'] - len(c['facts_missing'])}/"
                      f"{c['facts_total']} · longest run from the item {c['copy_run']} words · {c['length']} chars"
                      + (f"\nyour words: {mine}" if mine else "\n(outline: write your part where ✍️ marks it)") + "\n")
        elif kind == "notice" and not args.json:
            print(f"porte-voix: no polished variant ({payload['reason']}); the composed ones stand", file=sys.stderr)
    if args.json:
        print(json.dumps(sorted(drafts, key=lambda d: d["variant"]), ensure_ascii=False, default=str))
    return 0


def cmd_score(args, ctx: Context) -> int:
    def read(path):
        if path is None:
            return None
        try:
            return Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ValueError(f"{path}: cannot read ({exc.__class__.__name__})") from None

    source, post, draft = read(args.source), read(args.post), read(args.draft)
    embedder = ctx.embedder
    result = authenticity.score(source, post, draft=draft, lang=args.lang or _lang(post),
                                embed=lambda texts: embedder.embed_batch(list(texts)))
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return 0
    print(f"authenticity {result['score']:.0f}/100")
    for c in result["components"]:
        print(f"  {c['label']:<24} {c['value']:.2f} (weight {c['weight']:.2f})  {c['explanation']}")
    for tip in result["tips"]:
        print(f"  tip: {tip}")
    return 0


def _lang(text: str) -> str:
    lang = language.detect(text)
    return lang if lang in ("fr", "en") else "en"


def cmd_bench(args, ctx: Context) -> int:
    """The benchmark lives with the evals, which the product never imports: run it as its own process."""
    return subprocess.call([sys.executable, "-m", "evals", "bench", *(["--scale-only"] if args.scale_only else [])])


def parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="porte-voix", description="Employee-advocacy assistant.")
    p.add_argument("--debug", action="store_true", help="print the log on stderr, tracebacks included")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("ingest", help="import content files (Markdown, HTML, RSS/Atom, CSV, JSONL) and embed them")
    s.add_argument("paths", nargs="+")
    s.add_argument("--json", action="store_true")
    s.add_argument("--no-translate", action="store_true",
                   help="leave the key points' translation for later (porte-voix translate, or the app)")
    s.set_defaults(run=cmd_ingest)

    ppl = sub.add_parser("people", help="manage employees").add_subparsers(dest="action", required=True)
    s = ppl.add_parser("import", help="import employees from CSV or JSONL")
    s.add_argument("paths", nargs="+")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_people_import)

    commands_admin.add_parsers(sub, ppl)  # people erase/export, accounts, backup/restore, audit
    commands_engagement.add_parsers(sub)  # share, links serve, engagement sync/import/stats
    commands_digest.add_parsers(sub)  # digest send/test/status, unsubscribe-server

    s = sub.add_parser("recommend", help="content recommended for one employee")
    s.add_argument("email")
    s.add_argument("--limit", type=int, default=10)
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_recommend)

    s = sub.add_parser("experts", help="colleagues to interview on a topic (French or English)")
    s.add_argument("query")
    s.add_argument("--limit", type=int, default=10)
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_experts)

    s = sub.add_parser("demo", help="load the demo data (idempotent)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_demo)

    s = sub.add_parser("translate", help="translate the key points of items that exist in one language only")
    s.add_argument("--json", action="store_true")
    s.add_argument("--stdio", action="store_true", help=argparse.SUPPRESS)  # the app's translation process
    s.set_defaults(run=cmd_translate)

    s = sub.add_parser("draft", help="drafts built on your own words (--my-words), with their checks")
    s.add_argument("email")
    s.add_argument("content_id")
    s.add_argument("--variants", type=int, default=3, choices=[1, 2, 3])
    s.add_argument("--lang", choices=["fr", "en"], help="draft language (default: your words', else the item's when "
                                                         "you write it)")
    s.add_argument("--my-words", dest="my_words", metavar="TEXT",
                   help="what the item means to you, in one sentence: every variant is built on it "
                        "(without it: an outline to complete)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_draft)

    s = sub.add_parser("score", help="authenticity score of a post written from a source text")
    s.add_argument("--source", required=True, help="file with the company's text")
    s.add_argument("--post", required=True, help="file with the employee's post")
    s.add_argument("--draft", help="file with the AI draft the post started from")
    s.add_argument("--lang", choices=["fr", "en"], help="language of the explanations (default: the post's)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_score)

    s = sub.add_parser("bench", help="performance benchmark (see evals/speed/bench.py)")
    s.add_argument("--scale-only", action="store_true")
    s.set_defaults(run=cmd_bench)
    return p


def main(argv: list[str] | None = None, ctx: Context | None = None) -> int:
    """Run one command; ``ctx`` lets tests hand in their own composition root."""
    args = parser().parse_args(argv)
    os.umask(0o077)  # every file a command creates is its user's only, also where no store opens (links serve)
    with _log_to_stderr(args.debug):
        try:
            ctx = ctx or open_context(load_settings())
            return args.run(args, ctx)
        except StoreFailed as exc:  # the store failed mid-import: what was done, then why it stopped
            for problem in exc.report.problems:
                print(f"rejected: {problem}", file=sys.stderr)
            print(f"{exc.report.summary()} before the store failed", file=sys.stderr)
            return _fault(exc.__cause__ or exc, args.debug)
        except (LookupError, ValueError, FileNotFoundError) as exc:  # the person's input: say what is wrong with it
            if faults.describe(exc).kind != "bug":
                return _fault(exc, args.debug)
            print(f"porte-voix: {exc}", file=sys.stderr)
            return 2
        except Exception as exc:  # the installation (locked, damaged, full…) or a bug: one sentence, details in the log
            return _fault(exc, args.debug)


class _OneLine(logging.Formatter):
    """A log record as its message alone, without the traceback its ``exc_info`` carries."""

    def format(self, record: logging.LogRecord) -> str:
        return record.getMessage()


@contextmanager
def _log_to_stderr(debug: bool):
    """The log on stderr while the command runs: warnings as one line each (a service's "stopped: 3 hits
    received…"), except the faults' records, which the command tells in its own one line; with ``--debug``
    every record with its traceback. Without this, Python's last-resort handler printed each fault's
    traceback before the command's sentence."""
    handler = logging.StreamHandler(sys.stderr)
    if debug:
        handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    else:
        handler.setFormatter(_OneLine())
        handler.addFilter(lambda record: record.name != faults.log.name)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


def _fault(exc: BaseException, debug: bool = False) -> int:
    faults.log_fault(exc, "cli")
    print(faults.cli_line(exc, debug=debug), file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
