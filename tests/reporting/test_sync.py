"""Folding the click log into DuckDB: each hit once, unique human clicks, skipped shares, conversions."""

import datetime as dt
import socket
import time

import pytest

from assistant.links import replica
from assistant.links.clicklog import open_log
from assistant.reporting import events, sync
from assistant.sharing import shares
from tests.click_server import wait_until

pytestmark = pytest.mark.store_backends  # each test on the DuckDB file and on PostgreSQL

DAY1 = dt.datetime(2030, 3, 4, 10, 0, tzinfo=dt.timezone.utc).timestamp()
DAY2 = DAY1 + 86400


def hit(n, share_id, visitor, at=DAY1, bot=False):
    day = dt.datetime.fromtimestamp(at, dt.timezone.utc).date().isoformat()
    return (f"click-{n}", "AbC123xy", share_id, at + n, day, "GET", "linkedin.com", visitor,
            "bot" if bot else "desktop", int(bot), "preview:LinkedInBot" if bot else None)


@pytest.fixture
def log(ctx):
    for share_id, status in (("s-1", "posted"), ("s-2", "prepared"), ("s-3", "prepared")):
        shares.record_share(ctx.store, share_id, "sam@example.com", "c-1", "text", "linkedin", "green-week",
                            "https://n.example/a", 60.0)
        ctx.store.execute("UPDATE shares SET status = ? WHERE id = ?", [status, share_id])
    return open_log(ctx.settings.clicklog_path)


def totals(store):
    return {r["share_id"]: (r["hits"], r["bot_hits"], r["unique_human_clicks"])
            for r in store.rows("SELECT * FROM share_totals ORDER BY share_id")}


def test_each_hit_is_folded_once_and_unique_clicks_are_per_share_visitor_day(ctx, log):
    log.append_hits([hit(1, "s-1", "v1"), hit(2, "s-1", "v1"), hit(3, "s-1", "v2"), hit(4, "s-1", "bot", bot=True),
                     hit(5, "s-2", "v1")])
    assert sync.sync(ctx.store, log) == {"hits": 5, "conversions": 0, "skipped": 0, "batches": 1}
    log.append_hits([hit(6, "s-1", "v1"),                  # same visitor, same day, later sync: not unique
                     hit(7, "s-1", "v1-day2", at=DAY2),    # next day: a new pseudonym, a new unique click
                     hit(8, "s-3", "bot", bot=True),       # a preview fetch alone does not prove a post
                     hit(9, "s-erased", "v9")])            # a share no longer in DuckDB
    assert sync.sync(ctx.store, log) == {"hits": 3, "conversions": 0, "skipped": 1, "batches": 1}
    for _ in range(2):
        assert sync.sync(ctx.store, log)["hits"] == 0, "running again changes nothing"
    assert totals(ctx.store) == {"s-1": (6, 1, 3), "s-2": (1, 0, 1), "s-3": (1, 1, 0)}
    assert ctx.store.value("SELECT count(*) FROM engagement_events") == 8
    if ctx.store.postgres:  # forwarded as one replica's log (its mark moved), folded, and gone from the queue
        assert ctx.store.value("SELECT hits_upto FROM click_replicas") == 9
        assert ctx.store.value("SELECT count(*) FROM click_hits") == 0
    else:
        assert ctx.store.value("SELECT last_id FROM sync_state WHERE source = 'hits'") == 9
    status = dict(ctx.store.execute("SELECT id, status FROM shares").fetchall())
    assert status == {"s-1": "posted", "s-2": "posted", "s-3": "prepared"}, "a human click proves the post is out"
    first_click = ctx.store.value("SELECT posted_at FROM shares WHERE id = 's-2'")
    assert first_click == dt.datetime.fromtimestamp(DAY1 + 5)


def test_small_batches_and_a_failed_run_give_the_same_totals(ctx, log, monkeypatch):
    log.append_hits([hit(n, "s-1" if n % 3 else "s-2", f"v{n % 4}", bot=n % 5 == 0) for n in range(1, 12)])
    real_append, calls = events.append_from, []

    def failing_second_batch(store, relation):
        calls.append(relation)
        added = real_append(store, relation)
        if len(calls) == 2:
            raise RuntimeError("disk full")  # after the events went in: the whole batch must roll back
        return added

    monkeypatch.setattr(events, "append_from", failing_second_batch)
    with pytest.raises(RuntimeError):
        sync.sync(ctx.store, log, batch=4)
    monkeypatch.setattr(events, "append_from", real_append)
    assert ctx.store.value("SELECT count(*) FROM engagement_events") == 4, "the failed batch left nothing"
    sync.sync(ctx.store, log, batch=4)
    interrupted = totals(ctx.store)
    ctx.store.execute("DELETE FROM engagement_events")
    ctx.store.execute("DELETE FROM share_totals")
    ctx.store.execute("DELETE FROM sync_state")
    ctx.store.execute("DELETE FROM click_replicas")  # on PostgreSQL: the log is forwarded again from its start
    assert sync.sync(ctx.store, log, batch=1000)["hits"] == 11
    assert totals(ctx.store) == interrupted
    assert interrupted == {"s-1": (8, 2, 4), "s-2": (3, 0, 3)}  # by hand from the 11 hits above


def test_conversions_are_folded_with_their_value_once(ctx, log):
    row = {"external_id": "crm-1", "share_id": "s-1", "click_id": None, "event": "lead", "value": 1200.0,
           "currency": "EUR", "occurred_at": DAY1, "received_at": DAY1, "source": "webhook"}
    assert log.add_conversion(row) == "stored"
    assert log.add_conversion({**row, "value": 5.0}) == "duplicate"
    log.add_conversion({**row, "external_id": "crm-2", "share_id": "s-gone"})
    assert sync.sync(ctx.store, log) == {"hits": 0, "conversions": 1, "skipped": 1, "batches": 1}
    assert sync.sync(ctx.store, log)["conversions"] == 0
    assert ctx.store.rows("SELECT leads, conversion_value FROM share_totals") == [{"leads": 1, "conversion_value": 1200.0}]
    event = ctx.store.rows("SELECT kind, source, source_key, value, currency FROM engagement_events")[0]
    assert event == {"kind": "lead", "source": "webhook", "source_key": "crm-1", "value": 1200.0, "currency": "EUR"}


def test_background_sync_runs_until_stopped(ctx, log):
    log.append_hits([hit(1, "s-1", "v1")])
    stop = sync.start_background(ctx.store, log, every_s=0.05)
    try:
        assert wait_until(lambda: ctx.store.value("SELECT count(*) FROM engagement_events") == 1)
        log.append_hits([hit(2, "s-1", "v2")])
        assert wait_until(lambda: ctx.store.value("SELECT count(*) FROM engagement_events") == 2)
    finally:
        stop.stop()


def test_the_replicas_report_says_who_forwards_and_what_waits(ctx, log):
    log.append_hits([hit(1, "s-1", "v1"), hit(2, "s-1", "v2")])
    if not ctx.store.postgres:
        sync.sync(ctx.store, log)
        assert sync.replicas(ctx.store) == [], "on the file the service shares the home's log: no replica to report"
        return
    app_log = open_log(ctx.settings.home / "app-clicks.sqlite3")  # an app process's home: only its sync forwards
    app_log.append_hits([hit(3, "s-1", "v3")])
    sync.sync(ctx.store, app_log)
    assert sync.replicas(ctx.store) == [], "no click service runs there: never reported as a silent replica"
    with replica.connect(ctx.settings.database_url) as con:
        forwarded = replica.forward(con, log, serving=True)  # a click service's own turn
    assert forwarded["hits"] == 2
    [row] = sync.replicas(ctx.store, now=time.time())
    assert row["host"] == socket.gethostname() and 0 <= row["seconds_ago"] < 60 and row["waiting"] == 2
    sync.sync(ctx.store, log)
    [row] = sync.replicas(ctx.store, now=time.time() + 600)
    assert row["waiting"] == 0 and row["seconds_ago"] >= 600, "folded: nothing waits; silent since its last turn"

    # a host taken out of service: off the report, until it serves again (from its marks: nothing sent twice)
    assert sync.retire(ctx.store, row["replica"]) and not sync.retire(ctx.store, "no-such-replica")
    assert sync.replicas(ctx.store) == []
    log.append_hits([hit(4, "s-1", "v4")])
    with replica.connect(ctx.settings.database_url) as con:
        assert replica.forward(con, log, serving=True)["hits"] == 1
    assert [r["replica"] for r in sync.replicas(ctx.store)] == [row["replica"]]
