"""Campaign goals in the app: progress for everyone, the form for admins.

``progress(ctx)`` draws each open goal's bar ("10 personal shares of green-week by Friday: 3/10");
it suits any page, *My feed* included. ``admin_forms(ctx, account, campaigns)`` lets an admin add
and remove goals and set the CPM / CPC of the earned-media-value estimate. Both read and write
through ``assistant.goals`` and ``assistant.metrics``; the marketing page uses them.
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from assistant import goals, metrics
from assistant.context import Context

TEXT = {  # French · English, in one place for the message catalogue
    "goals": "Objectifs de campagne · Campaign goals", "none": "Aucun objectif · No goals yet.",
    "line": "**{campaign}** — {value}/{target} {label}{due} · {status}", "due": " — échéance · due {due}",
    "status": {"reached": "atteint · reached", "open": "en cours · open", "missed": "manqué · missed"},
    "new_goal": "Nouvel objectif · New goal", "campaign": "Campagne · Campaign", "metric": "Mesure · Measure",
    "target": "Cible · Target", "due_date": "Échéance · Due date",
    "min_score": "Score minimum (partages personnels) · Minimum score (personal shares)",
    "add": "Ajouter · Add", "remove": "Supprimer · Remove", "rates": "Valeur média : CPM et CPC · Media value: CPM "
    "and CPC", "cpm": "CPM (coût pour 1 000 impressions · cost per 1,000 impressions)",
    "cpc": "CPC (coût par clic · cost per click)", "save": "Enregistrer · Save", "saved": "Enregistré · Saved",
}


def progress(ctx: Context, account=None, open_only: bool = False) -> list[dict]:
    """Each goal's progress bar (only open ones with ``open_only``); an admin ``account`` also gets a
    remove button per goal. Returns the goals shown."""
    shown = [g for g in goals.progress(ctx.store, ctx.today())
             if not open_only or g["progress"]["status"] == "open"]
    if not shown:
        st.caption(TEXT["none"])
    for goal in shown:
        p = goal["progress"]
        due = TEXT["due"].format(due=goal["due"]) if goal["due"] else ""
        st.progress(p["ratio"], text=TEXT["line"].format(campaign=goal["campaign"], value=p["value"],
                                                         target=p["target"], label=goal["label"], due=due,
                                                         status=TEXT["status"][p["status"]]))
        if account is not None and account.has("admin") and st.button(TEXT["remove"],
                                                                         key=f"goal_remove_{goal['id']}"):
            goals.remove_goal(ctx.store, goal["id"])
            st.rerun()
    return shown


def admin_forms(ctx: Context, account, campaigns: list[str]) -> None:
    """The new-goal form and the CPM / CPC form (the caller checks the admin role)."""
    with st.form("goal_form", clear_on_submit=True):
        st.markdown(f"**{TEXT['new_goal']}**")
        a, b, c, d = st.columns(4)
        campaign = a.selectbox(TEXT["campaign"], campaigns, key="goal_campaign")
        metric = b.selectbox(TEXT["metric"], list(goals.METRICS), format_func=goals.LABELS.get, key="goal_metric")
        target = c.number_input(TEXT["target"], min_value=1, value=20, step=1, key="goal_target")
        due = d.date_input(TEXT["due_date"], value=ctx.today() + dt.timedelta(days=7), key="goal_due")
        min_score = st.slider(TEXT["min_score"], 0, 100, int(goals.PERSONAL_SCORE), key="goal_min_score")
        if st.form_submit_button(TEXT["add"]):
            try:
                goals.add_goal(ctx.store, campaign, metric, int(target), due=due, min_score=float(min_score),
                               by=account.username)
                st.rerun()
            except ValueError as exc:
                st.error(str(exc))
    rates = metrics.rates(ctx.store, ctx.settings)
    with st.form("rates_form"):
        st.markdown(f"**{TEXT['rates']}** ({rates['currency']})")
        a, b = st.columns(2)
        cpm = a.number_input(TEXT["cpm"], min_value=0.0, value=float(rates["cpm"]), step=1.0, key="rates_cpm")
        cpc = b.number_input(TEXT["cpc"], min_value=0.0, value=float(rates["cpc"]), step=0.1, key="rates_cpc")
        if st.form_submit_button(TEXT["save"]):
            metrics.set_rates(ctx.store, cpm, cpc, by=account.username)
            st.success(TEXT["saved"])
