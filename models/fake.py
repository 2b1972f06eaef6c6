"""A deterministic embedder for tests: hashed words and character trigrams.

No model, no randomness across runs: texts sharing words get similar vectors,
so ranking tests have meaningful expectations without loading anything.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

import numpy as np

from .embedder import Embedder, unit_rows

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
