"""Synthetic data for the scale run: clustered unit vectors, a matching embedder, pseudo-word texts.

Scope and why: the scale run (``evals/speed/scale.py``) needs 10,000 employees and
50,000 items with vectors that look like an embedder's (clustered by topic,
not uniform noise) without embedding 50,000 texts. Everything is regenerated
from a seed in each worker process, so every method sees the same data.

- :func:`item_chunks` / :func:`make_items`: ``(items, dim)`` unit vectors, each a
  main topic (0.6), a second topic (0.3) and noise;
- :func:`make_people`: ``(employees, texts, dim)``, each employee writing about two topics;
- :class:`SyntheticEmbedder`: an :class:`~models.embedder.Embedder` of any size whose
  vectors come from the same topic centroids (topic and noise seeded by the text), so
  the product's own ``recommend`` can run on a synthetic library (``evals/speed/scale_product.py``);
- :func:`pseudo_texts`: Zipf-distributed pseudo-words, for titles and texts of that library.

    >>> cfg = ScaleConfig(employees=3, items=7, dim=8, topics=2)
    >>> make_items(cfg).shape, make_people(cfg).shape
    ((7, 8), (3, 4, 8))
    >>> v = SyntheticEmbedder(cfg).embed_batch(["ka lo", "ka lo", "mi ne"])
    >>> v.shape, bool((v[0] == v[1]).all()), round(float((v * v).sum(axis=1)[2]), 5)
    ((3, 8), True, 1.0)
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np

from models.embedder import Embedder

CHUNK = 5000  # items generated (and inserted) per chunk
LAYOUTS = {896: (("use", 512), ("e5", 384)), 1280: (("use", 512), ("e5", 384), ("minilm", 384))}
MODEL_DIMS = {"use": 512, "e5": 384, "minilm": 384}


@dataclass(frozen=True)
class ScaleConfig:
    employees: int = 10_000
    items: int = 50_000
    dim: int = 896            # use+e5 ensemble: 512 + 384
    texts: int = 4            # profile texts per employee (expertise + posts)
    topics: int = 50
    sample: int = 300         # employees queried through VSS (extrapolated to all)
    block: int = 128          # employees per numpy block
    k: int = 10
    candidates: int = 50      # VSS candidates re-ranked exactly
    statement: float = 2.0    # weight of the expertise statement (matching.Weights.statement)
    product_items: int = 10_000  # library size for the product's own recommend (k-NN build is O(N^2))
    seed: int = 0


def unit(m: np.ndarray) -> np.ndarray:
    """Rows (last axis) scaled to unit length, as float32."""
    return (m / np.linalg.norm(m, axis=-1, keepdims=True)).astype(np.float32)


def layout(dim: int) -> tuple[tuple[str, int], ...]:
    """The member models of a vector of ``dim`` columns: a packaged ensemble's, else one model."""
    return LAYOUTS.get(dim, (("synthetic", dim),))


def embedder_dim(name: str) -> int:
    """Width of an embedder made of packaged models (``use+e5`` -> 896); 896 for any other name."""
    names = name.split("+")
    return sum(MODEL_DIMS[n] for n in names) if all(n in MODEL_DIMS for n in names) else 896


def centroids(cfg: ScaleConfig) -> np.ndarray:
    rng = np.random.default_rng([cfg.seed, cfg.dim, 0])
    return unit(rng.standard_normal((cfg.topics, cfg.dim), dtype=np.float32))


def item_chunks(cfg: ScaleConfig):
    """Yield ``(start, (n, dim) unit vectors)``: a main topic (0.6), a second one (0.3), noise."""
    c = centroids(cfg)
    for start in range(0, cfg.items, CHUNK):
        n = min(CHUNK, cfg.items - start)
        rng = np.random.default_rng([cfg.seed, cfg.dim, 1, start])
        t1, t2 = rng.integers(0, cfg.topics, n), rng.integers(0, cfg.topics, n)
        noise = rng.standard_normal((n, cfg.dim), dtype=np.float32) / np.sqrt(cfg.dim)
        yield start, unit(0.6 * c[t1] + 0.3 * c[t2] + 0.75 * noise)


def make_items(cfg: ScaleConfig) -> np.ndarray:
    return np.vstack([chunk for _, chunk in item_chunks(cfg)])


def make_people(cfg: ScaleConfig) -> np.ndarray:
    """(employees, texts, dim): each employee writes about two topics of interest."""
    c = centroids(cfg)
    rng = np.random.default_rng([cfg.seed, cfg.dim, 2])
    interests = rng.integers(0, cfg.topics, (cfg.employees, 2))
    pick = interests[np.arange(cfg.employees)[:, None], rng.integers(0, 2, (cfg.employees, cfg.texts))]
    noise = rng.standard_normal((cfg.employees, cfg.texts, cfg.dim), dtype=np.float32) / np.sqrt(cfg.dim)
    return unit(0.7 * c[pick] + 0.7 * noise)


def sample_rows(cfg: ScaleConfig) -> np.ndarray:
    """The employees queried one by one (VSS), the same in every process."""
    rng = np.random.default_rng([cfg.seed, 3])
    return np.sort(rng.choice(cfg.employees, min(cfg.sample, cfg.employees), replace=False))


class SyntheticEmbedder(Embedder):
    """Vectors of ``cfg.dim`` columns near the scale run's topic centroids, like an employee's text.

    A text picks its topic and its noise from a hash of itself, so the same text always gets the
    same vector, and its vectors live in the same space as :func:`make_items`. The column blocks
    (``parts``) follow :func:`layout`, so the product standardises per member model as it does for
    the real ensemble of that width.
    """

    def __init__(self, cfg: ScaleConfig):
        self.cfg = cfg
        self.dim = cfg.dim
        self.name = f"synthetic-{cfg.dim}"
        self._centroids = centroids(cfg)

    @property
    def parts(self) -> list[tuple[str, int]]:
        return list(layout(self.dim))

    def embed_batch(self, texts: list[str], kind: str = "passage") -> np.ndarray:
        rows = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            rng = np.random.default_rng([self.cfg.seed, seed])
            noise = rng.standard_normal(self.dim, dtype=np.float32) / np.sqrt(self.dim)
            rows[row] = 0.7 * self._centroids[seed % self.cfg.topics] + 0.7 * noise
        return unit(rows) if len(texts) else rows


def pseudo_texts(cfg: ScaleConfig, n: int, words: int = 126) -> np.ndarray:
    """``(n, words)`` pseudo-words drawn from a Zipf law over an 8,000-word vocabulary of syllables."""
    rng = np.random.default_rng([cfg.seed, 4])
    syllables = np.array("ka lo mi ne ra to vu se chi dan fer gri hol jun pes tri sol ver".split())
    vocab = np.array(["".join(rng.choice(syllables, rng.integers(2, 5))) for _ in range(8000)])
    zipf = 1 / np.arange(1, len(vocab) + 1)
    return rng.choice(vocab, (n, words), p=zipf / zipf.sum())
