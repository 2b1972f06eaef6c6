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


@st.cache_resource(show_spinner=False)
def drafting_warm_up():
    """Start loading the drafting model in the background, once per process (see ``drafting.warm_up``)."""
    import logging
    import threading

    from assistant.drafting import warm_up

    def run():
        try:
            warm_up()
        except Exception:  # drafting will raise the same error, to the user who asks, with its message
            logging.getLogger(__name__).exception("drafting model warm-up failed")

    thread = threading.Thread(target=run, name="porte-voix-drafting-warm-up", daemon=True)
    thread.start()
    return thread
