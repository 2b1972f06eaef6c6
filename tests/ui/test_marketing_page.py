"""AppTest tests of the marketing page on the demo (fake models, temporary home): the period filter, figures
per person, names only with consent on every table, tooltip and CSV, readable column names, weekly ticks,
empty shares left out."""

import csv
import datetime as dt
import io
import json
import re

import pyarrow as pa
import pytest

from assistant.access.accounts import create_account
from assistant.reporting import dashboards, goals, metrics
from tests.conftest import ROOT
from tests.ui.conftest import _inline_labels, app, msg, plain, texts

LEA = "lea.fontaine@nordlys-energie.example"
PAGE = "assistant/ui/marketing.py"


def open_tab(at, name: str):
    at.session_state["mkt_tabs"] = msg(f"mkt.tabs.{name}")
    return at.run()


def frame_with(at, column: str):
    return next(d.value for d in at.dataframe if column in d.value.columns)


def labels_of(at, column: str) -> dict[str, str]:
    """The column names a reader sees on the first table that has ``column`` (machine name → label)."""
    table = next(d for d in at.dataframe if column in d.value.columns)
    config = json.loads(table.proto.columns)
    return {c: config[c]["label"] for c in table.value.columns}


def charts(at) -> list:
    return list(at.get("vega_lite_chart")) + list(at.get("arrow_vega_lite_chart"))


def kpi(at, key: str) -> str:
    return next(m.value for m in at.metric if m.label == msg(key))


def page_filters(demo, **others) -> dashboards.PageFilters:
    """The page's default filters: the last 12 weeks up to today (the app's clock is the real one)."""
    return dashboards.PageFilters.for_period(*dashboards.default_period(dt.date.today()), **others)


def test_engagement_tab_shows_hits_human_and_unique_clicks_with_their_rules(demo):
    at = open_tab(app(LEA, PAGE), "engagement")
    assert not at.exception
    table = frame_with(at, "unique_human_clicks")
    expected = {r["campaign"]: r for r in metrics.breakdown(demo, "campaign", page_filters(demo))}
    assert {row["campaign"]: (row["hits"], row["human_clicks"], row["unique_human_clicks"])
            for row in table.to_dict("records")} == \
        {c: (r["hits"], r["human_clicks"], r["unique_human_clicks"]) for c, r in expected.items()}
    assert all(r["hits"] > r["human_clicks"] >= r["unique_human_clicks"] > 0 for r in expected.values()), \
        "the demo has bots and returning visitors"
    assert msg("mkt.counting.unique_human_clicks") in texts(at)
    assert msg("mkt.service_none") in texts(at), "the click service's counter says what it counts"
    at.radio(key="mkt_group_by").set_value("team").run()
    assert "team" in frame_with(at, "unique_human_clicks").columns
    assert any(b.label == msg("mkt.export") for b in at.get("download_button"))


def test_every_table_shows_catalogue_column_names_never_machine_names(demo):
    at = app(LEA, PAGE)
    seen = 0
    for name in ("distribution", "trend", "reach", "engagement", "applications", "people", "goals", "shares"):
        open_tab(at, name)
        assert not at.exception, name
        for table in at.dataframe:
            config = json.loads(table.proto.columns)
            shown = [config[c]["label"] for c in table.value.columns]
            assert all(label == msg(f"mkt.col.{c}") for c, label in zip(table.value.columns, shown)), (name, shown)
            assert not [s for s in shown if re.search(r"[a-z]_[a-z]", s)], (name, shown)
            seen += 1
    assert seen >= 9
    open_tab(at, "reach")
    assert labels_of(at, "reach_vs_brand")["reach_vs_brand"] == "Portée / page de marque"


def test_the_period_filter_bounds_every_figure_and_defaults_to_twelve_weeks(demo):
    today = dt.date.today()
    at = app(LEA, PAGE)
    assert not at.exception
    assert tuple(at.date_input(key="mkt_period").value) == (today - dt.timedelta(weeks=12), today)
    posted = demo.value("SELECT count(*) FROM shares WHERE status = 'posted' AND shared_at >= ?",
                        [today - dt.timedelta(weeks=12)])
    assert kpi(at, "mkt.shares") == str(posted)
    last_week = demo.value("SELECT count(*) FROM shares WHERE status = 'posted' AND shared_at >= ? AND shared_at < ?",
                           [today - dt.timedelta(days=7), today + dt.timedelta(days=1)])
    assert 0 < last_week < posted, "the demo has shares on both sides of a week ago"
    at.date_input(key="mkt_period").set_value((today - dt.timedelta(days=7), today)).run()
    assert kpi(at, "mkt.shares") == str(last_week)
    open_tab(at, "people")
    assert frame_with(at, "shares")["shares"].sum() == last_week, "the per-person table follows the period"
    open_tab(at, "engagement")
    assert frame_with(at, "hits")["shares"].sum() == last_week
    long_ago = today - dt.timedelta(days=400)
    at.date_input(key="mkt_period").set_value((long_ago, long_ago + dt.timedelta(days=30))).run()
    assert not at.exception and at.warning[0].value == msg("mkt.no_match")


def test_empty_shares_are_left_out_of_counts_and_means(demo):
    at = app(LEA, PAGE)
    before = (kpi(at, "mkt.shares"), kpi(at, "mkt.mean_score"))
    item = demo.value("SELECT id FROM content ORDER BY id LIMIT 1")
    demo.execute("INSERT INTO shares (id, email, content_id, text, network, score, status, shared_at) "
                 "VALUES ('s-empty', ?, ?, '  https://go.example/ABCDEFGH  ', 'linkedin', 0, 'posted', ?)",
                 [LEA, item, dt.datetime.now() - dt.timedelta(days=1)])
    at.run()
    assert (kpi(at, "mkt.shares"), kpi(at, "mkt.mean_score")) == before, "a post with no words counts nowhere"


def test_per_person_names_only_people_who_agreed_to_appear(demo):
    at = open_tab(app(LEA, PAGE), "people")
    assert not at.exception
    table = frame_with(at, "human_clicks")
    assert list(labels_of(at, "human_clicks").values()) == [msg(f"mkt.col.{c}") for c in (
        "name", "team", "shares", "human_clicks", "unique_human_clicks", "reactions", "mean_score")]
    named = {r[0] for r in demo.execute("SELECT name FROM employees WHERE consent_leaderboard").fetchall()}
    hidden = {r[0] for r in demo.execute(
        "SELECT DISTINCT p.name FROM shares s JOIN employees p USING (email) "
        "WHERE s.status = 'posted' AND NOT p.consent_leaderboard").fetchall()}
    assert hidden, "the demo has sharers who did not agree to appear"
    others = [n for n in table["name"] if n not in named]
    assert len(others) == 1 and others[0] == msg("mkt.others", n=len(hidden))
    shown = " ".join(str(v) for v in table.to_numpy().ravel()) + texts(at)
    assert not [n for n in hidden if n in shown], "never named"
    rows = {r["email"]: r for r in dashboards.per_person(demo, page_filters(demo))}
    assert table["shares"].sum() == sum(r["shares"] for r in rows.values())
    assert table["mean_score"].notna().all()


@pytest.fixture
def downloads(monkeypatch) -> dict[str, bytes]:
    """The bytes every download button of the runs delivers, by the button's URL (kept as AppTest's
    in-memory media store receives them: it is dropped after each run)."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage

    delivered, original = {}, MemoryMediaFileStorage.load_and_get_id

    def keep(self, path_or_data, mimetype, kind, filename=None):
        file_id = original(self, path_or_data, mimetype, kind, filename)
        delivered[self.get_url(file_id)] = self.get_file(file_id).content
        return file_id

    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", keep)
    return delivered


def everything_shown(at, downloads) -> str:
    """Every table cell, text, chart row and CSV byte the open tab gives its reader."""
    cells = [str(v) for d in at.dataframe for v in d.value.to_numpy().ravel()]
    rows = [str(v) for chart in charts(at) for data in chart.proto.datasets
            for column in pa.ipc.open_stream(data.data.data).read_all().to_pylist() for v in column.values()]
    files = [downloads[b.proto.url].decode() for b in at.get("download_button")]
    return " ".join(cells + rows + files) + texts(at)


def test_the_marketing_page_names_only_sharers_who_agreed_on_screen_and_in_every_csv(demo, downloads):
    hidden = demo.rows("SELECT DISTINCT p.email, p.name FROM shares s JOIN employees p USING (email) "
                       "WHERE s.status = 'posted' AND NOT p.consent_leaderboard")
    named = {r[0] for r in demo.execute("SELECT name FROM employees WHERE consent_leaderboard").fetchall()}
    assert hidden and named, "the demo has sharers on both sides"
    demo.execute("UPDATE shares SET post_url = 'https://www.linkedin.com/feed/update/' || id WHERE status = 'posted'")
    unnamed = msg("mkt.unnamed")
    at = app(LEA, PAGE)
    for tab in ("distribution", "near_copies", "scatter", "applications", "people", "goals", "shares"):
        downloads.clear()
        open_tab(at, tab)
        assert not at.exception, tab
        shown = everything_shown(at, downloads)
        leaked = [v for r in hidden for v in (r["email"], r["name"]) if v in shown]
        assert not leaked, (tab, leaked)
    table = frame_with(at, "post_url")  # the shares tab, open last
    assert set(table["name"]) - named == {unnamed}, "a named person, or the anonymous label: never an email"
    assert named & set(table["name"])
    assert table.loc[table["name"] == unnamed, "post_url"].isna().all(), "their post's address would name them"
    assert table.loc[table["name"] != unnamed, "post_url"].notna().all()
    exported = list(csv.DictReader(io.StringIO(
        downloads[next(b for b in at.get("download_button") if b.proto.id.endswith("mkt_csv")).proto.url].decode())))
    assert len(exported) == len(table) and {r["name"] for r in exported} - named == {unnamed}
    assert not [r for r in exported if r["name"] == unnamed and r["post_url"]]
    open_tab(at, "near_copies")
    authors = {plain(c.value).split(" · ")[0] for c in at.caption if " · " in c.value}
    assert unnamed in authors and authors & named, "the demo's near copies are by people on both sides"


def test_the_weekly_chart_has_one_tick_per_week(demo):
    at = open_tab(app(LEA, PAGE), "trend")
    assert not at.exception
    (chart,) = charts(at)
    spec = json.loads(chart.proto.spec)
    x = next(layer["encoding"]["x"] for layer in spec["layer"])
    assert x["field"] == "week" and x["type"] == "ordinal", "one band (and tick) per week, not a time axis in days"
    (data,) = chart.proto.datasets  # the chart's rows, sent apart from the spec as Arrow
    shown = pa.ipc.open_stream(data.data.data).read_all().column("week").to_pylist()
    weeks = [w["week"].isoformat() for w in dashboards.weekly([], *dashboards.default_period(dt.date.today()))]
    assert shown == weeks and len(weeks) == 13, "every Monday of the 12 weeks, empty weeks included"
    assert all(dt.date.fromisoformat(w).weekday() == 0 for w in shown)


def test_authenticity_vs_engagement_tab_has_the_fitted_scatter_and_spearman(demo):
    at = open_tab(app(LEA, PAGE), "scatter")
    assert not at.exception and len(charts(at)) == 1
    line = next(m.value for m in at.markdown if "Spearman" in m.value)
    assert f"n = {demo.value('SELECT count(*) FROM shares WHERE score IS NOT NULL')}" in line


def test_applications_tab_lists_job_offers_and_referrers_named_with_consent(demo):
    at = open_tab(app(LEA, PAGE), "applications")
    assert not at.exception
    offers = frame_with(at, "offer")
    assert set(offers["offer_id"]) == {r[0] for r in demo.execute(
        "SELECT DISTINCT content_id FROM shares s JOIN content c ON c.id = s.content_id WHERE c.kind = 'job_offer'"
    ).fetchall()}
    referrers = next(d.value for d in at.dataframe if "name" in d.value.columns)
    assert referrers["applications"].sum() == offers["applications"].sum() >= 1
    named = {r[0] for r in demo.execute("SELECT name FROM employees WHERE consent_leaderboard").fetchall()}
    assert all(n in named or n.startswith(msg("mkt.others", n=0).split("(")[0]) for n in referrers["name"])


def test_goals_progress_for_everyone_and_the_form_for_admins(demo):
    at = open_tab(app(LEA, PAGE), "goals")
    assert not at.exception
    assert [p.proto.text for p in at.get("progress")][0].startswith("**green\\-week** — ")
    assert msg("goals.status.open") in at.get("progress")[0].proto.text
    assert not [f for f in at.get("form") if f.form_id == "goal_form"], "the goal form is for admins"
    create_account(demo, "admin.marketing@nordlys-energie.example", "long password", ["marketing", "admin"],
                   email="admin.marketing@nordlys-energie.example")
    at = open_tab(app("admin.marketing@nordlys-energie.example", PAGE), "goals")
    at.selectbox(key="goal_campaign").set_value("hiring-2026")
    at.selectbox(key="goal_metric").set_value("sharers")
    at.number_input(key="goal_target").set_value(4)
    next(b for b in at.button if b.label == msg("goals.add")).click().run()
    assert not at.exception
    added = [g for g in goals.progress(demo, at.session_state["goal_due"]) if g["campaign"] == "hiring-2026"]
    assert added and added[0]["metric"] == "sharers" and added[0]["target"] == 4
    assert added[0]["created_by"] == "admin.marketing@nordlys-energie.example"


@pytest.mark.parametrize("path", ["assistant/ui/marketing.py", "assistant/ui/goals_panel.py"])
def test_no_label_is_written_inline(path):
    assert _inline_labels(ROOT / path) == []
    assert " · " not in (ROOT / path).read_text().split('"""', 2)[2], "no bilingual « français · English » string left"


def test_the_running_app_folds_new_clicks_into_the_dashboards(demo, app_env):
    import time

    from assistant.config import load_settings
    from assistant.links.clicklog import open_log
    from tests.click_server import wait_until

    share_id, code = demo.execute("SELECT id, short_code FROM shares WHERE short_code IS NOT NULL LIMIT 1").fetchone()
    before = demo.value("SELECT hits FROM share_totals WHERE share_id = ?", [share_id])
    now = time.time()
    open_log(load_settings().clicklog_path).append_hits([
        ("app-sync-1", code, share_id, now, dt.date.today().isoformat(), "GET", None, "v-new", "desktop", 0, None)])
    assert not app(LEA, PAGE).exception
    assert wait_until(lambda: demo.value("SELECT hits FROM share_totals WHERE share_id = ?", [share_id]) == before + 1,
                      timeout=30), "the app's background sync folded the new hit"
