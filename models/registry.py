"""A registry of named model factories: the one behind embedders, generators and translators.

Scope: each kind of model (``Embedder``, ``Generator``, ``Translator``) is chosen by name in the
configuration, so each keeps factories ``(**options) -> model`` under names, lets tests add and
remove their fakes, lists the names, fails loudly on an unknown one and, where loading weights is
costly, keeps one instance per (name, options) per process. That logic is the same for the three
kinds, so it lives here once; what differs (the embedder's schemes and ensembles, how options make
a cache key) is handed in or stays in the kind's own module. Like all of ``models/``, this module
never imports ``assistant/``.

    >>> shapes = Registry("shape", cached=True)
    >>> _ = shapes.register("square")(lambda side=1: ("square", side))
    >>> shapes.get("square", side=2), shapes.names(), "square" in shapes
    (('square', 2), ['square'], True)
    >>> shapes.get("square", side=2) is shapes.get("square", side=2)
    True
    >>> shapes.unregister("square")
    >>> shapes.get("square")
    Traceback (most recent call last):
    ...
    KeyError: "Unknown shape 'square'; known shapes: (none)"
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Generic, TypeVar

T = TypeVar("T")


def _options_key(options: dict) -> tuple:
    return tuple(sorted(options.items()))


def _no_members(name: str) -> Iterable[str]:
    return ()


class Registry(Generic[T]):
    """Factories of one ``kind`` of model by name; with ``cached``, one instance per (name, options).

    ``options_key`` turns the options into the hashable part of a cache key (default: the sorted
    items). ``members`` names the registered names a composite name is built from (an embedder
    ensemble ``"a+b"``), so unregistering one of them also drops the composites cached with it.
    """

    def __init__(self, kind: str, *, cached: bool = False,
                 options_key: Callable[[dict], tuple] = _options_key,
                 members: Callable[[str], Iterable[str]] = _no_members):
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}
        self._instances: dict[tuple, T] | None = {} if cached else None
        self._options_key = options_key
        self._members = members

    def register(self, name: str):
        """Decorator: register a factory ``(**options) -> model`` under ``name`` (it returns the factory)."""

        def decorator(factory):
            self._factories[name] = factory
            return factory

        return decorator

    def unregister(self, name: str) -> None:
        """Remove a registered name and the instances cached under it (tests remove the fakes they registered)."""
        self._factories.pop(name, None)
        if self._instances is not None:
            for key in [k for k in self._instances if k[0] == name or name in self._members(k[0])]:
                del self._instances[key]

    def names(self) -> list[str]:
        """The registered names, sorted."""
        return sorted(self._factories)

    def __contains__(self, name: str) -> bool:
        return name in self._factories

    def factory(self, name: str) -> Callable[..., T]:
        """The factory registered as ``name``; ``KeyError`` naming the known ones otherwise."""
        try:
            return self._factories[name]
        except KeyError:
            known = ", ".join(self.names()) or "(none)"
            raise KeyError(f"Unknown {self.kind} {name!r}; known {self.kind}s: {known}") from None

    def get(self, name: str, /, **options) -> T:
        """The model registered as ``name``, built with ``options`` (once per (name, options) when cached)."""
        return self.cached(name, options, lambda: self.factory(name)(**options))

    def cached(self, name: str, options: dict, build: Callable[[], T]) -> T:
        """``build()``; when cached, only the first time for this (name, options), then that instance."""
        if self._instances is None:
            return build()
        key = (name, self._options_key(options))
        if key not in self._instances:
            self._instances[key] = build()
        return self._instances[key]
