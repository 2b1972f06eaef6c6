"""Text generators: one tiny interface and a registry by name.

Scope: everything that drafts text (personal posts) goes through :class:`Generator`, so the
drafting code never knows whether a local model, a packaged GGUF, a company's own server or a
test fake is behind it. Prompts are plain strings or chat messages (see :mod:`models.chat`).
Heavy backends (torch, transformers) live in their own modules and import those libraries only
when a model is actually loaded; importing this module costs nothing.

    >>> from models.chat import last_user_text
    >>> class Echo(Generator):
    ...     def stream(self, prompt, **_):
    ...         yield from last_user_text(prompt).split(" ")
    >>> _ = register_generator("echo")(lambda **_: Echo())
    >>> get_generator("echo", cache_dir="/tmp").generate("Hello world")
    'Helloworld'
    >>> unregister_generator("echo")
    >>> get_generator("echo")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    KeyError: "Unknown generator 'echo'; known generators: ..."
"""
from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator

from .chat import Prompt
from .registry import Registry

TOP_P = 0.95  # sampling keeps the smallest set of tokens holding this much probability (nucleus), every backend


class GeneratorUnavailable(RuntimeError):
    """A backend could not write the text: server down or refusing, timeouts, broken answers.

    Raised once the backend's own retries are spent, so the caller can fall back (to the local
    model, or to a grounded draft with a visible note). The message says what failed and where,
    never a credential.
    """


class Generator(ABC):
    """A text generator. Subclasses implement :meth:`stream` only.

    ``temperature == 0`` means greedy (the seed is then irrelevant); ``temperature > 0`` samples
    (nucleus ``TOP_P``), whatever a model folder's ``generation_config.json`` says, and the same
    ``seed`` gives the same text. With chat messages, a final ``assistant``
    message is a start to continue (e.g. ``"Je "``): backends whose ``continues_start`` is true
    yield what follows it; callers send a start only to those.
    Backends that depend on something outside the process raise :class:`GeneratorUnavailable`.
    """

    name: str = "generator"
    continues_start: bool = False
    concurrent_calls: bool = False  # stream_batch may run in several threads at once, sharing capacity itself (a server)

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
        backends that can write them together override it (on a CPU one batch of 3 costs
        little more than one prompt; a server batches concurrent requests), and may then
        interleave the rows' pieces. ``avoid``: texts not to reproduce at length (the source,
        example posts); a backend that can steer decoding honours it, others ignore it and the
        caller's checks still apply.
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

_registry: Registry[Generator] = Registry("generator")  # uncached: each call builds a fresh generator
register_generator = _registry.register
unregister_generator = _registry.unregister
generator_names = _registry.names


def get_generator(name: str, **options) -> Generator:
    """Build the generator registered as ``name`` (nothing heavy is loaded yet).

    Every factory accepts ``cache_dir`` (where a backend may keep converted weights) and may
    ignore it. Raises ``KeyError`` naming the known generators when ``name`` is unknown.
    The packaged backends are registered when the ``models`` package is imported.
    """
    return _registry.get(name, **options)
