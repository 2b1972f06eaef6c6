"""The employee's digest preferences (how often, where), as a section the profile page calls."""

from __future__ import annotations

import streamlit as st

from assistant import digest_prefs, unsubscribe
from assistant.context import Context
from assistant.ui import i18n

TEXT = {
    "fr": {"title": "Résumé hebdomadaire", "frequency": "Fréquence", "channel": "Canal", "save": "Enregistrer",
           "saved": "Préférences enregistrées.",
           "not_enrolled": "Vous ne recevez pas de résumé tant que vous ne participez pas au programme d'ambassadeurs "
                           "(onglet Consentements).",
           "weekly": "Chaque semaine", "biweekly": "Toutes les deux semaines", "never": "Jamais",
           "email": "E-mail", "slack": "Slack", "teams": "Microsoft Teams"},
    "en": {"title": "Weekly digest", "frequency": "How often", "channel": "Where", "save": "Save",
           "saved": "Preferences saved.",
           "not_enrolled": "You get no digest until you take part in the ambassador programme (Consent tab).",
           "weekly": "Every week", "biweekly": "Every two weeks", "never": "Never",
           "email": "E-mail", "slack": "Slack", "teams": "Microsoft Teams"},
}


def preferences_section(ctx: Context, email: str, enrolled: bool = True) -> None:
    """Frequency (weekly, every two weeks, never) and channel of ``email``'s digest, saved on submit.

    The caller has checked that the signed-in account owns ``email``. Opt-outs made with an
    unsubscribe link are folded in first, so the page shows them.
    """
    words = TEXT[i18n.current()]
    unsubscribe.fold(ctx.store, ctx.settings)
    current = digest_prefs.get(ctx.store, email)
    channels = list(digest_prefs.channels(ctx.settings))
    st.subheader(words["title"])
    if not enrolled:
        st.caption(words["not_enrolled"])
    with st.form("digest_preferences_form"):
        frequency = st.radio(words["frequency"], list(digest_prefs.FREQUENCIES), format_func=words.get,
                             index=list(digest_prefs.FREQUENCIES).index(current["frequency"]), horizontal=True,
                             key="digest_pref_frequency")
        channel = st.selectbox(words["channel"], channels, format_func=words.get, key="digest_pref_channel",
                               index=channels.index(current["channel"]) if current["channel"] in channels else 0)
        if st.form_submit_button(words["save"], type="primary"):
            digest_prefs.set_preferences(ctx.store, email, frequency=frequency, channel=channel, by=email)
            st.success(words["saved"])
