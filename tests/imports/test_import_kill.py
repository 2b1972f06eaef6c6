"""``kill -9`` in the middle of ``porte-voix ingest``: the store opens, holds whole batches only, and a re-run
of the same import ends with every row stored exactly once.

Why: an import writes its rows in batches of ``importing.BATCH_ROWS``, one
transaction each (rows and their import-log lines together), so a process
killed at any instant must leave the committed batches and nothing of the one
in flight, with no manual repair. The command runs as a real process on a
throw-away home; it is killed with SIGKILL once its write-ahead log shows a few
batches committed, while later batches are still being written. The re-run is
the import itself (``catalog.ingest``, what the command runs before it embeds):
embedding 20,000 items would take minutes and is not what is under test.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from assistant.imports.catalog import ingest
from assistant.imports.importing import BATCH_ROWS
from assistant.storage.store import close_all, open_store
from evals.speed.import_speed import synthetic_rows, write_csv
from tests.conftest import ROOT

ROWS = 12_000
KILL_AT_WAL_BYTES = 2_000_000   # a batch of 1,000 rows adds ~0.5 MB to the WAL: a few batches in, many to go
FIELDS = ("id", "title", "text", "url", "kind", "language", "campaign", "priority", "published_at", "expires_at")


def _stored(store) -> dict[str, tuple]:
    rows = store.execute(f"SELECT {', '.join(FIELDS)} FROM content ORDER BY id").fetchall()
    return {row[0]: tuple("" if v is None else str(v) for v in row) for row in rows}


def _expected() -> dict[str, tuple]:
    return {row["id"]: tuple(row[f] for f in FIELDS) for row in synthetic_rows(ROWS, bad_share=0.0)}


def _kill_mid_import(settings, source) -> dict:
    """Start the command, SIGKILL it once the WAL passes ``KILL_AT_WAL_BYTES``; what was seen then."""
    env = {**os.environ, "PORTE_VOIX_HOME": str(settings.home), "PORTE_VOIX_EMBEDDER": "fake",
           "PORTE_VOIX_GENERATOR": "fake", "PORTE_VOIX_PLUGINS": "tests.fakes", "PYTHONPATH": str(ROOT)}
    wal = settings.db_path.with_name(settings.db_path.name + ".wal")
    child = subprocess.Popen([sys.executable, "-m", "assistant.cli", "ingest", str(source), "--json"], env=env,
                             cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    start, wal_bytes = time.monotonic(), 0
    try:
        while child.poll() is None and time.monotonic() - start < 60:
            wal_bytes = wal.stat().st_size if wal.exists() else 0
            if wal_bytes >= KILL_AT_WAL_BYTES:
                os.kill(child.pid, signal.SIGKILL)
                break
            time.sleep(0.005)
    finally:
        if child.poll() is None and wal_bytes < KILL_AT_WAL_BYTES:
            child.kill()  # the import never got there: the assertions below say why
        _, err = child.communicate(timeout=30)
    return {"returncode": child.returncode, "wal_bytes": wal_bytes, "seconds": time.monotonic() - start,
            "stderr": err.decode(errors="replace")[-2000:]}


def test_kill_9_mid_import_leaves_whole_batches_and_a_rerun_completes(settings, tmp_path):
    open_store(settings.ensure())   # an installed home: migrations done, so the WAL holds only the import
    close_all()
    source = tmp_path / "content.csv"
    write_csv(source, synthetic_rows(ROWS, bad_share=0.0))

    killed = _kill_mid_import(settings, source)
    assert killed["returncode"] == -signal.SIGKILL, f"the import was not killed mid-way: {killed}"

    opened = time.monotonic()
    store = open_store(settings)     # replays the WAL; a torn last entry is dropped, not an error
    reopen_s = time.monotonic() - opened
    expected = _expected()
    stored = _stored(store)
    kept = len(stored)
    assert 0 < kept < ROWS, f"killed mid-import: some batches committed, not all ({kept} of {ROWS} rows)"
    assert kept % BATCH_ROWS == 0, "whole batches only: the batch in flight left nothing"
    assert list(stored) == sorted(expected)[:kept], "the committed batches are the file's first ones"
    assert all(stored[key] == expected[key] for key in stored), "every stored row is whole"
    logged = store.value("SELECT count(*) FROM import_log WHERE target = 'content' AND status = 'added'")
    assert logged == kept, "each row committed with its import-log line, in the same transaction"
    assert store.value("SELECT count(*) FROM embeddings") == 0, "killed before the embedding step"

    started = time.monotonic()
    report = ingest(store, [source])
    rerun_s = time.monotonic() - started
    assert report.counts == {"added": ROWS - kept, "updated": 0, "unchanged": kept, "rejected": 0}
    assert store.value("SELECT count(*) FROM content") == store.value("SELECT count(DISTINCT id) FROM content") == ROWS
    assert _stored(store) == expected, "every row of the file, exactly once and whole"
    print(f"\nkill -9 after {killed['seconds']:.1f} s (WAL {killed['wal_bytes'] / 1e6:.1f} MB): {kept} of {ROWS} rows "
          f"kept ({kept // BATCH_ROWS} whole batches); reopened in {reopen_s:.2f} s; re-run {rerun_s:.1f} s: "
          f"{report.counts['added']} added, {report.counts['unchanged']} unchanged")
