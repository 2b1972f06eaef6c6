"""Campaign goals in the app (AppTest, demo home): an admin sets one on the admin page, every employee
sees the open ones' progress at the top of My feed."""

import datetime as dt

from assistant.reporting import goals
from tests.ui.conftest import app, msg

CAMILLE = "camille.durand@nordlys-energie.example"
NADIA = "nadia.benali@nordlys-energie.example"


def bars(at) -> list[str]:
    return [p.proto.text for p in at.get("progress")]


def test_my_feed_shows_the_open_goals_progress_near_the_top(demo):
    (goal,) = goals.progress(demo, dt.date.today())  # the demo's: 10 personal posts of green-week by Friday
    p = goal["progress"]
    at = app(CAMILLE)
    assert not at.exception and at.title[0].value == msg("feed.title")
    expected = msg("goals.line", campaign="green\\-week", value=p["value"], target=p["target"],
                   label=msg("goals.metrics.personal_shares"), due=msg("goals.due", due=goal["due"].isoformat()),
                   status=msg("goals.status.open"))
    assert bars(at) == [expected]
    assert at.get("progress")[0].proto.value == round(100 * p["ratio"])
    assert any(c.value.endswith(msg("goals.title")) for c in at.caption), "a small heading, no big section"
    assert not [b for b in at.button if b.key and b.key.startswith("goal_remove_")], "employees cannot remove goals"


def test_reached_or_missed_goals_and_no_goals_leave_my_feed_alone(demo):
    demo.execute("DELETE FROM campaign_goals")
    goals.add_goal(demo, "green-week", "shares", 1, due=dt.date.today() + dt.timedelta(days=3))  # reached already
    goals.add_goal(demo, "hiring-2026", "shares", 500, due=dt.date.today() - dt.timedelta(days=1))  # missed
    at = app(CAMILLE)
    assert not at.exception and bars(at) == []
    assert not [c for c in at.caption if msg("goals.title") in c.value or c.value == msg("goals.none")]


def test_an_admin_creates_a_goal_on_the_admin_page_and_employees_see_it(demo):
    at = app(NADIA, "assistant/ui/admin.py")
    at.session_state["adm_tabs"] = msg("admin.tab_goals")
    at.run()
    assert not at.exception
    assert len(bars(at)) == 1, "the demo's goal, with its remove button"
    assert at.selectbox(key="goal_campaign").value is None, "no campaign picked for the admin"
    next(b for b in at.button if b.label == msg("goals.add")).click().run()
    assert msg("goals.no_campaign") in [e.value for e in at.error]
    assert "hiring-2026" in at.selectbox(key="goal_campaign").options
    at.selectbox(key="goal_campaign").set_value("hiring-2026")
    at.selectbox(key="goal_metric").set_value("sharers")
    at.number_input(key="goal_target").set_value(30)
    due = dt.date.today() + dt.timedelta(days=10)
    at.date_input(key="goal_due").set_value(due)
    next(b for b in at.button if b.label == msg("goals.add")).click().run()
    assert not at.exception
    added = [g for g in goals.progress(demo, dt.date.today()) if g["campaign"] == "hiring-2026"]
    assert [(g["metric"], g["target"], g["due"], g["created_by"]) for g in added] == [("sharers", 30, due, NADIA)]
    assert msg("goals.added", target=30, label=msg("goals.metrics.sharers"), campaign="hiring\\-2026") in \
        [s.value for s in at.success]
    assert len(bars(at)) == 2

    feed = app(CAMILLE)
    assert any(b.startswith("**hiring\\-2026** — ") and f"/30 {msg('goals.metrics.sharers')}" in b for b in bars(feed))

    at.button(key=f"goal_remove_{added[0]['id']}").click().run()
    assert [g["campaign"] for g in goals.progress(demo, dt.date.today())] == ["green-week"]
