"""Administration commands: erase, export and readmit people; accounts; audit log; backup, restore, compact.

``cli.py`` wires them with one call, ``commands_admin.add_parsers(sub, people)``
(``sub``: the top-level subparsers; ``people``: the subparsers of ``porte-voix
people``). Each command takes ``(args, ctx)`` and returns an exit code: 0 done,
1 done with something left for a person to check, 2 could not run (one line on
stderr; details of faults go to the log). The actor written to the audit log is
``cli:<system user>``.

    porte-voix people erase EMAIL          # physical erasure; remembered so imports do not bring them back
    porte-voix people export EMAIL [-o FILE]
    porte-voix people readmit EMAIL        # the person opted in again: imports may add them
    porte-voix accounts create USERNAME --role admin [--email E] [--password-stdin]
    porte-voix accounts list | delete USERNAME | password USERNAME [--password-stdin] | unlock USERNAME
    porte-voix audit [--action PREFIX] [--limit N]
    porte-voix backup DIR | restore DIR [--key FILE] [--unsigned] | compact
"""

from __future__ import annotations

import functools
import getpass
import json
import os
import sys
from pathlib import Path

from ..access import accounts, throttle
from ..app import privacy
from ..context import Context
from ..storage import audit, backup, compaction, faults
from ..storage import store as store_module
from ..storage.store import StoreLocked

_USER_ERRORS = (accounts.AccountError, backup.BackupError, compaction.CompactionError, StoreLocked, LookupError,
                FileExistsError)


def _guarded(command):
    """One line on stderr and exit 2 for errors a person can act on; faults described, details logged."""
    @functools.wraps(command)
    def run(args, ctx: Context) -> int:
        try:
            return command(args, ctx)
        except _USER_ERRORS as exc:
            print(f"porte-voix: {exc}", file=sys.stderr)
            return 2
        except Exception as exc:  # faults of the installation: a sentence, not a traceback (bugs: cli.main's)
            if not faults.describe(exc).expected:
                raise
            faults.log_fault(exc, f"porte-voix {args.command}")
            print(faults.cli_line(exc), file=sys.stderr)
            return 2
    return run


def _print(args, data, text: str) -> None:
    print(json.dumps(data, ensure_ascii=False, default=str) if getattr(args, "json", False) else text)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to a new file readable by its owner only (refuses to overwrite)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(text)


# --- people -------------------------------------------------------------------------------------

@_guarded
def cmd_people_erase(args, ctx: Context) -> int:
    report = privacy.erase_person(ctx, args.email, actor=audit.system_actor())
    rows = sum(report["tables"].values())
    files = sum(r.get("deleted", 0) for r in report["files"].values())
    size = report["compaction"]
    lines = [f"erased {args.email.strip().lower()}: {rows} rows in the database, {files} in other files; "
             f"database {'vacuumed' if size.get('vacuumed') else 'rewritten'} ({size['bytes_before']:,} -> "
             f"{size['bytes_after']:,} bytes, {size['seconds']:.2f} s); "
             f"future imports skip them (audit log: {report['email_pseudonym']})"]
    if rows == 0 and files == 0:
        lines.append("nothing was stored about them; the erasure is recorded so that an import will not add them")
    if report["content_mentions"]:
        lines.append(f"company content that mentions them (kept; edit or retire it if needed): "
                     f"{', '.join(report['content_mentions'])}")
    for table, n in report["residue"].items():
        lines.append(f"warning: {n} row(s) of table {table} still name them (not covered by erasure)")
    for name in report["file_residue"]:
        lines.append(f"warning: {name} under the home still holds their email (not covered by erasure)")
    _print(args, report, "\n".join(lines))
    return 1 if report["residue"] or report["file_residue"] else 0


@_guarded
def cmd_people_export(args, ctx: Context) -> int:
    text = privacy.export_json(ctx.store, args.email, ctx.settings)
    audit.record(ctx.store, audit.system_actor(), "person.export", args.email.strip().lower(), now=ctx.now())
    if args.output:
        _write_private(Path(args.output), text)
        print(f"exported {args.email.strip().lower()} to {args.output} (readable by you only)", file=sys.stderr)
    else:
        print(text)
    return 0


@_guarded
def cmd_people_readmit(args, ctx: Context) -> int:
    if privacy.readmit(ctx.store, args.email, actor=audit.system_actor()):
        print(f"{args.email.strip().lower()} may be imported again (their new opt-in is on you to keep)")
        return 0
    print(f"{args.email.strip().lower()} was not erased: nothing to do")
    return 0


# --- accounts -----------------------------------------------------------------------------------

def _password(args) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    first = getpass.getpass("New password (12+ characters): ")
    if getpass.getpass("Again: ") != first:
        raise accounts.AccountError("errors.passwords_differ")
    return first


@_guarded
def cmd_accounts_create(args, ctx: Context) -> int:
    account = accounts.create_account(ctx.store, args.username, _password(args), roles=args.role or ["employee"],
                                      email=args.email, replace=args.replace, rounds=ctx.settings.bcrypt_rounds,
                                      actor=audit.system_actor())
    _print(args, account.__dict__, f"account {account.username} ({', '.join(account.roles)}) saved")
    return 0


@_guarded
def cmd_accounts_list(args, ctx: Context) -> int:
    rows = accounts.list_accounts(ctx.store)
    _print(args, rows, "\n".join(f"{r['username']}  {', '.join(r['roles'])}" for r in rows) or "no accounts")
    return 0


@_guarded
def cmd_accounts_delete(args, ctx: Context) -> int:
    if not accounts.delete_account(ctx.store, args.username, actor=audit.system_actor()):
        raise LookupError(f"no account {args.username.strip().lower()!r}")
    print(f"account {args.username.strip().lower()} deleted; its sessions ended")
    return 0


@_guarded
def cmd_accounts_password(args, ctx: Context) -> int:
    ended = accounts.change_password(ctx.store, args.username, _password(args), rounds=ctx.settings.bcrypt_rounds,
                                     actor=audit.system_actor())
    print(f"password of {args.username.strip().lower()} changed; {ended} session(s) ended")
    return 0


@_guarded
def cmd_accounts_unlock(args, ctx: Context) -> int:
    n = throttle.forget(ctx.store, args.username)
    audit.record(ctx.store, audit.system_actor(), "account.unlock", args.username.strip().lower(), now=ctx.now())
    print(f"{args.username.strip().lower()}: {'unlocked' if n else 'was not locked'}")
    return 0


# --- audit, backup, restore, compact ------------------------------------------------------------

@_guarded
def cmd_audit(args, ctx: Context) -> int:
    rows = audit.entries(ctx.store, action=args.action, limit=args.limit)
    _print(args, rows, "\n".join(f"{r['logged_at']:%Y-%m-%d %H:%M:%S}  {r['actor']}  {r['action']}  {r['target'] or ''}"
                                 f"{'  ' + json.dumps(r['detail'], ensure_ascii=False) if r['detail'] else ''}"
                                 for r in rows) or "the audit log is empty")
    return 0


@_guarded
def cmd_backup(args, ctx: Context) -> int:
    """Through the store when this process holds it, else read-only (a backup never migrates the store)."""
    held = store_module.opened(ctx.settings)
    report = backup.create(ctx.settings, args.dir, store=held, actor=audit.system_actor())
    if held is None:  # read-only copy: the trail is written now that the copy is done
        audit.record(ctx.store, audit.system_actor(), "store.backup", str(Path(args.dir).resolve()),
                     {"files": len(report["files"])}, now=ctx.now())
    size = sum(f["bytes"] for f in report["files"].values())
    _print(args, report, f"backed up {len(report['files'])} files ({size:,} bytes, "
                         f"{sum(report['tables'].values()):,} rows) to {args.dir} in {report['seconds']:.2f} s")
    return 0


@_guarded
def cmd_restore(args, ctx: Context) -> int:
    key = backup.read_key(args.key) if args.key else None
    report = backup.restore(ctx.settings, args.dir, key=key, unsigned=args.unsigned)
    audit.record(ctx.store, audit.system_actor(), "store.restore", str(Path(args.dir).resolve()),
                 {"created_at": report["created_at"], "files": len(report["files"]), "signed": report["signed"]},
                 now=ctx.now())
    _print(args, report, f"restored {len(report['files'])} files ({sum(report['tables'].values()):,} rows, "
                         f"{'signed' if report['signed'] else 'UNSIGNED'} backup of {report['created_at']}) into "
                         f"{ctx.settings.home} in {report['seconds']:.2f} s")
    return 0


@_guarded
def cmd_compact(args, ctx: Context) -> int:
    stats = compaction.copy_live(ctx.store, ctx.settings)
    _print(args, stats, f"database rewritten with live rows only: {stats['bytes_before']:,} -> "
                        f"{stats['bytes_after']:,} bytes in {stats['seconds']:.2f} s")
    return 0


def add_parsers(sub, people) -> None:
    """Register the commands: ``sub`` = top-level subparsers, ``people`` = subparsers of ``porte-voix people``."""
    s = people.add_parser("erase", help="erase everything stored about one person, physically; imports skip them")
    s.add_argument("email")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_people_erase)
    s = people.add_parser("export", help="everything stored about one person, as JSON")
    s.add_argument("email")
    s.add_argument("-o", "--output", help="write to this new file (0600) instead of stdout")
    s.set_defaults(run=cmd_people_export)
    s = people.add_parser("readmit", help="let an erased person be imported again (after their new opt-in)")
    s.add_argument("email")
    s.set_defaults(run=cmd_people_readmit)

    acc = sub.add_parser("accounts", help="sign-in accounts").add_subparsers(dest="action", required=True)
    s = acc.add_parser("create", help="create an account (or reset it with --replace)")
    s.add_argument("username")
    s.add_argument("--role", action="append", choices=accounts.ROLES, help="repeat for several roles (default employee)")
    s.add_argument("--email", help="the employee's email (default: the username when it is one)")
    s.add_argument("--replace", action="store_true", help="reset an existing account (its sessions end)")
    s.add_argument("--password-stdin", action="store_true", help="read the password from standard input")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_accounts_create)
    s = acc.add_parser("list", help="accounts and their roles")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_accounts_list)
    s = acc.add_parser("delete", help="delete an account and end its sessions")
    s.add_argument("username")
    s.set_defaults(run=cmd_accounts_delete)
    s = acc.add_parser("password", help="set a new password; every session of the account ends")
    s.add_argument("username")
    s.add_argument("--password-stdin", action="store_true")
    s.set_defaults(run=cmd_accounts_password)
    s = acc.add_parser("unlock", help="clear the failed sign-in counter of an account")
    s.add_argument("username")
    s.set_defaults(run=cmd_accounts_unlock)

    s = sub.add_parser("audit", help="the admin audit log, newest first")
    s.add_argument("--action", help="only actions starting with this (account., person., import., …)")
    s.add_argument("--limit", type=int, default=50)
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_audit)
    s = sub.add_parser("backup", help="consistent copy of the whole home into a new or empty folder")
    s.add_argument("dir")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_backup)
    s = sub.add_parser("restore", help="restore a backup into an empty home (its signature checked)")
    s.add_argument("dir")
    s.add_argument("--key", help="the backup key of the installation that made the backup (its keys/backup.key; "
                                 "default: keys/backup.key of the new home)")
    s.add_argument("--unsigned", action="store_true", help="accept a backup made before backups were signed")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_restore)
    s = sub.add_parser("compact", help="rewrite the database with live rows only (what erasure does)")
    s.add_argument("--json", action="store_true")
    s.set_defaults(run=cmd_compact)
