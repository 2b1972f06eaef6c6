"""Shared fixtures: every test gets its own PORTE_VOIX_HOME and the fake embedder."""

from __future__ import annotations

import os

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("PORTE_VOIX_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PORTE_VOIX_EMBEDDER", "fake")
    monkeypatch.setenv("PORTE_VOIX_GENERATOR", "fake")
    yield tmp_path / "home"
    from assistant.store import close_all

    close_all()


@pytest.fixture
def store(home):
    from assistant.store import open_store

    return open_store()


@pytest.fixture
def demo_store(store):
    """A store loaded with the demo content and people (fake embeddings)."""
    from assistant.catalog import ingest
    from assistant.people import import_people

    ingest(store, [DEMO / "content"])
    import_people(store, sorted(DEMO.glob("people.*")))
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
    """The default packaged model, for ``slow`` tests. Its one-time conversion is cached under
    $PORTE_VOIX_HOME/models when that is set, else in a temporary folder (~2 min on first use)."""
    pytest.importorskip("transformers")
    pytest.importorskip("gguf")
    from models.generator import get_generator

    home = os.environ.get("PORTE_VOIX_HOME")
    cache = Path(home) / "models" if home else tmp_path_factory.mktemp("models")
    return get_generator("qwen2.5-coder-0.5b", cache_dir=cache, threads=2)
