"""The embedder interface, its registry, and ensembles of embedders.

An embedder turns texts into L2-normalised float32 vectors, shape ``(n, dim)``.
``kind`` says whether the texts are documents (``"passage"``) or searches
(``"query"``); models trained with prefixes (e5) use it, the others ignore it.
``parts`` names the models inside a vector and their widths, so callers can
work per model without knowing whether an ensemble is behind it.

    >>> class Ones(Embedder):
    ...     name, dim = "ones", 2
    ...     def embed_batch(self, texts, kind="passage"):
    ...         return unit_rows(np.ones((len(texts), 2)))
    >>> _ = register_embedder("ones")(lambda **_: Ones())
    >>> get_embedder("ones").embed_batch(["hello world"]).shape
    (1, 2)
    >>> both = get_embedder("ones+ones")
    >>> both.parts, both.embed_batch(["hello"]).round(2).tolist()
    ([('ones', 2), ('ones', 2)], [[0.5, 0.5, 0.5, 0.5]])
    >>> unregister_embedder("ones")

Names: the registered ones (see ``embedder_names()``); ``scheme:rest`` for a
registered scheme (``st:/path/to/folder``: any local sentence-transformers
checkpoint); ``a+b`` for an ensemble of those. Unknown names fail loudly.

Languages: a model trained on some languages only says so (``languages``,
``("en",)`` for all-MiniLM); ``None`` means any. An ensemble compares two texts
with a *mix*, one weight per member for the pair of the texts' languages
(``mix("fr", "en")``): learned where ``models.mixes`` holds a table for the
ensemble, else equal weights over the members that read both languages, so an
English-only member never weighs on a French text.

    >>> class EnglishOnes(Ones):
    ...     name, languages = "en-ones", ("en",)
    >>> pair = EnsembleEmbedder([Ones(), EnglishOnes()], "ones+en-ones")
    >>> pair.mix("en", "en").tolist(), pair.mix("fr", "en").tolist()
    ([0.5, 0.5], [1.0, 0.0])
"""

from __future__ import annotations

from abc import ABC, abstractmethod

import numpy as np

from .mixes import LEARNED_MIXES
from .registry import Registry

KINDS = ("passage", "query")


class Embedder(ABC):
    """One embedding model. Subclasses load their weights lazily, on first use."""

    name: str = "?"
    dim: int = 0
    asymmetric: bool = False  # True when "query" and "passage" vectors differ
    languages: tuple[str, ...] | None = None  # the languages it was trained on; None: any

    @abstractmethod
    def embed_batch(self, texts: list[str], kind: str = "passage") -> np.ndarray:
        """Vectors for ``texts``: float32, shape (len(texts), dim), unit length; ``(0, dim)`` for no text."""

    def embed(self, text: str, kind: str = "query") -> np.ndarray:
        return self.embed_batch([text], kind=kind)[0]

    @property
    def parts(self) -> list[tuple[str, int]]:
        """``(model name, width)`` of each model inside a vector, in column order: ``[(name, dim)]``
        for one model, one pair per member for an ensemble. The widths add up to ``dim``."""
        return [(self.name, self.dim)]

    def mix(self, lang_a: str | None, lang_b: str | None) -> np.ndarray:
        """Weight of each part (``parts`` order) when comparing a text in ``lang_a`` with one in ``lang_b``; sums to 1."""
        return np.ones(len(self.parts), dtype=np.float32) / len(self.parts)

    def mixes(self, langs_a: list, langs_b: list) -> np.ndarray:
        """``mix`` for every pair of texts, shape ``(parts, len(langs_a), len(langs_b))``; a few distinct
        languages, so this is a lookup, not a loop over pairs."""
        ua, ia = np.unique(np.asarray(langs_a, dtype=object).astype(str), return_inverse=True)
        ub, ib = np.unique(np.asarray(langs_b, dtype=object).astype(str), return_inverse=True)
        table = np.array([[self.mix(_lang(a), _lang(b)) for b in ub] for a in ua], dtype=np.float32).reshape(
            len(ua), len(ub), -1)
        return np.moveaxis(table, -1, 0)[:, ia.ravel()][:, :, ib.ravel()]

    def similarity(self, a: np.ndarray, b: np.ndarray, langs_a: list, langs_b: list) -> np.ndarray:
        """Cosine of rows of ``a`` with rows of ``b`` (this embedder's unit vectors), shape ``(len(a), len(b))``;
        an ensemble weighs each member's cosine by the mix of the two texts' languages."""
        weights = self.mixes(langs_a, langs_b)
        start, out = 0, np.zeros((len(a), len(b)), dtype=np.float32)
        for k, (_, width) in enumerate(self.parts):
            part = slice(start, start + width)
            out += weights[k] * _unit(a[:, part]) @ _unit(b[:, part]).T
            start += width
        return out


def _lang(value: str) -> str | None:
    return None if value in ("None", "", "und") else value


def _unit(x: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(x, axis=1, keepdims=True)
    return x / np.where(norms == 0, 1, norms)


class EnsembleEmbedder(Embedder):
    """Several embedders as one, written ``a+b``.

    Each member's unit vector is scaled by ``1/sqrt(m)`` and the pieces are concatenated,
    so the result is unit length and its cosine with another ensemble vector is the mean of
    the members' cosines: one matrix product ranks with all models at once. The stored
    vector is the same whatever the languages; ``similarity`` and the ranking weigh the
    members per pair of languages (``mix``) when they compare.

    ``mixes`` maps a pair of languages, sorted (``("en", "fr")``), to one weight per member;
    pairs it lacks get equal weights over the members that read both languages.
    """

    def __init__(self, members: list[Embedder], name: str, mixes: dict | None = None):
        if len(members) < 2:
            raise ValueError("an ensemble needs at least two embedders")
        self.members = members
        self.name = name
        self.learned = {tuple(sorted(pair)): np.asarray(w, dtype=np.float32) / float(sum(w))
                        for pair, w in (mixes or {}).items()}
        for pair, w in self.learned.items():
            if len(w) != len(members) or (w < 0).any():
                raise ValueError(f"mix {pair}: one non-negative weight per member expected, got {w.tolist()}")

    @property
    def dim(self) -> int:  # type: ignore[override]
        return sum(m.dim for m in self.members)

    @property
    def asymmetric(self) -> bool:  # type: ignore[override]
        return any(m.asymmetric for m in self.members)

    @property
    def parts(self) -> list[tuple[str, int]]:
        return [part for member in self.members for part in member.parts]

    def mix(self, lang_a, lang_b):
        learned = self.learned.get(tuple(sorted((str(lang_a), str(lang_b)))))
        if learned is not None:
            return learned
        able = np.array([m.languages is None or (lang_a in m.languages and lang_b in m.languages)
                         for m in self.members], dtype=np.float32)
        able = able if able.any() else np.ones(len(self.members), dtype=np.float32)
        return able / able.sum()

    def embed_batch(self, texts, kind="passage"):
        scale = 1.0 / np.sqrt(len(self.members))
        pieces = [m.embed_batch(texts, kind=kind) * scale for m in self.members]
        return np.hstack(pieces).astype(np.float32)


# --- registry -------------------------------------------------------------------------------

# one instance per (name, options); unregistering a name also drops the cached ensembles using it
_registry: Registry[Embedder] = Registry("embedder", cached=True, members=lambda name: name.split("+"))
unregister_embedder = _registry.unregister
embedder_names = _registry.names  # names and schemes; the packaged ones are registered when ``models`` is imported


def register_embedder(name: str):
    """Decorator: register a factory ``(**options) -> Embedder`` under ``name``; factories take the
    options they know (``threads``…) and ignore the others. A name ending in ``:`` is a scheme:
    its factory is called with the rest of the name first (``"st:"`` gets the folder)."""
    return _registry.register(name)


def get_embedder(name: str, **options) -> Embedder:
    """The embedder called ``name``, one instance per (name, options) per process, so weights load
    once; raises ``KeyError`` for unknown names. ``options`` reach every member's factory."""
    return _registry.cached(name, options, lambda: _build(name, options))


def _build(name: str, options: dict) -> Embedder:
    """A new embedder for ``name``: a registered name, ``scheme:rest``, or an ensemble ``a+b``."""
    scheme = name.split(":", 1)[0] + ":" if ":" in name else None
    if name in _registry:
        return _registry.factory(name)(**options)
    if scheme in _registry:
        return _registry.factory(scheme)(name[len(scheme):], **options)
    if "+" in name:
        return EnsembleEmbedder([get_embedder(part, **options) for part in name.split("+")], name=name,
                                mixes=LEARNED_MIXES.get(name))
    names = _registry.names()
    known = ", ".join(n for n in names if not n.endswith(":"))
    schemes = ", ".join(f"{n}…" for n in names if n.endswith(":"))
    raise KeyError(f"unknown embedder {name!r}; known: {known}; schemes: {schemes or '(none)'}; "
                   "or an ensemble 'a+b'")


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)
