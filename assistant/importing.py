"""What an import batch did: counts, one-line problems, and the import log.

Content and people imports share this bookkeeping. Each item is written in
its own transaction, so a failure never undoes what was stored before it.

    >>> report = ImportReport("content")
    >>> report.count("added"); report.summary()
    'content: 1 added, 0 updated, 0 unchanged, 0 rejected'
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from .readers import BadFile, Record, expand, read_file
from .store import Store

STATUSES = ("added", "updated", "unchanged", "rejected")


class Rejected(ValueError):
    """An item that cannot be stored; the message is the reason."""


@dataclass
class ImportReport:
    target: str
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))
    problems: list[str] = field(default_factory=list)
    files_rejected: int = 0
    keys: list[str] = field(default_factory=list)  # ids/emails added or updated

    def count(self, status: str, n: int = 1) -> None:
        self.counts[status] += n

    def reject(self, where: str, reason: str) -> None:
        self.counts["rejected"] += 1
        self.problems.append(f"{where}: {reason}")

    def summary(self) -> str:
        parts = ", ".join(f"{self.counts[s]} {s}" for s in STATUSES)
        files = f" ({self.files_rejected} file(s) unreadable)" if self.files_rejected else ""
        return f"{self.target}: {parts}{files}"

    def as_dict(self) -> dict:
        return {"target": self.target, **self.counts, "files_rejected": self.files_rejected,
                "problems": list(self.problems)}


def run_import(
    store: Store,
    target: str,
    paths: Iterable[str | Path],
    upsert: Callable[[Store, Record], tuple[str, str]],
    on_file: Callable[[Path], None] | None = None,
) -> ImportReport:
    """Read every file, upsert every record, log each outcome; never raises for bad data.

    ``upsert(store, record)`` returns ``(status, key)`` or raises ``Rejected``.
    """
    report = ImportReport(target)
    batch = uuid.uuid4().hex[:12]

    def log(source: str, item: str | None, status: str, message: str | None = None) -> None:
        store.execute(
            "INSERT INTO import_log (batch, target, source, item, status, message) VALUES (?, ?, ?, ?, ?, ?)",
            [batch, target, source, item, status, message],
        )

    for path in expand(list(paths)):
        if on_file:
            on_file(path)
        try:
            read = read_file(path)
        except BadFile as exc:
            report.files_rejected += 1
            report.reject(str(path), str(exc))
            log(str(path), None, "rejected", str(exc))
            continue
        for problem in read.problems:
            report.reject(f"{path.parent / problem.where}", problem.reason)
            log(str(path), problem.where, "rejected", problem.reason)
        for record in read.records:
            try:
                with store.transaction():
                    status, key = upsert(store, record)
            except Rejected as exc:
                report.reject(str(path.parent / record.where), str(exc))
                log(str(path), record.where, "rejected", str(exc))
                continue
            report.count(status)
            if status in ("added", "updated"):
                report.keys.append(key)
            log(str(path), key, status)
    return report
