"""Links, shares (short link, click-log row, post URL), events and totals, points, leaderboard, goals."""

import datetime as dt
import re
from urllib.parse import parse_qs, urlsplit

import pandas as pd
import pytest

from assistant.imports import people
from assistant.links import tracked
from assistant.links.clicklog import open_log
from assistant.reporting import events, goals, points
from assistant.sharing import shares
from assistant.storage import keys
from tests.conftest import DEMO

pytestmark = pytest.mark.store_backends  # each test on the DuckDB file and on PostgreSQL

CAMILLE = "camille.durand@nordlys-energie.example"
PERSONAL = "J'ai suivi ce projet de près, je travaille chez Nordlys : fière du résultat. Et vous ?"


def test_tracked_url_adds_utm_and_keeps_existing_parameters():
    url = tracked.tracked_url("https://n.example/a?ref=nl&utm_source=old#top", "linkedin", "green-week", "s-1")
    parts = urlsplit(url)
    assert parse_qs(parts.query) == {"ref": ["nl"], "utm_source": ["linkedin"], "utm_medium": ["employee-advocacy"],
                                     "utm_campaign": ["green-week"], "utm_content": ["s-1"]}
    assert parts.fragment == "top" and parts.path == "/a"
    assert "utm_campaign=always-on" in tracked.tracked_url("https://n.example/b", "x", None, "s-2")
    assert tracked.tracked_url(None, "x", None, "s-3") is None
    with pytest.raises(ValueError):
        tracked.tracked_url("https://n.example", "myspace", None, "s")


def test_short_codes_are_short_stable_per_share_and_keyed():
    key = b"k" * 32
    codes = {tracked.short_code(key, f"s-{n}") for n in range(2000)}
    assert len(codes) == 2000 and all(tracked.CODE.match(c) for c in codes)
    assert tracked.short_code(key, "s-1") == tracked.short_code(key, "s-1") != tracked.short_code(b"x" * 32, "s-1")
    assert tracked.short_code(key, "s-1", attempt=1) != tracked.short_code(key, "s-1")


def test_share_links_and_final_text():
    intents = tracked.share_links("Fière & ravie #Data", "https://go.example/AbC123xy")
    assert intents["linkedin"] == "https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2Fgo.example%2FAbC123xy"
    assert intents["x"].startswith("https://twitter.com/intent/tweet?text=Fi%C3%A8re%20%26%20ravie%20%23Data&url=")
    link = "https://go.example/AbC123xy"
    assert tracked.final_text("Lire https://n.example/a. Merci", link, "https://n.example/a") == f"Lire {link}. Merci"
    assert tracked.final_text("Sans lien", link, "https://n.example/a") == f"Sans lien\n\n{link}"
    assert tracked.final_text(f"Déjà {link}", link) == f"Déjà {link}"
    assert tracked.final_text("Texte", None) == "Texte"


def _item(store, campaign=True):
    return store.rows("SELECT id, url, campaign FROM content WHERE url IS NOT NULL AND campaign IS "
                      + ("NOT NULL" if campaign else "NULL") + " ORDER BY id LIMIT 1")[0]


def test_share_puts_the_short_link_in_the_post_and_maps_it_in_the_click_log(ctx, demo_store):
    item = _item(demo_store)
    preview = shares.prepare_share(ctx, CAMILLE, item["id"], PERSONAL, "x", "s-test")
    assert demo_store.value("SELECT count(*) FROM shares") == 0, "preparing stores nothing"
    result = shares.share(ctx, CAMILLE, item["id"], PERSONAL, "x", share_id="s-test")
    assert result["short_url"] == preview["short_url"] == f"{ctx.settings.links_base_url}/{result['code']}"
    assert len(result["code"]) <= 8 and result["short_url"] in result["text"] and item["url"] not in result["text"]
    row = demo_store.rows("SELECT * FROM shares WHERE id = ?", ["s-test"])[0]
    assert (row["text"], row["short_code"], row["campaign"]) == (result["text"], result["code"], item["campaign"])
    assert "utm_content=s-test" in row["tracked_url"] and "utm_source=x" in row["tracked_url"]
    assert open_log(ctx.settings.clicklog_path).link(result["code"]) == ("s-test", row["tracked_url"])
    assert result["links"]["x"].endswith("url=" + tracked.quote(result["short_url"], safe=""))
    # pressing Share twice records one share and one link
    assert shares.share(ctx, CAMILLE, item["id"], PERSONAL, "x", share_id="s-test")["code"] == result["code"]
    assert demo_store.value("SELECT count(*) FROM shares WHERE email = ?", [CAMILLE]) == 1


def test_a_taken_code_gets_the_alternate(ctx, demo_store):
    item = _item(demo_store)
    log = open_log(ctx.settings.clicklog_path)
    taken = tracked.short_code(keys.key(ctx.settings.home, "links"), "s-mine")
    log.add_link(taken, "s-someone-else", "https://n.example/other")
    result = shares.share(ctx, CAMILLE, item["id"], PERSONAL, "linkedin", share_id="s-mine")
    assert result["code"] != taken and result["short_url"] in result["text"] and taken not in result["text"]
    assert log.link(result["code"])[0] == "s-mine" and log.link(taken)[0] == "s-someone-else"


def test_shares_without_an_item_url_have_no_link(ctx, demo_store):
    item_id = demo_store.value("SELECT id FROM content ORDER BY id LIMIT 1")
    demo_store.execute("UPDATE content SET url = NULL WHERE id = ?", [item_id])
    result = shares.share(ctx, CAMILLE, item_id, PERSONAL, "linkedin", share_id="s-nolink")
    assert result["short_url"] is None and result["tracked_url"] is None and result["text"] == PERSONAL
    assert "linkedin" not in result["links"]


def test_blocking_policy_violation_refuses_the_share(ctx, demo_store):
    ctx.settings.policy_path.write_text((DEMO / "policy.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(shares.ShareBlocked, match="Aurore"):
        shares.share(ctx, CAMILLE, _item(demo_store)["id"], "Je travaille chez Nordlys sur le Projet Aurore !", "x")
    assert demo_store.value("SELECT count(*) FROM shares") == 0


def test_the_published_post_url_is_stored_for_its_author_only(ctx, demo_store):
    shares.record_share(demo_store, "s-p", CAMILLE, _item(demo_store)["id"], "t", "linkedin", None, None, 50.0)
    url = "https://www.linkedin.com/feed/update/urn:li:activity:7201111111111111111/"
    assert shares.set_post_url(demo_store, CAMILLE, "s-p", url) == "linkedin:7201111111111111111"
    assert demo_store.value("SELECT post_url FROM shares WHERE id = 's-p'") == url
    with pytest.raises(LookupError):
        shares.set_post_url(demo_store, "someone.else@nordlys-energie.example", "s-p", url)
    with pytest.raises(ValueError):
        shares.set_post_url(demo_store, CAMILLE, "s-p", "javascript:alert(1)")
    assert shares.set_post_url(demo_store, CAMILLE, "s-p", "") is None
    assert demo_store.value("SELECT post_url FROM shares WHERE id = 's-p'") is None


def _posted(store, share_id, email, item, score, when=None, campaign=None):
    shares.record_share(store, share_id, email, item, f"text {share_id}", "linkedin", campaign, None, score,
                        shared_at=when)
    store.execute("UPDATE shares SET status = 'posted' WHERE id = ?", [share_id])


def test_totals_follow_every_insert_and_removal(demo_store):
    item = _item(demo_store, campaign=False)["id"]
    _posted(demo_store, "s-a", CAMILLE, item, 80.0)
    events.record_event(demo_store, "s-a", "click", 3)
    events.record_event(demo_store, "s-a", "lead", value=500.0, currency="EUR")
    events.append(demo_store, pd.DataFrame([
        {"share_id": "s-a", "kind": "click", "source": "clicklog", "visitor": "v1", "first_visit": True, "is_bot": False},
        {"share_id": "s-a", "kind": "click", "source": "clicklog", "visitor": "v1", "first_visit": False, "is_bot": False},
        {"share_id": "s-a", "kind": "click", "source": "clicklog", "visitor": "b1", "first_visit": False, "is_bot": True},
        {"share_id": "s-a", "kind": "impression", "count": 700, "source": "network"}]))
    totals = demo_store.rows("SELECT * FROM share_totals WHERE share_id = 's-a'")[0]
    assert (totals["hits"], totals["bot_hits"], totals["unique_human_clicks"]) == (6, 1, 4)  # 3 by hand count once each
    assert (totals["leads"], totals["conversion_value"], totals["impressions"], totals["impression_rows"]) == \
        (1, 500.0, 700, 1)
    events.remove(demo_store, "share_id = ? AND kind = 'impression'", ["s-a"])
    assert demo_store.value("SELECT impression_rows FROM share_totals WHERE share_id = 's-a'") == 0
    before = demo_store.rows("SELECT * FROM share_totals ORDER BY share_id")
    assert events.rebuild_totals(demo_store) == 1 and demo_store.rows("SELECT * FROM share_totals") == before
    with pytest.raises(ValueError):
        events.record_event(demo_store, "s-a", "like")
    with pytest.raises(LookupError):
        events.record_event(demo_store, "s-missing", "click")


def test_points_leaderboard_and_ambassador_respect_consent_and_posting(demo_store):
    item = _item(demo_store, campaign=False)["id"]
    opted_in, opted_out = [r[0] for r in demo_store.execute("SELECT email FROM employees ORDER BY email LIMIT 2").fetchall()]
    people.set_consent(demo_store, opted_in, consent_program=True, consent_leaderboard=True)
    people.set_consent(demo_store, opted_out, consent_program=True, consent_leaderboard=False)
    today = dt.date(2030, 5, 20)
    _posted(demo_store, "s-a", opted_in, item, 80.0, when=dt.datetime(2030, 5, 3, 9))
    _posted(demo_store, "s-b", opted_out, item, 20.0, when=dt.datetime(2030, 5, 4, 9))
    _posted(demo_store, "s-old", opted_in, item, 100.0, when=dt.datetime(2030, 4, 28, 9))
    shares.record_share(demo_store, "s-prepared", opted_out, item, "never posted", "x", None, None, 100.0,
                        shared_at=dt.datetime(2030, 5, 5, 9))
    events.append(demo_store, pd.DataFrame([
        {"share_id": "s-a", "kind": "click", "visitor": v, "first_visit": first, "is_bot": bot, "source": "clicklog"}
        for v, first, bot in (("v1", True, False), ("v1", False, False), ("v2", True, False), ("b", False, True))]))
    events.record_event(demo_store, "s-a", "lead")
    events.record_event(demo_store, "s-b", "reaction", 50)
    events.record_event(demo_store, "s-b", "comment", 2)
    events.record_event(demo_store, "s-prepared", "reaction", 999)
    # s-a: 10 share + 8 personal + 2 unique human clicks + 10 lead; s-b: 10 + 2 + 50 + 2×2; s-old: 10 + 10
    assert points.points(demo_store, *points.month_bounds(today)) == {opted_in: 30, opted_out: 66}
    assert points.points(demo_store)[opted_in] == 50 and points.points_of(demo_store, opted_out) == 66
    assert points.share_points(80.0, {"unique_human_clicks": 2, "conversions": 1}) == 30
    board = points.leaderboard(demo_store, *points.month_bounds(today))
    assert [(r["email"], r["points"], r["rank"]) for r in board] == [(opted_in, 30, 1)], "only people who opted in"
    assert points.ambassador_of_the_month(demo_store, today)["email"] == opted_in
    assert points.ambassador_of_the_month(demo_store, dt.date(2031, 1, 1)) is None


def test_campaign_goals_show_progress(demo_store):
    item = _item(demo_store, campaign=False)["id"]
    people = [r[0] for r in demo_store.execute("SELECT email FROM employees ORDER BY email LIMIT 3").fetchall()]
    for n, (email, score) in enumerate(zip(people, (90.0, 70.0, 30.0))):
        _posted(demo_store, f"s-g{n}", email, item, score, when=dt.datetime(2030, 6, 2 + n, 9), campaign="green-week")
    _posted(demo_store, "s-late", people[0], item, 95.0, when=dt.datetime(2030, 6, 9, 9), campaign="green-week")
    _posted(demo_store, "s-other", people[0], item, 95.0, when=dt.datetime(2030, 6, 2, 9), campaign="other")
    friday = dt.date(2030, 6, 7)
    first = goals.add_goal(demo_store, "green-week", "personal_shares", 2, due=friday, by="nadia")
    goals.add_goal(demo_store, "green-week", "sharers", 5, due=friday)
    goals.add_goal(demo_store, "green-week", "shares", 10)
    with pytest.raises(ValueError):
        goals.add_goal(demo_store, "green-week", "likes", 3)
    with pytest.raises(ValueError):
        goals.add_goal(demo_store, "green-week", "shares", 0)
    by_metric = {g["metric"]: g["progress"] for g in goals.progress(demo_store, dt.date(2030, 6, 10))}
    assert by_metric["personal_shares"] == {"value": 2, "target": 2, "ratio": 1.0, "days_left": -3, "status": "reached"}
    assert by_metric["sharers"] == {"value": 3, "target": 5, "ratio": 0.6, "days_left": -3, "status": "missed"}
    assert by_metric["shares"]["value"] == 4 and by_metric["shares"]["status"] == "open"
    assert goals.remove_goal(demo_store, first) and len(goals.progress(demo_store, friday)) == 2


def test_a_goal_reads_only_its_campaign_s_shares_and_counts_always_on_and_its_own_floor(demo_store):
    item = _item(demo_store, campaign=False)["id"]
    email = demo_store.value("SELECT email FROM employees ORDER BY email LIMIT 1")
    for n, (campaign, score) in enumerate((("always-on", 75.0), (None, 65.0), ("hiring", 99.0))):
        _posted(demo_store, f"s-a{n}", email, item, score, when=dt.datetime(2030, 6, 2, 9), campaign=campaign)
    demo_store.execute("UPDATE shares SET campaign = NULL WHERE id = 's-a1'")  # made before campaigns had a name
    goals.add_goal(demo_store, "always-on", "personal_shares", 5, min_score=70.0)
    goals.add_goal(demo_store, "always-on", "shares", 5, due=dt.date(2030, 6, 2))
    always_on = {g["metric"]: g["progress"]["value"] for g in goals.progress(demo_store, dt.date(2030, 6, 10))}
    assert always_on["personal_shares"] == 1, "the goal's own floor (70), not the default 60"
    assert always_on["shares"] == demo_store.value(
        "SELECT count(*) FROM shares WHERE coalesce(campaign, 'always-on') = 'always-on' AND status = 'posted' "
        "AND shared_at < DATE '2030-06-03'") >= 2, "a share without a campaign counts for always-on"
    if demo_store.url:  # on PostgreSQL the server filters the campaign: only its shares travel to DuckDB
        goal = demo_store.rows("SELECT * FROM campaign_goals WHERE metric = 'shares'")[0]
        sql, params = goals._value_query({**goal, "campaign": "hiring"})
        plan = "\n".join(row[1] for row in demo_store.execute("EXPLAIN " + sql, params).fetchall())
        assert re.search(r"POSTGRES_SCAN.*?Table: shares.*?Filters:.*?campaign\s*=\s*'hiring'", plan, re.DOTALL)


def test_points_and_the_leaderboard_count_neither_empty_nor_unposted_shares(demo_store):
    item = _item(demo_store, campaign=False)["id"]
    a, b = [r[0] for r in demo_store.execute("SELECT email FROM employees ORDER BY email LIMIT 2").fetchall()]
    for email in (a, b):
        people.set_consent(demo_store, email, consent_program=True, consent_leaderboard=True)
    _posted(demo_store, "s-words", a, item, 50.0, when=dt.datetime(2030, 5, 3, 9))  # 10 + 5 = 15 points
    # b's posted share is a bare tracked link and blanks (a no-break space, a line break): no post, no points,
    # however much it earned; b's other share has words but was never posted
    shares.record_share(demo_store, "s-empty", b, item, "  https://go.example/ABCDEFGH \u00a0\n", "linkedin", None,
                        None, 100.0, shared_at=dt.datetime(2030, 5, 4, 9))
    demo_store.execute("UPDATE shares SET status = 'posted' WHERE id = 's-empty'")
    shares.record_share(demo_store, "s-prepared", b, item, "Prepared with words, never posted.", "linkedin", None,
                        None, 100.0, shared_at=dt.datetime(2030, 5, 5, 9))
    events.record_event(demo_store, "s-empty", "reaction", 100)
    events.record_event(demo_store, "s-prepared", "reaction", 50)
    month = points.month_bounds(dt.date(2030, 5, 20))
    assert points.points(demo_store) == {a: 15} and points.points(demo_store, *month) == {a: 15}
    assert points.points_of(demo_store, b) == 0 and points.points_of(demo_store, a, *month) == 15
    board = points.leaderboard(demo_store, *month)
    assert [(r["email"], r["points"], r["shares"], r["rank"]) for r in board] == [(a, 15, 1, 1)]
    assert points.ambassador_of_the_month(demo_store, dt.date(2030, 5, 20))["email"] == a
