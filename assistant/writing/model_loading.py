"""The drafting model's load at start: whether it is done, and how long it should still take.

The app loads the drafting model in a background thread when it starts
(``drafting.warm_up``); an employee who asks for drafts before it is ready
is told so, with an estimate from the last load measured on this machine
(kept in the home), or the one-time conversion's usual time on a new one.
(Several employees drafting at once share the loaded model step by step:
``models.scheduler.Interleaved``; the page says how many drafts are in
progress.)

    >>> loading = Loading()
    >>> loading.begin(); loading.done, loading.remaining_s() >= 1
    (False, True)
    >>> loading.end(); loading.done, loading.remaining_s()
    (True, 0.0)
"""

from __future__ import annotations

import json
import time
from pathlib import Path

FIRST_LOAD_S = 150.0   # one-time conversion of the packaged model, then its load (README "Drafting")
USUAL_LOAD_S = 15.0    # load from the converted folder, when no earlier load was measured here


class Loading:
    """The drafting model's load: started, finished (or failed), and how long it should take."""

    def __init__(self, record: Path | None = None, first_time: bool = False):
        self.record = record
        self.first_time = first_time
        self.started: float | None = None
        self.finished: float | None = None
        self.error: str | None = None

    def begin(self) -> None:
        self.started = time.monotonic()

    def end(self, error: str | None = None) -> None:
        self.finished, self.error = time.monotonic(), error
        if error is None and self.record is not None and self.started is not None:
            try:
                self.record.parent.mkdir(parents=True, exist_ok=True)
                self.record.write_text(json.dumps({"load_s": round(self.finished - self.started, 1)}))
            except OSError:
                pass  # an estimate is a nicety; a read-only home must not stop drafting

    @property
    def done(self) -> bool:
        return self.finished is not None

    def estimate_s(self) -> float:
        """Expected total load time: the last one measured here, else the usual figures."""
        try:
            return float(json.loads(self.record.read_text())["load_s"]) if self.record else USUAL_LOAD_S
        except (OSError, ValueError, KeyError, TypeError):
            return FIRST_LOAD_S if self.first_time else USUAL_LOAD_S

    def remaining_s(self) -> float:
        """Seconds still expected (never below 1 while loading)."""
        if self.done:
            return 0.0
        spent = time.monotonic() - self.started if self.started is not None else 0.0
        return max(1.0, self.estimate_s() - spent)


def first_load(generator) -> bool:
    """Whether the packaged model still needs its one-time conversion (best effort; False when unknown)."""
    try:
        pinned = generator._pinned_gguf_sha()
        return bool(pinned) and not generator._is_converted(generator.converted_dir(pinned))
    except Exception:
        return False
