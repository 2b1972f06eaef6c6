"""Shares, tracked links, events, metrics, points and the opt-in leaderboard."""

import datetime as dt
from urllib.parse import parse_qs, urlsplit

import pytest

from assistant import engagement

CAMILLE = "camille.durand@nordlys-energie.example"


def test_tracked_url_adds_utm_and_keeps_existing_parameters():
    url = engagement.tracked_url("https://n.example/a?ref=nl&utm_source=old#top", "linkedin", "green-week", "s-1")
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    assert query == {"ref": ["nl"], "utm_source": ["linkedin"], "utm_medium": ["employee-advocacy"],
                     "utm_campaign": ["green-week"], "utm_content": ["s-1"]}
    assert parts.fragment == "top" and parts.path == "/a"
    assert "utm_campaign=always-on" in engagement.tracked_url("https://n.example/b", "x", None, "s-2")
    assert engagement.tracked_url(None, "x", None, "s-3") is None
    with pytest.raises(ValueError):
        engagement.tracked_url("https://n.example", "myspace", None, "s")


def test_share_links_encode_text_and_url():
    links = engagement.share_links("Fière & ravie #Data", "https://n.example/a?x=1&utm_content=s-1")
    assert links["linkedin"].startswith("https://www.linkedin.com/sharing/share-offsite/?url=https%3A%2F%2F")
    assert links["x"].startswith("https://twitter.com/intent/tweet?text=Fi%C3%A8re%20%26%20ravie%20%23Data&url=")
    assert "utm_content%3Ds-1" in links["x"]


def test_final_text_swaps_the_plain_link_for_the_tracked_one():
    link = "https://n.example/a?utm_content=s-1"
    assert engagement.final_text("Lire https://n.example/a. Merci", link, "https://n.example/a") == \
        f"Lire {link}. Merci"
    assert engagement.final_text("Sans lien", link, "https://n.example/a") == f"Sans lien\n\n{link}"
    assert engagement.final_text(f"Déjà {link}", link) == f"Déjà {link}"
    assert engagement.final_text("Texte", None) == "Texte"


def _item(store, campaign=True):
    return store.rows("SELECT id, url, campaign FROM content WHERE url IS NOT NULL AND campaign IS "
                      + ("NOT NULL" if campaign else "NULL") + " ORDER BY id LIMIT 1")[0]


def test_share_records_final_text_link_and_score(demo_store):
    item = _item(demo_store)
    text = "J'ai suivi ce projet de près, je travaille chez Nordlys : fière du résultat. Et vous ?"
    result = engagement.share(demo_store, CAMILLE, item["id"], text, "linkedin", share_id="s-test")
    row = demo_store.rows("SELECT * FROM shares WHERE id = ?", ["s-test"])[0]
    assert row["email"] == CAMILLE and row["network"] == "linkedin" and row["campaign"] == item["campaign"]
    assert row["text"] == result["text"] and row["text"].startswith(text) and row["tracked_url"] in row["text"]
    assert "utm_content=s-test" in row["tracked_url"] and 0 <= row["score"] <= 100
    # pressing Share twice records one share
    engagement.share(demo_store, CAMILLE, item["id"], text, "linkedin", share_id="s-test")
    assert demo_store.value("SELECT count(*) FROM shares WHERE email = ?", [CAMILLE]) == 1


def test_blocking_policy_violation_refuses_the_share(demo_store):
    item = _item(demo_store)
    with pytest.raises(engagement.ShareBlocked, match="Aurore"):
        engagement.share(demo_store, CAMILLE, item["id"], "Je travaille chez Nordlys sur le Projet Aurore !", "x")
    assert demo_store.value("SELECT count(*) FROM shares") == 0


def test_events_metrics_points_and_opt_in_leaderboard(demo_store):
    item = _item(demo_store, campaign=False)
    opted_in = demo_store.value("SELECT email FROM employees WHERE consent_leaderboard ORDER BY email LIMIT 1")
    opted_out = demo_store.value("SELECT email FROM employees WHERE NOT consent_leaderboard ORDER BY email LIMIT 1")
    engagement.record_share(demo_store, "s-a", opted_in, item["id"], "text a", "linkedin", None, None, 80.0)
    engagement.record_share(demo_store, "s-b", opted_out, item["id"], "text b", "x", None, None, 20.0)
    engagement.record_event(demo_store, "s-a", "click", 3)
    engagement.record_event(demo_store, "s-a", "lead")
    engagement.record_event(demo_store, "s-b", "reaction", 50)
    with pytest.raises(ValueError):
        engagement.record_event(demo_store, "s-a", "like")
    with pytest.raises(LookupError):
        engagement.record_event(demo_store, "s-missing", "click")
    metrics = {m["id"]: m for m in engagement.share_metrics(demo_store)}
    assert metrics["s-a"]["clicks"] == 3 and metrics["s-a"]["leads"] == 1 and metrics["s-a"]["reach"] > 0
    campaign = engagement.campaign_metrics(demo_store)[0]
    assert campaign["campaign"] == "always-on" and campaign["shares"] == 2 and campaign["brand_baseline"] > 0
    assert campaign["reach_vs_brand"] == round(campaign["reach"] / campaign["brand_baseline"], 2)
    points = engagement.points(demo_store)
    assert points[opted_in] == 10 + 8 + 3 * 1 + 10 and points[opted_out] == 10 + 2 + 50
    board = engagement.leaderboard(demo_store)
    assert [r["email"] for r in board] == [opted_in], "people who did not opt in never appear"
    assert engagement.ambassador_of_the_month(demo_store)["email"] == opted_in
    next_year = dt.date.today() + dt.timedelta(days=400)
    assert engagement.ambassador_of_the_month(demo_store, next_year) is None
