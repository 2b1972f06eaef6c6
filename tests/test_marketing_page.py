"""AppTest tests of the marketing page's engagement tabs on the demo (fake models, temporary home)."""

from assistant import goals, metrics
from assistant.accounts import create_account
from tests.test_app import app, app_env, demo, demo_template, fast_bcrypt, texts  # noqa: F401  (fixtures)

LEA = "lea.fontaine@nordlys-energie.example"
PAGE = "assistant/ui/marketing.py"


def open_tab(at, label: str):
    at.session_state["mkt_tabs"] = label
    return at.run()


def frame_with(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def charts(at) -> int:
    return len(at.get("vega_lite_chart")) + len(at.get("arrow_vega_lite_chart"))


def test_engagement_tab_shows_hits_human_and_unique_clicks_with_their_rules(demo):
    at = open_tab(app(LEA, PAGE), "Engagement")
    assert not at.exception
    table = frame_with(at, "unique_human_clicks")
    expected = {r["campaign"]: r for r in metrics.breakdown(demo, "campaign")}
    assert {row["campaign"]: (row["hits"], row["human_clicks"], row["unique_human_clicks"])
            for row in table.to_dict("records")} == \
        {c: (r["hits"], r["human_clicks"], r["unique_human_clicks"]) for c, r in expected.items()}
    assert all(r["hits"] > r["human_clicks"] >= r["unique_human_clicks"] > 0 for r in expected.values()), \
        "the demo has bots and returning visitors"
    assert "Click service" in texts(at) and "distinct (share, visitor, day)" in texts(at)
    at.radio(key="mkt_group_by").set_value("team").run()
    assert "team" in frame_with(at, "unique_human_clicks").columns
    assert any(b.label == "⬇️ CSV" for b in at.get("download_button"))


def test_authenticity_vs_engagement_tab_has_the_fitted_scatter_and_spearman(demo):
    at = open_tab(app(LEA, PAGE), "Authenticité vs engagement · Authenticity vs engagement")
    assert not at.exception and charts(at) == 1
    line = next(m.value for m in at.markdown if "Spearman" in m.value)
    assert f"n = {demo.value('SELECT count(*) FROM shares WHERE score IS NOT NULL')}" in line


def test_applications_tab_lists_job_offers_and_referrers(demo):
    at = open_tab(app(LEA, PAGE), "Candidatures · Applications")
    assert not at.exception
    offers = frame_with(at, "offer")
    assert set(offers["offer_id"]) == {r[0] for r in demo.execute(
        "SELECT DISTINCT content_id FROM shares s JOIN content c ON c.id = s.content_id WHERE c.kind = 'job_offer'"
    ).fetchall()}
    assert frame_with(at, "email")["applications"].sum() == offers["applications"].sum() >= 1


def test_goals_progress_for_everyone_and_the_form_for_admins(demo):
    at = open_tab(app(LEA, PAGE), "Objectifs · Goals")
    assert not at.exception
    assert [p.proto.text for p in at.get("progress")][0].startswith("**green-week** — ")
    assert not [f for f in at.get("form") if f.form_id == "goal_form"], "the goal form is for admins"
    create_account(demo, "admin.marketing@nordlys-energie.example", "long password", ["marketing", "admin"],
                   email="admin.marketing@nordlys-energie.example")
    at = open_tab(app("admin.marketing@nordlys-energie.example", PAGE), "Objectifs · Goals")
    at.selectbox(key="goal_campaign").set_value("hiring-2026")
    at.selectbox(key="goal_metric").set_value("sharers")
    at.number_input(key="goal_target").set_value(4)
    next(b for b in at.button if b.label == "Ajouter · Add").click().run()
    assert not at.exception
    added = [g for g in goals.progress(demo, at.session_state["goal_due"]) if g["campaign"] == "hiring-2026"]
    assert added and added[0]["metric"] == "sharers" and added[0]["target"] == 4
    assert added[0]["created_by"] == "admin.marketing@nordlys-energie.example"



def test_the_running_app_folds_new_clicks_into_the_dashboards(demo, app_env):
    import datetime as dt
    import time

    from assistant.clicklog import open_log
    from assistant.config import load_settings
    from tests.click_server import wait_until

    share_id, code = demo.execute("SELECT id, short_code FROM shares WHERE short_code IS NOT NULL LIMIT 1").fetchone()
    before = demo.value("SELECT hits FROM share_totals WHERE share_id = ?", [share_id])
    now = time.time()
    open_log(load_settings().clicklog_path).append_hits([
        ("app-sync-1", code, share_id, now, dt.date.today().isoformat(), "GET", None, "v-new", "desktop", 0, None)])
    assert not app(LEA, PAGE).exception
    assert wait_until(lambda: demo.value("SELECT hits FROM share_totals WHERE share_id = ?", [share_id]) == before + 1,
                      timeout=30), "the app's background sync folded the new hit"
