"""Per-post statistics the networks will not give by API, imported from their export files.

LinkedIn does not let an ordinary app read a member's post statistics, so the
employee (or the company) downloads them and imports the file:

| file | how it is recognised |
|---|---|
| LinkedIn post analytics, XLSX or CSV, French or English headers (``URL de la publication`` / ``Post URL``, ``Impressions``, ``Réactions`` / ``Reactions``, ``Commentaires`` / ``Comments``, ``Republications`` / ``Reposts``, ``Clics`` / ``Clicks``, ``Date de publication`` / ``Post publish date``) | its header row, found among the first 15 rows of any sheet (LinkedIn puts a title above it) |
| X post analytics CSV (``Tweet id``, ``Tweet permalink``, ``impressions``, ``likes``, ``replies``, ``retweets``, ``url clicks``; or the newer ``Post id``, ``Post Link``, ``Reposts``…) | same |
| generic CSV: ``share_id`` or ``post_url``, then any of ``impressions``, ``reactions``, ``comments``, ``reposts``, ``clicks`` | same |

Rows are matched to shares by the published post's URL (as the employee
pasted it, compared by post identity: see ``links.tracked.post_key``), then by share
id; a row that matches nothing is reported with its line, never guessed. Each
value replaces the previous one for that share and metric (exports are
running totals), so importing the same file twice changes nothing.

Files are read under the content importers' rules (``imports.files``):
symbolic links, FIFOs and other special files refused, the size limit, one
read of the bytes; an XLSX passes ``imports.archives.open_zip`` (zip bomb,
XML entities) before openpyxl sees it, and at most ``MAX_ROWS`` rows of
``MAX_COLUMNS`` columns are read per file. Whatever goes wrong with a file
or a row is one line naming it; the other files and rows are imported.

    >>> header_map(["URL de la publication", "Date de publication", "Impressions", "Réactions", "Commentaires"])
    {'post_url': 0, 'date': 1, 'impression': 2, 'reaction': 3, 'comment': 4}
    >>> number("1 234"), number("1,234"), number("12.0"), number(""), number("3,5 %"), number("1e999")
    (1234, 1234, 12, None, None, None)
"""

from __future__ import annotations

import csv
import io
import math
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from ..imports import archives
from ..imports.files import read_bytes, scan
from ..imports.records import BadFile, one_line
from ..links.tracked import post_key
from ..storage.store import Store
from ..text import fold
from . import events

SYNONYMS = {  # folded header → field; LinkedIn FR/EN, X (old and new exports), generic
    "post_url": ("post url", "url de la publication", "lien de la publication", "post link", "lien du post",
                 "update link", "lien de la mise a jour", "tweet permalink", "post permalink", "permalink",
                 "url du post", "url"),
    "share_id": ("share id", "share_id", "utm content", "utm_content", "id du partage"),
    "post_id": ("tweet id", "post id", "id du post", "id de la publication"),
    "date": ("date", "post publish date", "date de publication", "created date", "date de creation", "time",
             "publication date"),
    "impression": ("impressions", "impressions totales", "total impressions"),
    "reaction": ("reactions", "likes", "j aime", "mentions j aime"),
    "comment": ("comments", "commentaires", "replies", "reponses"),
    "reshare": ("reposts", "republications", "partages", "shares", "retweets", "retweets and quotes"),
    "network_click": ("clicks", "clics", "url clicks", "clics sur l url", "link clicks", "clics sur le lien"),
}
_LOOKUP = {name: fieldname for fieldname, names in SYNONYMS.items() for name in names}
METRIC_FIELDS = events.NETWORK_KINDS  # impression, reaction, comment, reshare, network_click
HEADER_SCAN = 15
SUFFIXES = frozenset({".csv", ".xlsx", ".xlsm"})
XLSX = (".xlsx", ".xlsm")
MAX_ROWS = 100_000           # rows with a value, per file
MAX_WALKED = 250_000         # rows walked per file, empty ones included (a far cell "A99999999" costs no more)
MAX_COLUMNS = 64             # columns read per row (the networks' exports have 10 to 30)
MAX_COUNT = 10 ** 12         # a larger "count" is not one


def _folded(header) -> str:
    return " ".join(re.sub(r"[^a-z0-9]+", " ", fold(str(header or ""))).split())


def header_map(header: list) -> dict[str, int]:
    """Known fields → column index (the first column wins when two map to one field)."""
    found: dict[str, int] = {}
    for index, name in enumerate(header):
        fieldname = _LOOKUP.get(_folded(name))
        if fieldname and fieldname not in found:
            found[fieldname] = index
    return found


def number(value) -> int | None:
    """A count from a cell: ints, floats, "1 234", "1,234", "1.234"; None for blanks and percentages."""
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, (int, float)):
        text = str(value).strip().replace("\u00a0", "").replace("\u202f", "").replace(" ", "")
        if not text or "%" in text or len(text) > 40:
            return None
        if re.fullmatch(r"\d{1,3}([.,]\d{3})+", text):
            value = int(re.sub(r"[.,]", "", text))
        else:
            try:
                value = float(text.replace(",", "."))
            except ValueError:
                return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return int(round(value)) if abs(value) <= MAX_COUNT else None


def _text(data: bytes) -> str:
    """A CSV export's text: UTF-8 (with or without BOM), else Windows-1252 (French Excel's CSV)."""
    if b"\x00" in data:
        raise BadFile("binary file, not text")
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise BadFile("neither UTF-8 nor Windows-1252 text")


class _Budget:
    """Rows one file may cost: ``MAX_WALKED`` walked (empty ones too), ``MAX_ROWS`` with a value."""

    def __init__(self):
        self.walked = self.filled = 0

    def rows(self, rows, where: str) -> list:
        out = []
        for row in rows:
            self.walked += 1
            if self.walked > MAX_WALKED:
                raise BadFile(f"{where} goes past {MAX_WALKED:,} rows (empty ones included)")
            if row.count(None) + row.count("") == len(row):  # (C speed: a sheet may declare a million empty rows)
                out.append(())
                continue
            self.filled += 1
            if self.filled > MAX_ROWS:
                raise BadFile(f"more than {MAX_ROWS:,} rows")
            out.append(list(row[:MAX_COLUMNS]))
        return out


def _sheets(path: Path, data: bytes) -> list[tuple[str, list[list]]]:
    """Every table in the file as (name, rows): each sheet of an XLSX, or the one table of a CSV."""
    if path.suffix.lower() in XLSX:
        archives.open_zip(data).close()  # zip bomb, XML entities: refused before openpyxl reads a byte
        book, budget = load_workbook(io.BytesIO(data), read_only=True, data_only=True), _Budget()
        try:
            return [(sheet.title, budget.rows(sheet.iter_rows(max_col=MAX_COLUMNS, values_only=True),
                                              f"sheet {one_line(sheet.title, 40)!r}")) for sheet in book.worksheets]
        finally:
            book.close()
    text = _text(data)
    first = text.splitlines()[:HEADER_SCAN]
    delimiter = ";" if sum(l.count(";") for l in first) > sum(l.count(",") for l in first) else ","
    return [(path.name, _Budget().rows(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter), "the file"))]


def find_table(path: Path, data: bytes) -> tuple[str, int, dict[str, int], list, list[list]]:
    """``(sheet, header line number, header map, header, rows below)`` of the first table with a post URL, post id
    or share id column and at least one metric column; ``BadFile`` naming what is missing otherwise."""
    for sheet, rows in _sheets(path, data):
        for index, row in enumerate(rows[:HEADER_SCAN]):
            found = header_map(row)
            if ({"post_url", "share_id", "post_id"} & set(found)) and (set(METRIC_FIELDS) & set(found)):
                return sheet, index + 1, found, row, rows[index + 1:]
    raise BadFile("no table with a post URL (or share_id) column and a metric column "
                  "(impressions, reactions, comments, reposts, clicks) in its first rows")


def _format(header: list) -> str:
    names = {_folded(h) for h in header}
    if names & {"tweet id", "tweet permalink", "retweets", "post link"}:
        return "x"
    if names & {"url de la publication", "post url", "update link", "republications", "post publish date"}:
        return "linkedin"
    return "generic"


@dataclass
class AnalyticsReport:
    """What one import did: rows matched (values added / changed / unchanged), unmatched and bad rows."""

    files: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("rows", "matched", "added", "updated", "unchanged", "unmatched", "rejected"), 0))
    problems: list[str] = field(default_factory=list)
    files_rejected: int = 0

    def reject_file(self, where: str, reason: str) -> None:
        """A file (or link, or folder) that could not be read at all: one line naming it."""
        self.files_rejected += 1
        self.counts["rejected"] += 1
        self.problems.append(f"{one_line(where, 500)}: {one_line(reason, 500)}")

    def summary(self) -> str:
        c = self.counts
        files = f" ({self.files_rejected} file(s) unreadable)" if self.files_rejected else ""
        return (f"analytics: {c['matched']} of {c['rows']} rows matched to shares ({c['added']} values added, "
                f"{c['updated']} updated, {c['unchanged']} unchanged), {c['unmatched']} unmatched, "
                f"{c['rejected']} rejected{files}")

    def as_dict(self) -> dict:
        return {"target": "analytics", "files": self.files, **self.counts, "files_rejected": self.files_rejected,
                "problems": list(self.problems)}


def _match(store: Store, rows: list[dict]) -> dict[int, str]:
    """Row index → share id: by post identity first, then by share id."""
    by_key = {post_key(url): share_id for share_id, url in
              store.execute("SELECT id, post_url FROM shares WHERE post_url IS NOT NULL ORDER BY shared_at").fetchall()}
    ids = sorted({r["share_id"] for r in rows if r["share_id"]})
    known = {r[0] for r in store.execute("SELECT id FROM shares WHERE list_contains(?, id)", [ids]).fetchall()}
    out = {}
    for index, r in enumerate(rows):
        if r["key"] in by_key:
            out[index] = by_key[r["key"]]
        elif r["share_id"] in known:
            out[index] = r["share_id"]
    return out


def import_file(store: Store, path: Path, report: AnalyticsReport | None = None, *, max_file_mb: float = 50.0,
                data: bytes | None = None) -> AnalyticsReport:
    """Import one analytics export into the store (one transaction); returns the report (extended).

    ``data``: the file's bytes when the caller has read them (``files.read_bytes``), else they are read here.
    A bad file or row is one line of the report; only a failure of the store itself is raised.
    """
    report = report or AnalyticsReport()
    path = Path(path)
    report.files.append(str(path))
    try:
        data = read_bytes(path, max_file_mb) if data is None else data
        sheet, header_line, found, header, body = find_table(path, data)
    except BadFile as exc:
        report.reject_file(str(path), str(exc))
        return report
    except Exception as exc:  # a parser's own failure on hostile input: the file is named, the batch goes on
        report.reject_file(str(path), f"could not be read ({type(exc).__name__}: {one_line(str(exc), 200)})")
        return report
    kind = _format(header)
    rows = []
    for offset, cells in enumerate(body, start=header_line + 1):
        if not cells:
            continue
        where = f"{path.name}:{sheet + ':' if path.suffix.lower() in XLSX else ''}{offset}"
        try:
            row = _row(cells, found, where)
        except Exception as exc:  # a value no rule foresaw: this row only
            row = f"unexpected value ({type(exc).__name__}: {one_line(str(exc), 120)})"
        if isinstance(row, str):
            report.counts["rejected"] += 1
            report.problems.append(f"{where}: {row}")
        else:
            rows.append(row)
    report.counts["rows"] += len(rows)
    matches = _match(store, rows)
    latest: dict[tuple[str, str], int] = {}
    for index, r in enumerate(rows):
        share_id = matches.get(index)
        if share_id is None:
            report.counts["unmatched"] += 1
            report.problems.append(f"{r['where']}: no share with post URL {one_line(r['url'] or '—', 300)} or share id "
                                   f"{one_line(r['share_id'] or '—', 100)} (the employee pastes the post URL on the "
                                   "share first)")
            continue
        report.counts["matched"] += 1
        for metric, value in r["metrics"].items():
            latest[(share_id, metric)] = value  # a later row for the same post wins
    record_reported(store, latest, report, kind)
    return report


def _row(cells: list, found: dict[str, int], where: str) -> dict | str:
    """One row's post identity and metrics, or the reason it is rejected."""
    cell = lambda name: cells[found[name]] if name in found and found[name] < len(cells) else None  # noqa: E731
    url = str(cell("post_url") or "").strip() or None
    post_id = str(cell("post_id") or "").strip()
    key = post_key(url) or (f"x:{post_id}" if re.fullmatch(r"\d{5,30}", post_id) else None)
    metrics = {m: number(cell(m)) for m in METRIC_FIELDS if m in found}
    metrics = {m: v for m, v in metrics.items() if v is not None and v >= 0}
    if not metrics:
        return "no metric value"
    return {"where": where, "key": key, "url": url, "share_id": str(cell("share_id") or "").strip()[:200] or None,
            "metrics": metrics}


def record_reported(store: Store, latest: dict[tuple[str, str], int], report: AnalyticsReport | None = None,
                    origin: str = "generic") -> AnalyticsReport:
    """Store reported totals ``{(share id, metric): value}`` in one transaction, each replacing the previous
    value of that share and metric; counts values added / updated / unchanged in ``report``."""
    report = report or AnalyticsReport()
    if not latest:
        return report
    pairs = pd.DataFrame([{"share_id": s, "kind": k, "count": v} for (s, k), v in latest.items()])
    db = store.db
    db.register("_pv_pairs", pairs)
    try:
        with store.transaction():
            before = dict(((s, k), v) for s, k, v in db.execute(
                """SELECT e.share_id, e.kind, sum(e.count) FROM engagement_events e
                   SEMI JOIN _pv_pairs p ON p.share_id = e.share_id AND p.kind = e.kind
                   WHERE e.source = 'network' GROUP BY ALL""").fetchall())
            events.remove(store, "source = 'network' AND (share_id, kind) IN (SELECT share_id, kind FROM _pv_pairs)",
                          [])
            events.append(store, pairs.assign(source="network", source_key=f"{origin}-export"))
            for (share_id, metric), value in latest.items():
                old = before.get((share_id, metric))
                report.counts["added" if old is None else "unchanged" if old == value else "updated"] += 1
    finally:
        db.unregister("_pv_pairs")
    return report


def import_files(store: Store, paths: list[Path], max_file_mb: float = 50.0) -> AnalyticsReport:
    """Import several files or folders (CSV and XLSX found in them); each file is its own transaction
    (a bad file never undoes a good one), each refused file or link is one line of the report."""
    report = AnalyticsReport()
    found = scan(list(paths), SUFFIXES)
    for problem in found.problems:
        report.reject_file(problem.where, problem.reason)
    for path in found.files:
        import_file(store, path, report, max_file_mb=max_file_mb)
    return report
