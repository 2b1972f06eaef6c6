"""Whole-installation backup and restore: a consistent copy of everything under the home.

``porte-voix backup DIR`` writes into a new or empty folder:

- the DuckDB database, copied by DuckDB itself (``COPY FROM DATABASE`` in one
  transaction: a consistent snapshot, live rows only) through the process's
  open store when it has one, else through a read-only connection;
- every SQLite file under the home (the click log, opt-outs, …), copied with
  SQLite's online backup API (consistent while the click service writes);
- every other file (policy, installation keys, the erasure salt) as is;
- ``manifest.json``: format, time, schema migrations, rows per table, and the
  size and SHA-256 of every file.

Model caches and DuckDB's extension folder are left out (rebuilt on demand).
Files are written 0600 in a 0700 folder: a backup holds personal data.

The limit is DuckDB's: one process writes a database file, and no other may
even read it meanwhile. So a command-line backup works when the app is
stopped; while the app runs, back up from the app (its admin page calls
:func:`create` with the app's store) or stop it first. The CLI says which when
the store is locked.

``porte-voix restore DIR`` checks every file against the manifest, refuses a
home that already holds data (restore only into an empty home), copies the
files, and checks the restored database's rows per table against the manifest.

An erasure made after a backup is not in that backup: restoring it brings the
person back. Keep backups short-lived, or erase again after a restore
(the audit log lists erasures by pseudonym).

    >>> report = create(ctx.settings, tmp / "backup", store=store)
    >>> sorted(report["files"])[:1], report["tables"]["_migrations"] > 0
    (['porte-voix.duckdb'], True)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import secrets
import shutil
import sqlite3
import time
from pathlib import Path

import duckdb

from ..config import Settings
from . import audit, compaction, faults
from . import store as store_module
from .store import Store, StoreLocked

FORMAT = 1
MANIFEST = "manifest.json"
SKIPPED_DIRS = ("models", "duckdb_extensions")  # caches, rebuilt on demand
_SQLITE_MAGIC = b"SQLite format 3\x00"


class BackupError(RuntimeError):
    """A backup or restore that cannot proceed (folder not empty, manifest mismatch, …); nothing was changed."""


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            h.update(block)
    return h.hexdigest()


def _is_sqlite(path: Path) -> bool:
    with open(path, "rb") as f:
        return f.read(16) == _SQLITE_MAGIC


def _home_files(settings: Settings) -> list[Path]:
    """Files under the home worth saving, relative to it (not the DuckDB file and its WAL: copied apart)."""
    home, db = settings.home, settings.db_path
    skip = {db, Path(f"{db}.wal")}
    out = []
    for path in sorted(home.rglob("*")):
        rel = path.relative_to(home)
        if rel.parts[0] in SKIPPED_DIRS or path in skip or path.is_symlink() or not path.is_file():
            continue
        if path.name.endswith(("-wal", "-shm", "-journal", ".compact", ".compact.wal", ".tmp")) or ".tmp" in rel.parts[0]:
            continue
        out.append(rel)
    return out


def _private_dir(path: Path) -> None:
    path.mkdir(parents=True, exist_ok=True)
    path.chmod(0o700)


def _copy_sqlite(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=10)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _copy_duckdb(settings: Settings, target: Path, store: Store | None) -> None:
    if store is not None:
        alias = "pv_backup_" + secrets.token_hex(4)
        name = store.value("SELECT current_database()")
        store.execute(f"ATTACH {compaction.sql_string(target)} AS {alias}")
        try:
            store.execute(f"COPY FROM DATABASE {compaction.sql_name(name)} TO {alias}")
        finally:
            store.execute(f"DETACH {alias}")
        return
    if not settings.db_path.exists():
        raise BackupError(f"nothing to back up: {settings.db_path} does not exist")
    try:
        compaction.copy_database(settings.db_path, target)
    except duckdb.IOException as exc:
        if faults.duckdb_file_fault(exc) == "locked":
            raise StoreLocked(f"{settings.db_path} is open in another process (the app?): back up from the app's "
                              "admin page, or stop the app and run the command again") from exc
        raise


def _table_counts(con) -> dict[str, int]:
    names = [r[0] for r in con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = 'main' "
        "AND table_catalog = current_database() ORDER BY table_name").fetchall()]
    return {n: con.execute(f"SELECT count(*) FROM {compaction.sql_name(n)}").fetchone()[0] for n in names}


def _read_counts(db_file: Path) -> tuple[dict[str, int], list[str]]:
    con = duckdb.connect(str(db_file), read_only=True)
    try:
        migrations = [r[0] for r in con.execute("SELECT name FROM _migrations ORDER BY applied_at, name").fetchall()]
        return _table_counts(con), migrations
    finally:
        con.close()


def create(settings: Settings, dest: str | Path, store: Store | None = None, actor: str | None = None) -> dict:
    """Back the home up into ``dest`` (new or empty); returns the manifest (plus ``seconds``).

    ``store``: the process's open store, if any (else the one this process holds for ``settings``, else a
    read-only connection). Raises ``BackupError`` (destination not empty) or ``StoreLocked``.
    """
    start = time.perf_counter()
    dest = Path(dest).resolve()
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise BackupError(f"{dest} must be a new or empty folder")
    if dest == settings.home or settings.home in dest.parents:
        raise BackupError(f"{dest} is inside the home it backs up; choose a folder outside {settings.home}")
    store = store or store_module.opened(settings)
    _private_dir(dest)
    try:
        _copy_duckdb(settings, dest / settings.db_path.name, store)
        for rel in _home_files(settings):
            source, target = settings.home / rel, dest / rel
            _private_dir(target.parent)
            if _is_sqlite(source):
                _copy_sqlite(source, target)
            else:
                shutil.copyfile(source, target)
        files = {}
        for path in sorted(p for p in dest.rglob("*") if p.is_file()):
            path.chmod(0o600)
            files[str(path.relative_to(dest))] = {"bytes": path.stat().st_size, "sha256": _sha256(path)}
        tables, migrations = _read_counts(dest / settings.db_path.name)
    except BaseException:
        shutil.rmtree(dest, ignore_errors=True)
        raise
    manifest = {"format": FORMAT, "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "database": settings.db_path.name, "migrations": migrations, "tables": tables, "files": files}
    path = dest / MANIFEST
    path.write_text(json.dumps(manifest, indent=2, ensure_ascii=False), encoding="utf-8")
    path.chmod(0o600)
    if store is not None:
        audit.record(store, actor, "store.backup", str(dest),
                     {"files": len(files), "bytes": sum(f["bytes"] for f in files.values())})
    return {**manifest, "seconds": round(time.perf_counter() - start, 3)}


def read_manifest(source: str | Path) -> dict:
    """The manifest of a backup folder, every file checked (size and SHA-256); raises ``BackupError``."""
    source = Path(source)
    try:
        manifest = json.loads((source / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise BackupError(f"{source} is not a Porte-voix backup: {MANIFEST} unreadable ({exc.__class__.__name__})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"{source}: backup format {manifest.get('format')!r} is not supported (expected {FORMAT})")
    for rel, meta in manifest["files"].items():
        path = source / rel
        if Path(rel).is_absolute() or ".." in Path(rel).parts:
            raise BackupError(f"{source}: unsafe path {rel!r} in the manifest")
        if not path.is_file() or path.stat().st_size != meta["bytes"] or _sha256(path) != meta["sha256"]:
            raise BackupError(f"{source}: {rel} is missing or differs from the manifest (damaged backup)")
    return manifest


def home_is_empty(settings: Settings) -> bool:
    """True when the home holds no data file (caches such as models/ do not count)."""
    if not settings.home.exists():
        return True
    return not any(p.is_file() and p.relative_to(settings.home).parts[0] not in SKIPPED_DIRS
                   for p in settings.home.rglob("*"))


def restore(settings: Settings, source: str | Path) -> dict:
    """Restore the backup in ``source`` into the empty home of ``settings``; returns its manifest.

    Raises ``BackupError`` (damaged backup, home not empty, rows differ) before or instead of leaving a
    partial home: on any failure the files copied so far are removed.
    """
    start = time.perf_counter()
    source = Path(source).resolve()
    manifest = read_manifest(source)
    if store_module.opened(settings) is not None or not home_is_empty(settings):
        raise BackupError(f"{settings.home} already holds data: restore only into an empty home "
                          "(set PORTE_VOIX_HOME to a new folder)")
    settings.ensure()
    copied: list[Path] = []
    try:
        for rel in manifest["files"]:
            target = settings.home / rel
            _private_dir(target.parent)
            temp = target.with_name(f".{target.name}.restoring")
            shutil.copyfile(source / rel, temp)
            temp.chmod(0o600)
            os.replace(temp, target)
            copied.append(target)
        tables, _ = _read_counts(settings.db_path)
        if tables != manifest["tables"]:
            differ = sorted(t for t in set(tables) | set(manifest["tables"]) if tables.get(t) != manifest["tables"].get(t))
            raise BackupError(f"restored database differs from the manifest in {', '.join(differ)}")
    except BaseException:
        for path in copied:
            path.unlink(missing_ok=True)
        raise
    return {**manifest, "seconds": round(time.perf_counter() - start, 3)}
