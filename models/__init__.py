"""Model backends behind small interfaces: embedders (and generators).

Nothing heavy is imported here; each backend imports its library when it is
first used. This package never imports ``assistant``.
"""

from .embedder import Embedder, embedder_names, get_embedder, register_embedder

__all__ = ["Embedder", "embedder_names", "get_embedder", "register_embedder"]
