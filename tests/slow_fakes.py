"""A fake drafting model that takes its time, for end-to-end tests of waiting.

``fake-slow`` writes like ``fake`` (``tests.fakes``) but pauses ``PAUSE_S``
after each word, and holds after each word while a file named ``HOLD``
exists in the home (``PORTE_VOIX_HOME``), so a browser test decides how long
a draft lasts and sees what people see meanwhile: the line of colleagues
before them, "draft k of n", a page without stale cards. Loaded by a server
started with ``PORTE_VOIX_PLUGINS=tests.fakes,tests.slow_fakes``.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

from models.generator import register_generator
from tests.fakes import FakeGenerator

PAUSE_S = 0.01
HOLD = "hold-drafting"


class SlowFakeGenerator(FakeGenerator):
    name = "fake-slow"

    def stream(self, prompt, *, max_new_tokens=200, temperature=0.0, seed=0):
        hold = Path(os.environ.get("PORTE_VOIX_HOME", ".")) / HOLD  # test code: the product reads no environment
        for piece in super().stream(prompt, max_new_tokens=max_new_tokens, temperature=temperature, seed=seed):
            time.sleep(PAUSE_S)
            yield piece
            while hold.exists():
                time.sleep(0.05)


register_generator("fake-slow")(SlowFakeGenerator)
