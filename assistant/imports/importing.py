"""How an import runs and what it did: counts, one-line problems, notes, the import log.

Content and people imports share this machinery. Every file is read, every
record parsed (pure Python, no store), and parsed rows are written in batches
of ``BATCH_ROWS``, one transaction each (a commit per row managed 20–55 rows/s).
Bad input never costs good rows: any exception on one file or record becomes
a named rejection (``file:line: reason``) and the import goes on; a batch the
store refuses is rolled back and replayed row by row, so only the faulty row
is rejected. Only a failure of the store itself (disk full, I/O error,
database invalidated) stops an import, as ``StoreFailed`` carrying the report
of what was done before.

    >>> report = ImportReport("content")
    >>> report.count("added"); report.summary()
    'content: 1 added, 0 updated, 0 unchanged, 0 rejected'
    >>> report.exit_code
    0

Exit codes for the commands (``porte-voix ingest``, ``people import``): 0 all
input imported, 1 some input rejected (``ImportReport.exit_code``), 2 the
import could not run (``StoreFailed``, a locked store).
"""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable, Iterator

import duckdb
import pyarrow as pa

from ..storage.store import Store
from ..words.worded import Worded
from .fields import Rejected, shown
from .files import scan
from .readers import BadFile, Record, one_line, read_file

__all__ = ["BATCH_ROWS", "ImportReport", "Rejected", "Staged", "StoreFailed", "Target", "run_import", "staged_table"]

STATUSES = ("added", "updated", "unchanged", "rejected")
BATCH_ROWS = 1000
# Failures of the database itself, as opposed to a value it would not take: they stop the import.
STORE_ERRORS = (duckdb.IOException, duckdb.FatalException, duckdb.InternalException, duckdb.TransactionException,
                duckdb.PermissionException, duckdb.ConnectionException, duckdb.OutOfMemoryException, OSError)


@dataclass
class ImportReport:
    target: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    problems: list[str] = field(default_factory=list)  # "where: reason" in English (logs, the command line)
    refusals: list[tuple[str, str | Worded]] = field(default_factory=list)  # (where, reason): worded for a reader
    files_rejected: int = 0
    keys: list[str] = field(default_factory=list)  # ids/emails added or updated
    notes: list[str] = field(default_factory=list)  # information that rejects nothing (ignored columns…)

    def count(self, status: str, n: int = 1) -> None:
        self.counts[status] += n

    def reject(self, where: str, reason: str | Worded) -> None:
        self.counts["rejected"] += 1
        self.problems.append(f"{one_line(where, 500)}: {one_line(str(reason), 500)}")
        self.refusals.append((one_line(where, 500), reason))

    def problems_in(self, lang: str) -> list[str]:
        """``problems`` in ``lang``: a refusal with a catalogue key in that language, a file's own
        description (a reader's, in English) as it is."""
        return [Worded("errors.at", where=where, problem=reason if isinstance(reason, Worded) else one_line(reason, 500))
                .message(lang) for where, reason in self.refusals]

    def summary(self) -> str:
        parts = ", ".join(f"{self.counts[s]} {s}" for s in STATUSES)
        files = f" ({self.files_rejected} file(s) unreadable)" if self.files_rejected else ""
        return f"{self.target}: {parts}{files}"

    @property
    def exit_code(self) -> int:
        """0 when everything was imported, 1 when some input was rejected."""
        return 1 if self.counts["rejected"] else 0

    def as_dict(self) -> dict:
        return {"target": self.target, **self.counts, "files_rejected": self.files_rejected,
                "problems": list(self.problems), "notes": list(self.notes), "exit_code": self.exit_code}


class StoreFailed(RuntimeError):
    """The store failed while importing (not one row's data); ``report`` says what was done before."""

    def __init__(self, message: str, report: ImportReport):
        super().__init__(message)
        self.report = report


@dataclass
class Staged:
    """A parsed row waiting for its batch: the record, the parsed item, and where it came from."""

    record: Record
    item: dict
    source: str  # the file
    where: str   # the file and line, as shown in problems


@dataclass(frozen=True)
class Target:
    """What an import stores: ``parse`` one record (pure, raises ``Rejected``), ``write`` a batch
    (inside the caller's transaction; returns one ``(status, key)`` per row, in order). ``write`` may
    raise ``Rejected`` for a rule that needs the store: the batch is then replayed row by row and
    only the rows it refuses are rejected, with its message."""

    name: str
    key: str
    parse: Callable[[Record], dict]
    write: Callable[[Store, list[Staged]], list[tuple[str, str]]]
    note: Callable[[Record], str | None] | None = None  # a remark on a record, reported once per file


_ARROW = {"VARCHAR": pa.string(), "JSON": pa.string(), "BOOLEAN": pa.bool_(), "INTEGER": pa.int32(),
          "DATE": pa.date32(), "VARCHAR[]": pa.list_(pa.string())}


@contextmanager
def staged_table(store: Store, columns: dict[str, tuple[str, list]]) -> Iterator[str]:
    """A batch as a table the store can read: ``{column: (SQL type, values)}`` registered as an Arrow view.

    Yields the view's generated name (never user data) for ``INSERT … SELECT … FROM <name>`` or a join.
    Handing DuckDB one Arrow table is ~4x cheaper per row than binding lists as ``?`` parameters and
    ~50x cheaper than ``executemany``.
    """
    name = f"incoming_{uuid.uuid4().hex[:12]}"
    table = pa.table({column: pa.array(values, type=_ARROW[kind]) for column, (kind, values) in columns.items()})
    store.db.register(name, table)
    try:
        yield name
    finally:
        store.db.unregister(name)


def write_staged(store: Store, table: str, key: str, columns: tuple[str, ...], types: dict[str, str],
                 inserts: list, updates: list) -> None:
    """Insert ``inserts`` and update ``updates`` (staged rows) of ``table`` by ``key``, one statement each.

    ``columns`` are the written fields besides the key and ``source`` (the record's file:line);
    ``types`` their SQL types (VARCHAR when absent).
    """
    names = (key,) + columns + ("source",)

    def values(staged):
        return {c: (types.get(c, "VARCHAR"), [s.record.where if c == "source" else s.item[c] for s in staged])
                for c in names}

    if inserts:
        with staged_table(store, values(inserts)) as incoming:
            store.execute(f"INSERT INTO {table} ({', '.join(names)}) SELECT {', '.join(names)} FROM {incoming}")
    if updates:
        sets = ", ".join(f"{c} = v.{c}" for c in columns + ("source",))
        with staged_table(store, values(updates)) as incoming:
            store.execute(f"UPDATE {table} SET {sets}, updated_at = current_timestamp FROM {incoming} v "
                          f"WHERE {table}.{key} = v.{key}")


def run_import(store: Store, target: Target, paths: Iterable[str | Path], *, max_file_mb: float = 50.0,
               on_file: Callable[[Path], None] | None = None, batch_rows: int = BATCH_ROWS) -> ImportReport:
    """Read, parse and store every record under ``paths``; never raises for bad data (see the module docstring)."""
    run = _Run(store, target, ImportReport(target.name))
    found = scan(list(paths))
    for problem in found.problems:
        run.reject_file(problem.where, problem.reason)
    for path in found.files:
        if on_file:
            on_file(path)
        try:
            read = read_file(path, max_file_mb)
        except BadFile as exc:
            run.reject_file(str(path), exc.reason)
            continue
        except Exception as exc:  # read_file names its own failures; this is the last net
            run.reject_file(str(path), Worded("files.parser_failed", detail=f"{type(exc).__name__}: {exc}"))
            continue
        for problem in read.problems:
            run.reject(str(path), str(path.parent / problem.where), problem.where, problem.reason)
        notes: set[str] = set()
        folder = str(path.parent)
        for record in read.records:
            run.stage(path, f"{folder}/{record.where}", record, notes)
            if len(run.pending) >= batch_rows:
                run.flush()
        for note in sorted(notes):
            run.report.notes.append(one_line(f"{path}: {note}", 500))
    run.flush()
    return run.report


class _Run:
    """One import's state: the report, rows waiting for their batch, log lines waiting for a transaction."""

    def __init__(self, store: Store, target: Target, report: ImportReport):
        self.store, self.target, self.report = store, target, report
        self.batch = uuid.uuid4().hex[:12]
        self.pending: list[Staged] = []
        self.log: list[tuple[str, str | None, str, str | None]] = []  # (source, item, status, message)
        self.seen: dict[str, str] = {}  # key -> where it was first seen in this import

    def reject(self, source: str, where: str, item: str | None, reason: str | Worded) -> None:
        self.report.reject(where, reason)
        self.log.append((one_line(source, 1000), one_line(item, 1000) if item else None, "rejected",
                         one_line(str(reason), 500)))

    def reject_file(self, path: str, reason: str | Worded) -> None:
        self.report.files_rejected += 1
        self.reject(path, path, None, reason)

    def stage(self, path: Path, where: str, record: Record, notes: set[str]) -> None:
        try:
            item = self.target.parse(record)
            note = self.target.note(record) if self.target.note else None
        except Rejected as exc:
            self.reject(str(path), where, record.where, exc)
            return
        except Exception as exc:  # a value no rule foresaw: the row is rejected, named, and the batch goes on
            self.reject(str(path), where, record.where,
                        Worded("errors.unexpected_value", detail=f"{type(exc).__name__}: {exc}"))
            return
        key = item[self.target.key]
        first = self.seen.get(key)
        if first is not None:
            self.reject(str(path), where, record.where,
                        Worded("errors.duplicate", field=self.target.key, value=shown(key), first=first))
            return
        self.seen[key] = where
        if note:
            notes.add(note)
        self.pending.append(Staged(record, item, str(path), where))

    def flush(self) -> None:
        """Write the pending rows in one transaction; replay them one by one if the store refuses the batch."""
        pending, self.pending = self.pending, []
        if not pending and not self.log:
            return
        try:
            with self.store.transaction():
                outcomes = self.target.write(self.store, pending) if pending else []
                self._write_log(self.log + [(s.source, key, status, None) for s, (status, key) in zip(pending, outcomes)])
        except Exception as exc:
            self._stop_if_store_failed(exc)
            for staged in pending:
                self._write_one(staged)
            self._write_remaining_log()
            return
        self.log = []
        for status, key in outcomes:
            self._counted(status, key)

    def _write_one(self, staged: Staged) -> None:
        try:
            with self.store.transaction():
                [(status, key)] = self.target.write(self.store, [staged])
                self._write_log([(staged.source, key, status, None)])
        except Rejected as exc:  # a rule that needs the store (e.g. a person erased at their request)
            self.reject(staged.source, staged.where, staged.record.where, exc)
            return
        except Exception as exc:
            self._stop_if_store_failed(exc)
            self.reject(staged.source, staged.where, staged.record.where,
                        Worded("errors.not_stored", detail=f"{type(exc).__name__}: {exc}"))
            return
        self._counted(status, key)

    def _write_remaining_log(self) -> None:
        log, self.log = self.log, []
        try:
            with self.store.transaction():
                self._write_log(log)
        except Exception as exc:
            self._stop_if_store_failed(exc)
            raise

    def _counted(self, status: str, key: str) -> None:
        self.report.count(status)
        if status in ("added", "updated"):
            self.report.keys.append(key)

    def _write_log(self, rows: list[tuple]) -> None:
        if not rows:
            return
        sources, items, statuses, messages = (list(column) for column in zip(*rows))
        columns = {"source": ("VARCHAR", sources), "item": ("VARCHAR", items), "status": ("VARCHAR", statuses),
                   "message": ("VARCHAR", messages)}
        with staged_table(self.store, columns) as incoming:
            self.store.execute(f"INSERT INTO import_log (batch, target, source, item, status, message) "
                               f"SELECT ?, ?, source, item, status, message FROM {incoming}",
                               [self.batch, self.target.name])

    def _stop_if_store_failed(self, exc: BaseException) -> None:
        cause: BaseException | None = exc
        while cause is not None:
            if isinstance(cause, STORE_ERRORS):
                raise StoreFailed(f"the store failed during the import: {one_line(str(cause))}", self.report) from exc
            cause = cause.__context__
