"""Dashboards on a small known set: every expected value below is worked out by hand in the comments."""

import csv
import datetime as dt
import io
import re

import pandas as pd
import pytest

from assistant.reporting import dashboards, events, goals, metrics
from assistant.reporting.dashboards import PageFilters
from assistant.reporting.metrics import Filters
from assistant.sharing import shares

pytestmark = pytest.mark.store_backends  # each test on the DuckDB file and on PostgreSQL

RATES = {"cpm": 30.0, "cpc": 2.0, "currency": "EUR"}
COPY = "Fière de la green week chez Nordlys : 212 ordinateurs réparés au lieu d'être remplacés, bravo à toute l'équipe !"


@pytest.fixture
def known(store):
    for email, team, size, named in (("a@x.example", "Data", 1000, True), ("b@x.example", "RH", 500, False),
                                     ("c@x.example", "Data", None, True)):  # b did not agree to be named
        store.execute("INSERT INTO employees (email, name, team, languages, skills, network_size, consent_leaderboard, "
                      "record_hash) VALUES (?, ?, ?, ['fr'], [], ?, ?, 'h')", [email, email[0].upper(), team, size, named])
    for item, kind in (("art", "article"), ("job", "job_offer"), ("other", "article")):
        store.execute("INSERT INTO content (id, title, text, kind, language, language_supported, content_hash, "
                      "record_hash) VALUES (?, ?, 't', ?, 'fr', TRUE, ?, ?)", [item, item.title(), kind, item, item])
    rows = (  # id, email, item, network, campaign, score, day (June 2030), text
        ("s1", "a@x.example", "art", "linkedin", "green-week", 80.0, 3, COPY + " https://go.example/AAAAAAAA"),
        ("s2", "b@x.example", "art", "x", "green-week", 30.0, 4, COPY + " https://go.example/BBBBBBBB"),
        ("s3", "c@x.example", "job", "linkedin", "hiring", 60.0, 11, "On recrute dans mon équipe, écrivez-moi."),
        ("s4", "a@x.example", "job", "linkedin", "hiring", 90.0, 12, "Prepared, never posted."),
        ("s5", "c@x.example", "other", "linkedin", None, None, 12, COPY),
    )
    for sid, email, item, net, campaign, score, day, text in rows:
        shares.record_share(store, sid, email, item, text, net, campaign, None, score,
                            shared_at=dt.datetime(2030, 6, day, 9))
    store.execute("UPDATE shares SET status = CASE WHEN id = 's4' THEN 'prepared' ELSE 'posted' END")
    click = lambda sid, visitor, first, bot=False: {"share_id": sid, "kind": "click", "source": "clicklog",  # noqa: E731
                                                    "visitor": visitor, "first_visit": first, "is_bot": bot}
    events.append(store, pd.DataFrame([
        click("s1", "v1", True), click("s1", "v1", False), click("s1", "v2", True), click("s1", "b", False, True),
        click("s2", "v1", True), click("s3", "v3", True), click("s3", "v4", True),
        *[click("s4", f"w{n}", True) for n in range(5)],
        {"share_id": "s1", "kind": "impression", "count": 2000, "source": "network"},
        {"share_id": "s1", "kind": "reaction", "count": 10, "source": "network"},
        {"share_id": "s1", "kind": "comment", "count": 2, "source": "network"},
        {"share_id": "s1", "kind": "reshare", "count": 1, "source": "network"},
        {"share_id": "s2", "kind": "lead", "value": 100.0, "source": "webhook", "source_key": "crm-1"},
        {"share_id": "s3", "kind": "application", "source": "webhook", "source_key": "ats-1"},
        {"share_id": "s3", "kind": "application", "source": "webhook", "source_key": "ats-2"},
    ]))
    return store


def test_per_share_metrics_and_reach_reported_or_estimated(known):
    rows = {r["id"]: r for r in metrics.share_metrics(known)}
    assert set(rows) == {"s1", "s2", "s3", "s5"}, "a share never posted is not in the marketing figures"
    s1, s2, s3 = rows["s1"], rows["s2"], rows["s3"]
    assert (s1["hits"], s1["bot_hits"], s1["human_clicks"], s1["unique_human_clicks"]) == (4, 1, 3, 2)
    assert (s1["reach"], s1["reach_reported"], s1["engagement_rate"], s1["ctr"]) == (2000, True, 0.0075, 0.0015)
    # s2: no impressions reported → 500 × 8 % = 40, estimated; (1 unique click) / 40
    assert (s2["reach"], s2["reach_estimated"], s2["engagement_rate"], s2["leads"]) == (40, True, 0.025, 1)
    # s3: no network size → 300 × 8 % = 24; 2 / 24
    assert (s3["reach"], s3["engagement_rate"], s3["applications"], s3["conversions"]) == (24, 0.0833, 2, 2)
    mine = {r["id"] for r in metrics.share_metrics(known, "a@x.example")}
    assert mine == {"s1", "s4"}, "an employee's own list includes what they prepared"


def test_a_short_share_table_or_sample_reads_only_the_totals_of_its_shares(known, monkeypatch):
    whole = metrics.share_metrics(known, PageFilters())
    assert [r["id"] for r in metrics.share_metrics(known, PageFilters(), limit=2)] == [r["id"] for r in whole[:2]]
    assert metrics.share_metrics(known, PageFilters(), limit=2) == whole[:2], "the same rows, totals included"
    sample, total = metrics.scored_sample(known, PageFilters(), size=2, seed=3)
    assert total == 3 and len(sample) == 2 and {r["id"] for r in sample} < {"s1", "s2", "s3"}
    assert metrics.scored_sample(known, PageFilters(), size=2, seed=3)[0] == sample, "a fixed-seed sample"
    monkeypatch.setattr(metrics, "MAX_LISTED", 1)  # past the cap: the one-query path gives the same rows
    assert metrics.share_metrics(known, PageFilters()) == whole
    if known.url:  # on PostgreSQL the server filters both scans by the listed ids
        base, params = metrics._base(PageFilters(), ids=["s1", "s3"])
        plan = "\n".join(row[1] for row in known.execute("EXPLAIN " + base, params).fetchall())
        for table, column in (("shares", "id"), ("share_totals", "share_id")):
            assert re.search(rf"Table: {table}\W.*?Filters:\W+(optional: )?{column} IN", plan, re.DOTALL), table


def test_breakdowns_by_campaign_team_network_week_with_emv(known):
    by_campaign = {r["campaign"]: r for r in metrics.breakdown(known, "campaign", rates=RATES)}
    green = by_campaign["green-week"]
    assert {k: green[k] for k in ("shares", "sharers", "mean_score", "median_score", "min_score", "low_share", "hits",
                                  "bot_hits", "human_clicks", "unique_human_clicks", "reactions", "comments",
                                  "reshares", "leads", "conversions", "conversion_value", "reach", "reach_reported",
                                  "reach_estimated", "ctr")} == {
        "shares": 2, "sharers": 2, "mean_score": 55.0, "median_score": 55.0, "min_score": 30.0, "low_share": 0.5,
        "hits": 5, "bot_hits": 1, "human_clicks": 4, "unique_human_clicks": 3, "reactions": 10, "comments": 2,
        "reshares": 1, "leads": 1, "conversions": 1, "conversion_value": 100.0, "reach": 2040,
        "reach_reported": 2000, "reach_estimated": 40, "ctr": round(4 / 2040, 4)}
    assert green["emv_estimate"] == round(2040 / 1000 * 30 + 4 * 2, 2)  # 69.2
    hiring = by_campaign["hiring"]
    assert (hiring["shares"], hiring["applications"], hiring["reach"], hiring["emv_estimate"]) == (1, 2, 24, 4.72)
    assert set(by_campaign) == {"green-week", "hiring", "always-on"}
    team = {r["team"]: (r["shares"], r["human_clicks"], r["reach"]) for r in metrics.breakdown(known, "team")}
    assert team == {"Data": (3, 5, 2048), "RH": (1, 1, 40)}
    network = {r["network"]: r["shares"] for r in metrics.breakdown(known, "network")}
    assert network == {"linkedin": 3, "x": 1}
    weeks = {r["week"]: r["shares"] for r in metrics.breakdown(known, "week")}
    assert weeks == {dt.date(2030, 6, 3): 2, dt.date(2030, 6, 10): 2}
    total = metrics.breakdown(known, None, Filters(team="Data"))[0]
    assert (total["shares"], total["unique_human_clicks"]) == (3, 4)
    campaigns = metrics.campaign_metrics(known, brand_followers=12000, rates=RATES)
    assert campaigns[0]["campaign"] == "green-week" and campaigns[0]["brand_baseline"] == 240
    assert campaigns[0]["reach_vs_brand"] == 8.5  # 2040 / (12000 × 2 %)
    assert metrics.breakdown(known, "campaign", Filters(campaign="nothing")) == []


def test_admin_rates_override_the_settings(known, settings):
    assert metrics.rates(known, settings) == {"cpm": settings.cpm, "cpc": settings.cpc, "currency": "EUR"}
    metrics.set_rates(known, cpm=12.5, cpc=0.8, by="nadia")
    assert metrics.rates(known, settings)["cpm"] == 12.5
    with pytest.raises(ValueError):
        metrics.set_rates(known, cpm=-1, cpc=1)


def test_authenticity_vs_engagement_and_spearman(known):
    points = dashboards.score_vs_engagement(known)
    assert sorted((p["id"], p["score"], p["engagement_rate"]) for p in points) == [
        ("s1", 80.0, 0.0075), ("s2", 30.0, 0.025), ("s3", 60.0, 0.0833)]
    stats = dashboards.correlation(points)
    # ranks of score 3, 1, 2 vs engagement 1, 2, 3: d = 2, -1, -1 → ρ = 1 − 6·6 / (3·8) = −0.5
    assert (stats["n"], stats["spearman"]) == (3, -0.5)
    assert -1 <= stats["ci_low"] <= stats["spearman"] <= stats["ci_high"] <= 1
    assert dashboards.correlation(points[:2])["spearman"] is None, "too few points"


def test_near_copies_group_shares_of_one_item_only(known):
    groups = dashboards.near_copies(known)
    assert [[r["id"] for r in g] for g in groups] == [["s2", "s1"]]  # s5 has the same words about another item
    assert all("https://" not in r["text"] for r in groups[0])


def test_applications_per_offer_and_per_referring_employee(known):
    assert dashboards.applications(known) == [
        {"offer_id": "job", "offer": "Job", "shares": 1, "unique_human_clicks": 2, "applications": 2}]
    assert dashboards.applications(known, by="referrer") == [
        {"email": "c@x.example", "name": "C", "team": "Data", "referrers": 1, "shares": 1, "unique_human_clicks": 2,
         "applications": 2}]
    known.execute("UPDATE employees SET consent_leaderboard = FALSE WHERE email = 'c@x.example'")
    assert dashboards.applications(known, by="referrer") == [
        {"email": None, "name": None, "team": None, "referrers": 1, "shares": 1, "unique_human_clicks": 2,
         "applications": 2}], "a referrer who did not agree to be named is counted, not named"
    assert dashboards.applications(known, filters=PageFilters.for_period(dt.date(2030, 6, 1), dt.date(2030, 6, 10))) \
        == [], "s3 (11 June) is outside the period"


@pytest.fixture
def with_empty(known):
    """``known`` plus two posted shares with no words: s6 (a bare tracked link and spaces, by b, 5 June,
    score 10, one human click) and s7 (blanks and a line break, by a, 12 June, score 0)."""
    shares.record_share(known, "s6", "b@x.example", "art", "   https://go.example/CCCCCCCC \u00a0", "linkedin",
                        "green-week", None, 10.0, shared_at=dt.datetime(2030, 6, 5, 9))
    shares.record_share(known, "s7", "a@x.example", "other", " \n\t ", "linkedin", None, None, 0.0,
                        shared_at=dt.datetime(2030, 6, 12, 9))
    known.execute("UPDATE shares SET status = 'posted' WHERE id IN ('s6', 's7')")
    events.append(known, pd.DataFrame([{"share_id": "s6", "kind": "click", "source": "clicklog", "visitor": "v9",
                                        "first_visit": True, "is_bot": False}]))
    return known


def test_empty_shares_count_nowhere_and_the_period_bounds_every_figure(with_empty):
    everything = metrics.breakdown(with_empty, None)[0]
    # metrics alone counts the two empty posts: s1 s2 s3 s5 s6 s7 = 6; scores 80 30 60 10 0 → mean 36
    assert (everything["shares"], everything["mean_score"]) == (6, 36.0)
    page = metrics.breakdown(with_empty, None, PageFilters())[0]
    # the page: s1 s2 s3 s5 = 4 posts by 3 people; mean of 80, 30, 60 (s5 unscored) = 56.7;
    # human clicks s1 3 + s2 1 + s3 2 = 6 (s6's click is left out with s6)
    assert (page["shares"], page["sharers"], page["mean_score"], page["human_clicks"]) == (4, 3, 56.7, 6)
    green = {r["campaign"]: r for r in metrics.breakdown(with_empty, "campaign", PageFilters())}["green-week"]
    assert (green["shares"], green["mean_score"], green["low_share"]) == (2, 55.0, 0.5)  # s6 (score 10) left out
    # 1–7 June: s1 (3rd) and s2 (4th); s6 (5th) is empty → 2 posts, mean (80 + 30) / 2 = 55, clicks 3 + 1
    first = metrics.breakdown(with_empty, None, PageFilters.for_period(dt.date(2030, 6, 1), dt.date(2030, 6, 7)))[0]
    assert (first["shares"], first["mean_score"], first["human_clicks"], first["unique_human_clicks"]) == (2, 55.0, 4, 3)
    # 10–12 June, the last day included: s3 (11th) and s5 (12th, 9:00); s4 was never posted, s7 is empty
    second = metrics.breakdown(with_empty, None, PageFilters.for_period(dt.date(2030, 6, 10), dt.date(2030, 6, 12)))[0]
    assert (second["shares"], second["mean_score"], second["human_clicks"]) == (2, 60.0, 2)
    assert metrics.breakdown(with_empty, None, PageFilters.for_period(dt.date(2030, 6, 13), dt.date(2030, 6, 30))) == []
    weeks = {r["week"]: r["shares"] for r in metrics.breakdown(with_empty, "week", PageFilters())}
    assert weeks == {dt.date(2030, 6, 3): 2, dt.date(2030, 6, 10): 2}
    assert {p["id"] for p in dashboards.score_vs_engagement(with_empty)} == {"s1", "s2", "s3"}
    assert "s6" not in {r["id"] for g in dashboards.near_copies(with_empty) for r in g}


def test_per_person_names_only_who_agreed_and_counts_the_others_together(with_empty):
    rows = dashboards.per_person(with_empty)
    # a (named): s1 only (s4 never posted, s7 empty): 1 post, 3 human clicks (v1 twice, v2), 2 unique, 10 reactions,
    # authenticity 80; c (named): s3 + s5: 2 posts, 2 human clicks, authenticity 60 (s5 unscored);
    # b (not named): s2 only (s6 empty): 1 post, 1 click, authenticity 30 — in the anonymous row
    assert [(r["email"], r["name"], r["team"], r["named"], r["shares"], r["sharers"], r["human_clicks"],
             r["unique_human_clicks"], r["reactions"], r["mean_score"]) for r in rows] == [
        ("c@x.example", "C", "Data", True, 2, 1, 2, 2, 0, 60.0),
        ("a@x.example", "A", "Data", True, 1, 1, 3, 2, 10, 80.0),
        (None, None, None, False, 1, 1, 1, 1, 0, 30.0)]
    june_first_week = dashboards.per_person(with_empty, PageFilters.for_period(dt.date(2030, 6, 1), dt.date(2030, 6, 7)))
    assert [(r["name"], r["shares"]) for r in june_first_week] == [("A", 1), (None, 1)]
    assert "b@x.example" not in dashboards.to_csv(rows), "the export does not name them either"


def test_goals_count_neither_empty_nor_unposted_shares(with_empty):
    goals.add_goal(with_empty, "green-week", "shares", 5, due=dt.date(2030, 6, 7))
    goals.add_goal(with_empty, "hiring", "personal_shares", 1, due=dt.date(2030, 6, 30))
    green, hiring = goals.progress(with_empty, dt.date(2030, 6, 6))
    # green-week up to 7 June: s1, s2 (s6 is empty) → 2 of 5, one day left
    assert green["progress"] == {"value": 2, "target": 5, "ratio": 0.4, "days_left": 1, "status": "open"}
    # hiring: s3 (score 60 ≥ 60) counts, s4 (90) was never posted → 1 of 1
    assert hiring["progress"]["value"] == 1 and hiring["progress"]["status"] == "reached"


def test_the_default_period_and_weekly_series_have_one_row_per_week():
    start, end = dashboards.default_period(dt.date(2030, 6, 28))  # a Friday
    assert (start, end) == (dt.date(2030, 4, 5), dt.date(2030, 6, 28))
    series = dashboards.weekly([{"week": dt.date(2030, 6, 10), "shares": 3}], start, end)
    assert [r["week"].weekday() for r in series] == [0] * 13, "Mondays from 1 April to 24 June"
    assert (series[0]["week"], series[-1]["week"]) == (dt.date(2030, 4, 1), dt.date(2030, 6, 24))
    assert [r["shares"] for r in series if r["shares"]] == [3]


def test_every_table_exports_as_csv(known):
    rows = metrics.breakdown(known, "team", rates=RATES)
    parsed = list(csv.DictReader(io.StringIO(dashboards.to_csv(rows))))
    assert [r["team"] for r in parsed] == ["Data", "RH"] and parsed[0]["emv_estimate"] == str(rows[0]["emv_estimate"])
    assert dashboards.to_csv([]) == ""
    assert dashboards.to_csv([{"name": "=HYPERLINK(\"http://x\")"}]).splitlines()[1].startswith("\"'="), \
        "a formula is exported as text"


def test_the_page_names_only_sharers_who_agreed_on_every_per_share_row_and_csv(known):
    # b (s2) did not agree to be named; a (s1) did. Both published their post at an address of their own.
    known.execute("UPDATE shares SET post_url = 'https://www.linkedin.com/feed/update/' || id WHERE id IN ('s1', 's2')")
    page = {r["id"]: r for r in metrics.share_metrics(known, PageFilters())}
    s1, s2 = page["s1"], page["s2"]
    assert (s1["email"], s1["name"], s1["named"], s1["post_url"]) == ("a@x.example", "A", True,
                                                                     "https://www.linkedin.com/feed/update/s1")
    assert (s2["email"], s2["name"], s2["named"], s2["post_url"]) == (None, None, False, None)
    assert (s2["team"], s2["hits"], s2["score"]) == ("RH", 1, 30.0), "counted like any share, just not named"
    assert "b@x.example" not in dashboards.to_csv(list(page.values()))
    assert {r["id"]: r["name"] for r in dashboards.score_vs_engagement(known)} == {"s1": "A", "s2": None, "s3": "C"}
    (group,) = dashboards.near_copies(known)
    assert [(r["id"], r["name"], r["email"], r["named"]) for r in group] == [
        ("s2", None, None, False), ("s1", "A", "a@x.example", True)]
    # outside the marketing page, the same rows still name their author: b's own history, the command line
    assert {r["id"]: r["name"] for r in metrics.share_metrics(known, "b@x.example")} == {"s2": "B"}
    assert {r["id"]: r["email"] for r in metrics.share_metrics(known)}["s2"] == "b@x.example"
