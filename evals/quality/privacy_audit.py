"""``python -m evals privacy_audit``: erasure, sign-in throttling and backup, measured on the demo store.

Three measurements for README "Reliability", written to ``evals/reports/privacy-audit.json``:

1. Erasure audit. In a throw-away home loaded with the demo (accounts, shares, click log) plus a
   draft, one employee's bytes (email, name, each post, draft and share text, share ids) are counted in every
   file under the home (caches aside): before erasure; after deleting their rows with ``CHECKPOINT``
   and ``VACUUM`` (what the product did before; measured on a twin home restored from a backup);
   after ``privacy.erase_person``.
2. Throttling. 100 wrong passwords for one account from one address, then the right one, with
   the production bcrypt cost (12): how many passwords were checked, how long it took, what the
   right password got, and when it is accepted.
3. Backup and restore of the demo home: seconds, files, bytes, rows checked identical.

    python -m evals privacy_audit [--embedder use] [--person EMAIL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import tempfile
import time
from pathlib import Path

from assistant.access import accounts
from assistant.access.accounts import Throttled
from assistant.app import privacy
from assistant.config import load_settings
from assistant.context import open_context
from assistant.demo import load as load_demo
from assistant.retrieval.indexing import embed_pending
from assistant.storage import backup, compaction, keys
from assistant.storage.store import close_all

REPORT = Path(__file__).resolve().parents[1] / "reports" / "privacy-audit.json"
PERSON = "julien.moreau@nordlys-energie.example"


def _needles(store, email: str) -> dict[str, bytes]:
    """The person's email, name, and a 48-character window of each of their texts that no other row
    holds (a share pasting the brand's text word for word is company content: its window is taken
    from its end, where the share's own link is)."""
    person = store.rows("SELECT name FROM employees WHERE email = ?", [email])[0]
    texts = {"email": email, "name": person["name"]}
    for table in ("employee_posts", "drafts", "shares"):
        for n, row in enumerate(store.rows(f"SELECT text FROM {table} WHERE email = ? ORDER BY ALL", [email])):
            text = row["text"].strip()
            for window in (text[:48], text[-48:], text[len(text) // 2:len(text) // 2 + 48]):
                elsewhere = privacy.mentions(store, window)
                elsewhere.pop(table, None)
                if not elsewhere and store.value(f"SELECT count(*) FROM {table} WHERE contains(lower(text), ?)",
                                                 [window.lower()]) == 1:
                    texts[f"{table}[{n}]"] = window
                    break
    for n, row in enumerate(store.rows("SELECT id FROM shares WHERE email = ? ORDER BY id", [email])):
        texts[f"share_id[{n}]"] = row["id"]  # in the click log's links, hits and conversions
    return {label: text.encode("utf-8") for label, text in texts.items()}


def _totals(found: dict[str, dict[str, int]]) -> dict[str, dict[str, int]]:
    """Per file: occurrences of the email, of the name, of any of their texts and of their share ids.

    >>> _totals({"porte-voix.duckdb": {"email": 2, "shares[0]": 1, "drafts[0]": 1, "share_id[0]": 3}})
    {'porte-voix.duckdb': {'email': 2, 'name': 0, 'texts': 2, 'share_ids': 3}}
    """
    out = {}
    for name, counts in found.items():
        out[name] = {"email": counts.get("email", 0), "name": counts.get("name", 0),
                     "texts": sum(n for label, n in counts.items() if "[" in label and not label.startswith("share_id")),
                     "share_ids": sum(n for label, n in counts.items() if label.startswith("share_id"))}
    return out


def add_draft(store, email: str) -> None:
    """A draft for the person (the demo seeds none), so drafts are part of the audit."""
    store.execute("INSERT INTO drafts (id, email, content_id, request_id, variant, angle, language, text, generator, "
                  "fallback, attempts) SELECT 'audit-draft', ?, id, 'r', 1, 'experience', 'en', "
                  "'A draft written for the audit: the grid-edge pilot taught me patience.', 'fake', false, 1 "
                  "FROM content ORDER BY id LIMIT 1", [email])
    store.execute("CHECKPOINT")


def erasure_audit(ctx, twin, email: str) -> dict:
    """``ctx`` and ``twin``: two homes with the same data (the second restored from a backup of the first)."""
    needles = _needles(ctx.store, email)
    before = privacy.scan_files(ctx.settings.home, needles, skip=privacy.CACHE_DIRS)
    # what the product did before: delete the rows, CHECKPOINT, VACUUM
    twin.store.execute("CHECKPOINT")
    privacy.delete_rows(twin.store, email, actor="audit")
    for statement in ("CHECKPOINT", "VACUUM", "CHECKPOINT"):
        twin.store.execute(statement)
    deleted_only = privacy.scan_files(twin.settings.home, needles, skip=privacy.CACHE_DIRS)
    start = time.perf_counter()
    report = privacy.erase_person(ctx, email, actor="audit")
    seconds = time.perf_counter() - start
    ctx.store.execute("CHECKPOINT")
    after = privacy.scan_files(ctx.settings.home, needles, skip=privacy.CACHE_DIRS)
    return {"person": email, "needles": sorted(needles), "rows_deleted": report["tables"], "files": report["files"],
            "before": _totals(before), "rows_deleted_checkpoint_vacuum": _totals(deleted_only),
            "after_erase_person": _totals(after), "erase_seconds": round(seconds, 3),
            "compaction": report["compaction"], "content_mentions": report["content_mentions"],
            "residue": report["residue"], "file_residue": report["file_residue"],
            "name_left_in": {t: len(r) for t, r in privacy.mentions(ctx.store, needles["name"].decode()).items()}}


def throttling(ctx, attempts: int = 100) -> dict:
    store = ctx.store
    password = "a fine passphrase for the audit"
    accounts.create_account(store, "audit.target@company.example", password, ["employee"], rounds=12)
    outcomes = {"wrong": 0, "throttled": 0}
    checked = 0
    start = time.perf_counter()
    for n in range(attempts):
        try:
            accounts.authenticate(store, "audit.target@company.example", f"guess {n:03} of many", rounds=12,
                                  client="203.0.113.7")
            outcomes["wrong"] += 1
            checked += 1
        except Throttled:
            outcomes["throttled"] += 1
            checked += outcomes["throttled"] == 1  # the failure that starts the lock was checked too
    guessing = time.perf_counter() - start
    wait = 0
    try:
        accounts.authenticate(store, "audit.target@company.example", password, rounds=12, client="203.0.113.7")
        right = "accepted"
    except Throttled as exc:
        right = f"refused: {exc.message('en')}"
        wait = exc.seconds_left
    later = dt.datetime.now() + dt.timedelta(seconds=wait + 1)
    accepted = accounts.authenticate(store, "audit.target@company.example", password, rounds=12,
                                     client="203.0.113.7", now=later) is not None
    return {"attempts": attempts, "passwords_checked": checked, "refused_while_locked": outcomes["throttled"],
            "seconds_for_all_attempts": round(guessing, 2), "right_password_then": right,
            "right_password_after_lock_s": wait, "accepted_after_lock": accepted}


def backup_round_trip(ctx, root: Path) -> dict:
    start = time.perf_counter()
    made = backup.create(ctx.settings, root / "backup", store=ctx.store, actor="audit")
    made_s = time.perf_counter() - start
    target = ctx.settings.but(home=root / "restored")
    start = time.perf_counter()
    restored = backup.restore(target, root / "backup", key=keys.key(ctx.settings.home, backup.KEY_NAME))
    restored_s = time.perf_counter() - start
    return {"files": len(made["files"]), "bytes": sum(f["bytes"] for f in made["files"].values()),
            "rows": sum(made["tables"].values()), "backup_seconds": round(made_s, 3),
            "restore_seconds": round(restored_s, 3), "rows_identical": restored["tables"] == made["tables"]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m evals privacy_audit", description=__doc__.split("\n")[0])
    parser.add_argument("--embedder", default="use")
    parser.add_argument("--person", default=PERSON)
    args = parser.parse_args(argv)
    base = load_settings()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        settings = base.but(home=root / "home", embedder=args.embedder, generator="fake")
        ctx = open_context(settings)
        start = time.perf_counter()
        load_demo(ctx)
        embed_pending(ctx.store, ctx.embedder)
        demo_s = time.perf_counter() - start
        add_draft(ctx.store, args.person)
        result = {"embedder": args.embedder, "demo_load_seconds": round(demo_s, 1),
                  "compaction_demo": compaction.copy_live(ctx.store, settings),
                  "backup": backup_round_trip(ctx, root)}
        twin = open_context(settings.but(home=root / "restored"))
        result["erasure"] = erasure_audit(ctx, twin, args.person)
        result["throttling"] = throttling(ctx)
        close_all()
    REPORT.parent.mkdir(parents=True, exist_ok=True)
    REPORT.write_text(json.dumps(result, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    print(json.dumps(result, indent=2, ensure_ascii=False, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
