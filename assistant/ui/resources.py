"""The app's composition root: one ``Context`` per configuration, built once per process.

Pages call :func:`context` and take what they need from it (store, embedder,
generator, policy). The settings come from the config module, the only reader
of the environment; the cache is keyed on them, so a process (or a test) that
changes its configuration gets a matching context, never a stale one.
"""

from __future__ import annotations

import dataclasses
import logging
import threading

import streamlit as st

from assistant.config import Settings, load_settings
from assistant.context import Context, open_context
from assistant.drafting import warm_up
from assistant.store import Store


def context() -> Context:
    settings = load_settings()
    return _context(_key(settings), settings)


def _key(settings: Settings) -> str:
    return repr(sorted(dataclasses.asdict(settings).items()))


@st.cache_resource(show_spinner=False)
def _context(key: str, _settings: Settings) -> Context:
    """Cached on ``key`` (the settings' text); Streamlit does not hash underscore arguments."""
    return open_context(_settings)


def store() -> Store:
    return context().store


def embedder():
    return context().embedder


def drafting_warm_up() -> threading.Thread:
    """Start loading the drafting model in the background, once per context (see ``drafting.warm_up``)."""
    ctx = context()
    return _warm_up(_key(ctx.settings), ctx)


@st.cache_resource(show_spinner=False)
def _warm_up(key: str, _ctx: Context) -> threading.Thread:
    def run():
        try:
            warm_up(_ctx.generator)
        except Exception:  # drafting will raise the same error, to the user who asks, with its message
            logging.getLogger(__name__).exception("drafting model warm-up failed")

    thread = threading.Thread(target=run, name="porte-voix-drafting-warm-up", daemon=True)
    thread.start()
    return thread
