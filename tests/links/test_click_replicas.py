"""Click-service replicas on several hosts (``links.replica``): real ``porte-voix links serve`` processes, each with
its own home, over one PostgreSQL store (the tests' server; a test that restarts PostgreSQL starts its own).

Every redirect a client was answered is counted exactly once after ``engagement sync``, a replica killed with
SIGKILL included; a link made after the replicas started is served by both; an erasure reaches both logs; a
PostgreSQL restart stops no redirect, and the store and the replicas carry on once it is back.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import http.client
import json
import signal
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

import psycopg
import pytest

from assistant.app import privacy
from assistant.config import Settings
from assistant.context import open_context
from assistant.links import conversions
from assistant.links.clicklog import ClickLog, open_log
from assistant.links.replica import Replica as Linked
from assistant.links.tracked import short_code
from assistant.reporting import sync
from assistant.sharing import shares
from assistant.storage import jobs, keys
from assistant.storage.store import StoreUnavailable, close_all
from evals.measure import child_env
from evals.postgres_server import PostgresServer
from tests.click_server import click_role, free_port, post_json, request, wait_until

pytestmark = pytest.mark.store_backends
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


@pytest.fixture(autouse=True)
def postgres_only(backend):
    if backend is None:
        pytest.skip("PostgreSQL only: without it the click service shares the home's log (test_click_service)")


def make_share(store, share_id: str, email: str) -> str:
    """A share with its short link, as an app process records it; returns its code."""
    code = short_code(b"replica-test", share_id)
    shares.record_share(store, share_id, email, "c-1", "text", "linkedin", "green-week",
                        f"https://n.example/{share_id}?utm_content={share_id}", 60.0, short_code=code)
    return code


class Replica:
    """One ``porte-voix links serve`` process with a home of its own (its own machine, as far as it knows)."""

    def __init__(self, settings: Settings, home):
        self.port = free_port()
        self.settings = dataclasses.replace(settings, home=home, links_port=self.port)
        self.proc: subprocess.Popen | None = None

    def start(self) -> "Replica":
        self.proc = subprocess.Popen([sys.executable, "-m", "assistant.cli", "links", "serve", "--port", str(self.port)],
                                     env=child_env(self.settings, PORTE_VOIX_DATABASE_URL=self.settings.database_url), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        assert wait_until(lambda: self.health() is not None, timeout=30), self.proc.stderr.read1(4000) if \
            self.proc.poll() is not None else "not up"
        return self

    def health(self) -> dict | None:
        try:
            status, _, body = request(self.port, "GET", "/healthz")
            return json.loads(body) if status == 200 else None
        except (OSError, http.client.HTTPException):
            return None

    def get(self, code: str) -> tuple[int, str | None]:
        status, headers, _ = request(self.port, "GET", f"/{code}", {"User-Agent": CHROME})
        return status, parse_qs(urlsplit(headers.get("location", "")).query).get("pv_cid", [None])[0]

    def log(self) -> ClickLog:
        return ClickLog(self.settings.clicklog_path)

    def stop(self, sig=signal.SIGTERM) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(20)


def load(replicas: list[Replica], codes: list[str], answered: dict, stop: threading.Event) -> list[threading.Thread]:
    """Two clients per replica clicking ``codes`` in turn; ``answered[port]`` gathers the click ids of 302s."""
    def client(replica: Replica, k: int) -> None:
        n = k
        while not stop.is_set():
            n += 1
            try:
                status, click_id = replica.get(codes[n % len(codes)])
            except (OSError, http.client.HTTPException):  # killed, or restarting
                time.sleep(0.05)
                continue
            if status == 302:
                answered[replica.port].append(click_id)

    threads = [threading.Thread(target=client, args=(r, k), daemon=True) for r in replicas for k in range(2)]
    for thread in threads:
        thread.start()
    return threads


def counted(store) -> list[str]:
    return [r[0] for r in store.execute("SELECT click_id FROM engagement_events WHERE kind = 'click'").fetchall()]


def test_two_replicas_with_their_own_homes_count_every_answered_redirect_once(ctx, tmp_path):
    store = ctx.store
    old = [make_share(store, "s-ann", "ann@example.com"), make_share(store, "s-bob", "bob@example.com")]
    one, two = Replica(ctx.settings, tmp_path / "host1").start(), Replica(ctx.settings, tmp_path / "host2").start()
    answered, stop = {one.port: [], two.port: []}, threading.Event()
    try:
        new = make_share(store, "s-cy", "cy@example.com")  # made after both started: asked of the store at once
        for replica in (one, two):
            status, click_id = replica.get(new)
            assert status == 302
            answered[replica.port].append(click_id)
        threads = load([one, two], old + [new], answered, stop)
        assert wait_until(lambda: len(answered[one.port]) >= 80, timeout=60), "replica 1 answered under load"
        one.stop(signal.SIGKILL)  # mid-load: what it committed waits in its log
        killed_at = len(answered[one.port])
        assert wait_until(lambda: len(answered[two.port]) >= 160, timeout=60), "replica 2 answered under load"
        stop.set()
        for thread in threads:
            thread.join(10)
        one.start()  # systemd's Restart=always: the restarted replica forwards its backlog
        for replica in (one, two):
            assert wait_until(lambda: replica.health()["store"]["state"] == "ok" and
                              replica.health()["store"]["backlog"] == 0, timeout=20)
        sync.sync(store, open_log(ctx.settings.clicklog_path))
        clicks = counted(store)
        everything = answered[one.port] + answered[two.port]
        logged = {cid for r in (one, two) for (cid,) in r.log().db.execute("SELECT click_id FROM hits")}
        assert len(clicks) == len(set(clicks)) == len(logged), "each committed hit counted once, none twice"
        assert set(clicks) == logged and set(everything) <= logged, "every answered redirect counted"
        assert len(logged - set(everything)) <= 2, "only the killed replica's requests in flight went unanswered"
        assert sync.sync(store, open_log(ctx.settings.clicklog_path))["hits"] == 0, "a second run adds nothing"
        assert killed_at == len(answered[one.port]) and killed_at >= 81

        # the CRM reports a lead on a click answered by replica 1, through replica 2; and again through 1. It
        # signs with the installation's secret, which both replicas read from the store (their homes differ)
        secret = keys.conversions_secret(ctx.settings, None)
        body = json.dumps({"click_id": answered[one.port][0], "event": "lead", "external_id": "crm-7",
                           "value": 900.0, "currency": "EUR", "occurred_at": time.time()}).encode()
        for replica, status in ((two, 201), (one, 201)):  # each log has it once; the store will have it once
            answer = post_json(replica.port, "/v1/conversions", body, conversions.sign(secret, body))
            assert answer[0] == status, answer
        for replica in (one, two):
            assert wait_until(lambda: replica.health()["store"]["forwarded_conversions"] >= 1, timeout=10)
        sync.sync(store, open_log(ctx.settings.clicklog_path))
        assert store.rows("SELECT share_id, kind, value FROM engagement_events WHERE kind = 'lead'") == \
            [{"share_id": store.value("SELECT share_id FROM engagement_events WHERE click_id = ?",
                                      [answered[one.port][0]]), "kind": "lead", "value": 900.0}]

        # Ann is erased: both replicas stop redirecting her link and drop her hits from their own logs
        hers = [cid for (cid,) in store.execute("SELECT click_id FROM engagement_events WHERE share_id = 's-ann'")
                .fetchall()]
        privacy.erase_person(ctx, "ann@example.com")
        for replica in (one, two):
            assert wait_until(lambda: replica.get(old[0])[0] == 404, timeout=10), "her link is gone everywhere"
            raw = b"".join(p.read_bytes() for p in replica.settings.home.glob("clicks.sqlite3*"))
            assert hers and not [cid for cid in hers if cid.encode() in raw], "no byte of her clicks left in the file"
            log = replica.log()
            assert log.db.execute("SELECT count(*) FROM hits WHERE share_id = 's-ann'").fetchone()[0] == 0
            assert log.db.execute("SELECT count(*) FROM hits WHERE share_id = 's-bob'").fetchone()[0] > 0
            assert replica.get(old[1])[0] == 302
        assert store.value("SELECT count(*) FROM engagement_events WHERE share_id = 's-ann'") == 0
    finally:
        stop.set()
        one.stop()
        two.stop()


def test_a_postgresql_restart_stops_no_redirect_and_everything_carries_on(settings, tmp_path):
    server = PostgresServer.start()  # its own: the session's server must not go away under other tests
    try:
        ctx = open_context(dataclasses.replace(settings, home=tmp_path / "app", database_url=server.create_database("r")))
        store = ctx.store
        code = make_share(store, "s-dee", "dee@example.com")
        replica = Replica(ctx.settings, tmp_path / "host").start()
        answered, stop = {replica.port: []}, threading.Event()
        threads = load([replica], [code], answered, stop)
        try:
            assert wait_until(lambda: len(answered[replica.port]) >= 50, timeout=30)
            server.pause()
            during = len(answered[replica.port])
            assert wait_until(lambda: len(answered[replica.port]) >= during + 100, timeout=30), \
                "redirects go on from the local log while PostgreSQL is down"
            assert wait_until(lambda: replica.health()["store"]["state"] == "unavailable", timeout=10)
            with pytest.raises(StoreUnavailable, match=rf"store at 127.0.0.1:{server.port}/r is unavailable"):
                store.value("SELECT count(*) FROM shares")  # a clear error for the request that hit the outage
            with pytest.raises(Exception):
                sync.sync(store, open_log(ctx.settings.clicklog_path))  # the job's turn fails, and is not marked done
            secret = store.url.replace("://porte_voix@", "://porte_voix:secret-pw@")
            cli = subprocess.run([sys.executable, "-m", "assistant.cli", "engagement", "sync"], capture_output=True,
                                 text=True, env=child_env(ctx.settings, PORTE_VOIX_DATABASE_URL=secret), timeout=120)
            assert cli.returncode != 0 and "maintenance for a few seconds: try again" in cli.stderr, cli.stderr
            assert "secret-pw" not in cli.stderr + "".join(p.read_text(errors="replace")
                                                             for p in ctx.settings.home.rglob("*.log"))
            server.resume()
            assert store.value("SELECT count(*) FROM shares") == 1, "the store reconnects on the next request"
            with store.transaction():
                store.execute("UPDATE shares SET score = score + 1 WHERE id = 's-dee'")
            with psycopg.connect(store.url, autocommit=True) as other:  # another process's turn of the job
                other.execute("SELECT pg_advisory_lock(hashtext('porte-voix job engagement-sync'))")
                with jobs.once(store, "engagement-sync") as mine:
                    assert mine is False, "after the restart a job still runs in one process at a time"
            with jobs.once(store, "engagement-sync") as mine:
                assert mine is True
            assert wait_until(lambda: replica.health()["store"]["state"] == "ok", timeout=20)
        finally:
            stop.set()
            for thread in threads:
                thread.join(10)
        replica.stop()  # SIGTERM: its last hits forwarded
        assert sync.sync(store, open_log(ctx.settings.clicklog_path))["hits"] == len(answered[replica.port])
        assert sorted(counted(store)) == sorted(answered[replica.port]), "each answered redirect counted once"
        assert store.value("SELECT score FROM shares") == 61.0
    finally:
        close_all()
        server.stop()


def test_the_click_hosts_role_of_deploy_readme_is_enough_for_a_replica(ctx, tmp_path):
    """deploy/README.md's grants for the click hosts' PostgreSQL role: a replica pulls links, forwards hits and
    conversions, looks up a click and applies an erasure with no more than them."""
    store, url = ctx.store, ctx.settings.database_url
    code = make_share(store, "s-eve", "eve@example.com")
    limited = click_role(url)
    log = ClickLog(tmp_path / "host" / "clicks.sqlite3")
    replica = Linked(limited, log)
    replica.turn()
    assert replica.stats["state"] == "ok" and log.link(code) == ("s-eve", "https://n.example/s-eve?utm_content=s-eve")
    log.append_hits([("cid-1", code, "s-eve", time.time(), dt.date.today().isoformat(), "GET", None, "v", "desktop",
                      0, None)])
    log.add_conversion({"external_id": "crm-1", "share_id": "s-eve", "click_id": "cid-1", "event": "lead",
                        "value": 1.0, "currency": "EUR", "occurred_at": time.time(), "received_at": time.time(),
                        "source": "webhook"})
    replica.turn()
    assert replica.stats["state"] == "ok", replica.stats["last_error"]
    assert (replica.stats["forwarded_hits"], replica.stats["forwarded_conversions"]) == (1, 1)
    assert replica.share_of_click("cid-1") == "s-eve"
    privacy.erase_person(ctx, "eve@example.com")
    replica.turn()
    assert replica.stats["state"] == "ok" and log.link(code) is None
    host = Settings(home=tmp_path / "host", database_url=limited)
    assert keys.conversions_secret(host, None) == keys.conversions_secret(ctx.settings, None)
    keys.key(ctx.settings, "session-cookie")
    with psycopg.connect(limited) as con:  # the session cookie's key is not the click hosts' to read
        names = {name for (name,) in con.execute("SELECT name FROM installation_secrets")}
    assert names <= {"conversions", "unsubscribe"} and "conversions" in names
