"""Authenticity (marketing): score distribution per campaign and team, near-copy clusters side by side,
trend over time, reach and engagement per campaign, and a filterable table of shares."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from assistant import dashboards, engagement
from assistant.ui import auth, resources


def page() -> None:
    auth.require("marketing")
    store = resources.store()
    st.title("Authenticité · Authenticity")
    everything = engagement.share_metrics(store)
    options = dashboards.filter_options(store, everything)
    if not options["campaign"]:
        st.info("Aucun partage pour l'instant · No shares yet (`porte-voix demo` loads sample activity).")
        return
    with st.container(border=True):
        a, b, c, d = st.columns(4)
        campaign = a.selectbox("Campagne · Campaign", [None] + options["campaign"], key="mkt_campaign",
                               format_func=lambda v: v or "Toutes · All")
        team = b.selectbox("Équipe · Team", [None] + options["team"], key="mkt_team",
                           format_func=lambda v: v or "Toutes · All")
        network = c.selectbox("Réseau · Network", [None] + options["network"], key="mkt_network",
                              format_func=lambda v: v or "Tous · All")
        low, high = d.slider("Score", 0, 100, (0, 100), key="mkt_score")
    rows = dashboards.shares_table(store, campaign=campaign, team=team, network=network, min_score=low, max_score=high,
                                   rows=everything)
    if not rows:
        st.warning("Aucun partage ne correspond aux filtres · No share matches the filters.")
        return
    frame = pd.DataFrame(rows)
    scores = frame["score"].dropna()
    k1, k2, k3, k4 = st.columns(4)
    k1.metric("Partages · Shares", len(frame))
    k2.metric("Score moyen · Mean score", f"{scores.mean():.0f}" if len(scores) else "—")
    k3.metric("Scores < 40", f"{(scores < 40).mean():.0%}" if len(scores) else "—")
    k4.metric("Clics · Clicks", int(frame["clicks"].sum()))

    # Only the open tab is computed (each chart costs tens of milliseconds).
    tabs = st.tabs(["Distribution", "Quasi-copies · Near copies", "Tendance · Trend", "Portée · Reach",
                    "Partages · Shares"], key="mkt_tabs", on_change="rerun")
    views = (lambda: _distributions(frame, rows), lambda: _near_copies(store, rows), lambda: _trend(rows),
             lambda: _reach(store, rows), lambda: _table(frame))
    for tab, view in zip(tabs, views):
        if tab.open:
            with tab:
                view()


def _distributions(frame: pd.DataFrame, rows: list[dict]) -> None:
    left, right = st.columns(2)
    left.altair_chart(_distribution(frame, "campaign", "Campagne · Campaign"), key="mkt_chart_campaign")
    right.altair_chart(_distribution(frame, "team", "Équipe · Team"), key="mkt_chart_team")
    st.dataframe(pd.DataFrame(dashboards.summary_by(rows, "campaign")), hide_index=True, key="mkt_by_campaign")
    st.dataframe(pd.DataFrame(dashboards.summary_by(rows, "team")), hide_index=True, key="mkt_by_team")


def _trend(rows: list[dict]) -> None:
    weekly = pd.DataFrame(dashboards.weekly_trend(rows))
    base = alt.Chart(weekly).encode(x=alt.X("week:T", title="Semaine · Week"))
    st.altair_chart(alt.layer(
        base.mark_bar(opacity=0.3).encode(y=alt.Y("shares:Q", title="Partages · Shares")),
        base.mark_line(point=True).encode(y=alt.Y("mean_score:Q", title="Score moyen · Mean score",
                                                  scale=alt.Scale(domain=[0, 100]))),
    ).resolve_scale(y="independent"), key="mkt_chart_trend")


def _reach(store, rows: list[dict]) -> None:
    st.dataframe(pd.DataFrame(engagement.campaign_metrics(store, rows)), hide_index=True, key="mkt_campaigns")
    st.caption(f"Portée estimée = taille du réseau × {engagement.EMPLOYEE_REACH_RATE:.0%} (sauf impressions "
               f"mesurées), comparée à la page de marque ({engagement.brand_followers()} abonnés × "
               f"{engagement.BRAND_REACH_RATE:.0%}) · Estimated reach = network size × "
               f"{engagement.EMPLOYEE_REACH_RATE:.0%} unless impressions were reported, vs the brand page.")
    points = pd.DataFrame(dashboards.score_vs_engagement(rows))
    if not points.empty:
        st.altair_chart(alt.Chart(points).mark_circle(size=80).encode(
            x=alt.X("score:Q", title="Authenticité · Authenticity", scale=alt.Scale(domain=[0, 100])),
            y=alt.Y("engagement_rate:Q", title="Taux d'engagement · Engagement rate"),
            color="campaign:N", tooltip=["name", "campaign", "score", "clicks", "engagement_rate"],
        ), key="mkt_chart_scatter")


def _table(frame: pd.DataFrame) -> None:
    columns = ["shared_at", "name", "team", "campaign", "title", "network", "score", "clicks", "reactions",
               "comments", "reshares", "leads", "reach", "engagement_rate"]
    st.dataframe(frame[columns], hide_index=True, key="mkt_table",
                 column_config={"score": st.column_config.ProgressColumn("Score", min_value=0, max_value=100,
                                                                         format="%.0f")})
    st.download_button("⬇️ CSV", frame[columns].to_csv(index=False), file_name="shares.csv", mime="text/csv",
                       key="mkt_csv")


def _distribution(frame: pd.DataFrame, field: str, title: str) -> alt.Chart:
    base = alt.Chart(frame.dropna(subset=["score"])).encode(
        y=alt.Y(f"{field}:N", title=title),
        x=alt.X("score:Q", title="Authenticité · Authenticity", scale=alt.Scale(domain=[0, 100])))
    return alt.layer(base.mark_boxplot(extent="min-max", opacity=0.5),
                     base.mark_circle(size=50).encode(tooltip=["name", "title", "score"]))


def _near_copies(store, rows) -> None:
    threshold = st.slider("Seuil de similarité · Similarity threshold", 0.3, 0.95, 0.6, 0.05, key="mkt_threshold")
    groups = dashboards.near_copies(store, rows, threshold=threshold)
    if not groups:
        st.success("Aucune quasi-copie · No near copies at this threshold.")
        return
    st.caption(f"{len(groups)} groupe(s) de textes presque identiques · group(s) of almost identical texts")
    for n, group in enumerate(groups, 1):
        with st.container(border=True):
            st.markdown(f"**Groupe {n} · Group {n}** — {len(group)} partages · shares — « {group[0]['title']} »")
            for start in range(0, len(group), 3):
                for col, share in zip(st.columns(3), group[start:start + 3]):
                    col.caption(f"{share['name']} · {share['team']} · score {share['score'] or 0:.0f}")
                    col.write(share["text"])


if __name__ == "__main__":
    page()
