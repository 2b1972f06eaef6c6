"""Whole-installation backup and restore: a consistent copy of everything under the home.

``porte-voix backup DIR`` writes into a new or empty folder:

- the DuckDB database, copied by DuckDB itself (``COPY FROM DATABASE`` in one
  transaction: a consistent snapshot, live rows only) through the process's
  open store when it has one, else through a read-only connection;
- every SQLite file under the home (the click log, opt-outs, …), copied with
  SQLite's online backup API (consistent while the click service writes);
- every other file (policy, installation keys, the erasure salt) as is;
- ``manifest.json``: format, time, schema migrations, rows per table, and the
  size and SHA-256 of every file;
- ``manifest.hmac``: an HMAC-SHA256 of ``manifest.json`` under the
  installation's **backup key**, ``<home>/keys/backup.key``, which is never
  copied into a backup. It stays ``hmac-sha256:<hex>``, written with ``hmac``
  rather than the installation's signer (``assistant.signing``): backups already
  made carry this form and must still restore, so a second form would add code.

Model caches and DuckDB's extension folder are left out (rebuilt on demand).
Files are written 0600 in a 0700 folder: a backup holds personal data.

Why the key: a manifest of hashes only detects accidents. Whoever can write to
where backups are kept could plant an admin account or a new conversions key
in a backup and recompute the manifest; restored, it would give them the
installation. Signed with a key that stays in the installation (Nextcloud's
and Gitea's backups likewise need the instance's own secret to be restored),
such a backup is refused. **To restore on a new machine, keep
``keys/backup.key`` apart from the backups** (a password manager, the admin's
safe) and give it to ``porte-voix restore DIR --key FILE`` (or copy it into the
new home's ``keys/`` first); the restored home keeps it for its next backups.
A backup made before backups were signed restores only with ``--unsigned``,
an explicit choice written to the audit log.

The limit is DuckDB's: one process writes a database file, and no other may
even read it meanwhile. So a command-line backup works when the app is
stopped; while the app runs, back up from the app (its admin page calls
:func:`create` with the app's store) or stop it first. The CLI says which when
the store is locked.

``porte-voix restore DIR`` checks the manifest's signature, refuses a home
that already holds data (restore only into an empty home), copies each file
(only regular files: a symbolic link or a FIFO in a backup is refused, never
followed) while hashing what it copied against the manifest, and checks the
restored database's rows per table against the manifest.

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
import hmac
import json
import os
import secrets
import shutil
import sqlite3
import stat
import time
from pathlib import Path

import duckdb

from ..config import Settings
from . import audit, compaction, faults, keys
from . import store as store_module
from .store import Store, StoreLocked

FORMAT = 2                # 2: signed (manifest.hmac); 1: unsigned, restored only with ``unsigned=True``
MANIFEST = "manifest.json"
SIGNATURE = "manifest.hmac"
KEY_NAME = "backup"       # <home>/keys/backup.key: signs backups, never inside one
KEY_FILE = Path("keys") / f"{KEY_NAME}.key"
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
        if rel.parts[0] in SKIPPED_DIRS or rel == KEY_FILE or path in skip or path.is_symlink() or not path.is_file():
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
    if settings.database_url:
        raise BackupError("the store is on PostgreSQL: back it up with pg_dump (deploy/README.md, Backups); "
                          "this command copies an embedded DuckDB home")
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
    key = keys.key(settings.home, KEY_NAME)
    manifest = {"format": FORMAT, "created_at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
                "database": settings.db_path.name, "migrations": migrations, "tables": tables, "files": files,
                "key_id": key_id(key)}
    text = json.dumps(manifest, indent=2, ensure_ascii=False).encode("utf-8")
    for name, data in ((MANIFEST, text), (SIGNATURE, _sign(key, text).encode("ascii"))):
        (dest / name).write_bytes(data)
        (dest / name).chmod(0o600)
    if store is not None:
        audit.record(store, actor, "store.backup", str(dest),
                     {"files": len(files), "bytes": sum(f["bytes"] for f in files.values())})
    return {**manifest, "seconds": round(time.perf_counter() - start, 3)}


def key_id(key: bytes) -> str:
    """A short fingerprint of a backup key, written in the manifest: says which key a backup needs (reveals
    nothing of it)."""
    return hashlib.sha256(b"porte-voix backup key\x00" + key).hexdigest()[:16]


def _sign(key: bytes, manifest: bytes) -> str:
    return "hmac-sha256:" + hmac.new(key, manifest, hashlib.sha256).hexdigest()


def read_key(path: str | Path) -> bytes:
    """A backup key file (``keys/backup.key`` of the installation that made the backup); ``BackupError`` if not."""
    try:
        key = bytes.fromhex(_read_regular(Path(path), 1024).decode("ascii").strip())
    except (UnicodeDecodeError, ValueError):
        raise BackupError(f"{path} is not a Porte-voix key file (64 hexadecimal characters)") from None
    if len(key) != 32:
        raise BackupError(f"{path} is not a Porte-voix key file (64 hexadecimal characters)")
    return key


def _open_regular(path: Path) -> int:
    """A file descriptor on ``path``, a regular file: a symbolic link, a FIFO or a device is refused, not followed."""
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise BackupError(f"{path} is missing (damaged backup)") from None
    except OSError as exc:
        if os.path.islink(path):
            raise BackupError(f"{path} is a symbolic link: a backup holds regular files only; nothing restored") from None
        raise
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise BackupError(f"{path} is not a regular file (a FIFO, a device, a folder…); nothing restored")
    return fd


def _read_regular(path: Path, limit: int) -> bytes:
    with os.fdopen(_open_regular(path), "rb") as handle:
        data = handle.read(limit + 1)
    if len(data) > limit:
        raise BackupError(f"{path} is too large for what it should be")
    return data


def _inside(source: Path, rel: str) -> Path:
    """``source / rel`` for a manifest entry: relative, no ``..``, no folder on the way that is a link."""
    parts = Path(rel).parts
    if not parts or Path(rel).is_absolute() or ".." in parts or Path(rel) == KEY_FILE or parts[0] in SKIPPED_DIRS:
        raise BackupError(f"{source}: unsafe path {rel!r} in the manifest")
    folder = source
    for part in parts[:-1]:
        folder = folder / part
        if folder.is_symlink() or not folder.is_dir():
            raise BackupError(f"{folder} is a symbolic link or not a folder: a backup holds regular files only; "
                              "nothing restored")
    return source / rel


def read_manifest(source: str | Path, key: bytes | None, unsigned: bool = False) -> dict:
    """The manifest of a backup folder once its signature is checked with ``key``; raises ``BackupError``.

    ``unsigned``: accept a backup made before backups were signed (format 1); a signed backup is always
    checked, and refused when its manifest or the key differs.
    """
    source = Path(source)
    if not os.path.lexists(source / MANIFEST):
        raise BackupError(f"{source} is not a Porte-voix backup: it has no {MANIFEST}")
    try:
        text = _read_regular(source / MANIFEST, 64 << 20)
        manifest = json.loads(text)
        files = manifest["files"]
    except BackupError:
        raise
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"{source} is not a Porte-voix backup: {MANIFEST} unreadable ({exc.__class__.__name__})") from None
    signed = (source / SIGNATURE).exists() or (source / SIGNATURE).is_symlink()
    if manifest.get("format") == 1 and not signed:
        if not unsigned:
            raise BackupError(f"{source} is not signed (made before backups were signed): nothing proves it was not "
                              "changed since; restore it only if you are sure, with --unsigned")
    elif manifest.get("format") != FORMAT:
        raise BackupError(f"{source}: backup format {manifest.get('format')!r} is not supported (expected {FORMAT})")
    elif key is None:
        raise BackupError(f"restoring {source} needs the backup key of the installation that made it (its "
                          f"keys/backup.key, id {manifest.get('key_id')}): give it with --key FILE")
    elif manifest.get("key_id") != key_id(key):
        raise BackupError(f"{source} was signed with another backup key (id {manifest.get('key_id')}, this one is "
                          f"{key_id(key)}): give the key of the installation that made it; nothing restored")
    elif not hmac.compare_digest(_read_regular(source / SIGNATURE, 1024).decode("ascii", "replace").strip(),
                                 _sign(key, text)):
        raise BackupError(f"{source}: the manifest does not match its signature: the backup was changed after it "
                          "was made; nothing restored")
    if not isinstance(files, dict):
        raise BackupError(f"{source} is not a Porte-voix backup: {MANIFEST} lists no files")
    for rel in files:
        _inside(source, rel)
    return manifest


def home_is_empty(settings: Settings) -> bool:
    """True when the home holds no data file (caches such as models/ and the backup key do not count)."""
    if not settings.home.exists():
        return True
    return not any(p.is_file() and p.relative_to(settings.home).parts[0] not in SKIPPED_DIRS
                   and p.relative_to(settings.home) != KEY_FILE for p in settings.home.rglob("*"))


def _copy_checked(source: Path, target: Path, meta: dict) -> None:
    """Copy a backup file to ``target`` (a new file), hashing what is copied: the bytes checked are the bytes kept."""
    digest, size = hashlib.sha256(), 0
    with os.fdopen(_open_regular(source), "rb") as src, open(target, "xb") as dst:
        while block := src.read(1 << 20):
            digest.update(block)
            size += len(block)
            dst.write(block)
    if size != meta.get("bytes") or digest.hexdigest() != meta.get("sha256"):
        raise BackupError(f"{source} differs from the manifest (damaged backup); nothing restored")


def restore(settings: Settings, source: str | Path, key: bytes | None = None, unsigned: bool = False) -> dict:
    """Restore the backup in ``source`` into the empty home of ``settings``; returns its manifest.

    ``key``: the backup key of the installation that made it (default: ``keys/backup.key`` of the target home,
    where an admin may have copied it); it is kept in the restored home. ``unsigned``: see :func:`read_manifest`.
    Raises ``BackupError`` (unsigned, tampered or damaged backup, home not empty, rows differ) before or instead of
    leaving a partial home: on any failure the files copied so far are removed.
    """
    start = time.perf_counter()
    source = Path(source).resolve()
    own = settings.home / KEY_FILE
    if key is None and own.exists():
        key = read_key(own)
    manifest = read_manifest(source, key, unsigned)
    if store_module.opened(settings) is not None or not home_is_empty(settings):
        raise BackupError(f"{settings.home} already holds data: restore only into an empty home "
                          "(set PORTE_VOIX_HOME to a new folder)")
    settings.ensure()
    copied: list[Path] = []
    try:
        for rel, meta in manifest["files"].items():
            target = settings.home / rel
            _private_dir(target.parent)
            temp = target.with_name(f".{target.name}.restoring")
            temp.unlink(missing_ok=True)
            copied.append(temp)
            _copy_checked(_inside(source, rel), temp, meta)
            temp.chmod(0o600)
            os.replace(temp, target)
            copied.append(target)
        tables, _ = _read_counts(settings.db_path)
        if tables != manifest["tables"]:
            differ = sorted(t for t in set(tables) | set(manifest["tables"]) if tables.get(t) != manifest["tables"].get(t))
            raise BackupError(f"restored database differs from the manifest in {', '.join(differ)}")
        if key is not None and not own.exists():
            keys.install(settings.home, KEY_NAME, key)
    except BaseException:
        for path in copied:
            path.unlink(missing_ok=True)
        raise
    return {**manifest, "signed": manifest.get("format") == FORMAT, "seconds": round(time.perf_counter() - start, 3)}
