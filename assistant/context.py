"""The composition root: one object holding what every service needs.

Each entry point (the Streamlit app through ``st.cache_resource``, the CLI, the
evals, the tests) builds one :class:`Context` and hands it, or the parts a
service needs, down. Nothing below reads the environment or opens its own
store, so two homes or two policies can never meet in one request.

    >>> ctx = open_context(load_settings({"PORTE_VOIX_HOME": tmp}))   # doctest: +SKIP
    >>> recommend(ctx.store, "camille@…", embedder=ctx.embedder)       # doctest: +SKIP

Models are built lazily: a context that never drafts never loads the
generator. ``clock`` is the one source of "now" (tests pass a fixed one).
"""

from __future__ import annotations

import datetime as dt
import importlib
import logging
import threading
from typing import Callable

from models import Embedder, get_embedder
from models.generator import Generator, get_generator
from models.scheduler import Interleaved
from models.translator import Translator, get_translator

from .config import Settings
from .storage import installation
from .storage.store import Store, open_store
from .writing.policy import Policy, load_policy


class Context:
    """Settings, store, embedder, generator, policy and clock of one installation."""

    def __init__(self, settings: Settings, store: Store | None = None, *, embedder: Embedder | None = None,
                 generator: Generator | None = None, translator: Translator | None = None,
                 clock: Callable[[], dt.datetime] | None = None):
        self.settings = settings
        self._store = store
        self.clock = clock or dt.datetime.now
        self._embedder = embedder
        self._generator = generator
        self._translator = translator
        self._policy: tuple[float | None, Policy] | None = None
        self._lock = threading.Lock()

    @property
    def store(self) -> Store:
        """The migrated DuckDB store (opened on first use: ``porte-voix score`` never needs it)."""
        with self._lock:
            if self._store is None:
                self._store = open_store(self.settings)
            return self._store

    @property
    def embedder(self) -> Embedder:
        """The configured embedder (built on first use; its weights load on first embedding)."""
        with self._lock:
            if self._embedder is None:
                self._embedder = get_embedder(self.settings.embedder, threads=self.settings.use_threads)
            return self._embedder

    @property
    def translator(self) -> Translator | None:
        """The configured translator (built on first use, its model loaded on first translation); None when
        the settings say "none" or its packaged model is not installed (key points then give figures only)."""
        with self._lock:
            if self._translator is None and self.settings.translator != "none":
                try:
                    # one thread: a translation in the background must leave the other core to the app
                    self._translator = get_translator(self.settings.translator, threads=1,
                                                      cache_dir=self.settings.model_cache / "translators")
                except (KeyError, ImportError, OSError) as exc:
                    logging.getLogger(__name__).warning("no translator: %s", exc)
                    self._translator = False
            return self._translator or None

    @property
    def generator(self) -> Generator:
        """The configured drafting model (built on first use; its weights load on first draft)."""
        with self._lock:
            if self._generator is None:
                options = {}
                if self.settings.generator == "openai":  # the company's own OpenAI-compatible server
                    options = {"base_url": self.settings.generator_base_url, "model": self.settings.generator_model,
                               "api_key": self.settings.generator_api_key, "timeout": self.settings.generator_timeout_s,
                               "timeout_name": "PORTE_VOIX_GENERATOR_TIMEOUT_S",
                               "concurrency": self.settings.generator_concurrency}
                # Concurrent employees share the model step by step instead of queueing (models.scheduler).
                self._generator = Interleaved(get_generator(self.settings.generator,
                                                            cache_dir=self.settings.model_cache / "generators", **options))
            return self._generator

    @property
    def policy(self) -> Policy:
        """The installation's policy, re-read when it changes; ``Policy(configured=False)`` without one.

        The file in the home, or, on PostgreSQL, the database's current version (``storage.installation``):
        its id is checked at each use, so an admin's save on any machine applies at this process's next request.
        """
        path, store = self.settings.policy_path, self.store if self.settings.database_url else None
        if store is not None:
            stamp = installation.policy_version(store, adopt=path)
        else:
            stamp = path.stat().st_mtime_ns if path.exists() else None
        cached = self._policy
        if cached is None or cached[0] != stamp:
            cached = self._policy = (stamp, load_policy(path, store))
        return cached[1]

    def now(self) -> dt.datetime:
        return self.clock()

    def today(self) -> dt.date:
        return self.clock().date()


def open_context(settings: Settings, **parts) -> Context:
    """Load plugins and wrap ``settings``; the store opens (and migrates) on first use.

    ``settings`` come from the entry point (``load_settings`` there, once), never read here.
    ``parts`` may supply a ready ``store``, ``embedder``, ``generator`` or ``clock`` (tests, evals).
    """
    for module in settings.plugins:
        importlib.import_module(module)  # registers extra models, e.g. the tests' fakes
    return Context(settings, **parts)
