"""Digests (admin): when they went out, to how many, what failed and why; a test digest to oneself; send now
(after saying to how many people, and a second click: ``confirm``)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from assistant.digest import digests, log, preferences, sending
from assistant.ui import auth, confirm, resources
from assistant.ui.i18n import t
from assistant.ui.safe import link_markdown, md

RUN_COLUMNS = ["started_at", "period", "trigger", "due", "sent", "failed", "skipped", "build_seconds", "finished_at",
               "error"]
FAILURE_COLUMNS = ["created_at", "period", "email", "channel", "attempts", "error"]


def page() -> None:
    account = auth.require("admin")
    ctx = resources.context()
    settings, store = ctx.settings, ctx.store
    period = digests.period_of(ctx.today())
    st.title(t("digests.title"))
    st.caption(t("digests.schedule", day=t(f"digests.day_{settings.digest_weekday}"), hour=settings.digest_hour,
                      period=period))
    channels = [c for c in preferences.channels(settings) if c != "email" or settings.smtp_host]
    due = len(digests.due(ctx, period))
    left, right = st.columns(2)
    left.metric(t("digests.channels"), ", ".join(channels) or t("digests.none"))
    right.metric(t("digests.due"), due)
    if not settings.smtp_host:
        st.warning(t("digests.smtp_missing"))

    test, now = st.columns(2)
    if test.button(t("digests.test"), key="dig_test", type="primary"):
        try:
            report = sending.send_test(ctx, account.email or account.username)
        except LookupError as exc:
            st.error(t("digests.no_profile", error=md(str(exc))))
        else:
            message = report.messages()[0]
            if message["status"] == "sent":
                st.success(t("digests.test_sent", email=md(message["email"]), channel=message["channel"]))
            else:
                st.error(t("digests.test_failed", email=md(message["email"]), error=md(message["error"])))
            st.session_state["dig_preview"] = message
    if now.button(t("digests.send_now", n=due), key="dig_send_now", disabled=not due,
                  help=None if due else t("digests.nothing_due")):
        confirm.ask("dig_send")
    confirm.dialog("dig_send", t("digests.confirm_title"), t("digests.confirm_send", n=due, period=period),
                   t("digests.send_n", n=due), lambda: _send(ctx))
    sent = confirm.done_message("dig_send")
    if sent:
        st.info(sent)
    preview = st.session_state.get("dig_preview")
    if preview:
        with st.expander(f"{t('digests.preview')} · {md(preview['subject'])}"):
            for n, item in enumerate(preview["items"], 1):  # imported titles: as text, linked only to http(s)
                st.markdown(f"{n}. {link_markdown(item['title'], item['link']) or md(item['title'])}")
                st.caption(md(item["reason"]))

    st.subheader(t("digests.runs"))
    runs = log.runs(store, 20)
    if runs:
        st.dataframe(pd.DataFrame(runs)[RUN_COLUMNS], hide_index=True, key="dig_runs", placeholder="—",
                     column_config={c: st.column_config.Column(t(f"col.{c}")) for c in RUN_COLUMNS})
    else:
        st.info(t("digests.no_runs"))
    st.subheader(t("digests.failures"))
    failed = log.deliveries(store, status="failed", limit=200)
    if failed:
        st.dataframe(pd.DataFrame(failed)[FAILURE_COLUMNS], hide_index=True, key="dig_failures", placeholder="—",
                     column_config={c: st.column_config.Column(t(f"col.{c}")) for c in FAILURE_COLUMNS})
    else:
        st.caption(t("digests.no_failures"))


def _send(ctx) -> str:
    report = sending.send(ctx, trigger="admin")
    return (t("digests.sent", sent=report.sent, failed=report.failed, skipped=report.skipped)
            if report.due else t("digests.nothing_due"))


if __name__ == "__main__":
    page()
