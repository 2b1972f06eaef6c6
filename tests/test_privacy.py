"""Export and erase one person's data: every table, the click log, the bytes of every file under the home."""

import argparse
import json
import os
import stat
import threading

import pytest

from assistant import audit, commands_admin, engagement, erased, privacy
from assistant.clicklog import open_log
from assistant.demo_accounts import create_demo_accounts
from assistant.indexing import embed_pending
from assistant.people import get_person, import_people
from tests.conftest import DEMO
from tests.fakes import FakeEmbedder

CAMILLE = "camille.durand@nordlys-energie.example"
JULIEN = "julien.moreau@nordlys-energie.example"
PIERRE = "pierre.lemoine@nordlys-energie.example"   # named by no demo content item


def _activity(store, settings, monkeypatch, people=(CAMILLE, JULIEN)):
    monkeypatch.setattr("assistant.accounts.ROUNDS", 4)
    create_demo_accounts(store)
    item = store.value("SELECT id FROM content ORDER BY id LIMIT 1")
    log = open_log(settings.clicklog_path)
    for n, email in enumerate(people):
        sid = f"s-{email.split('.')[0]}"
        engagement.record_share(store, sid, email, item, f"shared by {email}: my own words number {n}", "linkedin",
                                None, f"https://n.example/a?utm_content={sid}", 50.0)
        engagement.record_event(store, sid, "click", 2)
        store.execute("INSERT INTO drafts (id, email, content_id, request_id, variant, angle, language, text, generator,"
                      " fallback, attempts) VALUES (?, ?, ?, 'r', 0, 'experience', 'fr', ?, 'fake', false, 1)",
                      [f"d-{sid}", email, item, f"draft for {email} about the lakehouse"])
        log.add_link(f"code{n:04}", sid, f"https://n.example/a?utm_content={sid}")
        log.append_hits([(f"click-{n}", f"code{n:04}", sid, 1.0, "2030-01-01", "GET", None, "v", "browser", 0, None)])
    embed_pending(store, FakeEmbedder())
    audit.record(store, "nadia.benali@nordlys-energie.example", "person.export", people[0])


def _run(ctx, *argv):
    parser = argparse.ArgumentParser(prog="porte-voix")
    sub = parser.add_subparsers(dest="command", required=True)
    people = sub.add_parser("people").add_subparsers(dest="action", required=True)
    commands_admin.add_parsers(sub, people)
    args = parser.parse_args(list(argv))
    return args.run(args, ctx)


def test_every_table_is_classified_for_export_and_erasure(demo_store):
    assert privacy.unclassified(demo_store) == [], (
        "a table holding personal data must be exported and erased: classify it in assistant/privacy.py")


def test_export_has_every_table_log_lines_and_click_log_and_no_secret(demo_store, settings, monkeypatch):
    _activity(demo_store, settings, monkeypatch)
    data = json.loads(privacy.export_json(demo_store, CAMILLE.upper(), settings))
    tables = data["tables"]
    assert set(privacy.PERSONAL_TABLES) >= set(tables) >= {"employees", "employee_posts", "shares", "drafts",
                                                           "engagement_events", "accounts", "import_log"}
    assert tables["employees"][0]["email"] == CAMILLE and len(tables["employee_posts"]) == 4
    assert len(tables["shares"]) == 1 and tables["engagement_events"][0]["count"] == 2
    assert len(tables["drafts"]) == 1 and tables["accounts"][0]["roles"] == ["employee"]
    assert tables["import_log"] and all(CAMILLE in json.dumps(row) for row in tables["import_log"])
    assert {e["action"] for e in data["mentions"]["audit_log"]} == {"account.create", "person.export"}
    assert [h["click_id"] for h in data["files"]["click_log"]["hits"]] == ["click-0"]
    text = json.dumps(data)
    assert "password_hash" not in text and "$2b$" not in text and "token_hash" not in text
    assert JULIEN not in text


def test_erase_removes_the_person_everywhere_and_nobody_else(demo_store, ctx, monkeypatch):
    _activity(demo_store, ctx.settings, monkeypatch)
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


def test_erasure_is_physical_in_every_file_under_the_home(demo_store, ctx, monkeypatch):
    """The issue's audit: grep the raw bytes of every file under PORTE_VOIX_HOME before and after."""
    _activity(demo_store, ctx.settings, monkeypatch, people=(PIERRE, JULIEN))
    demo_store.execute("CHECKPOINT")
    needles = _needles(demo_store, PIERRE)
    before = privacy.scan_files(ctx.settings.home, needles)
    assert {"email", "name"} <= {label for counts in before.values() for label in counts}
    privacy.erase_person(ctx, PIERRE)
    demo_store.execute("CHECKPOINT")
    assert privacy.scan_files(ctx.settings.home, needles) == {}
    files = [p.name for p in ctx.settings.home.rglob("*") if p.is_file()]
    assert "porte-voix.duckdb" in files and "porte-voix.duckdb.wal" not in files
    assert privacy.scan_files(ctx.settings.home, {"julien": JULIEN.encode()}), "others are kept"


def test_a_name_quoted_by_company_content_survives_only_there(demo_store, ctx, monkeypatch):
    _activity(demo_store, ctx.settings, monkeypatch)
    privacy.erase_person(ctx, CAMILLE)
    named = privacy.mentions(demo_store, "Camille Durand")
    assert set(named) == {"content"}, "her name is left only in company articles that quote her"


def test_files_under_the_home_are_private(demo_store, ctx, monkeypatch):
    _activity(demo_store, ctx.settings, monkeypatch)
    privacy.erase_person(ctx, CAMILLE)
    for path in [ctx.settings.home, *ctx.settings.home.rglob("*")]:
        mode = stat.S_IMODE(os.stat(path).st_mode)
        assert mode & 0o077 == 0, f"{path} is {oct(mode)}"


def test_a_reimport_does_not_resurrect_an_erased_person(demo_store, ctx, monkeypatch):
    _activity(demo_store, ctx.settings, monkeypatch)
    privacy.erase_person(ctx, CAMILLE)
    report = import_people(demo_store, sorted(DEMO.glob("people.*")))
    assert get_person(demo_store, CAMILLE) is None and get_person(demo_store, JULIEN) is not None
    assert report.counts["rejected"] == 1 and "erased at their request" in report.problems[0]
    assert CAMILLE not in json.dumps(demo_store.rows("SELECT * FROM import_log"), default=str)
    assert erased.is_erased(demo_store, CAMILLE) and not erased.is_erased(demo_store, JULIEN)
    assert privacy.readmit(demo_store, CAMILLE, actor="cli:admin")
    import_people(demo_store, sorted(DEMO.glob("people.*")))
    person = get_person(demo_store, CAMILLE)
    assert person is not None and not person["consent_program"], "back only after a new opt-in, consent off"


def test_salt_lives_in_the_home_and_not_in_the_database(demo_store, ctx, monkeypatch):
    privacy.erase_person(ctx, JULIEN)
    salt = erased.salt_path(ctx.settings.home)
    assert stat.S_IMODE(salt.stat().st_mode) == 0o600 and len(salt.read_bytes()) == 32
    digest = demo_store.value("SELECT digest FROM erased_people")
    assert digest != JULIEN and salt.read_bytes().hex() not in json.dumps(demo_store.rows("SELECT * FROM erased_people"), default=str)


def test_people_commands_erase_export_readmit(demo_store, ctx, monkeypatch, capsys, tmp_path):
    _activity(demo_store, ctx.settings, monkeypatch)
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


def test_compaction_keeps_serving_other_threads(demo_store, ctx):
    """Requests in other threads before and after the rewrite work; the same Store object goes on."""
    from assistant import compaction

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


def test_compaction_refuses_when_another_connection_holds_the_file(demo_store, ctx):
    import duckdb

    from assistant import compaction

    other = duckdb.connect(str(ctx.settings.db_path), config={"extension_directory": str(ctx.settings.extension_dir),
                                                              "autoinstall_known_extensions": "false",
                                                              "autoload_known_extensions": "false"})
    try:
        with pytest.raises(compaction.CompactionError):
            compaction.copy_live(demo_store, ctx.settings)
    finally:
        other.close()
    assert demo_store.value("SELECT count(*) FROM content") > 0, "the store goes on with its file"


def test_the_digest_opt_out_inbox_is_exported_and_erased(demo_store, ctx):
    unsubscribe = pytest.importorskip("assistant.unsubscribe")
    assert unsubscribe.inbox_path(ctx.settings).name == privacy.OPTOUTS_FILE
    unsubscribe.record(ctx.settings, CAMILLE, "link")
    unsubscribe.record(ctx.settings, JULIEN, "link")
    data = privacy.export_person(demo_store, CAMILLE, ctx.settings)
    assert [r["email"] for r in data["files"]["optouts"]["optouts"]] == [CAMILLE]
    report = privacy.erase_person(ctx, CAMILLE)
    assert report["files"]["optouts"]["deleted"] == 1 and report["file_residue"] == {}
    assert privacy.scan_files(ctx.settings.home, {"email": CAMILLE.encode()}, skip=privacy.CACHE_DIRS) == {}
    assert privacy.export_person(demo_store, JULIEN, ctx.settings)["files"]["optouts"]["optouts"]


def test_reloading_the_demo_keeps_an_erased_demo_person_erased(ctx, capsys):
    from assistant.cli import main

    assert main(["demo"], ctx) == 0
    privacy.erase_person(ctx, CAMILLE, actor=CAMILLE)
    capsys.readouterr()
    assert main(["demo", "--json"], ctx) == 0, "make run reloads the demo: an erased demo person is no error"
    out = json.loads(capsys.readouterr().out)
    assert out["people"]["rejected"] == 0 and any("erased at their request" in n for n in out["people"]["notes"])
    assert out["demo"]["accounts"] == 0 and set(privacy.remaining(ctx.store, CAMILLE).values()) == {0}
    assert privacy.mentions(ctx.store, CAMILLE, skip=("content",)) == {}
