"""The layering holds in the working tree: no import cycle, no back-arrow, a reason on every deferred import,
no package loop and no import against the layer order (``LAYERS`` in ``assistant/__init__.py``).

Reads the sources with ``ast`` (``tests.import_graph``), imports nothing of the product.
"""

from __future__ import annotations

import pytest

from tests import import_graph


@pytest.fixture(scope="module")
def graph() -> import_graph.Graph:
    return import_graph.analyse()


def test_no_import_cycle(graph):
    assert graph.cycles == []
    assert graph.hidden_cycles == [], "an import inside a function would hide this cycle"


def test_no_back_arrow(graph):
    assert [f"{i.path}:{i.line} {i.target}: {rule}" for i, rule in graph.back_arrows] == []


def test_every_import_inside_a_function_says_why(graph):
    assert [f"{i.path}:{i.line} {i.target}" for i in graph.in_function if not i.reason] == []


def test_rules_are_seen():
    """The checks see what they look for (a synthetic tree, so a rule that never fires fails here)."""
    sources = {"models/a.py": "import assistant.b\n",
               "assistant/b.py": "def f():\n    import streamlit\n",
               "assistant/ui/feed.py": "from assistant.ui import profile\n",
               "assistant/ui/profile.py": "from assistant.ui import feed\n\n\ndef page():\n    pass\n",
               "assistant/ui/shell.py": "PAGES = ['assistant/ui/feed.py']\n"}
    modules = {import_graph.module_name(p): p for p in sources}
    imports = [i for p, t in sources.items() for i in import_graph.collect_imports(p, t)]
    pages = import_graph.ui_pages(sources)
    assert pages == {"assistant.ui.feed", "assistant.ui.profile"}
    rules = sorted(r for i in imports if (r := import_graph.back_arrow(i, import_graph.resolve(i.target, modules), pages)))
    assert rules == ["UI page imports another page", "UI page imports another page", "models imports assistant",
                     "non-UI module imports the UI"]
    edges = {(i.source, import_graph.resolve(i.target, modules)) for i in imports if i.scope == "module"}
    assert import_graph.strong_components(sorted(modules), edges) == [["assistant.ui.feed", "assistant.ui.profile"]]
    assert [i.reason for i in imports if i.scope == "function"] == [False]


def test_packages_follow_the_layer_order(graph):
    """No package of ``assistant/`` imports one of a higher layer, at run time (module level or in a
    function); lower layers take the composition root as an argument, typed under ``TYPE_CHECKING``."""
    picture = import_graph.package_report(graph)
    assert import_graph.against_layers(graph) == [], picture
    assert import_graph.package_loops(graph) == [], picture


def test_layer_rules_are_seen():
    """The layer check sees an upward import inside a function, a loop and an unplaced package, and ignores
    imports under ``TYPE_CHECKING`` (a synthetic tree, so a rule that never fires fails here)."""
    sources = {"assistant/__init__.py": "LAYERS = [['storage'], ['writing'], ['ui']]\n",
               "assistant/storage/store.py": "def f():\n    from assistant.writing import drafts  # deferred: test\n",
               "assistant/storage/keys.py": ("from typing import TYPE_CHECKING\n\n"
                                             "if TYPE_CHECKING:\n    from assistant.ui import page\n"),
               "assistant/writing/drafts.py": "from ..storage import store\n",
               "assistant/ui/page.py": "from assistant.writing import drafts\n",
               "assistant/extra.py": "from assistant.storage import keys\n"}
    graph = import_graph.build(sources, import_graph.read_layers(sources["assistant/__init__.py"]))
    assert import_graph.against_layers(graph) == [
        "extra: not in LAYERS", "assistant/storage/store.py:2 assistant.writing.drafts (storage -> writing)"]
    assert import_graph.package_loops(graph) == [["storage", "writing"]]
    assert set(import_graph.package_edges(graph)) == {("storage", "writing"), ("writing", "storage"),
                                                      ("ui", "writing"), ("extra", "storage")}
    assert "storage -> writing (1)  AGAINST THE LAYERS" in import_graph.package_report(graph)


def _reached(graph: import_graph.Graph, start: set[str]) -> set[str]:
    """The project modules that importing ``start`` runs, transitively (module level and in functions)."""
    out: dict[str, set[str]] = {}
    for imp, landed in graph.runtime:
        out.setdefault(imp.source, set()).add(landed)
    seen, todo = set(start), list(start)
    while todo:
        for nxt in out.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def test_the_public_service_runs_no_digest_code(graph):
    """The click service's process (``assistant.web``: clicks, conversions, unsubscribe) serves every route from
    its own package and what sits below it (``links``, ``optouts``): nothing it runs imports ``digest`` (nor
    the store, so no DuckDB). LAYERS alone would allow web -> digest; this forbids it."""
    web = {m for m in graph.modules if m == "assistant.web" or m.startswith("assistant.web.")}
    assert "assistant.web.unsubscribe" in web and "assistant.web.clickservice" in web
    reached = _reached(graph, web)
    assert sorted(m for m in reached if import_graph.package_of(m) in ("digest", "reporting", "sharing")) == []
    assert "assistant.storage.store" not in reached
    assert "assistant.optouts.inbox" in reached and "assistant.links.clicklog" in reached, "the walk sees the routes"


def test_the_public_service_rule_is_seen():
    """The walk above follows imports inside functions and across packages (a synthetic tree)."""
    sources = {"assistant/web/app.py": "from ..optouts import inbox\n",
               "assistant/optouts/inbox.py": "def f():\n    from assistant.digest import send  # deferred: test\n",
               "assistant/digest/send.py": "import duckdb\n"}
    graph = import_graph.build(sources)
    assert _reached(graph, {"assistant.web.app"}) == {"assistant.web.app", "assistant.optouts.inbox",
                                                      "assistant.digest.send"}
