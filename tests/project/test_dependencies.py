"""pyproject.toml tells the truth about what the code imports, checked with deptry.

deptry reads ``[project] dependencies`` and the extras, scans ``assistant/``, ``models/``, ``evals/``
and the entry scripts, and fails on an import nobody declared (DEP001), a declaration nobody imports
(DEP002, its known exceptions listed with their reason under ``[tool.deptry]``), an import that is only
a transitive dependency (DEP003) or a ``dev`` package imported by the code (DEP004). A second run
holds the product to the stricter rule: the ``evals`` extra (scikit-learn, DuckDB's fts/vss,
playwright) is never imported outside ``evals/``.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _deptry(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "deptry", ".", "--no-ansi", *args], cwd=root,
                          capture_output=True, text=True, timeout=120)


def test_every_import_is_declared_and_every_declaration_imported():
    run = _deptry(ROOT)
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_product_imports_nothing_from_the_evals_extra():
    run = _deptry(ROOT, "--extend-exclude", "evals", "--extend-exclude", "conftest.py",
                  "--optional-dependencies-dev-groups", "dev,evals")
    assert run.returncode == 0, run.stdout + run.stderr


def test_each_rule_fires_on_a_project_that_lies(tmp_path):
    (tmp_path / "pyproject.toml").write_text(textwrap.dedent("""\
        [project]
        name = "liar"
        version = "0"
        dependencies = ["numpy", "pyyaml"]
        [project.optional-dependencies]
        dev = ["pytest"]
        [tool.deptry]
        known_first_party = ["liar"]
        optional_dependencies_dev_groups = ["dev"]
        """))
    (tmp_path / "liar").mkdir()
    (tmp_path / "liar" / "__init__.py").write_text("import numpy\nimport nowhere_declared\nimport pytest\n")
    run = _deptry(tmp_path)
    assert run.returncode != 0
    out = run.stdout + run.stderr
    assert "DEP001 'nowhere_declared' imported but missing from the dependency definitions" in out, out
    assert "DEP002 'pyyaml' defined as a dependency but not used in the codebase" in out, out
    assert "DEP004 'pytest' imported but declared as a dev dependency" in out, out
