"""Authenticity and engagement (marketing): score distributions, near copies, trend, reach, engagement
breakdowns, authenticity vs engagement, job applications, goals and leaderboard, analytics import, shares.

Every figure comes from ``assistant.metrics`` / ``dashboards`` / ``points`` / ``goals`` (SQL over the
per-share totals); only the open tab is computed. Every table has a CSV download.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import altair as alt
import pandas as pd
import streamlit as st

from assistant import dashboards, engagement_import, metrics, points
from assistant.clicklog import open_log
from assistant.ui import auth, goals_panel, resources

TEXT = {  # every string of the page, French · English (one place for the message catalogue to take over)
    "title": "Authenticité et engagement · Authenticity and engagement",
    "no_shares": "Aucun partage pour l'instant · No shares yet (`porte-voix demo` loads sample activity).",
    "no_match": "Aucun partage ne correspond aux filtres · No share matches the filters.",
    "campaign": "Campagne · Campaign", "team": "Équipe · Team", "network": "Réseau · Network", "all": "Tous · All",
    "shares": "Partages · Shares", "mean_score": "Score moyen · Mean score", "low": "Scores < 40",
    "unique": "Clics humains uniques · Unique human clicks", "reach": "Portée · Reach",
    "conversions": "Conversions (leads, candidatures…) · Conversions", "emv": "Valeur média (estimation) · EMV (estimate)",
    "tabs": ["Distribution", "Quasi-copies · Near copies", "Tendance · Trend", "Portée · Reach", "Engagement",
             "Authenticité vs engagement · Authenticity vs engagement", "Candidatures · Applications",
             "Objectifs · Goals", "Import", "Partages · Shares"],
    "week": "Semaine · Week", "authenticity": "Authenticité · Authenticity",
    "engagement_rate": "Taux d'engagement · Engagement rate",
    "threshold": "Seuil de similarité · Similarity threshold",
    "no_copies": "Aucune quasi-copie · No near copies at this threshold.",
    "groups": "{n} groupe(s) de textes presque identiques · group(s) of almost identical texts",
    "group": "**Groupe {n} · Group {n}** — {count} partages · shares — « {title} »",
    "reach_rule": "Portée = impressions déclarées (import LinkedIn/X) sinon estimation : taille du réseau × {rate:.0%} ; "
                  "page de marque : {followers} abonnés × {brand:.0%} · Reach = reported impressions (LinkedIn/X "
                  "import), else estimated: network size × {rate:.0%}; brand page: {followers} followers × {brand:.0%}.",
    "reach_kind": "Type de portée · Reach kind", "reported": "déclarée · reported", "estimated": "estimée · estimated",
    "emv_rule": "Valeur média = estimation : portée / 1000 × CPM ({cpm} {cur}) + clics humains × CPC ({cpc} {cur}) "
                "· Earned media value is an estimate: reach / 1000 × CPM + human clicks × CPC.",
    "group_by": "Regrouper par · Group by",
    "group_labels": {"campaign": "Campagne · Campaign", "team": "Équipe · Team", "network": "Réseau · Network",
                     "week": "Semaine · Week"},
    "rules": "Règles de comptage · Counting rules",
    "service": "Service de clics : {received} requêtes reçues, {written} enregistrées, {lost} perdues · Click service: "
               "{received} hits received, {written} logged, {lost} lost.",
    "spearman": "ρ de Spearman = {rho} (IC 95 % bootstrap [{low} ; {high}], n = {n}) · Spearman ρ = {rho} "
                "(bootstrap 95 % CI [{low}, {high}], n = {n})",
    "sampled": "Échantillon aléatoire de {n} partages sur {total} · Random sample of {n} of {total} shares.",
    "too_few": "Pas assez de partages notés pour une corrélation · Too few scored shares for a correlation.",
    "by_offer": "Par offre · Per job offer", "by_referrer": "Par collaborateur·rice · Per referring employee",
    "no_applications": "Aucune candidature suivie · No tracked applications yet.",
    "leaderboard": "Classement (volontaires) · Leaderboard (opted in)",
    "ambassador": "Ambassadeur·rice du mois · Ambassador of the month",
    "upload": "Exports LinkedIn (XLSX/CSV), X (CSV), CSV générique ou conversions · LinkedIn (XLSX/CSV), X (CSV), "
              "generic CSV or conversions exports",
    "run_import": "Importer · Import",
    "table_limit": "{shown} partages les plus récents sur {total} (le CSV contient tout) · The {shown} latest of "
                   "{total} shares (the CSV has them all).",
}
TABLE_ROWS = 2000   # shares shown in the table (all of them go into its CSV)
CHART_ROWS = 5000   # shares drawn in the distribution charts (a random sample beyond)


def page() -> None:
    account = auth.require("marketing")
    ctx = resources.context()
    store = ctx.store
    st.title(TEXT["title"])
    options = metrics.filter_options(store)
    if not options["campaign"]:
        st.info(TEXT["no_shares"])
        return
    filters = _filters(options)
    rows = metrics.share_metrics(store, filters)
    if not rows:
        st.warning(TEXT["no_match"])
        return
    frame = pd.DataFrame(rows)
    rates = metrics.rates(store, ctx.settings)
    total = metrics.breakdown(store, None, filters, rates=rates)[0]
    k = st.columns(7)
    k[0].metric(TEXT["shares"], total["shares"])
    k[1].metric(TEXT["mean_score"], f"{total['mean_score']:.0f}" if total["mean_score"] is not None else "—")
    k[2].metric(TEXT["low"], f"{total['low_share']:.0%}" if total["low_share"] is not None else "—")
    k[3].metric(TEXT["unique"], total["unique_human_clicks"])
    k[4].metric(TEXT["reach"], f"{total['reach']:,}".replace(",", " "),
                help=f"{total['reach_reported']} {TEXT['reported']} + {total['reach_estimated']} {TEXT['estimated']}")
    k[5].metric(TEXT["conversions"], total["conversions"])
    k[6].metric(TEXT["emv"], f"≈ {total['emv_estimate']:,.0f} {rates['currency']}".replace(",", " "))

    tabs = st.tabs(TEXT["tabs"], key="mkt_tabs", on_change="rerun")  # only the open tab is computed
    views = (lambda: _distributions(store, frame, filters, rates, ctx), lambda: _near_copies(store, filters),
             lambda: _trend(store, filters, rates), lambda: _reach(store, filters, rates, ctx),
             lambda: _engagement(store, filters, rates, ctx), lambda: _scatter(store, filters),
             lambda: _applications(store), lambda: _goals(store, account, ctx, options),
             lambda: _import(ctx), lambda: _table(frame))
    for tab, view in zip(tabs, views):
        if tab.open:
            with tab:
                view()


def _filters(options: dict) -> metrics.Filters:
    with st.container(border=True):
        a, b, c, d = st.columns(4)
        campaign = a.selectbox(TEXT["campaign"], [None] + options["campaign"], key="mkt_campaign",
                               format_func=lambda v: v or TEXT["all"])
        team = b.selectbox(TEXT["team"], [None] + options["team"], key="mkt_team",
                           format_func=lambda v: v or TEXT["all"])
        network = c.selectbox(TEXT["network"], [None] + options["network"], key="mkt_network",
                              format_func=lambda v: v or TEXT["all"])
        low, high = d.slider("Score", 0, 100, (0, 100), key="mkt_score")
    return metrics.Filters(campaign=campaign, team=team, network=network,
                           min_score=low if low > 0 else None, max_score=high if high < 100 else None)


def _csv(rows: list[dict], name: str, key: str) -> None:
    st.download_button("⬇️ CSV", dashboards.to_csv(rows), file_name=f"{name}.csv", mime="text/csv", key=key)


def _table_with_csv(rows: list[dict], columns: list[str], name: str, key: str) -> None:
    shown = [{c: r.get(c) for c in columns} for r in rows]
    st.dataframe(pd.DataFrame(shown, columns=columns), hide_index=True, key=f"{key}_table")
    _csv(rows, name, f"{key}_csv")


def _distributions(store, frame: pd.DataFrame, filters, rates, ctx) -> None:
    sample = frame.sample(CHART_ROWS, random_state=0) if len(frame) > CHART_ROWS else frame
    left, right = st.columns(2)
    left.altair_chart(_distribution(sample, "campaign", TEXT["campaign"]), key="mkt_chart_campaign")
    right.altair_chart(_distribution(sample, "team", TEXT["team"]), key="mkt_chart_team")
    score_columns = ["shares", "sharers", "mean_score", "median_score", "min_score", "low_share", "unique_human_clicks",
                     "reach"]
    by_campaign = metrics.campaign_metrics(store, ctx.settings.brand_followers, filters, rates=rates)
    _table_with_csv(by_campaign, ["campaign"] + score_columns, "by-campaign", "mkt_by_campaign")
    _table_with_csv(metrics.breakdown(store, "team", filters, rates=rates), ["team"] + score_columns, "by-team",
                    "mkt_by_team")


def _distribution(frame: pd.DataFrame, field: str, title: str) -> alt.Chart:
    base = alt.Chart(frame.dropna(subset=["score"])).encode(
        y=alt.Y(f"{field}:N", title=title),
        x=alt.X("score:Q", title=TEXT["authenticity"], scale=alt.Scale(domain=[0, 100])))
    return alt.layer(base.mark_boxplot(extent="min-max", opacity=0.5),
                     base.mark_circle(size=50).encode(tooltip=["name", "title", "score"]))


def _near_copies(store, filters) -> None:
    threshold = st.slider(TEXT["threshold"], 0.3, 0.95, 0.6, 0.05, key="mkt_threshold")
    groups = dashboards.near_copies(store, filters, threshold=threshold)
    if not groups:
        st.success(TEXT["no_copies"])
        return
    st.caption(TEXT["groups"].format(n=len(groups)))
    for n, group in enumerate(groups, 1):
        with st.container(border=True):
            st.markdown(TEXT["group"].format(n=n, count=len(group), title=group[0]["title"]))
            for start in range(0, len(group), 3):
                for col, share in zip(st.columns(3), group[start:start + 3]):
                    col.caption(f"{share['name']} · {share['team']} · score {share['score'] or 0:.0f}")
                    col.write(share["text"])


def _trend(store, filters, rates) -> None:
    weekly = metrics.breakdown(store, "week", filters, rates=rates)
    base = alt.Chart(pd.DataFrame(weekly)).encode(x=alt.X("week:T", title=TEXT["week"]))
    st.altair_chart(alt.layer(
        base.mark_bar(opacity=0.3).encode(y=alt.Y("shares:Q", title=TEXT["shares"])),
        base.mark_line(point=True).encode(y=alt.Y("mean_score:Q", title=TEXT["mean_score"],
                                                  scale=alt.Scale(domain=[0, 100]))),
    ).resolve_scale(y="independent"), key="mkt_chart_trend")
    _table_with_csv(weekly, ["week", "shares", "sharers", "mean_score", "human_clicks", "unique_human_clicks",
                             "reactions", "conversions", "reach"], "by-week", "mkt_weekly")


def _reach(store, filters, rates, ctx) -> None:
    campaigns = metrics.campaign_metrics(store, ctx.settings.brand_followers, filters, rates=rates)
    _table_with_csv(campaigns, ["campaign", "shares", "reach", "reach_reported", "reach_estimated", "brand_baseline",
                                "reach_vs_brand", "emv_estimate"], "reach", "mkt_campaigns")
    st.caption(TEXT["reach_rule"].format(rate=metrics.EMPLOYEE_REACH_RATE, followers=ctx.settings.brand_followers,
                                         brand=metrics.BRAND_REACH_RATE))
    st.caption(TEXT["emv_rule"].format(cpm=rates["cpm"], cpc=rates["cpc"], cur=rates["currency"]))
    long = pd.DataFrame([{"campaign": c["campaign"], "kind": TEXT[kind], "reach": c[f"reach_{kind}"]}
                         for c in campaigns for kind in ("reported", "estimated")])
    st.altair_chart(alt.Chart(long).mark_bar().encode(
        x=alt.X("reach:Q", title=TEXT["reach"]), y=alt.Y("campaign:N", title=TEXT["campaign"]),
        color=alt.Color("kind:N", title=TEXT["reach_kind"])), key="mkt_chart_reach")


def _engagement(store, filters, rates, ctx) -> None:
    by = st.radio(TEXT["group_by"], list(TEXT["group_labels"]), format_func=TEXT["group_labels"].get,
                  horizontal=True, key="mkt_group_by")
    rows = metrics.breakdown(store, by, filters, rates=rates)
    _table_with_csv(rows, [by, "shares", "sharers", "hits", "bot_hits", "human_clicks", "unique_human_clicks", "ctr",
                           "reactions", "comments", "reshares", "leads", "applications", "conversions",
                           "reach_reported", "reach_estimated", "emv_estimate"], f"engagement-by-{by}", "mkt_engagement")
    with st.expander(TEXT["rules"]):
        for name, rule in metrics.RULES.items():
            st.markdown(f"- **{name}**: {rule}")
    runs = open_log(ctx.settings.clicklog_path).service_runs()
    service = {k: sum(r[k] or 0 for r in runs) for k in ("received", "written", "lost")}
    st.caption(TEXT["service"].format(**service))


def _scatter(store, filters) -> None:
    points_ = dashboards.score_vs_engagement(store, filters)
    stats = dashboards.correlation(points_)
    if stats["spearman"] is None:
        st.info(TEXT["too_few"])
        return
    data = pd.DataFrame(points_)
    line = pd.DataFrame({"score": [0, 100], "engagement_rate": [stats["intercept"], stats["intercept"] + 100 * stats["slope"]]})
    dots = alt.Chart(data).mark_circle(size=70, opacity=0.7).encode(
        x=alt.X("score:Q", title=TEXT["authenticity"], scale=alt.Scale(domain=[0, 100])),
        y=alt.Y("engagement_rate:Q", title=TEXT["engagement_rate"]),
        color=alt.Color("campaign:N", title=TEXT["campaign"]),
        tooltip=["name", "campaign", "score", "engagement_rate", "unique_human_clicks", "reach"])
    fit = alt.Chart(line).mark_line(color="black", strokeDash=[6, 4]).encode(x="score:Q", y="engagement_rate:Q")
    st.altair_chart(alt.layer(dots, fit), key="mkt_chart_scatter")
    st.markdown(TEXT["spearman"].format(rho=stats["spearman"], low=stats["ci_low"], high=stats["ci_high"], n=stats["n"]))
    if stats["sampled_from"] > stats["n"]:
        st.caption(TEXT["sampled"].format(n=stats["n"], total=stats["sampled_from"]))
    _csv(points_, "authenticity-vs-engagement", "mkt_scatter_csv")


def _applications(store) -> None:
    offers, referrers = dashboards.applications(store), dashboards.applications(store, by="referrer")
    if not offers:
        st.info(TEXT["no_applications"])
        return
    st.subheader(TEXT["by_offer"])
    _table_with_csv(offers, list(offers[0]), "applications-by-offer", "mkt_offers")
    st.subheader(TEXT["by_referrer"])
    _table_with_csv(referrers, list(referrers[0]), "applications-by-referrer", "mkt_referrers")


def _goals(store, account, ctx, options) -> None:
    st.subheader(goals_panel.TEXT["goals"])
    shown = goals_panel.progress(ctx, account)
    if shown:
        _csv([{**{k: v for k, v in g.items() if k != "progress"}, **g["progress"]} for g in shown], "goals",
             "mkt_goals_csv")
    if account.has("admin"):
        goals_panel.admin_forms(ctx, account, options["campaign"])
    st.subheader(TEXT["leaderboard"])
    month = points.ambassador_of_the_month(store, ctx.today())
    st.metric(TEXT["ambassador"], month["name"] if month else "—")
    board = points.leaderboard(store, limit=20)
    _table_with_csv(board, ["rank", "name", "team", "points", "shares"], "leaderboard", "mkt_leaderboard")


def _import(ctx) -> None:
    with st.form("mkt_import_form", clear_on_submit=True):
        files = st.file_uploader(TEXT["upload"], type=["xlsx", "csv"], accept_multiple_files=True, key="mkt_upload")
        submitted = st.form_submit_button(TEXT["run_import"])
    if not submitted or not files:
        return
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for upload in files:
            path = Path(folder) / Path(upload.name).name
            path.write_bytes(upload.getvalue())
            paths.append(path)
        results = engagement_import.import_files(ctx, paths)
    for result in results:
        if result["kind"] == "analytics":
            st.success(result["summary"])
        else:
            st.success(f"{Path(result['file']).name}: {result['stored']} stored · {result['duplicate']} already known "
                       f"· {result['rejected']} rejected")
        for problem in result["problems"]:
            st.warning(problem)


def _table(frame: pd.DataFrame) -> None:
    frame = frame.assign(reach_kind=frame["reach_reported"].map({True: TEXT["reported"], False: TEXT["estimated"]}))
    columns = ["shared_at", "name", "team", "campaign", "title", "network", "score", "hits", "bot_hits", "human_clicks",
               "unique_human_clicks", "reactions", "comments", "reshares", "conversions", "reach", "reach_kind",
               "engagement_rate", "post_url"]
    if len(frame) > TABLE_ROWS:
        st.caption(TEXT["table_limit"].format(shown=TABLE_ROWS, total=len(frame)))
    st.dataframe(frame[columns].head(TABLE_ROWS), hide_index=True, key="mkt_table",
                 column_config={"score": st.column_config.ProgressColumn("Score", min_value=0, max_value=100,
                                                                         format="%.0f"),
                                "post_url": st.column_config.LinkColumn("Post")})
    st.download_button("⬇️ CSV", frame[columns].to_csv(index=False), file_name="shares.csv", mime="text/csv",
                       key="mkt_csv")


if __name__ == "__main__":
    page()
