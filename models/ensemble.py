"""An ensemble of embedders, written ``a+b``.

Each member's unit vector is scaled by ``1/sqrt(m)`` and the pieces are
concatenated, so the result is unit length and its cosine with another
ensemble vector is the mean of the members' cosines: one matrix product ranks
with all models at once.
"""

from __future__ import annotations

import numpy as np

from .embedder import Embedder


class EnsembleEmbedder(Embedder):
    def __init__(self, members: list[Embedder], name: str):
        if len(members) < 2:
            raise ValueError("an ensemble needs at least two embedders")
        self.members = members
        self.name = name

    @property
    def dim(self) -> int:  # type: ignore[override]
        return sum(m.dim for m in self.members)

    def embed_batch(self, texts, kind="passage"):
        scale = 1.0 / np.sqrt(len(self.members))
        parts = [m.embed_batch(texts, kind=kind) * scale for m in self.members]
        return np.hstack(parts).astype(np.float32)
