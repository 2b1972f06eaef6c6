"""Faults of the installation become one friendly sentence (FR/EN), classified from the real errors."""

import errno
import logging
import subprocess
import sys
import textwrap

import duckdb
import pytest

from assistant.config import Settings
from assistant.storage import faults
from assistant.storage.store import StoreLocked, open_store


def _real_error(fn):
    try:
        fn()
    except Exception as exc:  # the point: catch what the libraries really raise
        return exc
    raise AssertionError("no error raised")


def test_garbage_and_damaged_database_files_are_corrupt(tmp_path):
    garbage = Settings(home=tmp_path / "garbage")
    garbage.ensure()
    garbage.db_path.write_bytes(b"\x00\x01not a database" * 4096)
    assert faults.describe(_real_error(lambda: open_store(garbage))).kind == "corrupt"

    damaged = tmp_path / "damaged.duckdb"
    con = duckdb.connect(str(damaged))
    con.execute("CREATE TABLE t AS SELECT range AS x, 'row ' || range AS s FROM range(200000)")
    con.close()
    data = bytearray(damaged.read_bytes())
    for i in range(20000, len(data), 7):
        data[i] ^= 0xFF
    damaged.write_bytes(bytes(data))
    error = _real_error(lambda: duckdb.connect(str(damaged)).execute("SELECT sum(x), count(s) FROM t").fetchall())
    fault = faults.describe(error)
    assert fault.kind == "corrupt" and "sauvegarde" in fault.message("fr") and "backup" in fault.message("en")


def test_a_store_held_by_another_process_is_locked(tmp_path):
    settings = Settings(home=tmp_path / "home")
    open_store(settings).close()
    from assistant.storage.store import close_all

    close_all()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys
        con = duckdb.connect({str(settings.db_path)!r})
        print("ready", flush=True)
        sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        error = _real_error(lambda: open_store(settings))
    finally:
        holder.communicate("\n", timeout=30)
    assert isinstance(error, StoreLocked) and faults.describe(error).kind == "locked"


def test_a_full_disk_is_recognised_from_duckdb_and_the_os(tmp_path):
    """A file-size limit makes DuckDB's real write fail ("File too large"), as a full disk would."""
    script = textwrap.dedent(f"""
        import resource, signal, duckdb
        from assistant.storage import faults
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (300_000, 300_000))
        try:
            con = duckdb.connect({str(tmp_path / "full.duckdb")!r})
            con.execute("CREATE TABLE t AS SELECT range AS x, md5(range::TEXT) AS s FROM range(200000)")
            con.execute("CHECKPOINT")
        except Exception as exc:
            print(faults.describe(exc).kind)
    """)
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "disk_full", out.stderr[-2000:]
    assert faults.describe(OSError(errno.ENOSPC, "No space left on device")).kind == "disk_full"
    wrapped = RuntimeError("import failed")
    wrapped.__cause__ = duckdb.IOException('Could not write file "x.duckdb": No space left on device')
    assert faults.describe(wrapped).kind == "disk_full"


def test_a_closed_store_is_busy_and_anything_else_is_a_bug(tmp_path):
    store = open_store(Settings(home=tmp_path / "home"))
    cursor = store.db
    store.close()
    assert faults.describe(_real_error(lambda: cursor.execute("SELECT 1"))).kind == "busy"
    assert faults.describe(PermissionError(errno.EACCES, "Permission denied")).kind == "permission"
    bug = faults.describe(KeyError("x"))
    assert bug.kind == "bug" and not bug.expected and "journal" in bug.message("fr")


def test_details_go_to_the_log_and_the_cli_line_has_none(caplog):
    error = OSError(errno.ENOSPC, "No space left on device: '/srv/secret/path/porte-voix.duckdb'")
    with caplog.at_level(logging.ERROR, logger="porte_voix.faults"):
        fault = faults.log_fault(error, "porte-voix ingest")
    assert fault.kind == "disk_full" and "/srv/secret/path" in caplog.text
    line = faults.cli_line(error)
    assert line.startswith("porte-voix: ") and "/srv" not in line and "\n" not in line
    assert "plein" in faults.cli_line(error, lang="fr")


@pytest.mark.parametrize("kind", sorted(faults.FAULTS))
def test_every_fault_speaks_both_languages(kind):
    fault = faults.FAULTS[kind]
    assert fault.message("fr") and fault.message("en") and fault.message("fr") != fault.message("en")
    assert f"faults.{kind}" not in (fault.message("fr"), fault.message("en"))  # the catalogue has the key
