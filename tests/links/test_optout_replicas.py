"""One-click unsubscribes on several hosts over PostgreSQL (``links.replica.forward_optouts``,
``digest.preferences.fold_optouts``): an opt-out made on a click host with a home of its own is applied by a
digest run's fold on another machine, exactly once; an erased person's link dies on every host.

Each click service here is the real one (``web.clickservice.service_app``, served on 127.0.0.1 with its
background replica thread) over a home of its own; the app machine is the test's ``ctx`` (another home).
"""

from __future__ import annotations

import dataclasses

import pytest

from assistant.app import privacy
from assistant.context import open_context
from assistant.digest import preferences
from assistant.links import replica
from assistant.optouts import inbox, tokens
from assistant.storage.store import close_all
from assistant.web import unsubscribe as unsubscribe_page
from assistant.web.clickservice import service_app
from evals.postgres_server import PostgresServer
from tests.click_server import click_role, request, running, wait_until

pytestmark = pytest.mark.store_backends
ONE_CLICK = b"List-Unsubscribe=One-Click"


@pytest.fixture(autouse=True)
def postgres_only(backend):
    if backend is None:
        pytest.skip("PostgreSQL only: without it the app folds its own home's inbox (tests/digest)")


def host(ctx, tmp_path, name: str):
    """The settings of a click host: the installation's database, a home of its own."""
    return dataclasses.replace(ctx.settings, home=tmp_path / name)


def unsubscribe(port: int, ctx, email: str) -> int:
    """The mail client's RFC 8058 POST on ``email``'s link; the status."""
    return request(port, "POST", f"/unsubscribe/{tokens.token(ctx.settings, email)}?lang=en",
                   {"Content-Type": "application/x-www-form-urlencoded"}, ONE_CLICK)[0]


def forwarded(app) -> int:
    return app.state.replica.stats["forwarded_optouts"]


def optouts_of(ctx, email: str) -> int:
    return ctx.store.value("SELECT count(*) FROM digest_optouts WHERE email = ?", [email])


def test_an_optout_on_a_click_host_is_applied_on_the_app_machine_once(ctx, tmp_path):
    a = host(ctx, tmp_path, "click-a")
    app = service_app(a)
    with running(app) as port:
        assert unsubscribe(port, ctx, "ana@example.com") == 200
        assert wait_until(lambda: forwarded(app) == 1), app.state.replica.stats
    assert inbox.after(a, 0)[0][1] == "ana@example.com"  # the click host's own inbox
    assert not inbox.inbox_path(ctx.settings).exists()  # nothing on the app machine's
    assert preferences.fold_optouts(ctx.store, ctx.settings) == 1
    assert preferences.get(ctx.store, "ana@example.com")["frequency"] == "never"
    assert preferences.fold_optouts(ctx.store, ctx.settings) == 0
    # she subscribes again in her profile; a restarted replica forwards nothing twice, no fold re-applies it
    preferences.set_preferences(ctx.store, "ana@example.com", frequency="weekly", by="ana@example.com")
    again = service_app(a)
    with running(again):
        assert wait_until(lambda: again.state.replica.stats["state"] == "ok")
    assert forwarded(again) == 0
    assert preferences.fold_optouts(ctx.store, ctx.settings) == 0
    assert preferences.get(ctx.store, "ana@example.com")["frequency"] == "weekly"
    assert optouts_of(ctx, "ana@example.com") == 1
    assert ctx.store.value("SELECT count(*) FROM optout_forwards") == 0


def test_an_erased_persons_optout_on_a_click_host_is_never_applied_and_leaves_its_inbox(ctx, tmp_path):
    a = host(ctx, tmp_path, "click-a")
    link = f"/unsubscribe/{tokens.token(ctx.settings, 'bo@example.com')}?lang=en"
    # raced: noted on the host after the erasure, forwarded before its replica heard of it
    privacy.erase_person(ctx, "bo@example.com")
    assert inbox.record(a, "bo@example.com", "link")
    with replica.connect(a.database_url) as con:
        assert replica.forward_optouts(con, a) == 1
    assert preferences.fold_optouts(ctx.store, ctx.settings) == 0
    assert preferences.get(ctx.store, "bo@example.com")["frequency"] == "weekly"
    assert optouts_of(ctx, "bo@example.com") == 0 and ctx.store.value("SELECT count(*) FROM optout_forwards") == 0
    app = service_app(a)  # its replica's first turn brings the tombstone: the row is gone, the link dead
    assert inbox.after(a, 0) == [] and app.state.replica.stats["optouts_erased"] == 1
    with running(app) as port:
        assert request(port, "GET", link)[0] == 404
        assert unsubscribe(port, ctx, "bo@example.com") == 404
    assert inbox.after(a, 0) == []
    # readmitted (``people readmit``): the host's tombstone goes at its next turn, the link works again
    privacy.readmit(ctx.store, "bo@example.com")
    app = service_app(a)
    with running(app) as port:
        assert request(port, "GET", link)[0] == 200


def test_an_erasure_reaches_an_optout_waiting_on_a_running_click_host(ctx, tmp_path):
    a = host(ctx, tmp_path, "click-a")
    app = service_app(a)
    with running(app) as port:
        assert unsubscribe(port, ctx, "cy@example.com") == 200
        assert wait_until(lambda: forwarded(app) == 1)
        privacy.erase_person(ctx, "cy@example.com")  # deletes the forwarded row; the host's at its next turn
        assert wait_until(lambda: inbox.after(a, 0) == [], timeout=10)
        assert request(port, "GET", f"/unsubscribe/{tokens.token(ctx.settings, 'cy@example.com')}")[0] == 404
    assert preferences.fold_optouts(ctx.store, ctx.settings) == 0
    assert optouts_of(ctx, "cy@example.com") == 0


def test_the_click_hosts_role_of_deploy_readme_is_enough_for_the_optouts(ctx, tmp_path):
    """deploy/README.md's grants for the click hosts' role: a replica forwards its inbox's opt-outs and
    applies an erasure's tombstone with no more than them (the erasure register's salt it cannot read)."""
    url = ctx.settings.database_url
    a = dataclasses.replace(host(ctx, tmp_path, "click-a"), database_url=click_role(url))
    privacy.erase_person(ctx, "eve@example.com")  # the erasure salt now exists, hidden from the click role
    assert inbox.record(a, "dan@example.com", "link") and inbox.record(a, "eve@example.com", "link")
    linked = replica.Replica(a.database_url, None, settings=a)
    linked.turn()
    assert linked.stats["state"] == "ok", linked.stats["last_error"]
    assert (linked.stats["forwarded_optouts"], linked.stats["optouts_erased"]) == (1, 1)
    assert inbox.is_buried(a, "eve@example.com") and not inbox.is_buried(a, "dan@example.com")
    assert preferences.fold_optouts(ctx.store, ctx.settings) == 1
    assert preferences.get(ctx.store, "dan@example.com")["frequency"] == "never"


def test_the_unsubscribe_page_answers_from_its_inbox_while_postgresql_is_down(settings, tmp_path):
    server = PostgresServer.start()  # its own: the session's server must not go away under other tests
    try:
        ctx = open_context(dataclasses.replace(settings, home=tmp_path / "app", database_url=server.create_database("o")))
        assert preferences.fold_optouts(ctx.store, ctx.settings) == 0  # the store opened (and migrated)
        a = host(ctx, tmp_path, "click-a")
        app = service_app(a)
        with running(app) as port:
            assert unsubscribe(port, ctx, "ana@example.com") == 200
            server.pause()
            assert wait_until(lambda: app.state.replica.stats["state"] == "unavailable", timeout=10)
            assert request(port, "GET", f"/unsubscribe/{tokens.token(ctx.settings, 'bo@example.com')}")[0] == 200
            assert unsubscribe(port, ctx, "bo@example.com") == 200
            assert [row[1] for row in inbox.after(a, 0)] == ["ana@example.com", "bo@example.com"]
            server.resume()
            assert wait_until(lambda: forwarded(app) == 2, timeout=30), app.state.replica.stats
        assert preferences.fold_optouts(ctx.store, ctx.settings) == 2
    finally:
        close_all()
        server.stop()


def test_the_unsubscribe_server_of_an_app_machine_forwards_its_inbox(ctx, tmp_path):
    """``porte-voix digest unsubscribe-server`` on an app machine that does not send the digests: its home's
    opt-outs reach the fold of the machine that does."""
    b = host(ctx, tmp_path, "app-b")
    app = unsubscribe_page.create_app(b)
    with running(app) as port:
        assert unsubscribe(port, ctx, "flo@example.com") == 200
        assert wait_until(lambda: forwarded(app) == 1), app.state.replica.stats
    assert preferences.fold_optouts(ctx.store, ctx.settings) == 1
    assert preferences.get(ctx.store, "flo@example.com")["frequency"] == "never"
