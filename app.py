"""Porte-voix, the Streamlit app: the frame and the navigation; each page lives in assistant/ui/.

Who signs in decides which pages open: nobody → the sign-in form, at every
address (a deep link opens its page once signed in); then one section per
role held. Each page checks the role again on the server (``auth.require``),
so a URL typed by hand opens nothing it should not. Every string comes from
the catalogue of the interface's language (``assistant/ui/i18n.py``).
"""

import streamlit as st

from assistant.ui import auth, resources, shell

st.set_page_config(page_title="Porte-voix", page_icon="📣", layout="wide")

with shell.friendly_faults():  # a locked, corrupted or full store: a short page, the details in the log
    resources.drafting_warm_up()  # where the model polishes drafts, it loads while people sign in and read
    resources.engagement_sync()  # new clicks and conversions reach the dashboards every PORTE_VOIX_SYNC_EVERY_S
    resources.digest_schedule()  # the weekly digests go out from this process (PORTE_VOIX_DIGEST_WEEKDAY/HOUR)
    account = auth.current_account()
    shell.settle_language(account)
    if account is not None:
        auth.sidebar(account)
    shell.language_picker(account)
    auth.cookie_bridge()
    shell.navigation(account).run()
