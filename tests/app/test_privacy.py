"""Export and erase one person's data: every table, the click log, the bytes of every file under the home."""

import argparse
import json
import os
import shutil
import sqlite3
import stat
import threading
from urllib.parse import urlsplit

import pytest

from assistant.app import privacy
from assistant.commands import admin as commands_admin
from assistant.context import open_context
from assistant.demo_accounts import create_demo_accounts
from assistant.imports.catalog import ingest
from assistant.imports.people import get_person, import_people
from assistant.links.clicklog import open_log
from assistant.optouts import inbox
from assistant.optouts.inbox import inbox_path
from assistant.reporting.events import record_event
from assistant.retrieval.indexing import embed_pending
from assistant.sharing.shares import record_share
from assistant.storage import audit, erased
from tests.conftest import DEMO
from tests.fakes import FakeEmbedder

CAMILLE = "camille.durand@nordlys-energie.example"
JULIEN = "julien.moreau@nordlys-energie.example"
PIERRE = "pierre.lemoine@nordlys-energie.example"   # named by no demo content item

pytestmark = pytest.mark.store_backends  # each test on the DuckDB file and on PostgreSQL


def _activity(store, settings, people=(CAMILLE, JULIEN, PIERRE)):
    create_demo_accounts(store, rounds=4)
    item = store.value("SELECT id FROM content ORDER BY id LIMIT 1")
    log = open_log(settings.clicklog_path)
    for n, email in enumerate(people):
        sid = f"s-{email.split('.')[0]}"
        record_share(store, sid, email, item, f"shared by {email}: my own words number {n}", "linkedin",
                                None, f"https://n.example/a?utm_content={sid}", 50.0)
        record_event(store, sid, "click", 2)
        store.execute("INSERT INTO drafts (id, email, content_id, request_id, variant, angle, language, text, generator,"
                      " fallback, attempts) VALUES (?, ?, ?, 'r', 0, 'experience', 'fr', ?, 'fake', false, 1)",
                      [f"d-{sid}", email, item, f"draft for {email} about the lakehouse"])
        log.add_link(f"code{n:04}", sid, f"https://n.example/a?utm_content={sid}")
        log.append_hits([(f"click-{n}", f"code{n:04}", sid, 1.0, "2030-01-01", "GET", None, "v", "browser", 0, None)])
    embed_pending(store, FakeEmbedder())
    audit.record(store, "nadia.benali@nordlys-energie.example", "person.export", people[0])
    log.close()


def _lived(settings):
    """The demo content and people, demo accounts, and shares, drafts, events and click-log rows for Camille,
    Julien and Pierre."""
    ctx = open_context(settings, embedder=FakeEmbedder())
    ingest(ctx.store, [DEMO / "content"])
    import_people(ctx.store, sorted(DEMO.glob("people.*")))
    _activity(ctx.store, ctx.settings)


@pytest.fixture
def lived(prepared, settings):
    """A context over a fresh copy of that installation (built once per backend)."""
    prepared(settings, "privacy", _lived)
    return open_context(settings)


def _run(ctx, *argv):
    parser = argparse.ArgumentParser(prog="porte-voix")
    sub = parser.add_subparsers(dest="command", required=True)
    people = sub.add_parser("people").add_subparsers(dest="action", required=True)
    commands_admin.add_parsers(sub, people)
    args = parser.parse_args(list(argv))
    return args.run(args, ctx)


def test_every_table_is_classified_for_export_and_erasure(store):
    assert privacy.unclassified(store) == [], (
        "a table holding personal data must be exported and erased: declare it in its package's personal_data.py")


def test_export_has_every_table_log_lines_and_click_log_and_no_secret(lived):
    data = json.loads(privacy.export_json(lived.store, CAMILLE.upper(), lived.settings))
    tables = data["tables"]
    assert set(privacy.PERSONAL_TABLES) | {"signin_throttle"} >= set(tables) >= {
        "employees", "employee_posts", "shares", "drafts", "engagement_events", "accounts", "import_log"}
    assert tables["employees"][0]["email"] == CAMILLE and len(tables["employee_posts"]) == 4
    assert len(tables["shares"]) == 1 and tables["engagement_events"][0]["count"] == 2
    assert len(tables["drafts"]) == 1 and tables["accounts"][0]["roles"] == ["employee"]
    assert tables["import_log"] and all(CAMILLE in json.dumps(row) for row in tables["import_log"])
    assert {e["action"] for e in data["mentions"]["audit_log"]} == {"account.create", "person.export"}
    assert [h["click_id"] for h in data["files"]["click_log"]["hits"]] == ["click-0"]
    text = json.dumps(data)
    assert "password_hash" not in text and "$2b$" not in text and "token_hash" not in text
    assert JULIEN not in text


def test_export_has_their_sign_in_counters_and_nobody_else_s_ids(lived):
    """The visitors who clicked their links and the leads they brought are other people: their pseudonyms and
    CRM ids are not the person's data (the export held 29 visitor pseudonyms and no sign-in counter)."""
    from assistant.access import throttle
    from assistant.reporting import sync

    store, settings = lived.store, lived.settings
    log = open_log(settings.clicklog_path)
    visitors = [f"net{n}-visitor-pseudonym-{n:04}" for n in range(3)]
    log.append_hits([(f"click-v{n}", "code0000", "s-camille", 2.0 + n, "2030-01-02", "GET", "linkedin.com", visitor,
                      "desktop", 0, None) for n, visitor in enumerate(visitors)])
    log.add_conversion({"external_id": "hubspot-contact-2231", "share_id": "s-camille", "click_id": "click-v0",
                        "event": "lead", "value": None, "currency": None, "occurred_at": 3.0, "received_at": 3.0,
                        "source": "webhook"})
    sync.sync(store, log)  # the hits folded into the store carry the visitor pseudonyms too
    assert store.value("SELECT count(*) FROM engagement_events WHERE visitor LIKE 'net%'") == 3
    for _ in range(2):
        throttle.failed(store, CAMILLE, "203.0.113.9")
    throttle.failed(store, JULIEN, "203.0.113.9")
    data = privacy.export_person(store, CAMILLE, settings)
    text = json.dumps(data, default=str)
    assert not [v for v in visitors if v in text] and "hubspot-contact-2231" not in text
    hits = data["files"]["click_log"]["hits"]
    assert len(hits) == 4 and all("visitor" not in h for h in hits)
    assert data["files"]["click_log"]["conversions"][0]["event"] == "lead"
    assert [r["failures"] for r in data["tables"]["signin_throttle"]] == [2]


def test_erase_removes_the_person_everywhere_and_nobody_else(lived):
    ctx = lived
    demo_store = lived.store
    before = privacy.remaining(demo_store, JULIEN)
    embeddings = demo_store.value("SELECT count(*) FROM embeddings")
    report = privacy.erase_person(ctx, CAMILLE, actor="nadia.benali@nordlys-energie.example")
    counts = report["tables"]
    assert counts["employees"] == 1 and counts["shares"] == 1 and counts["engagement_events"] == 1
    assert counts["embeddings"] > 0 and counts["import_log"] >= 1 and counts["audit_log"] == 2  # account.create, export
    assert demo_store.value("SELECT count(*) FROM embeddings") == embeddings - counts["embeddings"]
    assert set(privacy.remaining(demo_store, CAMILLE).values()) == {0} and report["residue"] == {}
    assert privacy.mentions(demo_store, CAMILLE, skip=("content",)) == {}
    assert report["files"]["click_log"]["deleted"] == 2
    assert privacy.remaining(demo_store, JULIEN) == before
    assert demo_store.value("SELECT count(*) FROM engagement_events WHERE share_id = 's-julien'") == 1
    assert open_log(ctx.settings.clicklog_path).link("code0001") == ("s-julien", "https://n.example/a?utm_content=s-julien")
    assert report["content_mentions"] == []  # no item quotes her email (items quoting her name are kept: see below)
    entry = audit.entries(demo_store, action="person.erase")[0]
    assert entry["target"] == report["email_pseudonym"] and entry["target"].startswith("erased:")


def _needles(store, email):
    """Raw bytes of what must vanish: email, name, each post, draft and share text (their import-log lines
    are the ones naming the email)."""
    person = get_person(store, email)
    texts = {"email": email, "name": person["name"]}
    for table, column in (("employee_posts", "text"), ("drafts", "text"), ("shares", "text")):
        for n, row in enumerate(store.rows(f"SELECT {column} FROM {table} WHERE email = ?", [email])):
            texts[f"{table}[{n}]"] = row[column][:40]
    return {label: text.encode("utf-8") for label, text in texts.items()}


def test_erasure_is_physical_in_every_file_under_the_home(lived):
    """The issue's audit: grep the raw bytes of every file under PORTE_VOIX_HOME before and after."""
    ctx, demo_store = lived, lived.store
    demo_store.execute("CHECKPOINT")
    needles = _needles(demo_store, PIERRE)
    before = privacy.scan_files(ctx.settings.home, needles)
    if not ctx.settings.database_url:  # on PostgreSQL the home's files hold his share ids, never his name
        assert {"email", "name"} <= {label for counts in before.values() for label in counts}
    privacy.erase_person(ctx, PIERRE)
    demo_store.execute("CHECKPOINT")
    assert privacy.scan_files(ctx.settings.home, needles) == {}
    files = [p.name for p in ctx.settings.home.rglob("*") if p.is_file()]
    if not ctx.settings.database_url:  # on PostgreSQL the store is not a file of the home (its VACUUM: test_postgres)
        assert "porte-voix.duckdb" in files and "porte-voix.duckdb.wal" not in files
        assert privacy.scan_files(ctx.settings.home, {"julien": JULIEN.encode()}), "others are kept"


def test_a_name_quoted_by_company_content_survives_only_there(lived):
    privacy.erase_person(lived, CAMILLE)
    named = privacy.mentions(lived.store, "Camille Durand")
    assert set(named) == {"content"}, "her name is left only in company articles that quote her"


def test_files_under_the_home_are_private(lived):
    ctx = lived
    privacy.erase_person(ctx, CAMILLE)
    for path in [ctx.settings.home, *ctx.settings.home.rglob("*")]:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"


def test_a_reimport_does_not_resurrect_an_erased_person(lived, tmp_path):
    store = lived.store
    privacy.erase_person(lived, CAMILLE)
    hr = tmp_path / "hr.csv"
    hr.write_text(f"email,name,consent_program\n{CAMILLE},Camille Durand,true\nnew.hire@nordlys-energie.example,New Hire,\n",
                  encoding="utf-8")
    report = import_people(store, [hr])
    assert get_person(store, CAMILLE) is None and get_person(store, "new.hire@nordlys-energie.example") is not None
    assert report.counts["rejected"] == 1 and erased.REJECTION in report.problems[0]
    assert CAMILLE not in json.dumps(store.rows("SELECT * FROM import_log"), default=str)
    assert erased.is_erased(store, CAMILLE) and not erased.is_erased(store, JULIEN)
    assert privacy.readmit(store, CAMILLE, actor="cli:admin")
    import_people(store, [hr])
    person = get_person(store, CAMILLE)
    assert person is not None and not person["consent_program"], "back only after a new opt-in, consent off"


def test_the_salt_is_kept_apart_from_the_register(lived):
    """In the home on the DuckDB file (a copy of the database alone cannot be tested against emails); on
    PostgreSQL in the database, shared by every machine's process (``storage.installation``)."""
    ctx, demo_store = lived, lived.store
    privacy.erase_person(ctx, JULIEN)
    salt = erased.salt_path(ctx.settings.home)
    if ctx.settings.database_url:
        assert not salt.exists()
        stored = demo_store.value("SELECT value FROM installation_secrets WHERE name = 'erasure-salt'")
        assert bytes.fromhex(stored) == erased.salt(ctx.settings) and len(erased.salt(ctx.settings)) == 32
    else:
        assert stat.S_IMODE(salt.stat().st_mode) == 0o600 and salt.read_bytes() == erased.salt(ctx.settings)
    digest = demo_store.value("SELECT digest FROM erased_people")
    register = json.dumps(demo_store.rows("SELECT * FROM erased_people"), default=str)
    assert digest != JULIEN and erased.salt(ctx.settings).hex() not in register


def test_people_commands_erase_export_readmit(lived, capsys, tmp_path):
    ctx, demo_store = lived, lived.store
    out = tmp_path / "camille.json"
    assert _run(ctx, "people", "export", CAMILLE, "-o", str(out)) == 0
    assert json.loads(out.read_text())["tables"]["employees"][0]["email"] == CAMILLE
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    assert _run(ctx, "people", "export", CAMILLE, "-o", str(out)) == 2, "never overwrites"
    capsys.readouterr()
    assert _run(ctx, "people", "erase", CAMILLE, "--json") == 0
    report = json.loads(capsys.readouterr().out)
    assert report["tables"]["employees"] == 1 and report["compaction"]["bytes_after"] > 0
    assert _run(ctx, "people", "readmit", CAMILLE) == 0
    assert "may be imported again" in capsys.readouterr().out
    actions = [e["action"] for e in audit.entries(demo_store, action="person.")]
    assert actions[:3] == ["person.readmit", "person.erase", "person.export"]


def test_compaction_keeps_serving_other_threads(lived):
    """Requests in other threads before and after the rewrite work; the same Store object goes on."""
    from assistant.storage import compaction

    ctx, demo_store = lived, lived.store
    results = []

    def reader():
        results.append(demo_store.value("SELECT count(*) FROM content"))

    thread = threading.Thread(target=reader)
    thread.start()
    thread.join()
    stats = compaction.copy_live(demo_store, ctx.settings)
    thread = threading.Thread(target=reader)
    thread.start()
    thread.join()
    assert results[0] == results[1] > 0 and ctx.store is demo_store


def test_compaction_refuses_when_another_connection_holds_the_file(lived):
    import duckdb

    from assistant.storage import compaction

    ctx, demo_store = lived, lived.store
    if ctx.settings.database_url:
        pytest.skip("the DuckDB file's compaction: PostgreSQL has no file to rewrite (its VACUUM: test_postgres)")
    other = duckdb.connect(str(ctx.settings.db_path), config={"extension_directory": str(ctx.settings.extension_dir),
                                                              "autoinstall_known_extensions": "false",
                                                              "autoload_known_extensions": "false"})
    try:
        with pytest.raises(compaction.CompactionError):
            compaction.copy_live(demo_store, ctx.settings)
    finally:
        other.close()
    assert demo_store.value("SELECT count(*) FROM content") > 0, "the store goes on with its file"


def test_the_digest_opt_out_inbox_is_exported_and_erased(lived):
    ctx, demo_store = lived, lived.store
    inbox.record(ctx.settings, CAMILLE, "link")
    inbox.record(ctx.settings, JULIEN, "link")
    data = privacy.export_person(demo_store, CAMILLE, ctx.settings)
    assert [r["email"] for r in data["files"]["optouts"]["optouts"]] == [CAMILLE]
    report = privacy.erase_person(ctx, CAMILLE)
    assert report["files"]["optouts"]["deleted"] == 1 and report["file_residue"] == {}
    assert privacy.scan_files(ctx.settings.home, {"email": CAMILLE.encode()}, skip=privacy.CACHE_DIRS) == {}
    assert privacy.export_person(demo_store, JULIEN, ctx.settings)["files"]["optouts"]["optouts"]


def test_the_audit_log_keeps_the_trail_under_a_pseudonym(lived):
    store = lived.store
    audit.record(store, CAMILLE, "policy.save", "policy.yaml", {"note": f"asked by {CAMILLE.upper()} and {JULIEN}"})
    report = privacy.erase_person(lived, CAMILLE)
    alias = report["email_pseudonym"]
    saved = audit.entries(store, action="policy.")[0]
    assert saved["actor"] == alias and saved["detail"] == {"note": f"asked by {alias} and {JULIEN}"}
    assert not privacy.mentions(store, CAMILLE, skip=("content",))


def test_an_erased_person_leaves_no_digest_trace_in_any_file(lived):
    """Digest preferences, an unsubscribe (inbox and folded), a digest delivery that failed naming them, a run
    whose error names them, and their name as author of someone's preferences: after the erasure, not one
    byte of their email is left in any file under the home; Julien's digest data is kept."""
    from assistant.digest import log, preferences

    ctx, store = lived, lived.store
    now = ctx.now()
    preferences.set_preferences(store, PIERRE, frequency="biweekly", channel="email", by=PIERRE)
    run = log.start_run(store, "2026-W49", "schedule", now)
    for email in (PIERRE, JULIEN):
        delivery = log.claim(store, run, email, "2026-W49", "email", "fr", "Vos idées", [], now)
        log.finish_delivery(store, delivery, False, 3, f"SMTP 550 <{email}>: mailbox unavailable", now)
    log.finish_run(store, run, now, due=2, sent=0, failed=2, skipped=0, error=f"SMTPRecipientsRefused: {{'{PIERRE}'}}")
    inbox.record(ctx.settings, PIERRE, "one-click")
    inbox.record(ctx.settings, JULIEN, "link")
    assert preferences.fold_optouts(store, ctx.settings) == 2
    preferences.set_preferences(store, JULIEN, channel="email", by=PIERRE.upper())      # Pierre as an admin
    store.execute("CHECKPOINT")
    email = {"email": PIERRE.encode()}
    in_home = {inbox_path(ctx.settings).name} | ({"porte-voix.duckdb"} if not ctx.settings.database_url else set())
    assert in_home <= set(privacy.scan_files(ctx.settings.home, email))

    report = privacy.erase_person(ctx, PIERRE)
    store.execute("CHECKPOINT")
    assert report["residue"] == {} and report["file_residue"] == {}
    assert report["tables"]["digest_preferences"] == 1 and report["tables"]["digest_deliveries"] == 1
    assert report["tables"]["digest_optouts"] == 1 and report["files"]["optouts"]["deleted"] == 1
    assert report["tables"]["digest_preferences.updated_by"] == 1 and report["tables"]["digest_runs"] == 1
    assert privacy.scan_files(ctx.settings.home, email, skip=privacy.CACHE_DIRS) == {}
    assert privacy.scan_files(ctx.settings.home, {"email": PIERRE.upper().encode()}, skip=privacy.CACHE_DIRS) == {}
    assert preferences.get(store, JULIEN) == {"frequency": "never", "channel": "email"}
    assert store.value("SELECT updated_by FROM digest_preferences WHERE email = ?", [JULIEN]) is None
    assert [d["email"] for d in log.deliveries(store)] == [JULIEN]
    [run_row] = log.runs(store)
    assert run_row["failed"] == 2 and report["email_pseudonym"] in run_row["error"], "the run's counts stay"
    assert privacy.export_person(store, JULIEN, ctx.settings)["files"]["optouts"]["optouts"]


def test_erasure_reaches_a_running_click_service_and_the_unsubscribe_links(lived):
    """The issue's probe: a click service started before `people erase` kept redirecting the person's codes
    and logging hits under their share ids; their old unsubscribe link still showed their email, and a POST
    wrote it back into optouts.sqlite3, which the next digest run copied into DuckDB."""
    from assistant.digest import preferences
    from assistant.optouts import tokens
    from assistant.links.hitwriter import HitWriter
    from assistant.web.clickservice import service_app
    from tests.click_server import request, running, wait_until

    ctx, store = lived, lived.store
    link = urlsplit(tokens.link(ctx.settings, JULIEN, "en"))
    path, one_click = f"{link.path}?{link.query}", {"Content-Type": "application/x-www-form-urlencoded"}
    log = open_log(ctx.settings.clicklog_path)
    queued = HitWriter(log)  # a hit redirected just before the erasure, still in memory when it runs
    queued.submit(("click-late", "code0001", "s-julien", 1.0, "GET", None, "198.51.100.1", "Mozilla/5.0"))
    app = service_app(ctx.settings)
    with running(app) as port:
        assert request(port, "GET", "/code0001")[0] == 302
        assert JULIEN.encode() in request(port, "GET", path)[2]
        assert wait_until(lambda: app.state.writer.stats["written"] == 1)
        assert _run(ctx, "people", "erase", JULIEN, "--json") == 0
        status, _, body = request(port, "GET", "/code0001")
        assert status == 404, "an erased person's code no longer redirects"
        assert request(port, "GET", "/code0000")[0] == 302, "Camille's code still does"
        status, _, body = request(port, "GET", path)
        assert status == 404 and JULIEN.encode() not in body and b"julien" not in body.lower()
        status, _, body = request(port, "POST", path, one_click, b"List-Unsubscribe=One-Click")
        assert status == 404 and JULIEN.encode() not in body
        assert wait_until(lambda: app.state.writer.stats["written"] == 2)  # Camille's second hit
    assert queued.flush() and (queued.stats["written"], queued.stats["forgotten"], queued.stats["lost"]) == (0, 1, 0)
    assert log.db.execute("SELECT count(*) FROM hits WHERE share_id = 's-julien'").fetchone()[0] == 0
    assert app.state.writer.stats["lost"] == 0
    assert privacy.scan_files(ctx.settings.home, {"email": JULIEN.encode()}, skip=privacy.CACHE_DIRS) == {}
    assert preferences.fold_optouts(store, ctx.settings) == 0  # the next digest run copies nothing back
    assert not store.value("SELECT count(*) FROM digest_optouts") and preferences.get(store, JULIEN)["frequency"] == "weekly"
    assert store.value("SELECT count(*) FROM digest_preferences WHERE email = ?", [JULIEN]) == 0
    assert not erased.is_erased(store, CAMILLE) and inbox.record(ctx.settings, CAMILLE, "link")


def test_an_opt_out_that_raced_the_erasure_is_dropped_at_the_next_fold(lived):
    from assistant.digest import preferences

    ctx, store = lived, lived.store
    inbox.record(ctx.settings, PIERRE, "link")
    privacy.erase_person(ctx, JULIEN)
    with sqlite3.connect(inbox.inbox_path(ctx.settings)) as con:  # written by a service still on the old code
        con.execute("INSERT INTO optouts (email, at, source) VALUES (?, '2030-01-01T09:00:00', 'link')", [JULIEN])
    con.close()
    assert preferences.fold_optouts(store, ctx.settings) == 1  # Pierre's
    assert store.value("SELECT list(email) FROM digest_optouts") == [PIERRE] and store.value(
        "SELECT count(*) FROM digest_preferences WHERE email = ?", [JULIEN]) == 0
    assert not privacy.scan_files(ctx.settings.home, {"email": JULIEN.encode()}, skip=privacy.CACHE_DIRS).get(
        inbox_path(ctx.settings).name)


def test_a_readmitted_person_gets_working_unsubscribe_links_again(lived):
    ctx = lived
    privacy.erase_person(ctx, JULIEN)
    assert inbox.is_buried(ctx.settings, JULIEN) and not inbox.record(ctx.settings, JULIEN, "link")
    assert privacy.readmit(ctx.store, JULIEN)
    assert not inbox.is_buried(ctx.settings, JULIEN) and inbox.record(ctx.settings, JULIEN, "link")


def test_each_table_is_declared_by_one_feature():
    """A table belongs to the package that stores it: two parts claiming one table would erase it twice."""
    declared = [table for part in privacy.PARTS for table in part.tables()]
    assert sorted({t for t in declared if declared.count(t) > 1}) == []
