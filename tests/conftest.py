"""Shared fixtures: every test gets its own home (``settings``, ``ctx`` over ``tmp_path``) and the fake models.

A module marked ``pytestmark = pytest.mark.store_backends`` runs each of its tests on both stores: the embedded
DuckDB file and a fresh database on a real PostgreSQL server (``evals/postgres_server.py``; skipped, saying why,
where PostgreSQL is not installed).
"""

from __future__ import annotations

import os

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"


@pytest.fixture(autouse=True)
def fakes():
    """The deterministic fake models, registered as ``fake`` for each test and removed afterwards."""
    from tests import fakes as module

    module.register()
    yield module
    module.unregister()


@pytest.fixture(autouse=True)
def no_real_translator(monkeypatch):
    """Commands a test runs in a child process inherit this environment, and imports translate key points
    (``translation.translate_pending``): without it, each ``porte-voix ingest`` or ``demo`` of a test loaded
    the real OPUS-MT model. A test that wants a translator sets ``PORTE_VOIX_TRANSLATOR`` itself."""
    monkeypatch.setenv("PORTE_VOIX_TRANSLATOR", "none")


@pytest.fixture
def home(tmp_path):
    yield tmp_path / "home"
    from assistant.storage.store import close_all

    close_all()


def pytest_generate_tests(metafunc):
    if metafunc.definition.get_closest_marker("store_backends") and "backend" in metafunc.fixturenames:
        metafunc.parametrize("backend", ["duckdb", "postgres"], indirect=True)


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory):
    """A PostgreSQL server for the whole run, with a migrated template database each test database copies."""
    from evals.postgres_server import PostgresServer, binaries

    if binaries() is None:
        pytest.skip("PostgreSQL is not installed (make system-deps installs Debian's postgresql)")
    pytest.importorskip("duckdb_extension_postgres")
    from assistant.storage import postgres
    from assistant.storage.migrations import migrate

    server = PostgresServer.start()
    con = postgres.connect(server.create_database("pv_template"), tmp_path_factory.mktemp("extensions"), {})
    migrate(con, postgres=True)
    con.close()
    yield server
    server.stop()


@pytest.fixture
def backend(request):
    """``None`` for the embedded DuckDB store; for PostgreSQL, the URL of a fresh migrated database."""
    if getattr(request, "param", "duckdb") == "duckdb":
        yield None
        return
    server = request.getfixturevalue("postgres_server")
    url = server.create_database(f"pv_{abs(hash(request.node.nodeid))}", template="pv_template")
    yield url
    from assistant.storage.store import close_all

    close_all()
    server.drop_database(url)


@pytest.fixture(scope="session")
def _prepared(tmp_path_factory):
    return {}  # (name, on PostgreSQL) -> (home, template database or None), built once per session


@pytest.fixture
def prepared(request, _prepared, tmp_path_factory):
    """``prepared(settings, name, build)``: make ``settings``' home (and, on PostgreSQL, its database) a copy of
    the installation ``build(settings)`` fills, built once per session and backend: an embedded home is copied;
    on PostgreSQL a template database (copied into the test's own, ~0.3 s) and the home's files."""
    import shutil

    from assistant.storage.store import close_all

    def copy(settings, name: str, build) -> None:
        key = (name, settings.database_url is not None)
        if key not in _prepared:
            source = settings.but(home=tmp_path_factory.mktemp(name) / "home")
            template = None
            if settings.database_url:
                template = f"pv_prepared_{name}"
                server = request.getfixturevalue("postgres_server")
                source = source.but(database_url=server.create_database(template, template="pv_template"))
            build(source)
            close_all()  # a template database copies only with no connection open on it
            _prepared[key] = (source.home, template)
        home, template = _prepared[key]
        shutil.copytree(home, settings.home)
        if template:
            request.getfixturevalue("postgres_server").create_database(settings.database_url.rsplit("/", 1)[1],
                                                                       template=template)

    return copy


@pytest.fixture
def settings(home, backend):
    """The settings every test runs with: its own home, the fake models, cheap password hashes (and, in a
    ``store_backends`` module, the store on each backend in turn)."""
    from assistant.config import Settings

    return Settings(home=home, embedder="fake", generator="fake", translator="fake", bcrypt_rounds=4,
                    database_url=backend)


@pytest.fixture
def ctx(settings):
    """The composition root over ``settings`` (a fresh store in ``tmp_path``)."""
    from assistant.context import open_context

    return open_context(settings)


@pytest.fixture
def store(ctx):
    return ctx.store


@pytest.fixture
def demo_store(store, settings):
    """A store loaded with the demo content and people (fake embeddings)."""
    from assistant.imports.catalog import ingest
    from assistant.imports.people import apply_recorded_opt_ins, import_people

    ingest(store, [DEMO / "content"])
    import_people(store, sorted(DEMO.glob("people.*")))
    apply_recorded_opt_ins(store, sorted(DEMO.glob("people.*")))  # the demo's people have opted in
    return store


def write(path: Path, text: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="session")
def qwen(tmp_path_factory):
    """The default packaged model, for ``slow`` tests. Its one-time conversion is cached where the app
    keeps it ($PORTE_VOIX_HOME/models/generators) when that is set, else in a temporary folder (~2 min)."""
    pytest.importorskip("transformers")
    pytest.importorskip("gguf")
    from models.generator import get_generator

    from assistant.config import load_settings

    home = os.environ.get("PORTE_VOIX_HOME")  # a developer's home keeps the one-time conversion between runs
    cache = load_settings().model_cache / "generators" if home else tmp_path_factory.mktemp("models")
    return get_generator("qwen2.5-coder-0.5b", cache_dir=cache, threads=2)
