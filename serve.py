"""The web server of Porte-voix: the Streamlit app (``app.py``) plus the sign-in cookie route.

``streamlit run serve.py`` (what ``make run`` does) serves both in one process, so
signing in lasts across reloads and new tabs (see ``assistant/access/session_cookie.py``).
``streamlit run app.py`` also works, without that route: signing in then lasts
as long as the browser tab.
"""

import streamlit as st

from assistant.ui.web import routes

app = st.App("app.py", routes=routes())
