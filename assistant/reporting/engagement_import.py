"""Engagement files in, whatever their kind: network analytics exports or a conversions CSV.

The CLI (``porte-voix engagement import FILE...``) and the marketing page's
upload (:func:`import_uploads`) both come here. A CSV whose header names
``event`` and ``external_id`` holds conversions (the fallback when the CRM
cannot call the webhook); anything else is read as a network analytics export
(see ``analytics_import``). Conversions go through the click log, as the
webhook's do, so ``external_id`` is unique across both ways in, then are
folded into DuckDB at once.

Files are taken as the content importers take them (``imports.files``):
folders are walked for ``.csv``, ``.xlsx`` and ``.xlsm`` files, symbolic links
and special files (FIFOs, devices) are refused, each file is read once within
the size limit, an XLSX is checked for zip bombs and XML entities first. A
missing, refused or unreadable file is one line of the report and the rest of
the batch is imported; only a failure of the store stops it.

    >>> import_files(ctx, [])
    []
"""

from __future__ import annotations

import csv
import io
import time
from pathlib import Path
from typing import TYPE_CHECKING

from ..imports.files import read_bytes, scan
from ..imports.records import BadFile, one_line
from ..imports.uploads import staged
from ..links import conversions
from ..links.clicklog import open_log
from . import analytics_import, sync

if TYPE_CHECKING:  # the composition root sits above this layer (LAYERS in assistant/__init__.py)
    from ..context import Context

SUFFIXES = analytics_import.SUFFIXES


def conversions_text(path: Path, data: bytes) -> str | None:
    """The text of a conversions CSV (its header has ``event`` and ``external_id``); None for anything else."""
    if path.suffix.lower() != ".csv" or b"\x00" in data:
        return None
    try:
        text = data.decode("utf-8-sig")
        header = next(csv.reader(io.StringIO(text[:65_536].partition("\n")[0])), [])
    except (UnicodeDecodeError, csv.Error):
        return None
    return text if conversions.is_conversions_csv(header) else None


def import_conversions(ctx: Context, path: Path, text: str | None = None) -> dict:
    """A conversions CSV (``text``: its text, already read) into the click log (idempotent on external_id),
    then folded into DuckDB.

    Returns ``{"kind": "conversions", "file", "stored", "duplicate", "rejected", "folded", "problems"}``.
    """
    path = Path(path)
    try:
        if text is None:
            text = read_bytes(path, ctx.settings.max_file_mb).decode("utf-8-sig")
        rows, problems = conversions.read_csv(path, text)
    except Exception as exc:  # unreadable, or a row the csv module refuses (a field over its limit…)
        reason = str(exc) if isinstance(exc, BadFile) else f"could not be read ({type(exc).__name__}: {exc})"
        return {"kind": "conversions", "file": str(path), "stored": 0, "duplicate": 0, "rejected": 1, "folded": 0,
                "problems": [f"{one_line(str(path), 500)}: {one_line(reason, 500)}"]}
    clicklog = open_log(ctx.settings.clicklog_path)
    counts = {"stored": 0, "duplicate": 0, "rejected": len(problems)}
    for row in rows:
        share_id, problem = row["share_id"], None
        if row["click_id"]:
            clicked = clicklog.share_of_click(row["click_id"])
            if clicked is None:
                problem = f"no click {row['click_id']}"
            elif share_id and share_id != clicked:
                problem = f"click {row['click_id']} belongs to another share than {share_id}"
            share_id = clicked
        if problem is None and not ctx.store.value("SELECT 1 FROM shares WHERE id = ?", [share_id]):
            problem = f"no share {share_id}"
        if problem:
            counts["rejected"] += 1
            problems.append(f"{path.name}: {row['external_id']}: {problem}")
            continue
        status = clicklog.add_conversion({**row, "share_id": share_id, "received_at": time.time(), "source": "csv"})
        counts[status] += 1
    folded = sync.sync(ctx.store, clicklog)
    return {"kind": "conversions", "file": str(path), **counts, "folded": folded["conversions"], "problems": problems}


def import_files(ctx: Context, paths: list[Path]) -> list[dict]:
    """Import every file (folders: their CSV and XLSX files); one result per conversions file, and one for all
    analytics files and refused files together (``{"kind": "analytics", **AnalyticsReport.as_dict(), "summary"}``)."""
    results, analytics = [], analytics_import.AnalyticsReport()
    found = scan(list(paths), SUFFIXES)
    for problem in found.problems:
        analytics.reject_file(problem.where, problem.reason)
    for path in found.files:
        try:
            if path.suffix.lower() not in SUFFIXES:
                raise BadFile(f"unsupported file type {path.suffix or '(none)'}; use one of {', '.join(sorted(SUFFIXES))}")
            data = read_bytes(path, ctx.settings.max_file_mb)
        except BadFile as exc:
            analytics.reject_file(str(path), str(exc))
            continue
        text = conversions_text(path, data)
        if text is not None:
            results.append(import_conversions(ctx, path, text))
        else:
            analytics_import.import_file(ctx.store, path, analytics, data=data)
    if analytics.files or analytics.problems:
        results.append({"kind": "analytics", **analytics.as_dict(), "summary": analytics.summary()})
    return results


def import_uploads(ctx: Context, files: list[tuple[str, bytes]]) -> list[dict]:
    """The marketing page's upload: ``(name, bytes)`` files staged under their names (``imports.uploads``),
    imported by :func:`import_files`; the results name the files as uploaded, never the staging folder."""
    with staged(files) as (paths, unstage):
        results = import_files(ctx, paths)
    for result in results:
        result["problems"] = [unstage(p) for p in result["problems"]]
        if "file" in result:
            result["file"] = unstage(result["file"])
        if "files" in result:
            result["files"] = [unstage(f) for f in result["files"]]
    return results


def failed(results: list[dict]) -> bool:
    """True when some row was rejected or could not be matched to a share."""
    return any(r.get("rejected") or r.get("unmatched") for r in results)
