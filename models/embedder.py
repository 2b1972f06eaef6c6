"""The embedder interface and its registry.

An embedder turns texts into L2-normalised float32 vectors, shape ``(n, dim)``.
``kind`` says whether the texts are documents (``"passage"``) or searches
(``"query"``); models trained with prefixes (e5) use it, the others ignore it.

    >>> emb = get_embedder("fake")
    >>> emb.embed_batch(["hello world"]).shape
    (1, 256)

Names: the registered ones (see ``embedder_names()``), ``a+b`` for an ensemble
of registered models (their vectors concatenated, so one cosine averages the
members' cosines), and ``st:/path/to/folder`` for any local
sentence-transformers checkpoint. Unknown names fail loudly.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Callable

import numpy as np

KINDS = ("passage", "query")


class Embedder(ABC):
    """One embedding model. Subclasses load their weights lazily, on first use."""

    name: str = "?"
    dim: int = 0
    asymmetric: bool = False  # True when "query" and "passage" vectors differ

    @abstractmethod
    def embed_batch(self, texts: list[str], kind: str = "passage") -> np.ndarray:
        """Vectors for ``texts``: float32, shape (len(texts), dim), unit length."""

    def embed(self, text: str, kind: str = "query") -> np.ndarray:
        return self.embed_batch([text], kind=kind)[0]


_factories: dict[str, Callable[[], Embedder]] = {}
_instances: dict[str, Embedder] = {}


def register_embedder(name: str):
    """Decorator: register a zero-argument factory under ``name``."""

    def wrap(factory):
        _factories[name] = factory
        return factory

    return wrap


def embedder_names() -> list[str]:
    _load_builtins()
    return sorted(_factories)


def get_embedder(name: str) -> Embedder:
    """The (cached) embedder called ``name``; raises ``KeyError`` for unknown names."""
    _load_builtins()
    if name in _instances:
        return _instances[name]
    if name.startswith("st:"):
        from .sentence_transformer import SentenceTransformerEmbedder

        instance = SentenceTransformerEmbedder(name[3:], name=name)
    elif "+" in name:
        from .ensemble import EnsembleEmbedder

        instance = EnsembleEmbedder([get_embedder(part) for part in name.split("+")], name=name)
    elif name in _factories:
        instance = _factories[name]()
    else:
        raise KeyError(f"unknown embedder {name!r}; known: {', '.join(sorted(_factories))}, "
                       "'a+b' ensembles, or 'st:/path/to/sentence-transformers-folder'")
    _instances[name] = instance
    return instance


def unit_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return matrix / np.where(norms == 0, 1, norms)


def _load_builtins() -> None:
    from . import builtin  # noqa: F401  (registers the packaged backends)
