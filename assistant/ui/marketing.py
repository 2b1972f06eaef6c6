"""Authenticity and engagement (marketing): score distributions, near copies, trend, reach, engagement
breakdowns, authenticity vs engagement, job applications, figures per person, goals and leaderboard,
analytics import, shares.

Every figure comes from ``assistant.reporting.metrics`` / ``dashboards`` / ``points`` / ``goals`` (SQL over the
per-share totals, values as parameters) through one ``dashboards.PageFilters``: the period picked at the
top (the last 12 weeks up to today by default, from the context's clock), campaign, team, network and
score; shares never posted and empty ones count nowhere. Only the open tab is computed. Tables show the
catalogue's column names (``mkt.col.*``); their CSV keeps the stable machine names. Only people who
agreed to appear on the leaderboard are named, on every table, chart tooltip and CSV: the queries leave
the others' email, name and post address out (``PageFilters.named_only``, per person one anonymous row),
and :func:`_unnamed` writes the catalogue's anonymous label in their place, for the screen and the CSV.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from assistant.links.clicklog import open_log
from assistant.reporting import dashboards, engagement_import, metrics, points, sync
from assistant.ui import auth, goals_panel, resources
from assistant.ui.i18n import current, labels, t
from assistant.ui.safe import md
from assistant.words.catalogue import number as written

TABLE_ROWS = 2000   # shares shown in the table (all of them go into its CSV)
CHART_ROWS = 5000   # shares drawn in the distribution charts (a random sample beyond)
TABS = ("distribution", "near_copies", "trend", "reach", "engagement", "scatter", "applications", "people", "goals",
        "import", "shares")
REPLICA_SILENT_S = 120  # a running replica's forwarder reports about every second: two minutes of silence is a stop
COUNTING = ("hits", "human_clicks", "unique_human_clicks", "reach", "emv")
PERCENT = ("low_share", "ctr", "engagement_rate")


def page() -> None:
    account = auth.require("marketing")
    ctx = resources.context()
    store = ctx.store
    st.title(t("mkt.title"))
    options = metrics.filter_options(store)
    if not options["campaign"]:
        st.info(t("mkt.no_shares"))
        return
    filters, period = _filters(options, ctx.today())
    st.caption(t("mkt.posted_only", start=period[0].isoformat(), end=period[1].isoformat()))
    rates = metrics.rates(store, ctx.settings)
    totals = metrics.breakdown(store, None, filters, rates=rates)
    if not totals:
        st.warning(t("mkt.no_match"))
        return
    _headline(totals[0], rates)

    tabs = st.tabs([t(f"mkt.tabs.{name}") for name in TABS], key="mkt_tabs", on_change="rerun")
    views = {"distribution": lambda: _distributions(store, filters, rates, ctx),
             "near_copies": lambda: _near_copies(store, filters), "trend": lambda: _trend(store, filters, rates, period),
             "reach": lambda: _reach(store, filters, rates, ctx), "engagement": lambda: _engagement(store, filters, rates, ctx),
             "scatter": lambda: _scatter(store, filters), "applications": lambda: _applications(store, filters),
             "people": lambda: _people(store, filters), "goals": lambda: _goals(store, account, ctx, options, period),
             "import": lambda: _import(ctx), "shares": lambda: _shares(store, filters)}
    for tab, name in zip(tabs, TABS):
        if tab.open:  # only the open tab is computed
            with tab:
                views[name]()


def _headline(total: dict, rates: dict) -> None:
    """The period's figures in two rows of four (seven in one row were cut off: "≈ 324 …"), short labels, and
    what each one counts in its help."""
    def number(value) -> str:
        return written(value, current(), decimals=0) if value is not None else "—"

    first, second = st.columns(4), st.columns(4)
    first[0].metric(t("mkt.shares"), number(total["shares"]), help=t("mkt.help.shares"))
    first[1].metric(t("mkt.mean_score"), number(total["mean_score"]), help=t("mkt.help.mean_score"))
    first[2].metric(t("mkt.low"), t("numbers.percent", value=round(100 * total["low_share"]))
                    if total["low_share"] is not None else "—",
                    help=t("mkt.help.low"))
    first[3].metric(t("mkt.unique"), number(total["unique_human_clicks"]), help=t("mkt.help.unique"))
    second[0].metric(t("mkt.reach"), number(total["reach"]),
                     help=t("mkt.help.reach", reported=number(total["reach_reported"]),
                            estimated=number(total["reach_estimated"])))
    second[1].metric(t("mkt.conversions"), number(total["conversions"]), help=t("mkt.help.conversions"))
    second[2].metric(t("mkt.emv", currency=rates["currency"]), number(total["emv_estimate"]), help=t("mkt.help.emv"))


def _filters(options: dict, today: dt.date) -> tuple[dashboards.PageFilters, tuple[dt.date, dt.date]]:
    """The filter bar: period (both days included), campaign, team, network, score."""
    default = dashboards.default_period(today)
    everyone = t("mkt.all")
    with st.container(border=True):
        p, a, b, c, d = st.columns([2, 1, 1, 1, 1.5])
        picked = p.date_input(t("mkt.period"), value=default, max_value=max(today, default[1]), key="mkt_period",
                              help=t("mkt.period_help"), format="YYYY-MM-DD")
        picked = tuple(picked) if isinstance(picked, (tuple, list)) else (picked,)
        start, end = (picked[0], picked[-1]) if picked else default  # one day picked so far: that day
        campaign = a.selectbox(t("mkt.campaign"), [None] + options["campaign"], key="mkt_campaign",
                               format_func=lambda v: v or everyone)
        team = b.selectbox(t("mkt.team"), [None] + options["team"], key="mkt_team", format_func=lambda v: v or everyone)
        network = c.selectbox(t("mkt.network"), [None] + options["network"], key="mkt_network",
                              format_func=lambda v: labels("network").get(v, v) if v else everyone)
        low, high = d.slider(t("mkt.score_range"), 0, 100, (0, 100), key="mkt_score")
    filters = dashboards.PageFilters.for_period(start, end, campaign=campaign, team=team, network=network,
                                                min_score=low if low > 0 else None,
                                                max_score=high if high < 100 else None)
    return filters, (start, end)


def _column(name: str):
    """How column ``name`` is shown: its catalogue label, and a format where the raw value would mislead."""
    label = t(f"mkt.col.{name}")
    if name in PERCENT:
        return st.column_config.NumberColumn(label, format="percent")
    if name == "score":
        return st.column_config.ProgressColumn(label, min_value=0, max_value=100, format="%.0f")
    if name == "week":
        return st.column_config.DateColumn(label, format="YYYY-MM-DD")
    if name == "shared_at":
        return st.column_config.DatetimeColumn(label, format="YYYY-MM-DD HH:mm")
    if name == "post_url":
        return st.column_config.LinkColumn(label, display_text="↗")
    return st.column_config.Column(label)


def _csv(rows: list[dict], name: str, key: str) -> None:
    st.download_button(t("mkt.export"), dashboards.to_csv(rows), file_name=f"{name}.csv", mime="text/csv", key=key,
                       icon="⬇️")


def _table(rows: list[dict], columns: list[str], key: str, csv: tuple[list[dict], str] | None = None) -> None:
    """``rows`` shown with readable column names (``columns`` only), then a CSV of ``csv`` (rows, file name)."""
    frame = pd.DataFrame([{c: r.get(c) for c in columns} for r in rows], columns=columns)
    st.dataframe(frame, hide_index=True, key=f"{key}_table", placeholder="—",
                 column_config={c: _column(c) for c in columns})
    if csv is not None:
        _csv(csv[0], csv[1], f"{key}_csv")


def _table_with_csv(rows: list[dict], columns: list[str], name: str, key: str) -> None:
    _table(rows, columns, key, (rows, name))


def _tip(field: str, kind: str, fmt: str | None = None) -> alt.Tooltip:
    return alt.Tooltip(f"{field}:{kind}", title=t(f"mkt.col.{field}"), **({"format": fmt} if fmt else {}))


def _distributions(store, filters, rates, ctx) -> None:
    frame = pd.DataFrame(_unnamed(metrics.share_metrics(store, filters)))
    sample = frame.sample(CHART_ROWS, random_state=0) if len(frame) > CHART_ROWS else frame
    left, right = st.columns(2)
    left.altair_chart(_distribution(sample, "campaign"), key="mkt_chart_campaign")
    right.altair_chart(_distribution(sample, "team"), key="mkt_chart_team")
    score_columns = ["shares", "sharers", "mean_score", "median_score", "min_score", "low_share", "unique_human_clicks",
                     "reach"]
    by_campaign = metrics.campaign_metrics(store, ctx.settings.brand_followers, filters, rates=rates)
    _table_with_csv(by_campaign, ["campaign"] + score_columns, "by-campaign", "mkt_by_campaign")
    _table_with_csv(metrics.breakdown(store, "team", filters, rates=rates), ["team"] + score_columns, "by-team",
                    "mkt_by_team")


def _distribution(frame: pd.DataFrame, field: str) -> alt.Chart:
    base = alt.Chart(frame.dropna(subset=["score"])).encode(
        y=alt.Y(f"{field}:N", title=t(f"mkt.col.{field}")),
        x=alt.X("score:Q", title=t("mkt.authenticity"), scale=alt.Scale(domain=[0, 100])))
    return alt.layer(base.mark_boxplot(extent="min-max", opacity=0.5),
                     base.mark_circle(size=50).encode(tooltip=[_tip("name", "N"), _tip("title", "N"),
                                                               _tip("score", "Q", ".0f")]))


def _near_copies(store, filters) -> None:
    threshold = st.slider(t("mkt.threshold"), 0.3, 0.95, 0.6, 0.05, key="mkt_threshold")
    groups = dashboards.near_copies(store, filters, threshold=threshold)
    st.caption(t("mkt.near_copies_scope", n=written(dashboards.NEAR_COPY_MAX, current())))
    if not groups:
        st.success(t("mkt.no_copies"))
        return
    st.caption(t("mkt.groups", n=len(groups)))
    for n, group in enumerate(groups, 1):
        group = _unnamed(group)
        with st.container(border=True):
            st.markdown(t("mkt.group", n=n, count=len(group), title=md(group[0]["title"])))
            for start in range(0, len(group), 3):
                for col, share in zip(st.columns(3), group[start:start + 3]):
                    col.caption(t("mkt.copy_caption", name=md(share["name"]), team=md(share["team"]),
                                  score=f"{share['score'] or 0:.0f}"))
                    col.text(share["text"])


def _trend(store, filters, rates, period) -> None:
    rows = metrics.breakdown(store, "week", filters, rates=rates)
    series = pd.DataFrame([{"week": r["week"].isoformat(), "shares": r["shares"], "mean_score": r.get("mean_score")}
                           for r in dashboards.weekly(rows, *period)])
    # one ordinal band per week (Mondays, as dates), empty weeks included: one tick per week, never per day
    base = alt.Chart(series).encode(x=alt.X("week:O", title=t("mkt.col.week"), axis=alt.Axis(labelAngle=-45)),
                                    tooltip=[_tip("week", "O"), _tip("shares", "Q"), _tip("mean_score", "Q")])
    st.altair_chart(alt.layer(
        base.mark_bar(opacity=0.3).encode(y=alt.Y("shares:Q", title=t("mkt.col.shares"))),
        base.mark_line(point=True).encode(y=alt.Y("mean_score:Q", title=t("mkt.col.mean_score"),
                                                  scale=alt.Scale(domain=[0, 100]))),
    ).resolve_scale(y="independent"), key="mkt_chart_trend")
    _table_with_csv(rows, ["week", "shares", "sharers", "mean_score", "human_clicks", "unique_human_clicks",
                           "reactions", "conversions", "reach"], "by-week", "mkt_weekly")


def _reach(store, filters, rates, ctx) -> None:
    campaigns = metrics.campaign_metrics(store, ctx.settings.brand_followers, filters, rates=rates)
    _table_with_csv(campaigns, ["campaign", "shares", "reach", "reach_reported", "reach_estimated", "brand_baseline",
                                "reach_vs_brand", "emv_estimate"], "reach", "mkt_campaigns")
    st.caption(t("mkt.reach_rule", rate=metrics.EMPLOYEE_REACH_RATE, followers=ctx.settings.brand_followers,
                 brand=metrics.BRAND_REACH_RATE))
    st.caption(t("mkt.emv_rule", cpm=rates["cpm"], cpc=rates["cpc"], cur=rates["currency"]))
    long = pd.DataFrame([{"campaign": c["campaign"], "kind": t(f"mkt.{kind}"), "reach": c[f"reach_{kind}"]}
                         for c in campaigns for kind in ("reported", "estimated")])
    st.altair_chart(alt.Chart(long).mark_bar().encode(
        x=alt.X("reach:Q", title=t("mkt.reach")), y=alt.Y("campaign:N", title=t("mkt.campaign")),
        color=alt.Color("kind:N", title=t("mkt.reach_kind"))), key="mkt_chart_reach")


def _engagement(store, filters, rates, ctx) -> None:
    groups = labels("mkt.group_labels")
    by = st.radio(t("mkt.group_by"), list(groups), format_func=groups.get, horizontal=True, key="mkt_group_by")
    rows = metrics.breakdown(store, by, filters, rates=rates)
    _table_with_csv(rows, [by, "shares", "sharers", "hits", "bot_hits", "human_clicks", "unique_human_clicks", "ctr",
                           "reactions", "comments", "reshares", "leads", "applications", "conversions",
                           "reach_reported", "reach_estimated", "emv_estimate"], f"engagement-by-{by}", "mkt_engagement")
    with st.expander(t("mkt.rules")):
        st.markdown("\n".join(f"- {t(f'mkt.counting.{name}')}" for name in COUNTING))
    st.caption(_service_line(open_log(ctx.settings.clicklog_path).service_runs()))
    for replica in sync.replicas(store):
        (st.warning if replica["seconds_ago"] > REPLICA_SILENT_S else st.caption)(_replica_line(replica))


def _replica_line(replica: dict) -> str:
    """One click-service replica forwarding to the shared store (PostgreSQL): silent for long, it is down."""
    ago = replica["seconds_ago"]
    if ago > REPLICA_SILENT_S:
        return t("mkt.replica_silent", host=md(replica["host"] or "?"), minutes=round(ago / 60), waiting=replica["waiting"])
    return t("mkt.replica", host=md(replica["host"] or "?"), seconds=max(0, round(ago)), waiting=replica["waiting"])


def _service_line(runs: list[dict]) -> str:
    """The click service's own counters (every run, every share, robots included, whatever the period): a
    reliability check (nothing lost), not the engagement the tables count; said so, with the date they start."""
    if not runs:
        return t("mkt.service_none")
    since = dt.datetime.fromtimestamp(min(r["started_at"] for r in runs)).date().isoformat()
    return t("mkt.service", since=since, **{k: sum(r[k] or 0 for r in runs) for k in ("received", "written", "lost")})


def _scatter(store, filters) -> None:
    points_ = _unnamed(dashboards.score_vs_engagement(store, filters))
    stats = dashboards.correlation(points_)
    if stats["spearman"] is None:
        st.info(t("mkt.too_few"))
        return
    data = pd.DataFrame(points_)
    line = pd.DataFrame({"score": [0, 100], "engagement_rate": [stats["intercept"], stats["intercept"] + 100 * stats["slope"]]})
    dots = alt.Chart(data).mark_circle(size=70, opacity=0.7).encode(
        x=alt.X("score:Q", title=t("mkt.authenticity"), scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("engagement_rate:Q", title=t("mkt.engagement_rate"), axis=alt.Axis(format="%")),
        color=alt.Color("campaign:N", title=t("mkt.campaign")),
        tooltip=[_tip("name", "N"), _tip("campaign", "N"), _tip("score", "Q", ".0f"),
                 _tip("engagement_rate", "Q", ".1%"), _tip("unique_human_clicks", "Q"), _tip("reach", "Q")])
    fit = alt.Chart(line).mark_line(color="black", strokeDash=[6, 4]).encode(x="score:Q", y="engagement_rate:Q")
    st.altair_chart(alt.layer(dots, fit), key="mkt_chart_scatter")
    st.markdown(t("mkt.spearman", rho=stats["spearman"], low=stats["ci_low"], high=stats["ci_high"], n=stats["n"]))
    if stats["sampled_from"] > stats["n"]:
        st.caption(t("mkt.sampled", n=stats["n"], total=stats["sampled_from"]))
    _csv(points_, "authenticity-vs-engagement", "mkt_scatter_csv")


def _unnamed(rows: list[dict], count: str | None = None) -> list[dict]:
    """Rows for the screen and their CSV alike: where the query left a person unnamed (``named`` False, or
    no email), the catalogue's anonymous label in place of the name; with ``count`` (a per-person table),
    the label of the one anonymous row saying how many people it holds."""
    def label(r: dict) -> str:
        return t("mkt.others", n=r.get(count, "?")) if count else t("mkt.unnamed")

    return [r if r.get("named", bool(r.get("email"))) else {**r, "name": label(r)} for r in rows]


def _applications(store, filters) -> None:
    offers = dashboards.applications(store, filters=filters)
    if not offers:
        st.info(t("mkt.no_applications"))
        return
    referrers = dashboards.applications(store, by="referrer", filters=filters)
    st.subheader(t("mkt.by_offer"))
    _table_with_csv(offers, ["offer", "offer_id", "shares", "unique_human_clicks", "applications"],
                    "applications-by-offer", "mkt_offers")
    st.subheader(t("mkt.by_referrer"))
    st.caption(t("mkt.employee_help"))
    referrers = _unnamed(referrers, "referrers")
    _table(referrers, ["name", "team", "shares", "unique_human_clicks", "applications"], "mkt_referrers",
           (referrers, "applications-by-referrer"))


def _people(store, filters) -> None:
    rows = dashboards.per_person(store, filters)
    if not rows:
        st.info(t("mkt.no_people"))
        return
    st.caption(t("mkt.employee_help"))
    rows = _unnamed(rows, "sharers")
    _table(rows, ["name", "team", "shares", "human_clicks", "unique_human_clicks", "reactions", "mean_score"],
           "mkt_people", (rows, "per-person"))


def _goals(store, account, ctx, options, period) -> None:
    st.subheader(t("goals.title"))
    st.caption(t("mkt.goals_note"))
    shown = goals_panel.progress(ctx, account)
    if shown:
        _csv([{**{k: v for k, v in g.items() if k != "progress"}, **g["progress"]} for g in shown], "goals",
             "mkt_goals_csv")
    if account.has("admin"):
        goals_panel.admin_forms(ctx, account, options["campaign"])
    st.subheader(t("mkt.leaderboard"))
    month = points.ambassador_of_the_month(store, ctx.today())
    st.metric(t("mkt.ambassador"), month["name"] if month else "—")
    board = points.leaderboard(store, since=period[0], until=period[1] + dt.timedelta(days=1), limit=20)
    _table_with_csv(board, ["rank", "name", "team", "points", "shares"], "leaderboard", "mkt_leaderboard")


def _import(ctx) -> None:
    with st.form("mkt_import_form", clear_on_submit=True):
        files = st.file_uploader(t("mkt.upload"), type=["xlsx", "csv"], accept_multiple_files=True, key="mkt_upload")
        st.caption(t("upload.limit", mb=int(ctx.settings.max_file_mb)))
        submitted = st.form_submit_button(t("mkt.run_import"))
    if not submitted or not files:
        return
    results = engagement_import.import_uploads(ctx, [(upload.name, upload.getvalue()) for upload in files])
    for result in results:
        if result["kind"] == "analytics":
            st.success(result["summary"])
        else:
            st.success(t("mkt.import_result", file=md(Path(result["file"]).name), stored=result["stored"],
                         duplicate=result["duplicate"], rejected=result["rejected"]))
        for problem in result["problems"]:
            st.warning(md(problem))


def _shares(store, filters) -> None:
    rows = _unnamed(metrics.share_metrics(store, filters))
    kinds = {True: t("mkt.reported"), False: t("mkt.estimated")}
    for r in rows:
        r["reach_kind"] = kinds[bool(r["reach_reported"])]
    columns = ["shared_at", "name", "team", "campaign", "title", "network", "score", "hits", "bot_hits", "human_clicks",
               "unique_human_clicks", "reactions", "comments", "reshares", "conversions", "reach", "reach_kind",
               "engagement_rate", "post_url"]
    if len(rows) > TABLE_ROWS:
        st.caption(t("mkt.table_limit", shown=TABLE_ROWS, total=len(rows)))
    _table(rows[:TABLE_ROWS], columns, "mkt_shares")
    _csv([{c: r.get(c) for c in columns} for r in rows], "shares", "mkt_csv")


if __name__ == "__main__":
    page()
