"""Porte-voix, the Streamlit app: navigation only; each page lives in assistant/ui/."""

import streamlit as st

from assistant.ui import feed

st.set_page_config(page_title="Porte-voix", page_icon="📣", layout="wide")

pages = [st.Page(feed.page, title="Mon fil · My feed", icon="📰", url_path="feed", default=True)]
st.navigation(pages).run()
