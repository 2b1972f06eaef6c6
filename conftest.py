"""Doctest namespace for the product's docstring examples (``pytest --doctest-modules``).

Docstrings in ``assistant/`` show real calls on ``store``, ``ctx`` and ``embedder``;
here they run for real, on a throw-away home with the deterministic fakes of
``tests/fakes.py`` (registered only while the example runs).
"""

import pytest


@pytest.fixture(autouse=True)
def _doctest_objects(request, tmp_path):
    if not isinstance(request.node, pytest.DoctestItem):
        yield
        return
    from assistant.config import Settings
    from assistant.context import open_context
    from assistant.storage.store import close_all
    from tests import fakes

    fakes.register()
    ctx = open_context(Settings(home=tmp_path / "home", embedder="fake", generator="fake", bcrypt_rounds=4))
    namespace = request.getfixturevalue("doctest_namespace")
    namespace.update(ctx=ctx, store=ctx.store, embedder=ctx.embedder, tmp=tmp_path)
    yield
    close_all()
    fakes.unregister()
