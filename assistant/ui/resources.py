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
from concurrent.futures import ThreadPoolExecutor

import streamlit as st

from assistant import periodic
from assistant.config import Settings, load_settings
from assistant.context import Context, open_context
from assistant.digest import schedule
from assistant.links.clicklog import open_log
from assistant.reporting import sync
from assistant.storage import keys
from assistant.storage.store import Store
from assistant.writing import translation
from assistant.writing.drafting import polish_allowed, warm_up
from assistant.writing.model_loading import Loading, first_load


def context() -> Context:
    settings = load_settings()
    return _context(_key(settings), settings)


def _key(settings: Settings) -> str:
    return repr(sorted(dataclasses.asdict(settings).items()))


@st.cache_resource(show_spinner=False)
def _context(key: str, _settings: Settings) -> Context:
    """Cached on ``key`` (the settings' text); Streamlit does not hash underscore arguments. Its translator
    runs in a low-priority child process (``translation.in_child_process``): the translation model never
    loads in the app's process, where it would take the CPU from every session."""
    return open_context(_settings, translator=translation.in_child_process(_settings))


def store() -> Store:
    return context().store


def embedder():
    return context().embedder


def drafting_warm_up() -> Loading:
    """Start loading the drafting model in the background, once per context (see ``drafting.warm_up``), where
    it polishes drafts (``drafting.polish_allowed``);
    the returned ``Loading`` says whether it is done and how long it should take."""
    ctx = context()
    if not any(polish_allowed(ctx, lang) for lang in ("fr", "en")):
        loading = Loading()  # drafts are composed without a model here: nothing to load
        loading.begin()
        loading.end()
        return loading
    return _warm_up(_key(ctx.settings), ctx)


@st.cache_resource(show_spinner=False)
def _warm_up(key: str, _ctx: Context) -> Loading:
    loading = Loading(_ctx.settings.model_cache / "drafting-load.json", first_time=first_load(_ctx.generator))

    def run():
        loading.begin()
        try:
            warm_up(_ctx.generator)
            loading.end()
        except Exception as exc:  # drafting will raise the same error, to the user who asks, with its message
            logging.getLogger(__name__).exception("drafting model warm-up failed")
            loading.end(error=type(exc).__name__)

    loading.begin()
    threading.Thread(target=run, name="porte-voix-drafting-warm-up", daemon=True).start()
    return loading


def polisher() -> ThreadPoolExecutor:
    """The one background worker that runs the drafting model's polish passes (``drafting.polish``): each
    request waits its turn there, its result is stored by the pass itself, so a closed tab loses nothing."""
    ctx = context()
    return _polisher(_key(ctx.settings))


@st.cache_resource(show_spinner=False)
def _polisher(key: str) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="porte-voix-polish")


def translating() -> ThreadPoolExecutor:
    """The one background worker that has key points translated (``writing.translation``: in the child
    process, one at a time) and stores them: items imported on the Library page, or opened before a translation."""
    ctx = context()
    return _translating(_key(ctx.settings))


@st.cache_resource(show_spinner=False)
def _translating(key: str) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="porte-voix-translate")


def engagement_sync() -> periodic.Job:
    """Fold the click log into DuckDB every ``settings.sync_every_s`` while the app runs (one background job
    per context; ``sync.start_background``). ``stop()`` ends it."""
    ctx = context()
    return _engagement_sync(_key(ctx.settings), ctx)


@st.cache_resource(show_spinner=False)
def _engagement_sync(key: str, _ctx: Context) -> periodic.Job:
    return sync.start_background(_ctx.store, open_log(_ctx.settings.clicklog_path), _ctx.settings.sync_every_s)


def digest_schedule() -> threading.Thread:
    """Send the weekly digests from the app's own process while it runs (one ``porte-voix-digests`` thread per
    context; ``digest.schedule.start_background``). Safe beside a cron ``porte-voix digest send``: every
    delivery is claimed once per person and period in the store, so nobody gets a week twice."""
    ctx = context()
    return _digest_schedule(_key(ctx.settings), ctx)


@st.cache_resource(show_spinner=False)
def _digest_schedule(key: str, _ctx: Context) -> threading.Thread:
    return schedule.start_background(_ctx)


def cookie_secret() -> bytes:
    """The installation's key that signs sign-in cookies (created once, in the home or on PostgreSQL in the database: see ``keys``)."""
    return keys.key(context().settings.ensure(), "session-cookie")
