import pytest

from assistant.storage.migrations import MIGRATIONS, migrate
from assistant.storage.store import open_store

pytestmark = pytest.mark.store_backends  # each test on the DuckDB file and on PostgreSQL


def test_migrations_are_recorded_once(store):
    names = [r["name"] for r in store.rows("SELECT name FROM _migrations ORDER BY name")]
    assert names == sorted(name for name, _ in MIGRATIONS)
    assert migrate(store.con, postgres=store.postgres) == []  # nothing left to apply


def test_database_and_extensions_live_under_home(settings, home):
    if settings.database_url:
        pytest.skip("the DuckDB file's own permissions (PostgreSQL keeps no file under the home)")
    store = open_store(settings)
    assert store.path == settings.db_path and store.path.parent == home
    assert store.path.exists() and settings.extension_dir.is_dir()
    assert store.path.stat().st_mode & 0o777 == 0o600 and home.stat().st_mode & 0o777 == 0o700  # personal data
    setting = store.value("SELECT current_setting('extension_directory')")
    assert setting.startswith(str(home))


def test_extensions_load_by_path(store):
    store.load_extension("fts")
    store.load_extension("vss")
    loaded = {r["extension_name"] for r in store.rows("SELECT extension_name FROM duckdb_extensions() WHERE loaded")}
    assert {"fts", "vss"} <= loaded


def test_transaction_rolls_back_on_error(store):
    try:
        with store.transaction():
            store.execute("INSERT INTO shares (id, email, content_id, text) VALUES (?, ?, ?, ?)", ["s1", "a@b.c", "x", "t"])
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert store.value("SELECT count(*) FROM shares") == 0
