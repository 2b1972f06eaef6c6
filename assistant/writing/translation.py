"""An item's key point in the other language, translated once and kept.

When an employee drafts in French about an item that exists only in English (or
the reverse) and the library has no version of it in their language, the key
point (``keypoint``: the headline and the short phrases carrying the item's facts)
is translated by the configured translator (``models.translator``: OPUS-MT en↔fr
from PyPI packages by default), phrase by phrase, and stored per item, content
hash and language in the ``translations`` table, so it is translated once whoever
drafts. A phrase whose translation lost or changed a number, or lost a name, is
dropped: facts stay exact.

Where it runs, and why. Translating takes seconds of CPU per item and the model
300 MB of memory per direction, so it never runs in the app's process, where it
would take the CPU from every employee's session:

- content is translated when it is imported (:func:`translate_pending`, after
  ``retrieval.indexing.embed_pending``): ``porte-voix ingest``, ``porte-voix demo``
  and ``porte-voix translate`` (for what an import left, e.g. ``--no-translate``);
- in the app (items added on the Library page, or still missing a translation when
  an employee opens one), the app's context holds a :class:`ChildTranslator`: each
  batch of phrases goes to one low-priority child process (``nice porte-voix
  translate --stdio``, one at a time, its model loaded once and the process gone
  after a minute idle), and the app's worker stores the result. The child never
  opens the store (DuckDB lets one process write it: the app's).

A draft asked for before the translation exists uses the figures-only key point;
the next draft after it lands uses the translation.

    >>> ensure(ctx, item, "fr")                    # doctest: +SKIP
    >>> translated_point(ctx.store, item, "fr")    # doctest: +SKIP
    KeyPoint(lang='fr', headline='Velora achève son projet pilote…', via='translation', …)
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
import shutil
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from typing import IO, Callable

from models.translator import Translator

from ..imports import catalog
from ..language import SUPPORTED
from ..storage.store import Store
from ..text import fold
from .facts import facts_in, number_keys
from .keypoint import KeyPoint, key_point, names_person
from .units import figure
from .versions import version_in

log = logging.getLogger(__name__)


def faithful(source: str, translation: str, names: list[str]) -> bool:
    """Whether ``translation`` keeps every number of ``source`` (in either format) and each of ``names`` it held.

    >>> faithful("Readmissions fell by 18% at 9 clinics", "Les réadmissions ont baissé de 18 % dans 9 cliniques", [])
    True
    >>> faithful("7.5% of 1,200 patients", "7,5 % de 200 patients", [])
    False
    """
    kept = all(fold(n) in fold(translation) for n in names if fold(n) in fold(source))
    return bool(translation.strip()) and number_keys(source) == number_keys(translation) and kept


def ensure(ctx, item: dict, lang: str) -> bool:
    """Translate ``item``'s key point into ``lang`` and store it, unless it is stored already; False when no
    translator is available or translating failed (the reason is logged)."""
    store = ctx.store
    if _row(store, item, lang) is not None:
        return True
    translator = ctx.translator
    if translator is None:
        return False
    original = key_point(item, item["language"])  # its title and text sanitised (``injection.as_data``)
    segments = [_core(original.headline), *original.details]
    try:
        out = translator.translate_batch(segments, item["language"], lang)
    except Exception as exc:  # a missing package or a model that fails: figures only, said in the log
        log.warning("translation of %s into %s failed: %s", item["id"], lang, exc)
        return False
    names = [f.text for f in original.facts if f.kind == "name"]
    kept = [t if t and faithful(s, t, names) else "" for s, t in zip(segments, out)]
    store.execute(
        """INSERT INTO translations (content_id, content_hash, lang, title, details) VALUES (?, ?, ?, ?, ?)
           ON CONFLICT (content_id, lang) DO UPDATE SET content_hash = excluded.content_hash,
             title = excluded.title, details = excluded.details, created_at = now()""",
        [item["id"], item["content_hash"], lang, kept[0], json.dumps([d for d in kept[1:] if d], ensure_ascii=False)])
    return True


def translated_point(store: Store, item: dict, lang: str, avoid_names: tuple[str, ...] = ()) -> KeyPoint | None:
    """The stored translation of ``item``'s key point as a :class:`KeyPoint` in ``lang`` (None when there is
    none for its current text). The item's lead date is written the ``lang`` way beside the headline."""
    row = _row(store, item, lang)
    if row is None or not (row["title"] or row["details"]):
        return None
    original = key_point(item, item["language"])  # its title and text sanitised (``injection.as_data``)
    headline = _sentence(row["title"]) if row["title"] else ""
    date = next((f for f in facts_in(original.headline, original.facts) if f.kind == "date"), None)
    if headline and date:
        headline = headline[:-1] + f" ({figure(date, lang)})."
    details = [d for d in json.loads(row["details"] or "[]") if not names_person(d, avoid_names)]
    text = " ".join([headline, *details])
    facts = facts_in(text, original.facts)
    return KeyPoint(lang=lang, headline=headline, details=details, facts=facts, via="translation",
                    source=f"{item['title']}\n{item['text']}", title=item["title"])


def _core(headline: str) -> str:
    """A headline without its date in brackets and its full stop: what is translated (the date is not)."""
    return re.sub(r"\s*\([^)]*\)\s*$", "", headline.strip().rstrip(".")).strip()


def _sentence(text: str) -> str:
    text = text.strip().rstrip(".")
    return text[:1].upper() + text[1:] + "."


def _row(store: Store, item: dict, lang: str) -> dict | None:
    rows = store.rows("SELECT title, details FROM translations WHERE content_id = ? AND lang = ? AND content_hash = ?",
                      [item["id"], lang, item["content_hash"]])
    return rows[0] if rows else None


def translate_in_background(executor: ThreadPoolExecutor, ctx, item: dict | None = None,
                            lang: str | None = None) -> Future:
    """Start :func:`ensure` of ``item`` into ``lang`` (for a draft the employee is about to ask for), or
    :func:`translate_pending` without an item (after an import in the app), on ``executor`` (the app's worker)."""
    return executor.submit(_quietly, ctx, item, lang)


def _quietly(ctx, item: dict | None, lang: str | None) -> bool | int:
    try:
        return ensure(ctx, item, lang) if item is not None else translate_pending(ctx)
    except Exception:  # never lost: drafts fall back to the figures, and the next import or request tries again
        log.exception("background translation failed")
        return False


# --- at import: every item in the other language, in the importing process ------------------------------

def pending(store: Store, today: dt.date | None = None) -> list[tuple[dict, str]]:
    """``(item, language)`` for each active item in a supported language whose key point has no stored
    translation into the other one (for its current text) and no version in that language in the library."""
    out = []
    for item in catalog.active_items(store, today):
        if item["language"] not in SUPPORTED:
            continue
        for lang in SUPPORTED:
            if lang != item["language"] and _row(store, item, lang) is None and version_in(store, item, lang) is None:
                out.append((item, lang))
    return out


def translate_pending(ctx, progress: Callable[[int, int], None] | None = None) -> int:
    """Translate the key point of every :func:`pending` item (imports call this after embedding); return how
    many were stored. Nothing to do without a translator (``PORTE_VOIX_TRANSLATOR=none``): drafts then give
    the figures."""
    todo = pending(ctx.store, ctx.today())
    if not todo or ctx.translator is None:
        return 0
    done = 0
    for number, (item, lang) in enumerate(todo, 1):
        done += ensure(ctx, item, lang)
        if progress:
            progress(number, len(todo))
    return done


# --- in the app: a translator in a child process -------------------------------------------------------

class ChildTranslator(Translator):
    """The configured translator, run in a low-priority child process (``porte-voix translate --stdio``) so
    its model never loads in the caller's process. One request at a time (a lock: one child, one model); the
    child starts on the first request, keeps its model between requests and is closed after ``idle_s``
    seconds without one. A child that reports no translator makes every later call fail at once."""

    name = "child"
    pairs = tuple((a, b) for a in SUPPORTED for b in SUPPORTED if a != b)

    def __init__(self, command: list[str], idle_s: float = 60.0, timeout_s: float = 600.0):
        self.command, self.idle_s, self.timeout_s = command, idle_s, timeout_s
        self._proc: subprocess.Popen | None = None
        self._lock = threading.Lock()
        self._idle: threading.Timer | None = None
        self.unavailable: str | None = None  # why the child has no translator
        self.started = 0  # child processes started (the tests count them)
        self._last = 0.0

    def translate_batch(self, texts, source, target):
        texts = list(texts)
        if not self.check(source, target) or not any(t.strip() for t in texts):
            return texts
        with self._lock:
            if self.unavailable:
                raise RuntimeError(self.unavailable)
            if self._idle is not None:
                self._idle.cancel()
            answer = self._ask({"texts": texts, "source": source, "target": target})
            self._last = time.monotonic()
            self._idle = threading.Timer(self.idle_s, self._close_if_idle)
            self._idle.daemon = True
            self._idle.start()
        if "error" in answer:
            if answer.get("unavailable"):
                self.unavailable = answer["error"]
            raise RuntimeError(answer["error"])
        return answer["texts"]

    def _ask(self, request: dict) -> dict:
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(self.command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                          encoding="utf-8", bufsize=1)
            self.started += 1
        proc = self._proc
        watchdog = threading.Timer(self.timeout_s, proc.kill)  # a child that hangs is stopped, not waited on
        watchdog.daemon = True
        watchdog.start()
        try:
            proc.stdin.write(json.dumps(request, ensure_ascii=False) + "\n")
            proc.stdin.flush()
            line = proc.stdout.readline()
        except OSError:
            line = ""
        finally:
            watchdog.cancel()
        if not line:
            self._proc = None
            proc.kill()
            proc.wait()
            raise RuntimeError(f"the translation process ended (exit code {proc.returncode})")
        return json.loads(line)

    def _close_if_idle(self) -> None:
        self.close(idle_only=True)

    def close(self, idle_only: bool = False) -> None:
        """End the child (it finishes on end of input); the next request starts another. ``idle_only``: only
        when no request came for ``idle_s`` seconds."""
        with self._lock:
            if idle_only and time.monotonic() - self._last < self.idle_s:
                return
            proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.stdin.close()
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def in_child_process(settings) -> ChildTranslator | None:
    """The app's translator: the configured one in a ``nice``d child process (None when it is ``none``)."""
    if settings.translator == "none":
        return None
    nice = shutil.which("nice")
    command = [sys.executable, "-m", "assistant.cli", "translate", "--stdio"]
    return ChildTranslator([nice, "-n", "19", *command] if nice else command)


def serve_stdio(translator: Translator | None, lines: IO[str], out: IO[str]) -> int:
    """The child's side of :class:`ChildTranslator`: one JSON request per line of ``lines``
    (``{"texts", "source", "target"}``), one JSON answer per line on ``out`` (``{"texts"}`` or ``{"error"}``,
    with ``"unavailable": true`` when there is no translator), until the end of ``lines``; returns how many
    requests were answered."""
    answered = 0
    for line in lines:
        if not line.strip():
            continue
        try:
            request = json.loads(line)
            if translator is None:
                answer = {"error": "no translator (PORTE_VOIX_TRANSLATOR, or its packages missing)",
                          "unavailable": True}
            else:
                answer = {"texts": translator.translate_batch(list(request["texts"]), request["source"],
                                                              request["target"])}
        except Exception as exc:  # one bad request is answered with its error; the next one is served
            answer = {"error": f"{type(exc).__name__}: {exc}"}
        out.write(json.dumps(answer, ensure_ascii=False) + "\n")
        out.flush()
        answered += 1
    return answered
