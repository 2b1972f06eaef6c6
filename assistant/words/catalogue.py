"""One catalogue per language: dotted key → text (a ``str.format`` template) or a list of texts.

The files are ``fr.toml`` and ``en.toml`` beside this module; both hold the same keys with the same
placeholders (``tests/ui/test_i18n.py`` checks it). The interface reads them through ``assistant.ui.i18n``
(which adds the session's language); the domain reads them here, with the language it was given.

    >>> translate("en", "draft.variant_k", k=1, n=3)
    'Draft 1 of 3'
    >>> entry("fr", "dates.months")[10], number("12000", "fr"), number("1.5", "fr"), number("12000", "en")
    ('novembre', '12\\u202f000', '1,5', '12,000')
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

LANGUAGES = ("fr", "en")
DEFAULT = "fr"
_FOLDER = Path(__file__).parent


def _flatten(table: dict, prefix: str = "") -> dict[str, object]:
    out: dict[str, object] = {}
    for key, value in table.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flatten(value, name + "."))
        else:
            out[name] = value
    return out


@functools.cache
def catalogue(lang: str) -> dict[str, object]:
    """The flat catalogue of ``lang`` (``"fr"`` or ``"en"``): dotted key → text or list of texts."""
    if lang not in LANGUAGES:
        raise ValueError(f"no catalogue for {lang!r}; use {', '.join(LANGUAGES)}")
    with open(_FOLDER / f"{lang}.toml", "rb") as handle:
        return _flatten(tomllib.load(handle))


def entry(lang: str, key: str):
    """The raw value of ``key`` in ``lang`` (a text or a list of texts); ``KeyError`` when missing.
    A language without a catalogue reads the English one (the domain is asked for ``"de"`` at times)."""
    return catalogue(lang if lang in LANGUAGES else "en")[key]


def translate(lang: str, key: str, /, **values) -> str:
    """The text of ``key`` in ``lang``, formatted with ``values``; a missing key shows the key itself rather
    than a blank widget (a test checks that every key a page asks for exists)."""
    text = catalogue(lang if lang in LANGUAGES else "en").get(key)
    if text is None:
        text = catalogue(DEFAULT if lang != DEFAULT else "en").get(key, key)
    return str(text).format(**values) if values else str(text)


def options(lang: str, key: str) -> dict[str, str]:
    """A small table of the catalogue (``kinds``, ``roles``…) as ``{value: label}``."""
    prefix = key + "."
    return {k[len(prefix):]: str(v) for k, v in catalogue(lang).items() if k.startswith(prefix)}


def number(value: int | float | str, lang: str, decimals: int | None = None) -> str:
    """``value`` written the ``lang`` way (the catalogue's ``numbers.thousands`` and ``numbers.decimal``): a
    number with its thousands grouped (``decimals`` after the mark, when given); a number as a source wrote it
    (``"12000"``, ``"1.5"``) with its marks changed; any other text unchanged.

    >>> number(1234567.891, "fr", decimals=0), number(1234567.891, "en", decimals=1), number(-4200, "fr")
    ('1\u202f234\u202f568', '1,234,567.9', '-4\u202f200')
    """
    if isinstance(value, str):
        if "." in value:
            return value.replace(".", entry(lang, "numbers.decimal"))
        if not value.isdigit():
            return value
        value = int(value)
    text = f"{value:,}" if decimals is None else f"{value:,.{decimals}f}"
    return text.translate({ord(","): entry(lang, "numbers.thousands"), ord("."): entry(lang, "numbers.decimal")})
