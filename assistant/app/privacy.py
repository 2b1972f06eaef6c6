"""One person's data: export it all, or erase it physically and for good.

Participation is voluntary, so leaving must be complete and one click away.
:func:`export_person` gathers every row that names the person; :func:`erase_person`
deletes them, rewrites the database file so no byte of them survives in free
blocks (``compaction``), cleans the click log, and remembers the erasure by a
salted hash (``erased``) so a later HR import does not bring them back. Erasure
deletes, it does not anonymise: a share's text is the person's own words, so
an "anonymised" share would still identify them. Campaign aggregates shrink
when someone leaves; that is the honest number.

Every table of the store is classified below; ``tests/test_privacy.py`` fails
when a new table is not, so a table added later cannot escape export and erasure.

| table | rows of the person | export | erase |
|---|---|---|---|
| employees, employee_posts, drafts, shares, autosaves | ``email`` | yes | delete |
| engagement_events, share_totals | events and totals of their shares | yes, without the visitors' pseudonyms and the leads' CRM ids | delete |
| accounts | their email or username | yes, without the password hash | delete |
| sessions, ui_preferences | their usernames | yes (no token: only its hash is stored) | delete |
| import_log | lines whose item or message names their email | yes | delete |
| digest_deliveries, digest_optouts, digest_preferences | ``email`` | yes | delete |
| campaign_goals.created_by, programme_rates.updated_by, digest_preferences.updated_by | their name as author | yes | set to NULL |
| audit_log | entries naming them | yes | email replaced by ``erased:<hash>`` |
| digest_runs, digest_deliveries (others') | failure reasons naming them | mentions only | email replaced by ``erased:<hash>`` |
| signin_throttle | failure counter of their usernames (hashed key) | yes | delete |
| embeddings | vectors of their profile texts and posts (derived numbers) | no | delete |
| click log (``clicks.sqlite3``) | links, hits and conversions of their shares | yes, without the visitors' pseudonyms and the leads' CRM ids | delete, then ``VACUUM`` |
| opt-out inbox (``optouts.sqlite3``) | their unsubscribe requests | yes | delete, then ``VACUUM``; a tombstone (keyed digest) kills their unsubscribe links |
| content, translations, _migrations, sync_state, erased_people, digest_runs, text_languages | not personal (company content and its translated key points, bookkeeping, counts, hashes) | mentions only | kept (digest_runs: see above) |

After the erasure every file under the home (caches aside) is searched for the
email's bytes; any hit is reported (``file_residue``), so a file added later
that escapes this table does not go unnoticed.

Company content that mentions the person (an article quoting them) is the
company's publication, not their data: it is kept, and the erasure report
lists those items so an admin can edit or retire them.

    >>> data = export_person(store, "camille.durand@nordlys-energie.example")
    >>> {"employees", "shares", "drafts", "import_log"} <= set(data["tables"])
    True
    >>> remaining(store, "camille.durand@nordlys-energie.example")["employees"]
    0
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Callable

from ..access import throttle
from ..config import Settings
from ..digest import digest_log, unsubscribe
from ..engagement.clicklog import open_log
from ..imports import people
from ..retrieval.embeddings import text_hash
from ..storage import audit, compaction, erased
from ..storage.store import Store

if TYPE_CHECKING:  # the composition root sits above this layer (LAYERS in assistant/__init__.py)
    from ..context import Context

# table -> (WHERE clause selecting the person's rows, parameters from a Person); also the deletion order
_ROWS: dict[str, tuple[str, Callable[["Person"], list]]] = {
    "engagement_events": ("list_contains(?::VARCHAR[], share_id)", lambda p: [list(p.share_ids)]),
    "share_totals": ("list_contains(?::VARCHAR[], share_id)", lambda p: [list(p.share_ids)]),
    "shares": ("email = ?", lambda p: [p.email]),
    "drafts": ("email = ?", lambda p: [p.email]),
    "autosaves": ("email = ?", lambda p: [p.email]),
    "employee_posts": ("email = ?", lambda p: [p.email]),
    "sessions": ("list_contains(?::VARCHAR[], username)", lambda p: [list(p.usernames)]),
    "ui_preferences": ("list_contains(?::VARCHAR[], username)", lambda p: [list(p.usernames)]),
    "accounts": ("lower(email) = ? OR list_contains(?::VARCHAR[], username)", lambda p: [p.email, list(p.usernames)]),
    "import_log": ("contains(lower(coalesce(item, '') || ' ' || coalesce(message, '')), ?)", lambda p: [p.email]),
    "digest_deliveries": ("lower(email) = ?", lambda p: [p.email]),
    "digest_optouts": ("lower(email) = ?", lambda p: [p.email]),
    "digest_preferences": ("lower(email) = ?", lambda p: [p.email]),
    "employees": ("email = ?", lambda p: [p.email]),
}
_ATTRIBUTIONS = {"campaign_goals": "created_by", "programme_rates": "updated_by",  # table -> author column
                 "digest_preferences": "updated_by"}
_HIDDEN = {"accounts": ("password_hash",), "sessions": ("token_hash",),            # never exported: secrets,
           "engagement_events": ("visitor", "source_key")}  # and third parties' ids (who clicked, the CRM's lead id)
_CLICKLOG_HIDDEN = {"hits": ("visitor",), "conversions": ("external_id",)}         # the same in the click log
HANDLED = {"audit_log", "signin_throttle", "embeddings"}                            # special treatment (see table)
NOT_PERSONAL = {"content", "_migrations", "sync_state", "erased_people", "digest_runs", "text_languages",
                "translations"}
PERSONAL_TABLES = tuple(_ROWS)
CACHE_DIRS = ("models", "duckdb_extensions")  # model weights and extensions: no personal data
# the digests' unsubscribe inbox (assistant/digest/unsubscribe.py, written by the public service)
OPTOUTS_FILE = "optouts.sqlite3"


@dataclass(frozen=True)
class Person:
    """Who is exported or erased: the email, the usernames of their accounts, the ids of their shares."""
    email: str
    usernames: tuple[str, ...]
    share_ids: tuple[str, ...]


@dataclass(frozen=True)
class Extra:
    """Personal data outside the DuckDB file (another engineer's file under the home)."""
    name: str
    export: Callable[[Settings, Person], dict]
    erase: Callable[[Settings, Person], dict]


EXTRAS: dict[str, Extra] = {}


def register_extra(name: str, export: Callable[[Settings, Person], dict], erase: Callable[[Settings, Person], dict]) -> None:
    """Have export and erasure cover a file of your own: ``export(settings, person) -> {table: rows}``,
    ``erase(settings, person) -> {"deleted": n, ...}`` (must leave no byte of the person in the file)."""
    EXTRAS[name] = Extra(name, export, erase)


def tables(store: Store) -> list[str]:
    return [r["table_name"] for r in store.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' AND table_catalog = current_database() "
        "ORDER BY table_name")]


def unclassified(store: Store) -> list[str]:
    """Tables of this store that this module does not know (a test keeps this empty)."""
    known = set(_ROWS) | set(_ATTRIBUTIONS) | HANDLED | NOT_PERSONAL
    return [t for t in tables(store) if t not in known]


def person(store: Store, email: str) -> Person:
    email = (email or "").strip().lower()
    have = set(tables(store))
    names = {r["username"] for r in store.rows("SELECT username FROM accounts WHERE lower(email) = ?", [email])}
    shares = [r["id"] for r in store.rows("SELECT id FROM shares WHERE email = ? ORDER BY id", [email])] if "shares" in have else []
    return Person(email, tuple(sorted(names | {email})), tuple(shares))


def _name(identifier: str) -> str:
    return compaction.sql_name(identifier)


def _jsonable(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, (bytes, bytearray)):
        return value.hex()
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def _clean(table: str, row: dict) -> dict:
    return {k: _jsonable(v) for k, v in row.items() if k not in _HIDDEN.get(table, ())}


def _text_columns(store: Store) -> dict[str, list[str]]:
    rows = store.rows("""SELECT table_name, column_name FROM information_schema.columns
                         WHERE table_schema = 'main' AND table_catalog = current_database()
                           AND (data_type LIKE 'VARCHAR%' OR data_type = 'JSON') ORDER BY table_name, ordinal_position""")
    out: dict[str, list[str]] = {}
    for r in rows:
        out.setdefault(r["table_name"], []).append(r["column_name"])
    return out


def mentions(store: Store, needle: str, skip: tuple[str, ...] = ()) -> dict[str, list[dict]]:
    """Rows of any table with a text column containing ``needle`` (case-insensitive), per table."""
    needle = needle.strip().lower()
    found = {}
    for table, columns in _text_columns(store).items():
        if table in skip or not needle:
            continue
        where = " OR ".join(f"contains(lower({_name(c)}::VARCHAR), ?)" for c in columns)
        rows = store.rows(f"SELECT * FROM {_name(table)} WHERE {where}", [needle] * len(columns))
        if rows:
            found[table] = [_clean(table, r) for r in rows]
    return found


def _own_rows(store: Store, p: Person) -> dict[str, list[dict]]:
    have = set(tables(store))
    return {table: [_clean(table, r) for r in store.rows(f"SELECT * FROM {_name(table)} WHERE {where}", params(p))]
            for table, (where, params) in _ROWS.items() if table in have}


def export_person(store: Store, email: str, settings: Settings | None = None) -> dict:
    """Everything stored about ``email``: ``{"email", "exported_at", "tables", "mentions", "files"}``.

    ``tables``: their rows per personal table, and their sign-in counters (``signin_throttle``);
    ``mentions``: other rows naming their email (audit log, authored goals, …); ``files``: their rows in
    files beside the database (the click log), when ``settings`` is given. What identifies someone else (the
    pseudonyms of the visitors who clicked their links, the CRM ids of the leads) is left out.
    """
    p = person(store, email)
    tables = _own_rows(store, p)
    tables["signin_throttle"] = _signin_counters(store, p)
    return {"email": p.email, "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "tables": tables, "mentions": mentions(store, p.email, skip=PERSONAL_TABLES),
            "files": {name: extra.export(settings, p) for name, extra in EXTRAS.items()} if settings else {}}


def _signin_counters(store: Store, p: Person) -> list[dict]:
    """Their failed sign-in counters, kept under a hash of each username (see ``access.throttle``)."""
    keys = [throttle._key("account", name) for name in p.usernames]
    return [_clean("signin_throttle", r) for r in
            store.rows("SELECT * FROM signin_throttle WHERE list_contains(?::VARCHAR[], key) ORDER BY key", [keys])]


def export_json(store: Store, email: str, settings: Settings | None = None) -> str:
    return json.dumps(export_person(store, email, settings), ensure_ascii=False, indent=2, default=str)


def _profile_hashes(store: Store, email: str) -> list[str]:
    """Hashes of the texts embedded for this person (see people.profile_texts), excluding shared ones."""
    person_row = people.get_person(store, email)
    if person_row is None:
        return []
    mine = {text_hash(t) for _, t in people.profile_texts(person_row, people.posts_of(store, email))}
    if not mine:
        return []
    others = set()
    for other in store.rows("SELECT * FROM employees WHERE email <> ?", [email]):
        others |= {text_hash(t) for _, t in people.profile_texts(other, people.posts_of(store, other["email"]))}
    return sorted(mine - others)


def delete_rows(store: Store, email: str, actor: str | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """The database part of an erasure, in one transaction: delete the person's rows, clear their
    authorship, pseudonymise the audit log, forget their sign-in counters, remember the erasure and
    audit it. Returns rows affected per table. Leaves the bytes in free blocks: see :func:`erase_person`."""
    p = person(store, email)
    have = set(tables(store))
    home = store.path.parent
    alias = erased.pseudonym(home, p.email)
    hashes = _profile_hashes(store, p.email)
    counts: dict[str, int] = {}
    with store.transaction():
        for table, (where, params) in _ROWS.items():
            if table in have:
                counts[table] = store.value(f"SELECT count(*) FROM {_name(table)} WHERE {where}", params(p))
                store.execute(f"DELETE FROM {_name(table)} WHERE {where}", params(p))
        for table, column in _ATTRIBUTIONS.items():
            if table in have:
                where = f"list_contains(?::VARCHAR[], lower({_name(column)}))"
                key = f"{table}.{column}" if table in counts else table  # digest_preferences: rows deleted above
                counts[key] = store.value(f"SELECT count(*) FROM {_name(table)} WHERE {where}", [list(p.usernames)])
                store.execute(f"UPDATE {_name(table)} SET {_name(column)} = NULL WHERE {where}", [list(p.usernames)])
        counts["embeddings"] = store.value("SELECT count(*) FROM embeddings WHERE list_contains(?::VARCHAR[], text_hash)",
                                           [hashes]) if hashes else 0
        if hashes:
            store.execute("DELETE FROM embeddings WHERE list_contains(?::VARCHAR[], text_hash)", [hashes])
        counts["signin_throttle"] = sum(throttle.forget(store, name) for name in p.usernames)
        counts["audit_log"] = sum(audit.pseudonymise(store, name, alias) for name in p.usernames)
        counts["digest_runs"] = digest_log.pseudonymise(store, p.email, alias) if "digest_runs" in have else 0
        erased.remember(store, p.email, now)
        who = alias if (actor or "").strip().lower() in p.usernames else actor
        audit.record(store, who, "person.erase", alias,
                     {"rows": sum(counts.values()), "shares": len(p.share_ids)}, now=now)
    return counts


def _sqlite_rows(db: sqlite3.Connection, table: str, where: str, params: list) -> list[dict]:
    cur = db.execute(f"SELECT * FROM {table} WHERE {where}", params)
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def _sqlite_rewrite(db: sqlite3.Connection) -> bool:
    """Rebuild a SQLite file after deletions and empty its WAL; True when the WAL could be emptied
    (a reader in another process can delay that until its next checkpoint)."""
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.execute("VACUUM")  # rewrites every page: freed pages no longer hold the deleted rows
    row = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return not (row and row[0])


def _clicklog_export(settings: Settings, p: Person) -> dict:
    path = settings.clicklog_path
    if not p.share_ids or not path.exists():
        return {}
    db = open_log(path).db
    return {table: [{k: v for k, v in r.items() if k not in _CLICKLOG_HIDDEN.get(table, ())}
                    for sid in p.share_ids for r in _sqlite_rows(db, table, "share_id = ?", [sid])]
            for table in ("links", "hits", "conversions")}


def _clicklog_erase(settings: Settings, p: Person) -> dict:
    """Delete their links, hits and conversions, then rebuild the SQLite file and empty its WAL."""
    path = settings.clicklog_path
    if not p.share_ids or not path.exists():
        return {"deleted": 0}
    log = open_log(path)
    deleted = log.forget_shares(p.share_ids)
    return {"deleted": deleted, "wal_truncated": _sqlite_rewrite(log.db)}


def _optouts_export(settings: Settings, p: Person) -> dict:
    path = settings.home / OPTOUTS_FILE
    if not path.exists():
        return {}
    with closing(sqlite3.connect(path, timeout=10)) as db:
        return {"optouts": _sqlite_rows(db, "optouts", "lower(email) = ?", [p.email])}


def _optouts_erase(settings: Settings, p: Person) -> dict:
    """Delete their opt-outs and leave the tombstone that kills their unsubscribe links (``unsubscribe.bury``)."""
    deleted = unsubscribe.bury(settings, p.email)
    with closing(sqlite3.connect(settings.home / OPTOUTS_FILE, timeout=10, isolation_level=None)) as db:
        return {"deleted": deleted, "wal_truncated": _sqlite_rewrite(db) if deleted else True}


register_extra("click_log", _clicklog_export, _clicklog_erase)
register_extra("optouts", _optouts_export, _optouts_erase)


def erase_person(ctx: Context, email: str, actor: str | None = None) -> dict:
    """Erase ``email`` physically and for good; the service behind ``people erase`` and the profile button.

    Returns ``{"email_pseudonym", "tables": {table: rows}, "files": {extra: report},
    "compaction": {"bytes_before", "bytes_after", "seconds"}, "residue": {table: rows},
    "file_residue": {file: {"email": n}}, "content_mentions": [content ids]}``. ``residue`` lists rows
    outside the content library that still name the email, ``file_residue`` other files under the home
    that still hold its bytes (both empty unless something escaped the classification above: the CLI
    then exits 1).
    Raises ``compaction.CompactionError`` when the file could not be rewritten (rows are deleted then,
    but bytes may remain until the next successful erasure or ``porte-voix compact``).
    """
    store, settings = ctx.store, ctx.settings
    p = person(store, email)
    counts = delete_rows(store, p.email, actor=actor, now=ctx.now())
    files = {name: extra.erase(settings, p) for name, extra in EXTRAS.items()}
    residue = {t: len(rows) for t, rows in mentions(store, p.email, skip=("content",)).items()}
    content = [r["id"] for r in mentions(store, p.email).get("content", [])]
    stats = compaction.copy_live(store, settings)
    left = scan_files(settings.home, {"email": p.email.encode("utf-8")}, skip=CACHE_DIRS)
    left.pop(settings.db_path.name, None)  # company content may quote the email: counted in content_mentions
    return {"email_pseudonym": erased.pseudonym(settings.home, p.email), "tables": counts, "files": files,
            "compaction": stats, "residue": residue, "file_residue": left, "content_mentions": content}


def remaining(store: Store, email: str) -> dict[str, int]:
    """Rows still naming ``email`` per personal table (all zero after an erasure)."""
    p = person(store, email)
    have = set(tables(store))
    return {table: store.value(f"SELECT count(*) FROM {_name(table)} WHERE {where}", params(p))
            for table, (where, params) in _ROWS.items() if table in have}


def readmit(store: Store, email: str, actor: str | None = None) -> bool:
    """Let an erased person be imported again (they opted in anew), their new unsubscribe links work again;
    audited. True when they were erased."""
    unsubscribe.revive(Settings(home=store.path.parent), email)  # the home holds the store (``erased`` too)
    found = erased.readmit(store, email)
    if found:
        audit.record(store, actor, "person.readmit", erased.pseudonym(store.path.parent, email))
    return found


is_erased = erased.is_erased  # the import pipeline asks this (erased.is_erased: no import cycle)


def scan_files(home: Path, needles: dict[str, bytes], skip: tuple[str, ...] = (),
               chunk: int = 1 << 24) -> dict[str, dict[str, int]]:
    """Occurrences of each needle (raw bytes, as stored) in every file under ``home`` (except the top-level
    folders in ``skip``): ``{file: {label: n}}``, files without any omitted. The erasure audit of the
    tests and the README; reads big files in chunks."""
    needles = {label: needle for label, needle in needles.items() if needle}
    overlap = max((len(n) for n in needles.values()), default=1) - 1
    found: dict[str, dict[str, int]] = {}
    for path in sorted(Path(home).rglob("*")):
        if not path.is_file() or path.is_symlink() or path.relative_to(home).parts[0] in skip:
            continue
        counts = dict.fromkeys(needles, 0)
        with open(path, "rb") as f:
            tail = b""
            while block := f.read(chunk):
                data = tail + block
                for label, needle in needles.items():  # a match inside the overlap was counted with the last block
                    counts[label] += data.count(needle) - tail.count(needle)
                tail = data[-overlap:] if overlap else b""
        counts = {label: n for label, n in counts.items() if n}
        if counts:
            found[str(path.relative_to(home))] = counts
    return found
