"""One person's data: export it all, or erase it physically and for good.

Participation is voluntary, so leaving must be complete and one click away.
:func:`export_person` gathers every row that names the person; :func:`erase_person`
deletes them, rewrites the database file so no byte of them survives in free
blocks (``compaction``), cleans the click log, and remembers the erasure by a
salted hash (``erased``) so a later HR import does not bring them back. Erasure
deletes, it does not anonymise: a share's text is the person's own words, so
an "anonymised" share would still identify them. Campaign aggregates shrink
when someone leaves; that is the honest number.

Every table of the store is declared by the feature that stores it, in its package's
``personal_data`` module (``storage.personal_data.Part``): which rows name the person, which author
columns to clear, what is never exported (secrets, the visitors' pseudonyms, the leads' CRM ids), what
is not personal, and the files beside the store (the click log, the opt-out inbox). This module
knows no table; ``tests/app/test_privacy.py`` fails when a table is declared by no part, so a table added
later cannot escape export and erasure.

After the erasure every file under the home (caches aside) is searched for the
email's bytes; any hit is reported (``file_residue``), so a file added later
that no part declares does not go unnoticed.

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
from pathlib import Path
from typing import TYPE_CHECKING

from ..access import personal_data as access_data
from ..config import Settings
from ..digest import personal_data as digest_data
from ..imports import personal_data as imports_data
from ..links import personal_data as links_data
from ..optouts import inbox as optouts_inbox, personal_data as optouts_data
from ..reporting import personal_data as reporting_data
from ..retrieval import personal_data as retrieval_data
from ..sharing import personal_data as sharing_data
from ..storage import audit, compaction, erased, personal_data as storage_data
from ..storage.personal_data import Part, Person
from ..storage.store import Store
from ..writing import personal_data as writing_data

if TYPE_CHECKING:  # the composition root
    from ..context import Context

# every feature's part, in deletion order (the employee's own row last)
PARTS: tuple[Part, ...] = (reporting_data.PART, sharing_data.PART, links_data.PART, writing_data.PART,
                           access_data.PART, digest_data.PART, optouts_data.PART, retrieval_data.PART, imports_data.PART,
                           storage_data.PART)
_ROWS = {table: rule for part in PARTS for table, rule in part.rows.items()}
_HIDDEN = {table: columns for part in PARTS for table, columns in part.hidden.items()}
PERSONAL_TABLES = tuple(_ROWS)
CACHE_DIRS = ("models", "duckdb_extensions")  # model weights and extensions: no personal data


def tables(store: Store) -> list[str]:
    return [r["table_name"] for r in store.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema() AND table_catalog = current_database() "
        "ORDER BY table_name")]


def unclassified(store: Store) -> list[str]:
    """Tables of this store that this module does not know (a test keeps this empty)."""
    known = set().union(*(part.tables() for part in PARTS))
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
                         WHERE table_schema = current_schema() AND table_catalog = current_database()
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
    for part in PARTS:
        if part.export:
            tables.update({t: [_clean(t, r) for r in rows] for t, rows in part.export(store, p).items()})
    files = {name: f.export(settings, p) for part in PARTS for name, f in part.files.items()} if settings else {}
    return {"email": p.email, "exported_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            "tables": tables, "mentions": mentions(store, p.email, skip=PERSONAL_TABLES), "files": files}


def export_json(store: Store, email: str, settings: Settings | None = None) -> str:
    return json.dumps(export_person(store, email, settings), ensure_ascii=False, indent=2, default=str)


def delete_rows(store: Store, email: str, actor: str | None = None, now: dt.datetime | None = None) -> dict[str, int]:
    """The database part of an erasure, in one transaction: delete the person's rows, clear their
    authorship, pseudonymise the audit log, forget their sign-in counters, remember the erasure and
    audit it. Returns rows affected per table. Leaves the bytes in free blocks: see :func:`erase_person`."""
    p = person(store, email)
    have = set(tables(store))
    alias = erased.pseudonym(store, p.email)
    counts: dict[str, int] = {}
    with store.transaction():
        for part in PARTS:  # what needs the rows deleted below (the profile texts behind the vectors)
            if part.erase_before:
                counts.update(part.erase_before(store, p, alias))
        for table, (where, params) in _ROWS.items():
            if table in have:
                counts[table] = store.value(f"SELECT count(*) FROM {_name(table)} WHERE {where}", params(p))
                store.execute(f"DELETE FROM {_name(table)} WHERE {where}", params(p))
        for table, column in ((t, c) for part in PARTS for t, c in part.authored.items()):
            if table in have:
                where = f"list_contains(?::VARCHAR[], lower({_name(column)}))"
                key = f"{table}.{column}" if table in counts else table  # digest_preferences: rows deleted above
                counts[key] = store.value(f"SELECT count(*) FROM {_name(table)} WHERE {where}", [list(p.usernames)])
                store.execute(f"UPDATE {_name(table)} SET {_name(column)} = NULL WHERE {where}", [list(p.usernames)])
        for part in PARTS:  # sign-in counters, pseudonyms in the audit log and the digests' failure reasons
            if part.erase:
                counts.update(part.erase(store, p, alias))
        erased.remember(store, p.email, now)
        who = alias if (actor or "").strip().lower() in p.usernames else actor
        audit.record(store, who, "person.erase", alias,
                     {"rows": sum(counts.values()), "shares": len(p.share_ids)}, now=now)
    return counts


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
    files = {name: f.erase(settings, p) for part in PARTS for name, f in part.files.items()}
    residue = {t: len(rows) for t, rows in mentions(store, p.email, skip=("content",)).items()}
    content = [r["id"] for r in mentions(store, p.email).get("content", [])]
    stats = compaction.copy_live(store, settings)
    left = scan_files(settings.home, {"email": p.email.encode("utf-8")}, skip=CACHE_DIRS)
    left.pop(settings.db_path.name, None)  # company content may quote the email: counted in content_mentions
    return {"email_pseudonym": erased.pseudonym(settings, p.email), "tables": counts, "files": files,
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
    # the home holds the store; on PostgreSQL the register's salt is the database's (``erased``)
    optouts_inbox.revive(Settings(home=store.path.parent, database_url=store.url), email)
    found = erased.readmit(store, email)
    if found:
        audit.record(store, actor, "person.readmit", erased.pseudonym(store, email))
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
