"""Engagement files in, whatever their kind: network analytics exports or a conversions CSV.

The CLI (``porte-voix engagement import FILE...``) and the marketing page's
upload both call :func:`import_files`. A CSV whose header names ``event`` and
``external_id`` holds conversions (the fallback when the CRM cannot call the
webhook); anything else is read as a network analytics export (see
``analytics_import``). Conversions go through the click log, as the webhook's
do, so ``external_id`` is unique across both ways in, then are folded into
DuckDB at once.

    >>> import_files(ctx, [])
    []
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from ..context import Context
from . import analytics_import, conversions, sync
from .clicklog import open_log


def is_conversions_file(path: Path) -> bool:
    """A CSV whose header has ``event`` and ``external_id``."""
    if path.suffix.lower() != ".csv":
        return False
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            header = next(csv.reader(handle), [])
    except (OSError, UnicodeDecodeError):
        return False
    return conversions.is_conversions_csv(header)


def import_conversions(ctx: Context, path: Path) -> dict:
    """A conversions CSV into the click log (idempotent on external_id), then folded into DuckDB.

    Returns ``{"kind": "conversions", "file", "stored", "duplicate", "rejected", "folded", "problems"}``.
    """
    clicklog = open_log(ctx.settings.clicklog_path)
    rows, problems = conversions.read_csv(path)
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
    """Import every file; one result per conversions file, and one for all analytics files together
    (``{"kind": "analytics", **AnalyticsReport.as_dict(), "summary"}``). ``FileNotFoundError`` for a missing file."""
    results, analytics = [], analytics_import.AnalyticsReport()
    for path in map(Path, paths):
        if not path.exists():
            raise FileNotFoundError(f"{path}: no such file")
        if is_conversions_file(path):
            results.append(import_conversions(ctx, path))
        else:
            analytics_import.import_file(ctx.store, path, analytics)
    if analytics.files:
        results.append({"kind": "analytics", **analytics.as_dict(), "summary": analytics.summary()})
    return results


def failed(results: list[dict]) -> bool:
    """True when some row was rejected or could not be matched to a share."""
    return any(r.get("rejected") or r.get("unmatched") for r in results)
