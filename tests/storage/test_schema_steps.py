"""One migration scheme for every store (``storage.schema_steps``): the click log and the opt-out inbox apply
named steps recorded in ``_migrations`` as the DuckDB store does, and files made under their former schemes
(``PRAGMA user_version`` in the click log, ``CREATE TABLE IF NOT EXISTS`` in the inbox) upgrade in place."""

from __future__ import annotations

import sqlite3
import threading
from contextlib import closing

import pytest

from assistant.config import Settings
from assistant.links import clicklog
from assistant.links.clicklog import ClickLog
from assistant.optouts import inbox
from assistant.storage import schema_steps

# The click log's schema as the former scheme wrote it (user_version 1, then 2), rows included.
FORMER_CLICKLOG_V1 = """
    CREATE TABLE links (code TEXT PRIMARY KEY, share_id TEXT NOT NULL, target TEXT NOT NULL, created_at REAL NOT NULL);
    CREATE INDEX links_share_idx ON links (share_id);
    CREATE TABLE hits (id INTEGER PRIMARY KEY AUTOINCREMENT, click_id TEXT NOT NULL UNIQUE, code TEXT NOT NULL,
                       share_id TEXT NOT NULL, at REAL NOT NULL, day TEXT NOT NULL, method TEXT NOT NULL,
                       referrer_host TEXT, visitor TEXT, ua_class TEXT, is_bot INTEGER NOT NULL, bot_reason TEXT);
    CREATE TABLE conversions (id INTEGER PRIMARY KEY AUTOINCREMENT, external_id TEXT NOT NULL UNIQUE,
                              share_id TEXT NOT NULL, click_id TEXT, event TEXT NOT NULL, value REAL, currency TEXT,
                              occurred_at REAL NOT NULL, received_at REAL NOT NULL, source TEXT NOT NULL);
    CREATE TABLE signatures (signature TEXT PRIMARY KEY, seen_at REAL NOT NULL);
    CREATE TABLE salts (day TEXT PRIMARY KEY, salt BLOB NOT NULL);
    CREATE TABLE service_runs (id TEXT PRIMARY KEY, pid INTEGER, started_at REAL, updated_at REAL, received INTEGER,
                               written INTEGER, lost INTEGER, pending INTEGER, last_error TEXT);
    INSERT INTO links VALUES ('AbC123xy', 's-1', 'https://n.example/a?utm_content=s-1', 1.0);
    INSERT INTO hits (click_id, code, share_id, at, day, method, is_bot) VALUES ('c-1', 'AbC123xy', 's-1', 2.0,
                      '2026-12-01', 'GET', 0);
    PRAGMA user_version = 1;
"""
FORMER_CLICKLOG_V2 = FORMER_CLICKLOG_V1 + """
    CREATE TABLE link_removals (id INTEGER PRIMARY KEY AUTOINCREMENT, removed_at REAL NOT NULL);
    PRAGMA user_version = 2;
"""


def _former(path, script: str) -> None:
    with closing(sqlite3.connect(path)) as con:
        con.executescript(script)


def _recorded(path) -> list[str]:
    with closing(sqlite3.connect(path)) as con:
        return [row[0] for row in con.execute("SELECT name FROM _migrations ORDER BY applied_at, rowid")]


@pytest.mark.parametrize("script", [FORMER_CLICKLOG_V2, FORMER_CLICKLOG_V1], ids=["user_version 2", "user_version 1"])
def test_a_click_log_of_the_former_scheme_upgrades_in_place(tmp_path, script):
    """Version 2 adopts both steps (running c002 again would fail: its table exists); version 1 adopts c001 and
    gets c002 now; the later steps run now; the rows stay."""
    path = tmp_path / "clicks.sqlite3"
    _former(path, script)
    log = ClickLog(path)  # migrates on open
    names = [name for name, _ in clicklog.MIGRATIONS]
    assert names[:2] == ["c001_links_hits_conversions", "c002_link_removals"] and _recorded(path) == names
    assert log.link("AbC123xy") == ("s-1", "https://n.example/a?utm_content=s-1") and log.count_hits() == 1
    assert log.forget_shares(["s-1"]) == 2 and log.removals() == 1, "the v2 table works, created now or before"
    assert log.migrate() == [] and ClickLog(path).migrate() == []  # nothing applied twice
    log.close()
    fresh = tmp_path / "fresh.sqlite3"
    assert ClickLog(fresh).migrate() == [] and _recorded(fresh) == [name for name, _ in clicklog.MIGRATIONS]


def test_an_opt_out_inbox_of_the_former_scheme_upgrades_in_place(tmp_path):
    settings = Settings(home=tmp_path / "home")
    settings.home.mkdir()
    with closing(sqlite3.connect(inbox.inbox_path(settings))) as con:  # what CREATE TABLE IF NOT EXISTS made
        con.executescript("""
            CREATE TABLE optouts (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL, at TEXT NOT NULL,
                                  source TEXT NOT NULL);
            CREATE TABLE erased (digest TEXT PRIMARY KEY);
            INSERT INTO optouts (email, at, source) VALUES ('ana@example.com', '2026-12-01T09:00:00', 'link');""")
    assert [row[1] for row in inbox.after(settings, 0)] == ["ana@example.com"]
    names = [name for name, _ in inbox.MIGRATIONS]
    assert names[:2] == ["o001_optouts", "o002_tombstones"] and _recorded(inbox.inbox_path(settings)) == names
    assert inbox.record(settings, "bo@example.com", "one-click")
    assert [row[1] for row in inbox.after(settings, 0)] == ["ana@example.com", "bo@example.com"]


def test_processes_opening_a_fresh_log_at_once_apply_each_step_once(tmp_path):
    """Eight connections migrate one new file at the same moment: every step runs once, nobody fails."""
    path, barrier, results, errors = tmp_path / "clicks.sqlite3", threading.Barrier(8), [], []

    def open_it() -> None:
        try:
            con = sqlite3.connect(path, timeout=10, isolation_level=None)
            barrier.wait()
            results.append(schema_steps.migrate(con, clicklog.MIGRATIONS, begin="BEGIN IMMEDIATE"))
            con.close()
        except Exception as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=open_it) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(name for names in results for name in names) == sorted(n for n, _ in clicklog.MIGRATIONS)
    assert _recorded(path) == [n for n, _ in clicklog.MIGRATIONS]


def test_a_failing_step_leaves_nothing_half_done(tmp_path):
    steps: list = []
    step = schema_steps.collector(steps)

    @step
    def s001_notes(db):
        db.execute("CREATE TABLE notes (text TEXT)")

    @step
    def s002_broken(db):
        db.execute("CREATE TABLE tags (name TEXT)")
        db.execute("THIS IS NOT SQL")

    con = sqlite3.connect(tmp_path / "s.sqlite3", isolation_level=None)
    with pytest.raises(sqlite3.OperationalError):
        schema_steps.migrate(con, steps, begin="BEGIN IMMEDIATE")
    tables = {row[0] for row in con.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "notes" in tables and "tags" not in tables, "the failed step's table went with its transaction"
    assert schema_steps.recorded(con) == {"s001_notes"}
    steps[1] = ("s002_broken", lambda db: db.execute("CREATE TABLE tags (name TEXT)"))  # fixed
    assert schema_steps.migrate(con, steps, begin="BEGIN IMMEDIATE") == ["s002_broken"]
    con.close()
