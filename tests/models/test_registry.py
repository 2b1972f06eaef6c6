"""The one registry behind embedders, generators and translators (models/registry.py), and how each kind uses it."""
from __future__ import annotations

import numpy as np
import pytest

from models.embedder import (
    Embedder,
    get_embedder,
    register_embedder,
    unit_rows,
    unregister_embedder,
)
from models.generator import get_generator, register_generator, unregister_generator
from models.registry import Registry


class Counter:
    built = 0

    def __init__(self, **options):
        Counter.built += 1
        self.options = options


def test_uncached_registry_builds_each_time_and_cached_one_once_per_options():
    fresh, kept = Registry("thing"), Registry("thing", cached=True)
    fresh.register("c")(Counter)
    kept.register("c")(Counter)
    assert fresh.get("c", x=1) is not fresh.get("c", x=1)
    assert kept.get("c", x=1) is kept.get("c", x=1)
    assert kept.get("c", x=1) is not kept.get("c", x=2)
    assert kept.get("c", x=1).options == {"x": 1}


def test_options_key_decides_which_options_share_an_instance():
    by_text = Registry("thing", cached=True, options_key=lambda o: tuple(sorted((k, str(v)) for k, v in o.items())))
    by_text.register("c")(Counter)
    assert by_text.get("c", n=1) is by_text.get("c", n="1")
    assert by_text.get("c", tags=["a"]) is by_text.get("c", tags=["a"])  # an unhashable option is keyed by its text


def test_unknown_name_names_the_known_ones():
    things = Registry("thing")
    with pytest.raises(KeyError, match="Unknown thing 'x'; known things: \\(none\\)"):
        things.get("x")
    things.register("b")(Counter)
    things.register("a")(Counter)
    assert things.names() == ["a", "b"] and "a" in things and "x" not in things
    with pytest.raises(KeyError, match="Unknown thing 'x'; known things: a, b"):
        things.factory("x")


def test_unregister_drops_the_name_and_the_composites_cached_with_it():
    things = Registry("thing", cached=True, members=lambda name: name.split("+"))
    things.register("a")(Counter)
    things.register("b")(Counter)
    a, b = things.get("a"), things.get("b")
    a_b = things.cached("a+b", {}, lambda: (things.get("a"), things.get("b")))
    things.unregister("a")
    assert things.names() == ["b"]
    assert things.get("b") is b
    assert things.cached("a+b", {}, lambda: "rebuilt") == "rebuilt" != a_b
    things.register("a")(Counter)
    assert things.get("a") is not a


class Axis(Embedder):
    dim = 2

    def __init__(self, name: str):
        self.name = name

    def embed_batch(self, texts, kind="passage"):
        return unit_rows(np.ones((len(texts), 2)))


def test_embedder_unregister_drops_cached_ensembles_containing_the_name():
    register_embedder("reg-a")(lambda **_: Axis("reg-a"))
    register_embedder("reg-b")(lambda **_: Axis("reg-b"))
    register_embedder("reg-scheme:")(lambda rest, **_: Axis(f"reg-scheme:{rest}"))
    try:
        pair = get_embedder("reg-a+reg-b")
        assert get_embedder("reg-a+reg-b") is pair and pair.parts == [("reg-a", 2), ("reg-b", 2)]
        assert get_embedder("reg-scheme:folder").name == "reg-scheme:folder"
        unregister_embedder("reg-b")
        with pytest.raises(KeyError, match="unknown embedder 'reg-b'; known: .*reg-a.*; schemes: .*reg-scheme:…"):
            get_embedder("reg-a+reg-b")
        register_embedder("reg-b")(lambda **_: Axis("reg-b"))
        assert get_embedder("reg-a+reg-b") is not pair
    finally:
        for name in ("reg-a", "reg-b", "reg-scheme:"):
            unregister_embedder(name)


def test_generator_registry_is_uncached():
    register_generator("reg-counter")(Counter)
    try:
        assert get_generator("reg-counter", cache_dir="/tmp") is not get_generator("reg-counter", cache_dir="/tmp")
    finally:
        unregister_generator("reg-counter")
    with pytest.raises(KeyError, match="Unknown generator 'reg-counter'; known generators: "):
        get_generator("reg-counter")
