"""Translators: one tiny interface and a registry by name.

Scope: render short texts (an item's headline, its key phrases) from one supported language into
the other, so a draft in French can carry the point of an item that exists only in English, and
the reverse. Callers never know whether a packaged model or a test fake is behind it. Heavy
backends (torch, transformers) live in their own modules and import those libraries only when a
model is actually loaded; importing this module costs nothing.

    >>> class Upper(Translator):
    ...     pairs = (("en", "fr"),)
    ...     def translate_batch(self, texts, source, target):
    ...         if not self.check(source, target):
    ...             return list(texts)
    ...         return [text.upper() for text in texts]
    >>> _ = register_translator("upper")(lambda **_: Upper())
    >>> get_translator("upper").translate_batch(["Hello", "world"], "en", "fr")
    ['HELLO', 'WORLD']
    >>> get_translator("upper").translate("Bonjour", "fr", "fr")  # nothing to translate
    'Bonjour'
    >>> get_translator("upper").translate("Hallo", "de", "fr")
    Traceback (most recent call last):
    ...
    ValueError: Upper translates en→fr, not de→fr
    >>> unregister_translator("upper")
    >>> get_translator("upper")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    KeyError: "Unknown translator 'upper'; known translators: ..."
"""
from __future__ import annotations

from abc import ABC, abstractmethod

from .registry import Registry


class Translator(ABC):
    """A translator between languages named by ISO 639-1 codes (``"fr"``, ``"en"``).

    Subclasses implement :meth:`translate_batch` for the directions in ``pairs`` and start it with
    :meth:`check`, so every backend treats a same-language call and an unknown direction alike.
    """

    name: str = "translator"
    pairs: tuple[tuple[str, str], ...] = ()  # the (source, target) directions it translates

    @abstractmethod
    def translate_batch(self, texts: list[str], source: str, target: str) -> list[str]:
        """``texts`` rendered from ``source`` into ``target``: one output per input, in order; empty
        texts stay empty; unchanged when ``source == target``; ``ValueError`` for a direction
        outside ``pairs``."""

    def translate(self, text: str, source: str, target: str) -> str:
        return self.translate_batch([text], source, target)[0]

    def check(self, source: str, target: str) -> bool:
        """Whether there is anything to translate (``source != target``); raises ``ValueError`` for
        a direction outside ``pairs``."""
        if source == target:
            return False
        if (source, target) not in self.pairs:
            offered = ", ".join(f"{a}→{b}" for a, b in self.pairs) or "nothing"
            raise ValueError(f"{type(self).__name__} translates {offered}, not {source}→{target}")
        return True

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


# --- registry -------------------------------------------------------------------------------

def _str_options(options: dict) -> tuple:
    """Cache key of the options: values by their text (``cache_dir=Path(x)`` and ``=str(x)`` share a model;
    an unhashable value is keyed too)."""
    return tuple(sorted((k, str(v)) for k, v in options.items()))


_registry: Registry[Translator] = Registry("translator", cached=True, options_key=_str_options)
register_translator = _registry.register
unregister_translator = _registry.unregister
translator_names = _registry.names  # sorted; ``marian`` is registered when ``models`` is imported


def get_translator(name: str, **options) -> Translator:
    """The translator registered as ``name``, one instance per (name, options) per process, so a
    model loads once (nothing heavy is loaded until the first translation). Raises ``KeyError``
    naming the known translators when ``name`` is unknown."""
    return _registry.get(name, **options)
