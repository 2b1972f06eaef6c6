"""One language at a time: every string the app shows comes from one message catalogue per language.

The catalogues are ``assistant/words/fr.toml`` and ``en.toml`` (read by
``assistant.words.catalogue``, which the domain uses too); both hold the same
dotted keys (a test checks it), and pages call :func:`t` instead of
writing a label inline, so a label is never written twice (« Mon fil · My feed »)
and never left in one language only.

    >>> catalogue("fr")["feed.title"], catalogue("en")["feed.title"]
    ('Mon fil', 'My feed')
    >>> translate("en", "draft.variant_k", k=1, n=3)
    'Draft 1 of 3'

Which language: the one picked in the sidebar (kept for the account, see
``preferences``), else the signed-in employee's first language, else the
browser's (``Accept-Language``), else French. Errors raised by the domain carry
a catalogue key and its values (``assistant.words.worded.Worded``):
:func:`error_text` words them in the session's language. Texts an installation writes in both
languages ("Texte français. / English text.", as policy messages are) show only
the part in the interface's language (:func:`one_language`).
"""

from __future__ import annotations

import re

import streamlit as st

from assistant.language import detect
from assistant.ui.safe import md
from assistant.words.catalogue import DEFAULT, LANGUAGES, catalogue, options, translate

SESSION_KEY = "ui_lang"
__all__ = ["DEFAULT", "LANGUAGES", "catalogue", "options", "translate", "t", "labels", "current", "settle",
           "localized", "violation_text", "error_text", "one_language", "pick_language"]


_BOTH = re.compile(r"\s+/\s+")
_TAIL = re.compile(r"\s*\([^()a-zA-ZÀ-ÿ]*\)$")  # a count appended to the whole message: "(7 > 5)"


def one_language(text: str, lang: str) -> str:
    """The part of ``text`` in ``lang`` when ``text`` gives the same message in several languages separated by
    " / " (each part in a different language), else ``text`` unchanged; a trailing count such as "(7 > 5)",
    appended to the whole message, stays.

    >>> both = "Trop de hashtags nuit à la lecture. / Too many hashtags hurt reading. (7 > 5)"
    >>> one_language(both, "en"), one_language(both, "fr")
    ('Too many hashtags hurt reading. (7 > 5)', 'Trop de hashtags nuit à la lecture. (7 > 5)')
    >>> one_language("Le débit passe de 1 / 2 à 3 / 4 Go/s.", "en")
    'Le débit passe de 1 / 2 à 3 / 4 Go/s.'
    """
    parts = _BOTH.split(text.strip())
    if len(parts) < 2:
        return text
    tail = _TAIL.search(parts[-1])
    if tail:
        parts[-1] = parts[-1][:tail.start()]
    languages = [detect(p) for p in parts]
    unsure = [i for i, found in enumerate(languages) if found not in LANGUAGES]
    if lang not in languages and len(unsure) == 1:  # short French is often taken for Spanish or Catalan
        languages[unsure[0]] = lang
    if languages.count(lang) != 1 or len(set(languages)) != len(parts):
        return text
    return parts[languages.index(lang)] + (tail.group(0) if tail else "")


def pick_language(chosen: str | None = None, profile_languages=None, browser_locale: str | None = None) -> str:
    """The UI language: the sidebar's choice, else the profile's first language, else the browser's.

    >>> pick_language(None, ["en", "fr"], "fr-FR"), pick_language("fr", ["en"]), pick_language(None, [], "de-DE")
    ('en', 'fr', 'fr')
    """
    if chosen in LANGUAGES:
        return chosen
    for lang in profile_languages or []:
        if lang in LANGUAGES:
            return lang
    browser = (browser_locale or "").split("-")[0].split("_")[0].lower()
    return browser if browser in LANGUAGES else DEFAULT


# --- the Streamlit side ------------------------------------------------------------------

def current() -> str:
    """The language of this run (set once per run by :func:`settle`)."""
    lang = st.session_state.get(SESSION_KEY)
    return lang if lang in LANGUAGES else pick_language(None, None, _browser_locale())


def settle(chosen: str | None, profile_languages=None) -> str:
    """Fix this session's language from the saved choice and the profile (called by ``app.py``)."""
    lang = pick_language(chosen, profile_languages, _browser_locale())
    st.session_state[SESSION_KEY] = lang
    return lang


def _browser_locale() -> str | None:
    try:
        return st.context.locale
    except Exception:  # no browser (AppTest, bare mode)
        return None


def t(key: str, **values) -> str:
    """The text of ``key`` in the session's language."""
    return translate(current(), key, **values)


def labels(key: str) -> dict[str, str]:
    """``options`` in the session's language (for ``format_func``)."""
    return options(current(), key)


def localized(text: str) -> str:
    """``text`` an installation wrote (a policy message), in the session's language when it gives several."""
    return one_language(text, current())


def violation_text(violation: dict) -> str:
    """A broken policy rule in the session's language: the catalogue's words for the product's own message
    (its ``key``), else the installation's message (:func:`localized`)."""
    if violation.get("key"):
        return translate(current(), violation["key"], **violation.get("values", {}))
    return localized(violation["message"])


def error_text(exc: BaseException) -> str:
    """A domain exception's message in the session's language (its ``message(lang)``: a ``Worded`` error's
    catalogue key, or the message a fault gives in both languages), else its own text; escaped for
    ``st.error`` (messages quote what people typed or imported)."""
    worded = getattr(exc, "message", None)
    return md(str(worded(current())) if callable(worded) else str(exc))
