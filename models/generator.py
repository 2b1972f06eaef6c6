"""Text generators: one tiny interface, a registry by name, and a deterministic fake.

Scope: everything that drafts text (personal posts) goes through :class:`Generator`, so the
drafting code never knows whether a real model, a packaged GGUF or the fake is behind it.
Heavy backends (torch, transformers) live in their own modules and are imported only when a
model is actually loaded; importing this module costs nothing.

A prompt is either a plain string (raw completion) or chat messages::

    [{"role": "system", "content": "..."}, {"role": "user", "content": "..."}]

Example::

    >>> gen = get_generator("fake")
    >>> "Hello world." in gen.generate([{"role": "user", "content": "<<<SOURCE Hello world. SOURCE>>>"}])
    True
"""
from __future__ import annotations

import random
import re
from abc import ABC, abstractmethod
from typing import Callable, Iterator, Union

Message = dict
Prompt = Union[str, list]

_FACTORIES: dict[str, Callable[..., "Generator"]] = {}
_BUILTINS_LOADED = False


class Generator(ABC):
    """A text generator. Subclasses implement :meth:`stream` only.

    ``temperature == 0`` means greedy (the seed is then irrelevant); ``temperature > 0`` samples,
    and the same ``seed`` gives the same text. With chat messages, a final ``assistant``
    message is a start to continue (e.g. ``"Je "``): backends that can, yield what follows it.
    """

    name: str = "generator"

    @abstractmethod
    def stream(
        self,
        prompt: Prompt,
        *,
        max_new_tokens: int = 200,
        temperature: float = 0.0,
        seed: int = 0,
    ) -> Iterator[str]:
        """Yield the generated text piece by piece (pieces joined = the full text)."""

    def generate(
        self,
        prompt: Prompt,
        *,
        max_new_tokens: int = 200,
        temperature: float = 0.0,
        seed: int = 0,
    ) -> str:
        """The whole generated text: the joined :meth:`stream`."""
        return "".join(
            self.stream(prompt, max_new_tokens=max_new_tokens, temperature=temperature, seed=seed)
        )

    def stream_batch(
        self,
        prompts: list[Prompt],
        *,
        max_new_tokens: int = 200,
        temperature: float = 0.0,
        seed: int = 0,
        avoid: list[str] = (),
    ) -> Iterator[tuple[int, str]]:
        """Several prompts' texts as ``(index, piece)`` pairs; index ``i``'s pieces joined = its text.

        This default writes them one after the other (prompt ``i`` with seed ``seed + i``);
        backends that can decode them together override it (on a CPU one batch of 3 costs
        little more than one prompt), and may then interleave the rows' pieces. ``avoid``:
        texts not to reproduce at length (the source, example posts); a backend that can steer
        decoding honours it, others ignore it and the caller's checks still apply.
        """
        for index, prompt in enumerate(prompts):
            for piece in self.stream(prompt, max_new_tokens=max_new_tokens, temperature=temperature,
                                     seed=seed + index):
                yield index, piece

    def generate_many(
        self,
        prompt: Prompt,
        *,
        n: int = 3,
        max_new_tokens: int = 200,
        temperature: float = 0.7,
        seed: int = 0,
    ) -> list[str]:
        """``n`` variants of the same prompt, through :meth:`stream_batch`."""
        texts = [""] * n
        for index, piece in self.stream_batch([prompt] * n, max_new_tokens=max_new_tokens,
                                              temperature=temperature, seed=seed):
            texts[index] += piece
        return texts

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"


# --- registry -------------------------------------------------------------------------------


def register_generator(name: str):
    """Decorator: ``@register_generator("x")`` on a factory ``(**options) -> Generator``."""

    def decorator(factory):
        _FACTORIES[name] = factory
        return factory

    return decorator


def _load_builtins() -> None:
    # The packaged models register themselves on import; that module is cheap to import
    # (no torch), and importing it here avoids a circular import at module load.
    global _BUILTINS_LOADED
    if not _BUILTINS_LOADED:
        _BUILTINS_LOADED = True
        from . import packaged_generators  # noqa: F401


def generator_names() -> list[str]:
    """Names accepted by :func:`get_generator`, sorted."""
    _load_builtins()
    return sorted(_FACTORIES)


def get_generator(name: str, **options) -> Generator:
    """Build the generator registered as ``name`` (nothing heavy is loaded yet).

    Raises ``KeyError`` naming the known generators when ``name`` is unknown.
    """
    _load_builtins()
    try:
        factory = _FACTORIES[name]
    except KeyError:
        known = ", ".join(sorted(_FACTORIES)) or "(none)"
        raise KeyError(f"Unknown generator {name!r}; known generators: {known}") from None
    return factory(**options)


# --- helpers shared by backends --------------------------------------------------------------


def messages_of(prompt: Prompt) -> list[Message]:
    """The prompt as chat messages (a plain string becomes one user message)."""
    if isinstance(prompt, str):
        return [{"role": "user", "content": prompt}]
    return list(prompt)


def last_user_text(prompt: Prompt) -> str:
    """Content of the last user message ('' when there is none)."""
    for message in reversed(messages_of(prompt)):
        if message.get("role") == "user":
            return str(message.get("content", ""))
    return ""


_SOURCE = re.compile(r"<<<SOURCE(.*?)SOURCE>>>", re.S)


def marked_source(prompt: Prompt) -> str | None:
    """The text between ``<<<SOURCE`` and ``SOURCE>>>`` in the last user message, if any.

    The markers are the convention by which a prompt tells a backend which text is the
    source to rewrite (the fake drafts from it; a real backend can refuse to copy it).
    """
    found = _SOURCE.search(last_user_text(prompt))
    return found.group(1).strip() if found else None


# --- the fake ---------------------------------------------------------------------------------

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


register_generator("fake")(FakeGenerator)
