"""Settings read from the environment, in one place.

Everything Porte-voix writes lives under ``PORTE_VOIX_HOME`` (default
``./.porte-voix``): the DuckDB file, DuckDB's extension directory, model
conversions and caches. Tests point it at ``tmp_path`` and nothing else moves.

>>> settings().db_path.name
'porte-voix.duckdb'
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

DEFAULT_EMBEDDER = "use+e5+minilm"
DEFAULT_GENERATOR = "qwen2.5-coder-0.5b"


@dataclass(frozen=True)
class Settings:
    home: Path
    embedder: str
    generator: str

    @property
    def db_path(self) -> Path:
        return self.home / "porte-voix.duckdb"

    @property
    def extension_dir(self) -> Path:
        return self.home / "duckdb_extensions"

    @property
    def model_cache(self) -> Path:
        return self.home / "models"

    def ensure(self) -> "Settings":
        for path in (self.home, self.extension_dir, self.model_cache):
            path.mkdir(parents=True, exist_ok=True)
        return self


def settings() -> Settings:
    """Read the environment now (not at import), so tests can change it."""
    home = Path(os.environ.get("PORTE_VOIX_HOME", ".porte-voix")).expanduser().resolve()
    return Settings(
        home=home,
        embedder=os.environ.get("PORTE_VOIX_EMBEDDER", DEFAULT_EMBEDDER),
        generator=os.environ.get("PORTE_VOIX_GENERATOR", DEFAULT_GENERATOR),
    )
