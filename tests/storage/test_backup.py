"""Whole-home backup and restore: consistent, complete, private, only into an empty home."""

import argparse
import json
import os
import stat
import subprocess
import sys
import textwrap

import pytest

from assistant.commands import admin as commands_admin
from assistant.config import Settings
from assistant.context import open_context
from assistant.links.clicklog import open_log
from assistant.storage import audit, backup, compaction, keys
from assistant.storage.store import StoreLocked, close_all


def _tables(store) -> dict[str, list]:
    """Every row of every table, in a stable order (the round trip must keep them all)."""
    names = [r["table_name"] for r in store.rows(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_catalog = current_database() ORDER BY 1")]
    return {n: store.rows(f"SELECT * FROM {compaction.sql_name(n)} ORDER BY ALL") for n in names}


def _populate(ctx):
    store = ctx.store
    from tests.conftest import DEMO
    from assistant.imports.catalog import ingest
    from assistant.imports.people import import_people

    ingest(store, [DEMO / "content"])
    import_people(store, sorted(DEMO.glob("people.*")))
    audit.record(store, "nadia@example.com", "policy.save", "policy.yaml")
    ctx.settings.policy_path.write_text("rules: []\n", encoding="utf-8")
    keys.key(ctx.settings.home, "links")
    log = open_log(ctx.settings.clicklog_path)
    log.add_link("AbC123xy", "s-1", "https://n.example/a?utm_content=s-1")
    log.append_hits([("c-1", "AbC123xy", "s-1", 1.0, "2030-01-01", "GET", None, "v", "browser", 0, None)])


def _key(ctx) -> bytes:
    """The backup key of the installation under test (kept in its home, never in a backup)."""
    return keys.key(ctx.settings.home, backup.KEY_NAME)


def _run(ctx, *argv):
    parser = argparse.ArgumentParser(prog="porte-voix")
    sub = parser.add_subparsers(dest="command", required=True)
    commands_admin.add_parsers(sub, sub.add_parser("people").add_subparsers(dest="action"))
    args = parser.parse_args(list(argv))
    return args.run(args, ctx)


def test_round_trip_keeps_every_row_and_file(ctx, tmp_path):
    _populate(ctx)
    before = _tables(ctx.store)
    report = backup.create(ctx.settings, tmp_path / "bk", store=ctx.store, actor="cli:test")
    assert {"porte-voix.duckdb", "clicks.sqlite3", "policy.yaml", "keys/links.key"} <= set(report["files"])
    assert not any(name.startswith(("models/", "duckdb_extensions/")) for name in report["files"])
    for path in (tmp_path / "bk").rglob("*"):
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
    target = Settings(home=tmp_path / "restored", embedder="fake", generator="fake")
    restored = backup.restore(target, tmp_path / "bk", key=_key(ctx))
    assert restored["tables"] == report["tables"]
    other = open_context(target).store
    after = _tables(other)
    assert after == before, "every row of every table comes back"
    assert open_log(target.clicklog_path).link("AbC123xy") == ("s-1", "https://n.example/a?utm_content=s-1")
    assert target.policy_path.read_text() == "rules: []\n"
    assert keys.key(target.home, "links") == keys.key(ctx.settings.home, "links")
    assert [e["action"] for e in audit.entries(ctx.store, action="store.")] == ["store.backup"]


def test_restore_only_into_an_empty_home(ctx, tmp_path):
    _populate(ctx)
    backup.create(ctx.settings, tmp_path / "bk", store=ctx.store)
    with pytest.raises(backup.BackupError, match="already holds data"):
        backup.restore(ctx.settings, tmp_path / "bk")
    cached = Settings(home=tmp_path / "cache-only")
    (cached.home / "models").mkdir(parents=True)
    (cached.home / "models" / "weights.bin").write_bytes(b"x")
    assert backup.home_is_empty(cached)
    backup.restore(cached, tmp_path / "bk", key=_key(ctx))


def test_damaged_backups_and_bad_destinations_are_refused(ctx, tmp_path):
    _populate(ctx)
    backup.create(ctx.settings, tmp_path / "bk", store=ctx.store)
    with pytest.raises(backup.BackupError, match="new or empty"):
        backup.create(ctx.settings, tmp_path / "bk", store=ctx.store)
    with pytest.raises(backup.BackupError, match="inside the home"):
        backup.create(ctx.settings, ctx.settings.home / "bk", store=ctx.store)
    policy = tmp_path / "bk" / "policy.yaml"
    policy.chmod(0o600)
    policy.write_text("rules: [tampered]\n")
    with pytest.raises(backup.BackupError, match="differs from the manifest"):
        backup.restore(Settings(home=tmp_path / "new"), tmp_path / "bk", key=_key(ctx))
    assert backup.home_is_empty(Settings(home=tmp_path / "new"))
    with pytest.raises(backup.BackupError, match="not a Porte-voix backup"):
        backup.restore(Settings(home=tmp_path / "new"), tmp_path)


def test_backup_without_an_open_store_reads_the_file_read_only(ctx, tmp_path):
    _populate(ctx)
    before = _tables(ctx.store)
    close_all()
    report = backup.create(ctx.settings, tmp_path / "bk")
    assert report["tables"]["content"] == len(before["content"])


def test_backup_while_another_process_holds_the_store_says_so(ctx, tmp_path):
    _populate(ctx)
    close_all()
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import duckdb, sys, time
        con = duckdb.connect({str(ctx.settings.db_path)!r})
        print("ready", flush=True)
        sys.stdin.readline()
    """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(StoreLocked, match="back up from the app"):
            backup.create(ctx.settings, tmp_path / "bk")
        assert not (tmp_path / "bk").exists()
    finally:
        holder.communicate("\n", timeout=30)


def test_backup_and_restore_commands(ctx, tmp_path, capsys):
    _populate(ctx)
    assert _run(ctx, "backup", str(tmp_path / "bk"), "--json") == 0
    made = json.loads(capsys.readouterr().out)
    assert made["tables"]["content"] > 0
    assert _run(ctx, "backup", str(tmp_path / "bk")) == 2
    assert "new or empty" in capsys.readouterr().err
    target = open_context(Settings(home=tmp_path / "restored", embedder="fake", generator="fake"))
    assert _run(target, "restore", str(tmp_path / "bk")) == 2, "no key: refused"
    assert "needs the backup key" in capsys.readouterr().err
    assert _run(target, "restore", str(tmp_path / "bk"), "--key", str(ctx.settings.home / backup.KEY_FILE)) == 0
    assert "restored" in capsys.readouterr().out
    assert [e["action"] for e in audit.entries(target.store, action="store.")] == ["store.restore"]  # backup logged after its copy
    assert _run(target, "restore", str(tmp_path / "bk")) == 2
    assert "already holds data" in capsys.readouterr().err
    assert os.path.exists(target.settings.db_path)


def test_backup_command_reads_a_closed_store_read_only(ctx, tmp_path, capsys):
    _populate(ctx)
    close_all()
    fresh = open_context(ctx.settings)  # a new command: its store is not open yet
    assert _run(fresh, "backup", str(tmp_path / "bk")) == 0
    assert "backed up" in capsys.readouterr().out
    assert [e["action"] for e in audit.entries(fresh.store, action="store.")] == ["store.backup"]


# --- tampered backups: whoever can write where backups are kept must not get the installation --------------------

def _recompute(folder, tables=True) -> dict:
    """What an intruder does after editing a backup: sizes, hashes and rows written back into the manifest."""
    manifest = json.loads((folder / backup.MANIFEST).read_text())
    manifest["files"] = {str(p.relative_to(folder)): {"bytes": p.stat().st_size, "sha256": backup._sha256(p)}
                         for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()
                         and p.name not in (backup.MANIFEST, backup.SIGNATURE)}
    if tables:
        manifest["tables"], _ = backup._read_counts(folder / "porte-voix.duckdb")
    (folder / backup.MANIFEST).write_text(json.dumps(manifest, indent=2))
    return manifest


def _plant_admin_and_key(folder) -> None:
    import duckdb

    for path in folder.rglob("*"):
        path.chmod(0o700 if path.is_dir() else 0o600)
    con = duckdb.connect(str(folder / "porte-voix.duckdb"))
    con.execute("INSERT INTO accounts (username, email, roles, password_hash) VALUES "
                "('intruder@evil.example', 'intruder@evil.example', ['admin', 'employee'], '$2b$04$planted')")
    con.close()
    (folder / "keys" / "conversions.key").write_text("ab" * 32)


def _tamper_recomputed(bk, tmp):
    _plant_admin_and_key(bk)
    _recompute(bk)


def _tamper_unsigned(bk, tmp):
    _plant_admin_and_key(bk)
    manifest = _recompute(bk)
    manifest["format"] = 1
    (bk / backup.MANIFEST).write_text(json.dumps(manifest))
    (bk / backup.SIGNATURE).unlink()


def _tamper_own_key(bk, tmp):
    """Signed again, with the intruder's own installation's key."""
    _plant_admin_and_key(bk)
    manifest = _recompute(bk)
    theirs = keys.key(tmp / "intruder-home", backup.KEY_NAME)
    manifest["key_id"] = backup.key_id(theirs)
    text = json.dumps(manifest).encode()
    (bk / backup.MANIFEST).write_bytes(text)
    (bk / backup.SIGNATURE).write_text(backup._sign(theirs, text))


def _tamper_file_link(bk, tmp):
    """policy.yaml replaced by a link to a file with the same bytes: hashes and signature still match."""
    twin = tmp / "elsewhere.yaml"
    twin.write_bytes((bk / "policy.yaml").read_bytes())
    (bk / "policy.yaml").unlink()
    os.symlink(twin, bk / "policy.yaml")


def _tamper_folder_link(bk, tmp):
    import shutil

    shutil.copytree(bk / "keys", tmp / "keys-elsewhere")
    shutil.rmtree(bk / "keys")
    os.symlink(tmp / "keys-elsewhere", bk / "keys")


def _tamper_fifo(bk, tmp):
    (bk / "policy.yaml").unlink()
    os.mkfifo(bk / "policy.yaml")


def _tamper_edited(bk, tmp):
    (bk / "policy.yaml").chmod(0o600)
    (bk / "policy.yaml").write_text("rules: []\n# edited\n")


TAMPERING = {"admin and conversions key planted, manifest recomputed": (_tamper_recomputed, "does not match its signature"),
             "the same, signature removed and format 1": (_tamper_unsigned, "is not signed"),
             "the same, signed with another installation's key": (_tamper_own_key, "signed with another backup key"),
             "a file replaced by a link to the same bytes": (_tamper_file_link, "symbolic link"),
             "a folder replaced by a link to the same files": (_tamper_folder_link, "symbolic link"),
             "a file replaced by a FIFO": (_tamper_fifo, "not a regular file"),
             "a file edited, manifest left as it was": (_tamper_edited, "differs from the manifest")}


@pytest.mark.parametrize("how", sorted(TAMPERING))
def test_a_tampered_backup_is_never_restored(ctx, tmp_path, how):
    tamper, reason = TAMPERING[how]
    _populate(ctx)
    backup.create(ctx.settings, tmp_path / "bk", store=ctx.store)
    tamper(tmp_path / "bk", tmp_path)
    target = Settings(home=tmp_path / "new")
    with pytest.raises(backup.BackupError, match=reason):
        backup.restore(target, tmp_path / "bk", key=_key(ctx))
    assert backup.home_is_empty(target) and not (target.home / backup.KEY_FILE).exists()


def test_the_backup_key_stays_out_of_backups_and_goes_with_the_restore(ctx, tmp_path, capsys):
    _populate(ctx)
    made = backup.create(ctx.settings, tmp_path / "bk", store=ctx.store)
    assert str(backup.KEY_FILE) not in made["files"] and not (tmp_path / "bk" / backup.KEY_FILE).exists()
    assert "keys/links.key" in made["files"]  # the installation's other keys travel with it
    assert stat.S_IMODE((ctx.settings.home / backup.KEY_FILE).stat().st_mode) == 0o600
    target = Settings(home=tmp_path / "new")
    target.ensure()  # the admin copied the key into the new home first: the home still counts as empty
    keys.install(target.home, backup.KEY_NAME, _key(ctx))
    restored = backup.restore(target, tmp_path / "bk")
    assert restored["signed"] and keys.key(target.home, backup.KEY_NAME) == _key(ctx)
    again = backup.create(target, tmp_path / "bk2")  # the restored home signs with the same key
    assert again["key_id"] == made["key_id"]


def test_an_unsigned_backup_restores_only_when_the_admin_says_so(ctx, tmp_path, capsys):
    _populate(ctx)
    backup.create(ctx.settings, tmp_path / "bk", store=ctx.store)
    _tamper_unsigned(tmp_path / "bk", tmp_path)
    target = open_context(Settings(home=tmp_path / "new", embedder="fake", generator="fake"))
    assert _run(target, "restore", str(tmp_path / "bk")) == 2
    assert "is not signed" in capsys.readouterr().err
    assert _run(target, "restore", str(tmp_path / "bk"), "--unsigned") == 0
    assert "UNSIGNED" in capsys.readouterr().out
    assert audit.entries(target.store, action="store.restore")[0]["detail"]["signed"] is False


def test_the_default_backup_folder_never_lands_in_the_repository():
    """The admin page offers <home>-backups/<time> next to the home; the default home is ./.porte-voix, inside
    the checkout, so its backups (personal data) must be ignored by git like the home itself."""
    import datetime as dt
    import shutil
    from pathlib import Path

    from assistant.config import load_settings
    from assistant.ui.admin import default_backup_dir

    root = Path(__file__).resolve().parents[2]
    if shutil.which("git") is None or not (root / ".git").exists():
        pytest.skip("not a git checkout")
    home = load_settings({}).home if Path.cwd() == root else root / ".porte-voix"
    folder = default_backup_dir(home, dt.datetime(2030, 6, 3, 9, 15, 2))
    for path in (folder / "manifest.json", folder / "keys" / "links.key", folder / "porte-voix.duckdb"):
        relative = path.relative_to(root)
        assert subprocess.run(["git", "check-ignore", "-q", str(relative)], cwd=root).returncode == 0, relative
