"""Dashboards on a small known set: every expected value below is worked out by hand in the comments."""

import csv
import datetime as dt
import io

import pandas as pd
import pytest

from assistant import dashboards, events, metrics, shares
from assistant.metrics import Filters

RATES = {"cpm": 30.0, "cpc": 2.0, "currency": "EUR"}
COPY = "Fière de la green week chez Nordlys : 212 ordinateurs réparés au lieu d'être remplacés, bravo à toute l'équipe !"


@pytest.fixture
def known(store):
    for email, team, size in (("a@x.example", "Data", 1000), ("b@x.example", "RH", 500), ("c@x.example", "Data", None)):
        store.execute("INSERT INTO employees (email, name, team, languages, skills, network_size, record_hash) "
                      "VALUES (?, ?, ?, ['fr'], [], ?, 'h')", [email, email[0].upper(), team, size])
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
        {"email": "c@x.example", "name": "C", "team": "Data", "shares": 1, "unique_human_clicks": 2,
         "applications": 2}]


def test_every_table_exports_as_csv(known):
    rows = metrics.breakdown(known, "team", rates=RATES)
    parsed = list(csv.DictReader(io.StringIO(dashboards.to_csv(rows))))
    assert [r["team"] for r in parsed] == ["Data", "RH"] and parsed[0]["emv_estimate"] == str(rows[0]["emv_estimate"])
    assert dashboards.to_csv([]) == ""
