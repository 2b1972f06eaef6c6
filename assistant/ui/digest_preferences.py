"""The employee's digest preferences (how often, where), as a section the profile page calls."""

from __future__ import annotations

import streamlit as st

from assistant.context import Context
from assistant.digest import preferences
from assistant.ui.i18n import t

def preferences_section(ctx: Context, email: str, enrolled: bool = True) -> None:
    """Frequency (weekly, every two weeks, never) and channel of ``email``'s digest, saved on submit.

    The caller has checked that the signed-in account owns ``email``. Opt-outs made with an
    unsubscribe link are folded in first, so the page shows them.
    """
    preferences.fold_optouts(ctx.store, ctx.settings)
    current = preferences.get(ctx.store, email)
    channels = list(preferences.channels(ctx.settings))
    st.subheader(t("digest_prefs.title"))
    if not enrolled:
        st.caption(t("digest_prefs.not_enrolled"))
    with st.form("digest_preferences_form"):
        frequency = st.radio(t("digest_prefs.frequency"), list(preferences.FREQUENCIES), format_func=lambda v: t(f"digest_prefs.{v}"),
                             index=list(preferences.FREQUENCIES).index(current["frequency"]), horizontal=True,
                             key="digest_pref_frequency")
        channel = st.selectbox(t("digest_prefs.channel"), channels, format_func=lambda v: t(f"digest_prefs.{v}"), key="digest_pref_channel",
                               index=channels.index(current["channel"]) if current["channel"] in channels else 0)
        if st.form_submit_button(t("digest_prefs.save"), type="primary"):
            preferences.set_preferences(ctx.store, email, frequency=frequency, channel=channel, by=email)
            st.success(t("digest_prefs.saved"))
