"""Model backends behind small interfaces: embedders, generators and translators.

Nothing heavy is imported here; each backend imports its library when it is
first used. Importing the package registers the packaged backends by name.
This package never imports ``assistant``.
"""

from . import builtin, marian_translator, openai_generator, packaged_generators  # noqa: F401  (they register the backends)
from .embedder import Embedder, embedder_names, get_embedder, register_embedder, unregister_embedder
from .generator import Generator, GeneratorUnavailable, generator_names, get_generator, register_generator
from .translator import Translator, get_translator, register_translator, translator_names, unregister_translator

__all__ = ["Embedder", "Generator", "GeneratorUnavailable", "Translator", "embedder_names", "generator_names",
           "get_embedder", "get_generator", "get_translator", "register_embedder", "register_generator",
           "register_translator", "translator_names", "unregister_embedder", "unregister_translator"]
