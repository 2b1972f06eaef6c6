"""Folding the opt-outs of several hosts on PostgreSQL (``digest.preferences.fold_optouts`` over what
``links.replica.forward_optouts`` sent): each inbox's rows once, whatever their local ids."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from assistant.digest import preferences
from assistant.links import replica
from assistant.optouts import inbox

pytestmark = pytest.mark.store_backends


@pytest.fixture(autouse=True)
def postgres_only(backend):
    if backend is None:
        pytest.skip("PostgreSQL only: the embedded store folds its home's inbox (tests/digest/test_digests.py)")


def forward(settings) -> int:
    with replica.connect(settings.database_url) as con:
        return replica.forward_optouts(con, settings)


def test_optouts_from_two_hosts_with_the_same_local_id_are_both_applied(ctx, tmp_path):
    a, c = (dataclasses.replace(ctx.settings, home=tmp_path / name) for name in ("host-a", "host-c"))
    assert inbox.record(a, "ana@example.com", "one-click") and inbox.record(c, "cy@example.com", "link")
    assert inbox.after(a, 0)[0][0] == inbox.after(c, 0)[0][0] == 1  # the same local id on both
    assert (forward(a), forward(c), forward(a)) == (1, 1, 0)
    assert preferences.fold_optouts(ctx.store, ctx.settings) == 2
    assert {preferences.get(ctx.store, e)["frequency"] for e in ("ana@example.com", "cy@example.com")} == {"never"}
    rows = ctx.store.rows("SELECT id, email, source FROM digest_optouts ORDER BY email")
    assert [(r["email"], r["source"]) for r in rows] == [("ana@example.com", "one-click"), ("cy@example.com", "link")]
    assert len({r["id"] for r in rows}) == 2
    # a third host's next opt-out, local id 1 again, after the first fold
    e = dataclasses.replace(ctx.settings, home=tmp_path / "host-e")
    assert inbox.record(e, "eli@example.com", "link") and forward(e) == 1
    assert preferences.fold_optouts(ctx.store, ctx.settings) == 1
    assert preferences.get(ctx.store, "eli@example.com")["frequency"] == "never"


def test_an_optout_folded_before_forwarding_is_not_applied_again(ctx):
    """The app's home inbox was folded by the old cursor (``digest_optouts.id`` = its local id): forwarding it
    now re-applies nothing, so a person who subscribed again since stays subscribed."""
    at = dt.datetime(2026, 3, 2, 9, 30)
    assert inbox.record(ctx.settings, "ana@example.com", "link", now=at)
    ctx.store.execute("INSERT INTO digest_optouts (id, email, opted_out_at, source) VALUES (1, ?, ?, 'link')",
                      ["ana@example.com", at])
    preferences.set_preferences(ctx.store, "ana@example.com", frequency="weekly", by="ana@example.com")
    assert preferences.fold_optouts(ctx.store, ctx.settings) == 0
    assert preferences.get(ctx.store, "ana@example.com")["frequency"] == "weekly"
    assert ctx.store.value("SELECT count(*) FROM digest_optouts") == 1
    assert ctx.store.value("SELECT count(*) FROM optout_forwards") == 0
