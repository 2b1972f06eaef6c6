"""The layering holds in the working tree: no import cycle, no back-arrow, a reason on every deferred import.

Reads the sources with ``ast`` (``evals.import_graph``), imports nothing of the product.
"""

from __future__ import annotations

import pytest

from evals import import_graph


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
