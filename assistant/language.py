"""Language detection for content and posts.

langdetect is probabilistic; seeding its factory makes it deterministic, so an
import gives the same languages on every run. Porte-voix supports French and
English; any other language is stored as detected and flagged unsupported,
never dropped. Empty or symbol-only text is ``"und"`` (undetermined).

>>> detect("Nous recrutons une ingénieure données à Lyon.")
'fr'
>>> is_supported("de")
False
"""

from __future__ import annotations

from functools import lru_cache

from langdetect import DetectorFactory, detect_langs
from langdetect.lang_detect_exception import LangDetectException

SUPPORTED = ("fr", "en")
UNDETERMINED = "und"

_ready = False


def _factory():
    global _ready
    if not _ready:
        DetectorFactory.seed = 0
        _ready = True
    return DetectorFactory


@lru_cache(maxsize=4096)
def detect(text: str | None) -> str:
    """ISO 639-1 code of ``text``'s language, or ``"und"`` when it has none.

    When French or English is a close second to another language (common on
    short texts), the supported language wins: "Data mesh : retour d'expérience"
    should not come out as Catalan.
    """
    if not text or not any(ch.isalpha() for ch in text):
        return UNDETERMINED
    _factory()
    try:
        guesses = detect_langs(text[:5000])
    except LangDetectException:
        return UNDETERMINED
    best = guesses[0]
    if best.lang in SUPPORTED:
        return best.lang
    for guess in guesses[1:]:
        if guess.lang in SUPPORTED and guess.prob >= 0.3:
            return guess.lang
    return best.lang


def is_supported(lang: str | None) -> bool:
    return lang in SUPPORTED


def normalise(lang: str | None) -> str | None:
    """Map user-written language names ('FR', 'français', 'English') to codes."""
    if lang is None:
        return None
    value = str(lang).strip().lower()
    aliases = {"français": "fr", "francais": "fr", "french": "fr", "anglais": "en", "english": "en"}
    value = aliases.get(value, value)
    return value[:2] if len(value) >= 2 and value[:2].isalpha() else (value or None)
