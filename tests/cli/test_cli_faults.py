"""Every command fails in one line and exit 2, never a traceback, and tells each fault for what it is.

The commands run in a fresh interpreter (one for all of them, so the test stays fast), where nothing has
configured logging: that is where Python's last-resort handler used to print the faults' tracebacks.
"""

import argparse
import json
import os
import subprocess
import sys
import textwrap

import duckdb
import pytest

from assistant import cli
from assistant.config import Settings
from assistant.storage import faults

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# commands that never open the store: the two public servers, the authenticity score, the benchmark's own process
STORE_FREE = {("links", "serve"), ("digest", "unsubscribe-server"), ("score",), ("bench",)}


def _commands(parser: argparse.ArgumentParser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield from _commands(sub, prefix + (name,))
            return
    yield prefix


def _argv(files) -> dict[tuple, list[str]]:
    """Valid arguments for every command that opens the store."""
    email = "ana@example.com"
    return {
        ("ingest",): ["ingest", files["content"]],
        ("translate",): ["translate"],
        ("people", "import"): ["people", "import", files["people"]],
        ("people", "erase"): ["people", "erase", email],
        ("people", "export"): ["people", "export", email],
        ("people", "readmit"): ["people", "readmit", email],
        ("accounts", "create"): ["accounts", "create", email, "--password-stdin"],
        ("accounts", "list"): ["accounts", "list"],
        ("accounts", "delete"): ["accounts", "delete", email],
        ("accounts", "password"): ["accounts", "password", email, "--password-stdin"],
        ("accounts", "unlock"): ["accounts", "unlock", email],
        ("audit",): ["audit"],
        ("backup",): ["backup", files["backup"]],
        ("restore",): ["restore", files["backup"]],
        ("compact",): ["compact"],
        ("share",): ["share", email, "item-1", "--network", "linkedin", "--text-file", files["post"]],
        ("engagement", "sync"): ["engagement", "sync"],
        ("engagement", "import"): ["engagement", "import", files["analytics"]],
        ("engagement", "stats"): ["engagement", "stats"],
        ("links", "retire"): ["links", "retire", "replica-1"],
        ("digest", "send"): ["digest", "send"],
        ("digest", "test"): ["digest", "test", email],
        ("digest", "status"): ["digest", "status"],
        ("recommend",): ["recommend", email],
        ("experts",): ["experts", "solar"],
        ("demo",): ["demo"],
        ("draft",): ["draft", email, "item-1"],
    }


RUNNER = textwrap.dedent("""
    import json, os, sys
    from assistant import cli
    for home, argv in json.loads(sys.argv[1]):
        os.environ["PORTE_VOIX_HOME"] = home
        print("@@", json.dumps(argv), file=sys.stderr, flush=True)
        code = cli.main(argv)
        sys.stderr.flush()
        print("@@ exit", code, file=sys.stderr, flush=True)
""")


def _run_all(runs: list[tuple[str, list[str]]]) -> list[tuple[list[str], list[str], int]]:
    """Run ``[(home, argv)]`` in one fresh interpreter; ``[(argv, stderr lines, exit code)]``."""
    env = {**os.environ, "PORTE_VOIX_EMBEDDER": "fake", "PORTE_VOIX_GENERATOR": "fake",
           "PORTE_VOIX_PLUGINS": "tests.fakes"}
    done = subprocess.run([sys.executable, "-c", RUNNER, json.dumps(runs)], capture_output=True, text=True,
                          timeout=240, cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    out, current = [], None
    for line in done.stderr.splitlines():
        if line.startswith("@@ exit "):
            out.append((current[0], current[1], int(line.split()[-1])))
            current = None
        elif line.startswith("@@ "):
            current = (json.loads(line[3:]), [])
        elif current is not None:
            current[1].append(line)
        else:
            raise AssertionError(f"output outside a command: {line!r}\n{done.stderr[-3000:]}")
    assert done.returncode == 0 and len(out) == len(runs), done.stderr[-3000:]
    return out


@pytest.fixture
def inputs(tmp_path):
    files = {"content": tmp_path / "items.jsonl", "people": tmp_path / "people.csv", "post": tmp_path / "post.txt",
             "analytics": tmp_path / "stats.csv", "backup": tmp_path / "backup"}
    files["content"].write_text('{"id": "item-1", "title": "Solar", "text": "Our park makes 12 MW."}\n')
    files["people"].write_text("email,name\nana@example.com,Ana\n")
    files["post"].write_text("My own words about the park.\n")
    files["analytics"].write_text("share_id,impressions\ns-1,10\n")
    return {name: str(path) for name, path in files.items()}


def _damaged_home(tmp_path) -> str:
    """A home whose database had bytes flipped: DuckDB says "... checksum ... in block at location ..."."""
    settings = Settings(home=tmp_path / "damaged").ensure()
    con = duckdb.connect(str(settings.db_path))
    con.execute("CREATE TABLE filler AS SELECT range AS x, 'row ' || range AS s FROM range(200000)")
    con.close()
    data = bytearray(settings.db_path.read_bytes())
    for i in range(4096, len(data), 7):
        data[i] ^= 0xFF
    settings.db_path.write_bytes(bytes(data))
    return str(settings.home)


def test_every_command_on_a_held_or_damaged_store_prints_one_line_and_exits_2(ctx, inputs, tmp_path):
    argvs = _argv(inputs)
    assert set(_commands(cli.parser())) == set(argvs) | STORE_FREE, "a new command: add it to this test"
    ctx.store.execute("SELECT 1")  # this process holds the store: every other process is refused
    held = str(ctx.settings.home)
    damaged = _damaged_home(tmp_path)
    runs = [(held, argv) for argv in argvs.values()]
    runs += [(damaged, ["engagement", "stats"]), (damaged, ["--debug", "engagement", "stats"])]
    results = _run_all(runs)
    for argv, lines, code in results[:-1]:
        assert code == 2 and len(lines) == 1 and lines[0].startswith("porte-voix: "), (argv, lines)
        assert "Traceback" not in "\n".join(lines)
    told = {" ".join(argv): lines[0] for argv, lines, _ in results[:len(argvs)]}
    assert "open in another program" in told["engagement stats"] and "/" not in told["engagement stats"]
    assert "back up from the app" in told[f"backup {inputs['backup']}"]
    damaged_line = results[-2][1][0]
    assert "damaged" in damaged_line and "another program" not in damaged_line
    debug_argv, debug_lines, debug_code = results[-1]
    assert debug_code == 2 and "Traceback" in "\n".join(debug_lines) and "damaged" in debug_lines[-1]


def test_a_bug_is_one_line_pointing_to_debug(ctx, capsys, monkeypatch):
    def broken(*args, **kwargs):
        raise ZeroDivisionError("a bug")

    monkeypatch.setattr(cli.matching, "recommend", broken)
    assert cli.main(["recommend", "x@example.com"], ctx=ctx) == 2
    assert capsys.readouterr().err.strip().splitlines() == [
        "porte-voix: an unexpected error occurred (ZeroDivisionError): run the command again with --debug to see "
        "the details"]


def test_duckdb_errors_are_classified_by_type_then_by_whole_phrases():
    corrupt = duckdb.IOException("IO Error: Corrupt database file: computed checksum 1 does not match stored "
                                 "checksum 2 in block at location 1585152")
    assert faults.describe(corrupt).kind == "corrupt"
    short = duckdb.IOException('IO Error: Could not read enough bytes from file "/srv/blocklock/pv.duckdb"')
    assert faults.describe(short).kind == "corrupt"
    locked = duckdb.IOException('IO Error: Could not set lock on file "/srv/pv.duckdb": Conflicting lock is held in '
                                "/usr/bin/python3 (PID 42)")
    assert faults.describe(locked).kind == "locked"
    assert faults.describe(duckdb.IOException('IO Error: Cannot open file "/srv/blocks/x": unknown')).kind == "bug"
    # the same words in an error of another type are the code's: never a fault of the installation
    assert faults.describe(duckdb.CatalogException("Catalog Error: Table with name lock does not exist")).kind == "bug"
    assert faults.describe(duckdb.BinderException("Binder Error: column malformed, no space left")).kind == "bug"
    assert faults.describe(duckdb.ConnectionException("Connection Error: Connection already closed!")).kind == "busy"


def test_sqlite_errors_are_classified_by_their_result_code(tmp_path):
    import sqlite3

    garbage = tmp_path / "garbage.sqlite3"
    garbage.write_bytes(b"not a database at all " * 200)
    try:
        sqlite3.connect(garbage).execute("SELECT * FROM sqlite_master")
    except sqlite3.DatabaseError as exc:
        assert faults.describe(exc).kind == "corrupt"
    else:
        raise AssertionError("SQLite read a garbage file")
    worded = sqlite3.OperationalError("no such table: locked_malformed")  # no result code: words do not count
    assert faults.describe(worded).kind == "bug"
