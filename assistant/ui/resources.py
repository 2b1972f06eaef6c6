"""Heavy, shared objects for the Streamlit pages, created once per process."""

from __future__ import annotations

import streamlit as st

from assistant.matching import embedder_for
from assistant.store import Store, open_store


def store() -> Store:
    """The store under PORTE_VOIX_HOME (``open_store`` keeps one per database file per process)."""
    return open_store()


@st.cache_resource(show_spinner="Chargement du modèle de langue… · Loading the language model…")
def embedder():
    return embedder_for()
