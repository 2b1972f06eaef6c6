"""A session-wide copy of the demo content and people with their fake embeddings, for the digest tests."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant.context import open_context

TODAY = dt.date(2026, 12, 7)


def fill_demo(settings) -> None:
    """The demo content and people (opted in) with their (fake) embeddings, in the store of ``settings``."""
    from assistant.imports.catalog import ingest
    from assistant.imports.people import apply_recorded_opt_ins, import_people
    from assistant.retrieval.indexing import embed_pending
    from tests import fakes
    from tests.conftest import DEMO

    fakes.register()
    ctx = open_context(settings)
    ingest(ctx.store, [DEMO / "content"])
    import_people(ctx.store, sorted(DEMO.glob("people.*")))
    apply_recorded_opt_ins(ctx.store, sorted(DEMO.glob("people.*")))   # the demo's employees opted in
    embed_pending(ctx.store, ctx.embedder, today=TODAY)


@pytest.fixture(scope="session")
def embedded_demo(tmp_path_factory):
    """The demo installation (``fill_demo``) in an embedded home, built once; each test gets a copy."""
    from assistant.config import Settings
    from assistant.storage.store import close_all

    home = tmp_path_factory.mktemp("digest-demo") / "home"
    fill_demo(Settings(home=home, embedder="fake", generator="fake", bcrypt_rounds=4))
    close_all()
    return home


NOW = dt.datetime(2026, 12, 7, 9, 30)          # a Monday: ISO week 2026-W50


CAMILLE = "camille.durand@nordlys-energie.example"    # French first


SARAH = "sarah.okafor@nordlys-energie.example"        # English only


def only(store, *emails):
    """Keep these people enrolled and nobody else (fewer messages where the test needs few)."""
    store.execute("UPDATE employees SET consent_program = list_contains(?, email)", [list(emails)])
