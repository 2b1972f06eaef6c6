"""Campaign goals in the app: progress for everyone, the form for admins.

``progress(ctx)`` draws each goal's bar ("10 personal posts of green-week by Friday: 3/10"); with
``open_only`` and ``compact`` it suits the top of *My feed* (open goals only, nothing at all when
there are none). ``admin_forms(ctx, account, campaigns)`` lets an admin add goals and set the CPM /
CPC of the earned-media-value estimate. Both read and write through ``assistant.reporting.goals`` and
``assistant.reporting.metrics``; the marketing page, *My feed* and the admin page use them. Every string comes
from the catalogue (``goals.*``), a refused goal's reason too (``goals.error.<code>``, from
``goals.GoalError``).
"""

from __future__ import annotations

import datetime as dt

import streamlit as st

from assistant.context import Context
from assistant.reporting import goals, metrics
from assistant.ui.i18n import error_text, labels, t
from assistant.ui.safe import md


def progress(ctx: Context, account=None, open_only: bool = False, compact: bool = False) -> list[dict]:
    """Each goal's progress bar (only open ones with ``open_only``); an admin ``account`` also gets a
    remove button per goal. ``compact``: a small heading, and nothing drawn without goals. Returns the
    goals shown."""
    shown = [g for g in goals.progress(ctx.store, ctx.today())
             if not open_only or g["progress"]["status"] == "open"]
    if compact and not shown:
        return shown
    if compact:
        st.caption(f"🎯 {t('goals.title')}")
    elif not shown:
        st.caption(t("goals.none"))
    names, states = labels("goals.metrics"), labels("goals.status")
    for goal in shown:
        p = goal["progress"]
        due = t("goals.due", due=goal["due"].isoformat()) if goal["due"] else ""
        st.progress(p["ratio"], text=t("goals.line", campaign=md(goal["campaign"]), value=p["value"],
                                       target=p["target"], label=names.get(goal["metric"], goal["metric"]), due=due,
                                       status=states[p["status"]]))
        if account is not None and account.has("admin") and st.button(t("goals.remove"),
                                                                         key=f"goal_remove_{goal['id']}"):
            goals.remove_goal(ctx.store, goal["id"])
            st.rerun()
    return shown


def goal_error(exc: goals.GoalError) -> str:
    """Why a goal was refused, from the catalogue (``goals.error.<code>``) in the session's language, with
    what it quotes escaped (an unknown measure is shown as typed; the known ones by their labels)."""
    names = labels("goals.metrics")
    values = {**exc.values, "metrics": ", ".join(names.get(m, m) for m in goals.METRICS)} \
        if "metrics" in exc.values else exc.values
    return t(f"goals.error.{exc.code}", **{k: md(str(v)) for k, v in values.items()})


def admin_forms(ctx: Context, account, campaigns: list[str]) -> None:
    """The new-goal form and the CPM / CPC form (the caller checks the admin role)."""
    names = labels("goals.metrics")
    with st.form("goal_form", clear_on_submit=True):
        st.markdown(f"**{t('goals.new_goal')}**")
        a, b, c, d = st.columns(4)
        campaign = a.selectbox(t("goals.campaign"), campaigns, index=None, key="goal_campaign")
        metric = b.selectbox(t("goals.metric"), list(goals.METRICS), format_func=names.get, key="goal_metric")
        target = c.number_input(t("goals.target"), min_value=1, value=20, step=1, key="goal_target")
        due = d.date_input(t("goals.due_date"), value=ctx.today() + dt.timedelta(days=7), key="goal_due")
        min_score = st.slider(t("goals.min_score"), 0, 100, int(goals.PERSONAL_SCORE), key="goal_min_score")
        if st.form_submit_button(t("goals.add")):
            if not campaign:
                st.error(t("goals.no_campaign"))
            else:
                try:
                    goals.add_goal(ctx.store, campaign, metric, int(target), due=due, min_score=float(min_score),
                                   by=account.username)
                except goals.GoalError as exc:
                    st.error(goal_error(exc))
                except ValueError as exc:
                    st.error(error_text(exc))
                else:
                    st.session_state["goal_flash"] = t("goals.added", target=int(target), label=names[metric],
                                                       campaign=md(campaign))
                    st.rerun()
    flash = st.session_state.pop("goal_flash", None)
    if flash:
        st.success(flash)
    rates = metrics.rates(ctx.store, ctx.settings)
    with st.form("rates_form"):
        st.markdown(f"**{t('goals.rates')}** ({rates['currency']})")
        a, b = st.columns(2)
        cpm = a.number_input(t("goals.cpm"), min_value=0.0, value=float(rates["cpm"]), step=1.0, key="rates_cpm")
        cpc = b.number_input(t("goals.cpc"), min_value=0.0, value=float(rates["cpc"]), step=0.1, key="rates_cpc")
        if st.form_submit_button(t("goals.save")):
            metrics.set_rates(ctx.store, cpm, cpc, by=account.username)
            st.success(t("goals.saved"))
