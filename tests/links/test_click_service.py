"""The public click service against a real server on 127.0.0.1: redirects, bot flags, the log, conversions,
and the digests' one-click unsubscribe."""

from __future__ import annotations

import http.client
import json
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from assistant.config import Settings
from assistant.digest import preferences
from assistant.links import conversions, visitors
from assistant.links.clicklog import ClickLog
from assistant.links.guessing import CodeWalkGuard
from assistant.optouts import inbox, tokens
from assistant.reporting import points, sync
from assistant.sharing import shares
from assistant.web import unsubscribe
from assistant.links.hitwriter import HitWriter
from assistant.web.clickservice import create_app, service_app
from evals.measure import child_env
from tests.click_server import free_port, post_json, request, running, wait_until

SECRET = b"test-secret"
CODE = "AbC123xy"
TARGET = ("https://n.example/a?ref=nl&utm_source=linkedin&utm_medium=employee-advocacy&utm_campaign=green-week"
          "&utm_content=s-1#top")
CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36"


@pytest.fixture
def log(tmp_path):
    clicklog = ClickLog(tmp_path / "clicks.sqlite3")
    clicklog.add_link(CODE, "s-1", TARGET)
    return clicklog


def hits(log: ClickLog) -> list[dict]:
    cur = log.db.execute("SELECT * FROM hits ORDER BY id")
    names = [d[0] for d in cur.description]
    return [dict(zip(names, row)) for row in cur.fetchall()]


def test_redirect_is_a_302_to_the_utm_target_with_a_click_id(log, tmp_path):
    app = create_app(log, SECRET)
    with running(app) as port:
        answers = [request(port, "GET", f"/{CODE}", {"User-Agent": CHROME, "X-Forwarded-For": "203.0.113.7",
                                                     "Referer": "https://www.linkedin.com/feed/"}) for _ in range(2)]
        assert wait_until(lambda: app.state.writer.stats["written"] == 2)
    click_ids = []
    for status, headers, _ in answers:
        assert status == 302, "never 301: a cached redirect would hide repeat clicks"
        assert headers["cache-control"] == "no-store"
        target = urlsplit(headers["location"])
        query = parse_qs(target.query)
        assert (target.netloc, target.path, target.fragment) == ("n.example", "/a", "top")
        assert query["utm_content"] == ["s-1"] and query["utm_campaign"] == ["green-week"] and query["ref"] == ["nl"]
        assert len(query["pv_cid"][0]) >= 12
        click_ids.append(query["pv_cid"][0])
    assert click_ids[0] != click_ids[1]
    logged = hits(log)
    assert [h["click_id"] for h in logged] == click_ids
    assert {(h["share_id"], h["referrer_host"], h["is_bot"], h["ua_class"]) for h in logged} == \
        {("s-1", "linkedin.com", 0, "desktop")}
    assert logged[0]["visitor"] == logged[1]["visitor"], "same IP and agent on the same day: one visitor"
    raw = b"".join(p.read_bytes() for p in tmp_path.glob("clicks.sqlite3*"))
    assert b"203.0.113.7" not in raw, "the raw IP is never written"


def test_unknown_codes_404_new_links_are_found_and_healthz_counts(log):
    app = create_app(log, SECRET)
    with running(app) as port:
        assert request(port, "GET", "/ZZZZZZZZ")[0] == 404
        status, _, body = request(port, "GET", "/not-a-code/at-all")
        assert status == 404 and json.loads(body)["error"] == "not_found"
        log.add_link("NewCode1", "s-2", "https://n.example/b")  # a share made while the service runs
        status, headers, _ = request(port, "GET", "/NewCode1", {"User-Agent": CHROME})
        assert status == 302 and headers["location"].startswith("https://n.example/b?pv_cid=")
        wait_until(lambda: app.state.writer.stats["written"] == 1)
        status, _, body = request(port, "GET", "/healthz")
        health = json.loads(body)
    assert status == 200 and health["ok"] and health["log"] == "ok"
    assert (health["hits_received"], health["hits_written"], health["hits_lost"]) == (1, 1, 0)
    assert health["links"] == 2


BOTS = [  # (method, user agent, is_bot, reason starts with)
    ("GET", CHROME, False, None),
    ("GET", "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148", False, None),
    ("GET", "LinkedInBot/1.0 (compatible; Mozilla/5.0; Apache-HttpClient +http://www.linkedin.com)", True,
     "preview:LinkedInBot"),
    ("GET", "Twitterbot/1.0", True, "preview:Twitterbot"),
    ("GET", "Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)", True, "preview:Slackbot"),
    ("GET", "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)", True,
     "preview:facebookexternalhit"),
    ("GET", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", True, "crawler:"),
    ("GET", "python-requests/2.32", True, "crawler:"),
    ("GET", "", True, "empty-user-agent"),
    ("HEAD", CHROME, True, "head-request"),
]


def test_bots_are_flagged_with_a_reason_and_never_blocked(log):
    app = create_app(log, SECRET)
    with running(app) as port:
        for method, agent, _, _ in BOTS:
            assert request(port, method, f"/{CODE}", {"User-Agent": agent})[0] == 302, agent
        assert wait_until(lambda: app.state.writer.stats["written"] == len(BOTS))
    for hit, (method, agent, is_bot, reason) in zip(hits(log), BOTS):
        assert bool(hit["is_bot"]) is is_bot, agent
        assert hit["method"] == method
        if reason is None:
            assert hit["bot_reason"] is None and hit["ua_class"] != "bot"
        else:
            assert hit["bot_reason"].startswith(reason) and hit["ua_class"] == "bot"


def _click_id(headers: dict) -> str:
    return parse_qs(urlsplit(headers["location"]).query)["pv_cid"][0]


def test_a_redirect_is_answered_once_its_hit_is_in_the_log(log):
    app = create_app(log, SECRET, writer=HitWriter(log, flush_every=60.0))  # idle turns a minute apart
    with running(app) as port:
        for _ in range(3):
            status, headers, _ = request(port, "GET", f"/{CODE}", {"User-Agent": CHROME})
            assert status == 302 and log.share_of_click(_click_id(headers)) == "s-1", "committed before the 302"
        assert json.loads(request(port, "GET", "/healthz")[2])["hits_answered_before_commit"] == 0


def test_a_redirect_answered_before_its_slow_commit_is_counted(tmp_path):
    """A commit slower than ``durable_wait`` (the log locked by another writer for a while) does not hold the
    visitor; the redirect goes out and ``/healthz`` says how many were answered so (a kill -9 then could lose
    them), and the hit is written once the lock is gone."""
    log = ClickLog(tmp_path / "clicks.sqlite3", timeout=5.0)
    log.add_link(CODE, "s-1", TARGET)
    app = create_app(log, SECRET, writer=HitWriter(log, durable_wait=0.05))
    with running(app) as port:
        lock = _locked(log.path)
        status, headers, _ = request(port, "GET", f"/{CODE}", {"User-Agent": CHROME})
        assert status == 302 and log.share_of_click(_click_id(headers)) is None, "answered before the commit"
        assert json.loads(request(port, "GET", "/healthz")[2])["hits_answered_before_commit"] == 1
        lock.rollback()
        lock.close()
        assert wait_until(lambda: log.share_of_click(_click_id(headers)) == "s-1", timeout=10)


def test_no_answered_redirect_is_lost_when_the_service_is_killed(tmp_path):
    """``kill -9`` of a real ``porte-voix links serve`` under load from 4 clients: every click id a client
    received in a 302 is in the click log."""
    port = free_port()
    settings = Settings(home=tmp_path / "home", embedder="fake", generator="fake", links_port=port,
                        links_base_url=f"http://127.0.0.1:{port}")
    settings.ensure()
    ClickLog(settings.clicklog_path).add_link(CODE, "s-1", TARGET)
    service = subprocess.Popen([sys.executable, "-m", "assistant.cli", "links", "serve", "--port", str(port)],
                               env=child_env(settings), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    answered, stop = [], threading.Event()

    def client() -> None:
        while not stop.is_set():
            try:
                status, headers, _ = request(port, "GET", f"/{CODE}", {"User-Agent": CHROME})
            except (OSError, http.client.HTTPException):  # the service is gone (killed), or not up yet
                time.sleep(0.05)
                continue
            if status == 302:
                answered.append(_click_id(headers))

    clients = [threading.Thread(target=client, daemon=True) for _ in range(4)]
    try:
        for thread in clients:
            thread.start()
        assert wait_until(lambda: len(answered) >= 300, timeout=60), "the service answered under load"
        service.send_signal(signal.SIGKILL)
        service.wait(10)
    finally:
        stop.set()
        service.kill()
        for thread in clients:
            thread.join(10)
    logged = {row[0] for row in ClickLog(settings.clicklog_path).db.execute("SELECT click_id FROM hits")}
    assert len(answered) >= 300 and set(answered) <= logged, f"{len(set(answered) - logged)} answered hits lost"


def _locked(path):
    """Another process's exclusive write lock on the log (the log is "unavailable" for writers)."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    return other


def test_the_redirect_never_waits_on_an_unavailable_log(tmp_path):
    log = ClickLog(tmp_path / "clicks.sqlite3", timeout=0.05)
    log.add_link(CODE, "s-1", TARGET)
    app = create_app(log, SECRET, writer=HitWriter(log, flush_every=0.02))
    with running(app) as port:
        lock = _locked(log.path)
        started = time.perf_counter()
        statuses = [request(port, "GET", f"/{CODE}", {"User-Agent": CHROME})[0] for _ in range(20)]
        elapsed = time.perf_counter() - started
        assert statuses == [302] * 20
        assert elapsed < 5, "redirects do not wait for the log"
        assert wait_until(lambda: app.state.writer.stats["last_error"] is not None
                          and app.state.writer.stats["pending"] == 20)
        health = json.loads(request(port, "GET", "/healthz")[2])
        assert health["log"] == "unavailable" and health["hits_pending"] == 20 and health["hits_written"] == 0
        lock.rollback()
        lock.close()
        assert wait_until(lambda: app.state.writer.stats["written"] == 20, timeout=10)
    assert app.state.writer.stats["lost"] == 0 and len(hits(log)) == 20


def test_hits_beyond_the_memory_bound_are_counted_as_lost(tmp_path):
    log = ClickLog(tmp_path / "clicks.sqlite3", timeout=0.05)
    log.add_link(CODE, "s-1", TARGET)
    writer = HitWriter(log, max_pending=3)
    lock = _locked(log.path)
    for n in range(5):
        writer.submit((f"click-{n}", CODE, "s-1", time.time(), "GET", None, "198.51.100.1", CHROME))
    assert writer.flush() is False
    assert (writer.stats["pending"], writer.stats["lost"], writer.stats["written"]) == (3, 2, 0)
    lock.rollback()
    lock.close()
    stats = writer.stop(timeout=2)
    assert (stats["written"], stats["lost"], stats["pending"]) == (3, 2, 0)
    assert [h["click_id"] for h in hits(log)] == ["click-2", "click-3", "click-4"], "the oldest were dropped"
    run = log.service_runs()[-1]
    assert (run["received"], run["written"], run["lost"]) == (5, 3, 2)


def _conversion(**fields) -> bytes:
    data = {"share_id": "s-1", "event": "lead", "external_id": "crm-1", "occurred_at": "2025-06-02T10:31:00Z",
            "value": 1200, "currency": "EUR"}
    data.update(fields)
    return json.dumps({k: v for k, v in data.items() if v is not None}).encode()


def _stored(log) -> list[tuple]:
    return log.db.execute("SELECT external_id, share_id, event, value, source FROM conversions ORDER BY id").fetchall()


def test_signed_conversions_are_stored_once_and_replays_refused(log):
    now = [1_750_000_000.0]
    app = create_app(log, SECRET, clock=lambda: now[0])
    with running(app) as port:
        body = _conversion()
        headers = conversions.sign(SECRET, body, timestamp=int(now[0]))
        assert post_json(port, "/v1/conversions", body, headers) == \
            (201, {"status": "stored", "share_id": "s-1", "external_id": "crm-1"})
        status, answer = post_json(port, "/v1/conversions", body, headers)
        assert (status, answer["error"]) == (409, "replay")
        now[0] += 60  # the CRM retries later: new timestamp, same external_id
        again = conversions.sign(SECRET, body, timestamp=int(now[0]))
        assert post_json(port, "/v1/conversions", body, again)[1]["status"] == "duplicate"
    assert _stored(log) == [("crm-1", "s-1", "lead", 1200.0, "webhook")]


def test_bad_conversion_requests_get_a_clear_4xx_and_store_nothing(log):
    now = 1_750_000_000
    app = create_app(log, SECRET, clock=lambda: float(now))
    signed = lambda body, ts=now, secret=SECRET: conversions.sign(secret, body, timestamp=ts)  # noqa: E731
    cases = [  # (body, headers, status, error)
        (_conversion(), {}, 401, "unsigned"),
        (_conversion(), signed(_conversion(), secret=b"wrong"), 401, "bad_signature"),
        (_conversion(), signed(_conversion(external_id="other")), 401, "bad_signature"),  # body changed after signing
        (_conversion(), signed(_conversion(), ts=now - 301), 401, "stale"),
        (_conversion(), signed(_conversion(), ts=now + 400), 401, "stale"),
        (b"{not json", signed(b"{not json"), 400, "bad_json"),
        (_conversion(event="purchase"), signed(_conversion(event="purchase")), 422, "invalid"),
        (_conversion(external_id=""), signed(_conversion(external_id="")), 422, "invalid"),
        (_conversion(value=-5), signed(_conversion(value=-5)), 422, "invalid"),
        (_conversion(share_id=None), signed(_conversion(share_id=None)), 422, "invalid"),
        (_conversion(share_id="s-404"), signed(_conversion(share_id="s-404")), 422, "unknown_share"),
        (_conversion(share_id=None, click_id="nope"), signed(_conversion(share_id=None, click_id="nope")), 422,
         "unknown_click"),
    ]
    with running(app) as port:
        for body, headers, status, error in cases:
            got_status, answer = post_json(port, "/v1/conversions", body, headers)
            assert (got_status, answer["error"]) == (status, error), (body, answer)
            assert answer["message"]
        assert request(port, "GET", "/v1/conversions")[0] == 404
        big = b"{" + b" " * 20_000 + b"}"
        assert post_json(port, "/v1/conversions", big, signed(big))[1]["error"] == "too_large"
    assert _stored(log) == []


def test_a_conversion_names_the_click_it_came_from(log):
    app = create_app(log, SECRET)
    with running(app) as port:
        _, headers, _ = request(port, "GET", f"/{CODE}", {"User-Agent": CHROME})
        click_id = parse_qs(urlsplit(headers["location"]).query)["pv_cid"][0]
        body = _conversion(share_id=None, click_id=click_id, event="application", external_id="ats-9", value=None,
                           currency=None)
        status, answer = post_json(port, "/v1/conversions", body, conversions.sign(SECRET, body))
    assert status == 201 and answer["share_id"] == "s-1"
    assert log.db.execute("SELECT click_id, event FROM conversions").fetchall() == [(click_id, "application")]


def test_the_service_answers_the_digests_one_click_unsubscribe(settings, store, tmp_path):
    """The link of a digest's List-Unsubscribe header, on the service `links serve` runs: a GET asks, the
    RFC 8058 POST unsubscribes (frequency never once the app folds the inbox), a forged token gets a 404,
    and short links beside it still redirect."""
    sarah = "sarah.martin@nordlys.example"
    app = service_app(settings.but(app_base_url="https://app.nordlys.example"))
    ClickLog(settings.clicklog_path).add_link(CODE, "s-1", TARGET)
    link = urlsplit(tokens.link(settings, sarah, "en"))
    path = f"{link.path}?{link.query}"
    one_click = {"Content-Type": "application/x-www-form-urlencoded"}
    forged = [path.replace(link.path.split(".")[-1], "A" * 22),                       # signature made up
              urlsplit(tokens.link(Settings(home=tmp_path / "other"), sarah, "en")).path]  # another installation
    with running(app) as port:
        status, headers, body = request(port, "GET", path)
        assert status == 200 and b"Stop receiving Porte-voix digests at " + sarah.encode() in body
        assert headers["content-type"].startswith("text/html") and not inbox.inbox_path(settings).exists(), \
            "a GET (a link scanner) never unsubscribes"
        for bad in forged:
            assert request(port, "POST", bad, one_click, b"List-Unsubscribe=One-Click")[0] == 404
            assert request(port, "GET", bad)[0] == 404
        assert request(port, "POST", path, one_click, b"x" * (unsubscribe.MAX_BODY + 1))[0] == 413
        status, _, body = request(port, "POST", path, one_click, b"List-Unsubscribe=One-Click")
        assert status == 200 and b"https://app.nordlys.example/?page=profile" in body
        assert request(port, "POST", path, one_click, b"List-Unsubscribe=One-Click")[0] == 200   # idempotent
        assert request(port, "GET", f"/{CODE}", {"User-Agent": CHROME})[0] == 302, "short links are not shadowed"
        assert request(port, "GET", "/unsubscribe")[0] == 404
    assert preferences.get(store, sarah)["frequency"] == "weekly", "the service never writes the app's store"
    assert preferences.fold_optouts(store, settings) == 2
    assert preferences.get(store, sarah)["frequency"] == "never"
    assert store.value("SELECT count(*) FROM digest_optouts WHERE source = 'one-click'") == 2
    assert store.value("SELECT count(DISTINCT email) FROM digest_optouts") == 1, "forged tokens recorded nothing"


def test_rotating_user_agents_from_one_address_does_not_multiply_unique_clicks_nor_points(ctx):
    """The issue's probe: 100 hits from one address with rotated browser user agents raised unique human
    clicks from 4 to 104, and the points with them."""
    store = ctx.store
    shares.record_share(store, "s-1", "sam@example.com", "c-1", "My own words on the heat pumps we installed.",
                        "linkedin", "green-week", TARGET, 60.0)
    store.execute("UPDATE shares SET status = 'posted' WHERE id = 's-1'")
    log = ClickLog(ctx.settings.clicklog_path)
    log.add_link(CODE, "s-1", TARGET)
    app = create_app(log, SECRET)
    readers = ["198.51.100.10", "192.0.2.10", "2001:db8:1::10", "2001:db8:2::10"]  # four networks
    with running(app) as port:
        for address in readers:
            assert request(port, "GET", f"/{CODE}", {"User-Agent": CHROME, "X-Forwarded-For": address})[0] == 302
        assert wait_until(lambda: app.state.writer.stats["written"] == 4)
        sync.sync(store, log)
        before = store.value("SELECT unique_human_clicks FROM share_totals WHERE share_id = 's-1'")
        points_before = points.points_of(store, "sam@example.com")
        for n in range(100):
            agent = f"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/{100 + n}.0 Safari/537.36"
            assert request(port, "GET", f"/{CODE}", {"User-Agent": agent, "X-Forwarded-For": "203.0.113.50"})[0] == 302
        assert wait_until(lambda: app.state.writer.stats["written"] == 104)
    sync.sync(store, log)
    row = store.rows("SELECT * FROM share_totals WHERE share_id = 's-1'")[0]
    assert before == 4 and row["hits"] == 104 and row["bot_hits"] == 0
    assert row["unique_human_clicks"] == before + visitors.PER_NETWORK_DAILY
    assert points.points_of(store, "sam@example.com") == points_before + visitors.PER_NETWORK_DAILY


def test_an_address_walking_codes_is_slowed_down_and_learns_nothing(log):
    """The issue's probe: short codes answered 2,300 wrong guesses a second with no throttle."""
    app = create_app(log, SECRET, guard=CodeWalkGuard(limit=20, window_s=60))
    walker = {"User-Agent": CHROME, "X-Forwarded-For": "203.0.113.66"}
    with running(app) as port:
        statuses = [request(port, "GET", f"/Zz{n:06d}", walker)[0] for n in range(30)]
        assert statuses[:20] == [404] * 20 and set(statuses[20:]) == {429}
        status, headers, _ = request(port, "GET", f"/{CODE}", walker)
        assert status == 429 and 1 <= int(headers["retry-after"]) <= 60, "a valid code looks like any other"
        assert request(port, "GET", f"/{CODE}", {**walker, "X-Forwarded-For": "203.0.113.67"})[0] == 429, "same /24"
        assert request(port, "GET", "/healthz", walker)[0] == 200
        assert request(port, "GET", f"/{CODE}", {"User-Agent": CHROME, "X-Forwarded-For": "198.51.100.7"})[0] == 302
        rotating = [request(port, "GET", f"/Yy{n:06d}", {"X-Forwarded-For": f"2001:db8:66::{n:x}"})[0] for n in range(25)]
        assert rotating[:20] == [404] * 20 and set(rotating[20:]) == {429}, "rotating inside one /64 does not help"


def test_forwarded_for_counts_only_from_a_trusted_proxy(log):
    """With no trusted proxy (PORTE_VOIX_TRUSTED_PROXIES=none) a client cannot pose as many addresses by
    rotating X-Forwarded-For: the walk throttle sees the one peer it is."""
    for trusted, blocked in ((("127.0.0.1",), False), ((), True)):
        app = create_app(log, SECRET, guard=CodeWalkGuard(limit=5, window_s=60))
        with running(app, trusted_proxies=trusted) as port:
            statuses = [request(port, "GET", f"/Zz{n:06d}", {"X-Forwarded-For": f"198.51.{n}.1"})[0] for n in range(8)]
        assert (429 in statuses) is blocked, (trusted, statuses)


def test_the_service_process_loads_no_duckdb_and_no_digest_code():
    """What `links serve` imports, in a fresh interpreter: the routes, not the store nor the digests."""
    import subprocess
    import sys

    probe = ("import sys, assistant.web.clickservice, assistant.web.unsubscribe; "
             "print(sorted(m for m in sys.modules if m == 'duckdb' or m.split('.')[:2] in "
             "(['assistant', 'digest'], ['assistant', 'reporting'], ['assistant', 'sharing'])))")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


class _Store:
    """A replica whose store knows no code: counts the lookups it is asked."""

    def __init__(self):
        self.asked, self.stats = [], {"state": "ok"}

    def start(self):
        return self

    def stop(self):
        return dict(self.stats)

    def link(self, code):
        self.asked.append(code)
        return None


def test_random_codes_from_many_networks_cost_the_store_a_bounded_number_of_lookups(log):
    """A replica asks the store about a code it does not know; random codes from many networks (which the
    per-network guard does not stop) are answered 503 past the budget, without a lookup."""
    from assistant.links.guessing import LookupBudget

    now, store = [0.0], _Store()
    app = create_app(log, SECRET, replica=store, lookups=LookupBudget(per_s=1.0, burst=3, clock=lambda: now[0]))
    with running(app) as port:
        answers = [request(port, "GET", f"/Zz{n:06d}", {"User-Agent": CHROME, "X-Forwarded-For": f"198.51.{n}.7"})
                   for n in range(10)]
        assert [a[0] for a in answers] == [404] * 3 + [503] * 7 and len(store.asked) == 3
        assert {a[1]["retry-after"] for a in answers[3:]} == {"1"}
        assert request(port, "GET", f"/{CODE}", {"User-Agent": CHROME})[0] == 302, "known links never wait"
        assert json.loads(request(port, "GET", "/healthz")[2])["lookups_refused"] == 7
        now[0] = 1.0  # a second later: one more lookup
        assert request(port, "GET", "/Zz999999", {"User-Agent": CHROME})[0] == 404 and len(store.asked) == 4
