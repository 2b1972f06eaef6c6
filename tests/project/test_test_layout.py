"""The tests' own layout (issue 22): shared fixtures live in conftest files and helper modules, so no test
module imports another one (a test file's helpers imported elsewhere run its module's collection-time code
and hide who owns what). Reads the sources with ``ast``."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parents[1]


def imported_test_modules(path: Path) -> list[str]:
    """The ``tests.…test_*`` modules a file imports."""
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names += [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        elif isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
    return [n for n in names if n.startswith("tests.") and n.rsplit(".", 1)[-1].startswith("test_")]


def test_no_test_module_imports_another():
    found = {str(p.relative_to(TESTS)): imported_test_modules(p) for p in sorted(TESTS.rglob("*.py"))}
    assert {path: names for path, names in found.items() if names} == {}


def test_the_rule_is_seen(tmp_path):
    sample = tmp_path / "test_sample.py"
    sample.write_text("from tests.links.test_click_replicas import start_again\nimport tests.ui.test_app\n"
                      "from tests.links import test_click_service\nfrom tests.click_server import free_port\n")
    assert imported_test_modules(sample) == ["tests.links.test_click_replicas", "tests.ui.test_app",
                                             "tests.links.test_click_service"]
