"""The PostgreSQL store shared by several processes: what the embedded DuckDB file cannot do.

Each test runs other real processes (``python -c`` children, the ``porte-voix`` CLI) against the same
database as this one, on the tests' own PostgreSQL server (``postgres_server``; skipped without it).
"""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import textwrap
import threading

import pytest

from assistant.access import sessions, throttle
from assistant.access.accounts import create_account
from assistant.config import load_settings
from assistant.storage import jobs, postgres
from tests.conftest import DEMO, ROOT

pytestmark = pytest.mark.store_backends


@pytest.fixture(autouse=True)
def postgres_only(backend):
    if backend is None:
        pytest.skip("PostgreSQL only: the DuckDB file has one writing process by design")


def children(settings, code: str, n: int, timeout: float = 120) -> list[str]:
    """Run ``code`` in ``n`` processes at once, each on the same store as ``settings``; their outputs."""
    script = textwrap.dedent("""
        import sys
        from assistant.config import Settings
        from assistant.storage.store import open_store
        store = open_store(Settings(home=sys.argv[1], database_url=sys.argv[2], bcrypt_rounds=4))
        worker = int(sys.argv[3])
    """) + textwrap.dedent(code)
    procs = [subprocess.Popen([sys.executable, "-c", script, str(settings.home.parent / f"child{i}"),
                               settings.database_url, str(i)], cwd=ROOT, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(n)]
    outs = []
    for proc in procs:
        out, err = proc.communicate(timeout=timeout)
        assert proc.returncode == 0, err[-3000:]
        outs.append(out)
    return outs


def test_the_database_url_setting(tmp_path):
    url = "postgresql://pv:secret@db.example:5432/porte_voix"
    settings = load_settings({"PORTE_VOIX_HOME": str(tmp_path), "PORTE_VOIX_DATABASE_URL": url})
    assert settings.database_url == url and "secret" not in repr(settings)
    assert load_settings({"PORTE_VOIX_HOME": str(tmp_path)}).database_url is None  # the DuckDB file by default
    with pytest.raises(ValueError, match="PORTE_VOIX_DATABASE_URL"):
        load_settings({"PORTE_VOIX_DATABASE_URL": "mysql://db/pv"})


def test_counters_from_three_processes_lose_no_increment(store, settings):
    store.execute("INSERT INTO share_totals (share_id) VALUES ('s1')")
    children(settings, """
        for _ in range(40):
            store.execute("UPDATE share_totals SET hits = hits + 1 WHERE share_id = ?", ["s1"])
            with store.transaction():
                store.execute("UPDATE share_totals SET reactions = reactions + ? WHERE share_id = ?", [2, "s1"])
    """, 3)
    assert store.rows("SELECT hits, reactions FROM share_totals") == [{"hits": 120, "reactions": 240}]


def test_upserts_from_processes_at_once_neither_fail_nor_duplicate(store, settings):
    outs = children(settings, """
        for i in range(30):
            store.execute("INSERT OR IGNORE INTO text_languages (text_hash, language) VALUES (?, ?)", [f"h{i}", "fr"])
            store.execute('''INSERT INTO sync_state VALUES (?, ?, 1, current_timestamp) ON CONFLICT (source)
                             DO UPDATE SET rows = sync_state.rows + 1''', ["shared", i])
        print(store.value("INSERT INTO digest_runs (period, trigger, started_at) VALUES ('w', 'test', now()) RETURNING id"))
    """, 3)
    assert store.value("SELECT count(*) FROM text_languages") == 30
    assert store.value("SELECT rows FROM sync_state WHERE source = 'shared'") == 90
    assert sorted(int(o) for o in outs) == [1, 2, 3]  # each process got its own id from the sequence


def test_a_session_opened_in_one_process_is_valid_in_the_others_and_ends_everywhere(store, settings):
    create_account(store, "ana@example.com", "correct horse battery", rounds=4)
    token = sessions.create(store, "ana@example.com")
    code = f"""
        from assistant.access import sessions
        account = sessions.account_for(store, {token!r})
        print(account.username if account else None)
    """
    assert children(settings, code, 2) == ["ana@example.com\n"] * 2
    sessions.revoke(store, token)
    assert children(settings, code, 1) == ["None\n"]


def test_sign_in_guesses_from_several_processes_are_counted_one_by_one(store, settings):
    """Twelve guesses at once from three processes: five are counted before the lock, no count is lost."""
    outs = children(settings, """
        import datetime as dt
        from assistant.access import throttle
        t = dt.datetime(2030, 1, 1, 9, 0)
        checked = 0
        for _ in range(4):
            try:
                attempt = throttle.begin(store, "ana@example.com", f"10.0.0.{worker}", t)
            except throttle.Throttled:
                continue
            checked += attempt.lock is None
        print(checked)
    """, 3)
    t = dt.datetime(2030, 1, 1, 9, 0)
    assert sum(int(o) for o in outs) == throttle.ACCOUNT.free - 1  # passwords checked before the lock started
    with pytest.raises(throttle.Throttled):
        throttle.check(store, "ana@example.com", "10.9.9.9", t)


def test_a_background_job_runs_in_one_process_at_a_time(store, settings):
    started, release = threading.Event(), threading.Event()

    def hold():
        with jobs.once(store, "engagement-sync") as mine:
            assert mine
            started.set()
            release.wait(60)

    holder = threading.Thread(target=hold)
    holder.start()
    assert started.wait(30)
    try:
        code = """
            from assistant.storage import jobs
            with jobs.once(store, "engagement-sync") as mine, jobs.once(store, f"other-job-{worker}") as other:
                print(mine, other)
        """
        assert children(settings, code, 2) == ["False True\n"] * 2  # the held job is skipped, other jobs run
        with jobs.once(store, "engagement-sync") as mine:
            assert not mine  # a second thread of the same process is refused too
    finally:
        release.set()
        holder.join()
    assert children(settings, code, 1) == ["True True\n"]  # released: the next turn runs it


def test_a_cron_sync_beside_the_app_s_says_it_waits_its_turn(store, settings):
    env = {**os.environ, "PORTE_VOIX_HOME": str(settings.home), "PORTE_VOIX_DATABASE_URL": settings.database_url}
    command = [sys.executable, "-m", "assistant.cli", "engagement", "sync"]
    with jobs.once(store, "engagement-sync") as mine:  # this process is folding, as the app would
        assert mine
        run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "another process is folding" in run.stdout, run.stdout + run.stderr
    run = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "0 hits and 0 conversions folded" in run.stdout, run.stdout + run.stderr


def test_the_cli_imports_while_the_app_holds_the_store(store, settings):
    """What the DuckDB file refuses ("open in another process"): a command writing beside the running app."""
    store.value("SELECT count(*) FROM content")  # this process holds the store, as the app does
    env = {**os.environ, "PORTE_VOIX_HOME": str(settings.home.parent / "cli"), "PORTE_VOIX_DATABASE_URL":
           settings.database_url, "PORTE_VOIX_EMBEDDER": "fake", "PORTE_VOIX_PLUGINS": "tests.fakes"}
    run = subprocess.run([sys.executable, "-m", "assistant.cli", "ingest", str(DEMO / "content")], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout + run.stderr
    assert store.value("SELECT count(*) FROM content") > 50  # the app's process sees the import at once


def test_write_statements_are_bound_and_spelled_for_postgres():
    assert postgres.runs_in_postgres("UPDATE t SET a = 1") and postgres.runs_in_postgres("DELETE FROM t")
    assert postgres.runs_in_postgres("INSERT INTO t VALUES (1) ON CONFLICT DO NOTHING")
    assert postgres.runs_in_postgres("INSERT OR IGNORE INTO t VALUES (1)")
    assert not postgres.runs_in_postgres("INSERT INTO t SELECT * FROM frame")  # DuckDB's COPY: atomic already
    assert not postgres.runs_in_postgres("SELECT 1")
    assert postgres.bind("SELECT ? WHERE a = '?' AND b = ?", ["it's", None]) == "SELECT 'it''s' WHERE a = '?' AND b = NULL"
    with pytest.raises(ValueError):
        postgres.bind("SELECT ?", [1, 2])


def test_backup_points_to_pg_dump_on_postgres(store, settings, tmp_path):
    from assistant.storage import backup

    with pytest.raises(backup.BackupError, match="pg_dump"):
        backup.create(settings, tmp_path / "backup", store)


def test_autosaves_and_shares_from_three_processes_all_land(store, settings):
    """Three app processes, ten people each typing (an autosave per keystroke pause) then sharing."""
    children(settings, """
        from assistant.writing import autosave
        for person in range(10):
            email = f"p{worker}-{person}@example.com"
            for n in range(5):
                autosave.save(store, email, "news-1", "draft " * n + str(n))
            store.execute("INSERT INTO shares (id, email, content_id, text) VALUES (?, ?, 'news-1', ?)",
                          [f"s-{worker}-{person}", email, autosave.restore(store, email, "news-1")["text"]])
            autosave.clear(store, email, "news-1")
    """, 3)
    assert store.value("SELECT count(*) FROM shares") == 30
    assert store.value("SELECT count(*) FROM shares WHERE text LIKE '%4'") == 30  # the last save of each person
    assert store.value("SELECT count(*) FROM autosaves") == 0


def test_profile_languages_are_stored_once_from_processes_at_once(store, settings):
    children(settings, """
        from assistant.retrieval import text_languages
        texts = [f"Je travaille sur les réseaux électriques depuis {n} ans." for n in range(40)]
        text_languages.languages_of(store, texts)
    """, 3)
    assert store.value("SELECT count(*) FROM text_languages") == 40
    assert store.value("SELECT count(DISTINCT language) FROM text_languages") == 1


def test_a_policy_edit_in_one_process_is_applied_by_the_others(ctx, settings):
    """The policy is the database's (``storage.installation``): the admin's edit in one app process is applied
    at the next request in the others (with homes of their own: ``test_installation_state``)."""
    assert not ctx.policy.configured
    code = f"""
        from pathlib import Path
        from assistant.writing import policy
        policy.save("prohibited_terms:\\n  - term: garanti\\n    severity: block\\n", Path({str(settings.policy_path)!r}),
                    store, actor="admin@example.com")
    """
    children(settings, code, 1)
    assert [t.term for t in ctx.policy.prohibited_terms] == ["garanti"]
    assert ctx.store.value("SELECT count(*) FROM audit_log WHERE action = 'policy.save'") == 1


def test_people_erase_on_postgres_deletes_the_rows_and_says_vacuumed(demo_store, settings):
    email = demo_store.value("SELECT email FROM employees ORDER BY email LIMIT 1")
    env = {**os.environ, "PORTE_VOIX_HOME": str(settings.home), "PORTE_VOIX_DATABASE_URL": settings.database_url}
    run = subprocess.run([sys.executable, "-m", "assistant.cli", "people", "erase", email], cwd=ROOT, env=env,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0 and "database vacuumed" in run.stdout, run.stdout + run.stderr
    assert demo_store.value("SELECT count(*) FROM employees WHERE email = ?", [email]) == 0


def test_two_processes_sending_the_digests_at_once_send_each_person_one(demo_store, settings, ctx):
    """Every delivery is claimed in the shared store (UNIQUE (email, period)): two processes running the
    weekly send at the same moment split the people between them, nobody gets two e-mails."""
    from assistant.retrieval.indexing import embed_pending
    from tests.digest.digest_servers import start_smtp

    people = ["camille.durand@nordlys-energie.example", "sarah.okafor@nordlys-energie.example",
              "antoine.lefevre@nordlys-energie.example", "mei.chen@nordlys-energie.example"]
    demo_store.execute("UPDATE employees SET consent_program = list_contains(?, email)", [people])
    embed_pending(demo_store, ctx.embedder)
    controller, mailbox, port = start_smtp()
    try:
        outs = children(settings, f"""
            import datetime as dt
            from assistant.context import open_context
            from assistant.digest import sending
            s = Settings(home=sys.argv[1], database_url=sys.argv[2], embedder="fake", generator="fake",
                         translator="none", plugins=("tests.fakes",), smtp_host="127.0.0.1", smtp_port={port},
                         smtp_tls="none", smtp_from="digests@example.com", digest_backoff_s=0.0)
            report = sending.send(open_context(s, store=store, clock=lambda: dt.datetime(2026, 12, 7, 9, 30)))
            print(report.sent, report.failed)
        """, 2)
    finally:
        controller.stop()
    sent = [tuple(map(int, o.split())) for o in outs]
    assert sum(n for n, _ in sent) == len(people) and all(f == 0 for _, f in sent)
    assert sorted(m["To"] for m in mailbox.messages) == sorted(people)  # one e-mail each
    assert demo_store.value("SELECT count(*) FROM digest_deliveries WHERE status = 'sent'") == len(people)
