"""Deterministic fake models for the tests (never shipped in the product).

``FakeEmbedder`` hashes words and word stems, so texts sharing words get similar
vectors and ranking tests have meaningful expectations without loading anything.
``FakeGenerator`` drafts a short first-person post from the prompt's source or
fact list. ``FakeTranslator`` swaps words through a small French/English glossary and
keeps every other word, number and name as it is. All register under the name ``fake``: the ``fakes`` fixture in
``conftest.py`` does it for in-process tests and removes them afterwards; a test
that starts the app or the CLI in a subprocess sets ``PORTE_VOIX_PLUGINS=tests.fakes``,
and importing this module registers them there.
"""

from __future__ import annotations

import hashlib
import random
import re
import unicodedata

import numpy as np

from models.chat import Prompt, last_user_text, marked_source, messages_of
from models.embedder import Embedder, register_embedder, unit_rows, unregister_embedder
from models.generator import Generator, register_generator, unregister_generator
from models.translator import Translator, register_translator, unregister_translator

_SOURCE = re.compile(r"<<<SOURCE(.*?)SOURCE>>>", re.S)
_WORD = re.compile(r"\w+", re.UNICODE)


def _bucket(token: str, dim: int) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode(), digest_size=8).digest(), "little") % dim


class FakeEmbedder(Embedder):
    name = "fake"

    def __init__(self, dim: int = 256):
        self.dim = dim
        self.calls = 0
        self.texts_embedded = 0

    def embed_batch(self, texts, kind="passage"):
        self.calls += 1
        self.texts_embedded += len(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            folded = unicodedata.normalize("NFKD", text.lower()).encode("ascii", "ignore").decode()
            for word in _WORD.findall(folded):
                if len(word) < 3:
                    continue
                out[row, _bucket(word, self.dim)] += 1.0
                stem = word[:5]
                out[row, _bucket("s:" + stem, self.dim)] += 0.5
        return unit_rows(out)


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_FRENCH_WORDS = {"le", "la", "les", "des", "une", "est", "et", "pour", "dans", "nous", "avec", "du", "sur"}
_ASK_FRENCH = re.compile(r"\b(french|français|francais|en fr)\b", re.I)
_ASK_ENGLISH = re.compile(r"\b(english|anglais|en en)\b", re.I)

_OPENERS = {
    "fr": ["Je voulais partager ceci avec vous.", "Une nouvelle qui me tient à cœur :",
           "Ce que j'en retiens, de mon côté :"],
    "en": ["I wanted to share this with my network.", "Something I care about:",
           "Here is what I take away from this:"],
}
_CLOSERS = {
    "fr": ["Qu'en pensez-vous ?", "Curieux d'avoir vos retours.", "J'en reparle bientôt."],
    "en": ["What do you think?", "Curious to hear your thoughts.", "More on this soon."],
}


def _material(prompt: Prompt) -> str:
    """What the fake rewrites: the marked source, else the last message's "- " bullet list (a fact
    list, as drafting prompts give), else the whole last message."""
    found = marked_source(prompt)
    if found is not None:
        return found
    text = last_user_text(prompt)
    bullets = [line[2:].strip().rstrip(".") for line in text.splitlines() if line.startswith("- ")]
    return ". ".join(bullets) + "." if bullets else text


def _guess_language(text: str) -> str:
    words = re.findall(r"[a-zàâçéèêëîïôûùüÿœ']+", text.lower())
    french = sum(word in _FRENCH_WORDS for word in words)
    return "fr" if words and french / len(words) > 0.06 else "en"


class FakeGenerator(Generator):
    """Deterministic stand-in for a model, for tests and demos without weights.

    It reads the last user message, takes the text between ``<<<SOURCE`` and ``SOURCE>>>``
    (or its "- " bullet list, or the whole message), and builds a short first-person post: an opener, the first
    ``sentences`` sentences of the source verbatim (so facts survive), and a closer.
    Opener and closer are in the language the prompt asks for ("French"/"English" anywhere
    in the messages), else the source's language. Like a real model, the seed only matters
    when ``temperature > 0``. Streams word by word; one word counts as one token.
    """

    name = "fake"

    def __init__(self, sentences: int = 2, **_ignored):
        self.sentences = sentences

    def _language(self, prompt: Prompt, source: str) -> str:
        asked = " ".join(str(m.get("content", "")) for m in messages_of(prompt))
        asked = _SOURCE.sub(" ", asked)
        wants_fr, wants_en = bool(_ASK_FRENCH.search(asked)), bool(_ASK_ENGLISH.search(asked))
        if wants_fr != wants_en:
            return "fr" if wants_fr else "en"
        return _guess_language(source)

    def compose(self, prompt: Prompt, *, temperature: float = 0.0, seed: int = 0) -> str:
        """The full text the fake would stream (no token limit)."""
        source = " ".join(_material(prompt).split())
        lang = self._language(prompt, source)
        rng = random.Random(seed if temperature > 0 else 0)
        body = " ".join(_SENTENCE_END.split(source)[: self.sentences]).strip()
        parts = [rng.choice(_OPENERS[lang]), body, rng.choice(_CLOSERS[lang])]
        return "\n\n".join(part for part in parts if part)

    def stream(self, prompt, *, max_new_tokens=200, temperature=0.0, seed=0):
        text = self.compose(prompt, temperature=temperature, seed=seed)
        for index, piece in enumerate(re.findall(r"\S+\s*", text)):
            if index >= max_new_tokens:
                return
            yield piece


_GLOSSARY_EN_FR = {
    "the": "le", "a": "un", "and": "et", "our": "notre", "new": "nouveau", "opens": "ouvre", "plant": "usine",
    "team": "équipe", "teams": "équipes", "revenue": "revenu", "grew": "progresse", "fell": "baisse",
    "by": "de", "in": "à", "days": "jours", "water": "eau", "engineers": "ingénieurs", "jobs": "postes",
}
_GLOSSARY = {("en", "fr"): _GLOSSARY_EN_FR, ("fr", "en"): {fr: en for en, fr in reversed(_GLOSSARY_EN_FR.items())}}
_LETTERS = re.compile(r"[^\W\d_]+")


class FakeTranslator(Translator):
    """Deterministic stand-in for a translation model: glossary words are swapped (a capital
    kept), all else stays, so numbers, dates and names come through as a good model keeps them.
    ``calls`` records each ``(texts, source, target)`` that needed translating."""

    name = "fake"
    pairs = tuple(_GLOSSARY)

    def __init__(self, **_ignored):
        self.calls: list[tuple[list[str], str, str]] = []

    def translate_batch(self, texts, source, target):
        texts = list(texts)
        if not self.check(source, target):
            return texts
        self.calls.append((texts, source, target))
        glossary = _GLOSSARY[(source, target)]

        def swap(match):
            word = match.group(0)
            found = glossary.get(word.lower(), word)
            return found[:1].upper() + found[1:] if word[:1].isupper() and found != word else found

        return [_LETTERS.sub(swap, text) for text in texts]


def register() -> None:
    register_embedder("fake")(lambda **_: FakeEmbedder())
    register_generator("fake")(FakeGenerator)
    register_translator("fake")(FakeTranslator)


def unregister() -> None:
    unregister_embedder("fake")
    unregister_generator("fake")
    unregister_translator("fake")


register()
