"""The import graph of the project's own modules, at any git revision or in the working tree.

A maintainer's tool for the layering rule (``ui → services → {store, models}``, CLI → services,
evals → product, never the reverse): it reads every ``.py`` file under ``assistant/``, ``models/``,
``evals/`` plus ``app.py`` and ``serve.py`` with :mod:`ast` (nothing is imported or run, so it
works on an old commit through ``git show REV:path`` without a checkout) and prints

- the module-level import edges between the project's modules (imports under
  ``if TYPE_CHECKING:`` are listed apart: they never run, so they make no cycle);
- the cycles: strongly connected components of more than one module;
- the back-arrows: ``models → assistant``, product → ``evals`` or ``tests``, ``evals → tests``,
  a non-UI module → ``assistant.ui`` or ``streamlit``, a UI page → another page, anything →
  the entry points ``app``/``serve``; imports inside functions count here too;
- every import inside a function body, with ``file:line`` and whether a reason comment
  (``# deferred: …``) stands on its line or the line above;
- line counts per package: lines, modules, median module, the largest modules;
- the package graph of ``assistant/`` (``assistant.x.y`` → ``x``, ``assistant.cli`` → ``cli``): every
  edge with the imports behind it (module level and inside functions; ``TYPE_CHECKING`` ones never
  run, so they do not count), its loops, and every import against ``LAYERS``, the layer order that
  ``assistant/__init__.py`` declares (lowest first; a package may import its own layer and those below).

``tests/project/test_import_graph.py`` holds the working tree to: no cycle, no back-arrow, a reason on
every import inside a function, no package loop and no import against ``LAYERS``.

    python -m tests.import_graph            # the working tree
    python -m tests.import_graph dfb8399    # any revision

    >>> module_name("assistant/ui/feed.py"), module_name("models/__init__.py"), module_name("app.py")
    ('assistant.ui.feed', 'models', 'app')
"""

from __future__ import annotations

import argparse
import ast
import io
import statistics
import subprocess
import sys
import tokenize
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.sparse import csr_matrix
from scipy.sparse.csgraph import connected_components

ROOTS = ("assistant", "models", "evals", "app.py", "serve.py")
REPO = Path(__file__).resolve().parent.parent
PRODUCT = ("assistant", "models", "app", "serve")
ENTRY_POINTS = ("app", "serve")
LAYERS_FILE = "assistant/__init__.py"  # assigns LAYERS: the packages of assistant/, lowest layer first


@dataclass(frozen=True)
class Import:
    """One imported name: ``target`` is the dotted name as written (relative imports resolved),
    ``scope`` is ``module``, ``type`` (under ``if TYPE_CHECKING:``) or ``function``."""

    source: str
    path: str
    line: int
    target: str
    scope: str
    reason: bool


@dataclass
class Graph:
    """What :func:`analyse` finds in one tree."""

    sources: dict[str, str]  # path → text
    modules: dict[str, str]  # module name → path
    imports: list[Import]
    edges: set[tuple[str, str]]  # module-level runtime imports between project modules
    type_edges: set[tuple[str, str]]
    cycles: list[list[str]]
    hidden_cycles: list[list[str]]  # cycles once imports inside functions count too
    back_arrows: list[tuple[Import, str]]  # (import, rule broken)
    pages: set[str]
    runtime: list[tuple[Import, str]]  # imports that run (module level, in functions) and the project module they land in
    layers: list[list[str]] | None  # LAYERS of assistant/__init__.py (the working tree's for a revision without it)

    @property
    def in_function(self) -> list[Import]:
        """Imports inside function bodies, one per statement (the first name it imports)."""
        seen, statements = set(), []
        for imp in self.imports:
            if imp.scope == "function" and (imp.path, imp.line) not in seen:
                seen.add((imp.path, imp.line))
                statements.append(imp)
        return statements


def module_name(path: str) -> str:
    """``assistant/ui/feed.py`` → ``assistant.ui.feed``; a package's ``__init__.py`` → the package."""
    parts = path.removesuffix(".py").split("/")
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def read_sources(rev: str | None, repo: Path = REPO) -> dict[str, str]:
    """Path → text of every ``.py`` file under :data:`ROOTS`, at ``rev`` or in the working tree
    (the files git tracks and the untracked ones it does not ignore)."""
    if rev is None:
        listing = ["git", "ls-files", "--cached", "--others", "--exclude-standard", "--", *ROOTS]
    else:
        listing = ["git", "ls-tree", "-r", "--name-only", rev, "--", *ROOTS]
    paths = subprocess.run(listing, cwd=repo, check=True, capture_output=True, text=True).stdout.split()
    paths = sorted({p for p in paths if p.endswith(".py")})
    if rev is None:
        return {p: (repo / p).read_text(encoding="utf-8") for p in paths if (repo / p).is_file()}
    return {p: subprocess.run(["git", "show", f"{rev}:{p}"], cwd=repo, check=True, capture_output=True,
                              text=True).stdout for p in paths}


def _has_comment(line: str) -> bool:
    """Whether one source line carries a ``#`` comment (the tokenizer's word, so never a ``#`` in a
    string; a line it cannot read alone, such as the inside of a long string, by its ``#``)."""
    try:
        return any(tok.type == tokenize.COMMENT for tok in tokenize.generate_tokens(io.StringIO(line).readline))
    except (tokenize.TokenError, SyntaxError):
        return "#" in line


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _package(module: str, path: str) -> str:
    return module if path.endswith("__init__.py") else module.rpartition(".")[0]


def collect_imports(path: str, text: str, tree: ast.Module | None = None) -> list[Import]:
    """Every import statement of one file, one :class:`Import` per imported name (``tree``: the
    file already parsed). ``reason`` is looked for on imports inside functions only."""
    source = module_name(path)
    package = _package(source, path)
    lines = text.splitlines()
    found: list[Import] = []

    def visit(statements: list, scope: str) -> None:  # statements only: an import is one
        for stmt in statements:
            if isinstance(stmt, (ast.Import, ast.ImportFrom)):
                reason = scope == "function" and any(
                    _has_comment(lines[n - 1]) for n in (stmt.lineno, stmt.lineno - 1) if 0 < n <= len(lines))
                found.extend(Import(source, path, stmt.lineno, target, scope, reason)
                             for target in _targets(stmt, package))
            elif isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
                visit(stmt.body, "function")
            elif isinstance(stmt, ast.If) and scope == "module" and _is_type_checking(stmt.test):
                visit(stmt.body, "type")
                visit(stmt.orelse, "module")
            else:  # class bodies, if/try/with/for/match blocks, except handlers and match cases
                for block in ("body", "orelse", "finalbody", "handlers", "cases"):
                    visit(getattr(stmt, block, None) or [], scope)

    visit((tree or ast.parse(text, filename=path)).body, "module")
    return found


def _targets(node: ast.Import | ast.ImportFrom, package: str) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = node.module or ""
    if node.level:
        anchor = package.split(".")
        anchor = anchor[:len(anchor) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    return [f"{base}.{alias.name}" if alias.name != "*" else base for alias in node.names]


def resolve(target: str, modules: dict[str, str]) -> str | None:
    """The project module a dotted name lands in (the longest prefix that is one), else ``None``."""
    parts = target.split(".")
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        if name in modules:
            return name
    return None


def ui_pages(sources: dict[str, str], trees: dict[str, ast.Module] | None = None) -> set[str]:
    """UI modules that are pages: named by path in a string (``st.Page("assistant/ui/feed.py")``)
    or defining a top-level ``page()`` (the sign-in form, handed to ``st.Page`` as a function)."""
    pages = set()
    for path, text in sources.items():
        if not (path.startswith("assistant/ui/") or path in ("app.py", "serve.py")):
            continue  # pages are named by the UI and the entry points
        tree = trees[path] if trees else ast.parse(text, filename=path)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and node.value.startswith("assistant/ui/") and node.value.endswith(".py"):
                pages.add(module_name(node.value))
        if path.startswith("assistant/ui/") and any(
                isinstance(n, ast.FunctionDef) and n.name == "page" for n in tree.body):
            pages.add(module_name(path))
    return pages & {module_name(p) for p in sources}


def _top(name: str) -> str:
    return name.partition(".")[0]


def _is_ui(name: str) -> bool:
    return name == "assistant.ui" or name.startswith("assistant.ui.")


def back_arrow(imp: Import, landed: str | None, pages: set[str]) -> str | None:
    """The layering rule ``imp`` breaks, or ``None``."""
    src, target = imp.source, landed or imp.target
    if _top(src) == "models" and _top(target) == "assistant":
        return "models imports assistant"
    if _top(src) in PRODUCT and _top(target) == "evals":
        return "product imports evals"
    if _top(src) in PRODUCT + ("evals",) and _top(target) == "tests":
        return f"{_top(src)} imports tests"
    if _top(target) in ENTRY_POINTS and landed is not None and src != target:
        return "imports an entry point"
    if _top(src) in ("assistant", "models") and not _is_ui(src) and (_is_ui(target) or _top(target) == "streamlit"):
        return "non-UI module imports the UI"
    if src in pages and target in pages and src != target:
        return "UI page imports another page"
    return None


def strong_components(nodes: list[str], edges: set[tuple[str, str]]) -> list[list[str]]:
    """Strongly connected components of more than one node, each sorted, largest first."""
    if not nodes:
        return []
    index = {n: i for i, n in enumerate(nodes)}
    rows = [index[a] for a, _ in edges]
    cols = [index[b] for _, b in edges]
    matrix = csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(nodes), len(nodes)))
    _, labels = connected_components(matrix, directed=True, connection="strong")
    groups: dict[int, list[str]] = {}
    for node, label in zip(nodes, labels):
        groups.setdefault(int(label), []).append(node)
    return sorted((sorted(g) for g in groups.values() if len(g) > 1), key=lambda g: (-len(g), g))


def read_layers(text: str | None) -> list[list[str]] | None:
    """The ``LAYERS = [[...], ...]`` assigned in the text of ``assistant/__init__.py`` (read, never imported).

    >>> read_layers("LAYERS = [['storage'], ['ui', 'cli']]\\n"), read_layers("")
    ([['storage'], ['ui', 'cli']], None)
    """
    for node in ast.parse(text or "").body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "LAYERS" for t in node.targets):
            return ast.literal_eval(node.value)
    return None


def analyse(rev: str | None = None, repo: Path = REPO) -> Graph:
    """The import graph of the tree at ``rev`` (``None``: the working tree). An old revision without
    ``LAYERS`` is held to the working tree's, so the report shows what it broke."""
    sources = read_sources(rev, repo)
    layers = read_layers(sources.get(LAYERS_FILE))
    if layers is None and (repo / LAYERS_FILE).is_file():
        layers = read_layers((repo / LAYERS_FILE).read_text(encoding="utf-8"))
    return build(sources, layers)


def build(sources: dict[str, str], layers: list[list[str]] | None = None) -> Graph:
    """The import graph of ``sources`` (path → text), held to ``layers``."""
    modules = {module_name(p): p for p in sources}
    trees = {path: ast.parse(text, filename=path) for path, text in sources.items()}
    imports = [imp for path, text in sources.items() for imp in collect_imports(path, text, trees[path])]
    pages = ui_pages(sources, trees)
    edges, type_edges, call_edges, back, runtime = set(), set(), set(), [], []
    for imp in imports:
        landed = resolve(imp.target, modules)
        if landed is not None and landed != imp.source:
            {"module": edges, "type": type_edges, "function": call_edges}[imp.scope].add((imp.source, landed))
            if imp.scope != "type":
                runtime.append((imp, landed))
        rule = back_arrow(imp, landed, pages)
        if rule:
            back.append((imp, rule))
    cycles = strong_components(sorted(modules), edges)
    hidden = [c for c in strong_components(sorted(modules), edges | call_edges) if c not in cycles]
    return Graph(sources, modules, imports, edges, type_edges, cycles, hidden, back, pages, runtime, layers)


def package_of(module: str) -> str | None:
    """The node of the package graph a module belongs to; None outside ``assistant``'s modules.

    >>> package_of("assistant.writing.drafting"), package_of("assistant.cli"), package_of("models.use")
    ('writing', 'cli', None)
    """
    parts = module.split(".")
    return parts[1] if parts[0] == "assistant" and len(parts) > 1 else None


def package_edges(graph: Graph) -> dict[tuple[str, str], list[Import]]:
    """``(a, b)`` → the imports that run (module level or inside a function) from package ``a`` into ``b``."""
    found: dict[tuple[str, str], list[Import]] = {}
    for imp, landed in graph.runtime:
        a, b = package_of(imp.source), package_of(landed)
        if a and b and a != b:
            found.setdefault((a, b), []).append(imp)
    return found


def package_loops(graph: Graph) -> list[list[str]]:
    """Strongly connected components of more than one package (a package-level loop)."""
    edges = set(package_edges(graph))
    return strong_components(sorted({n for e in edges for n in e}), edges)


def against_layers(graph: Graph) -> list[str]:
    """What runs against ``graph.layers``: every import from a package into one of a higher layer
    (``path:line target (a -> b)``), and every package the layers do not place (``p: not in LAYERS``)."""
    if not graph.layers:
        return [f"{LAYERS_FILE}: no LAYERS"]
    rank = {package: n for n, layer in enumerate(graph.layers) for package in layer}
    packages = {p for m in graph.modules if (p := package_of(m))}
    found = [f"{p}: not in LAYERS" for p in sorted(packages - set(rank))]
    for (a, b), imps in sorted(package_edges(graph).items()):
        if a in rank and b in rank and rank[b] > rank[a]:
            found += [f"{i.path}:{i.line} {i.target} ({a} -> {b})" for i in imps]
    return found


def package_report(graph: Graph) -> str:
    """The package graph: the layers, each edge with its import count (``AGAINST`` where it goes up), the loops."""
    rank = {p: n for n, layer in enumerate(graph.layers or []) for p in layer}
    out = ["layers (lowest first): " + " < ".join("{" + ", ".join(layer) + "}" for layer in graph.layers or [])]
    for (a, b), imps in sorted(package_edges(graph).items()):
        up = a in rank and b in rank and rank[b] > rank[a]
        out.append(f"{a} -> {b} ({len(imps)}){'  AGAINST THE LAYERS' if up else ''}")
    out.append(f"package loops: {package_loops(graph) or 'none'}")
    return "\n".join(out)


def line_counts(graph: Graph) -> list[tuple[str, int, int, float, list[tuple[str, int]]]]:
    """Per package (``assistant`` without its UI, ``assistant.ui``, ``models``, ``evals``, entry
    points): (package, lines, modules, median module length, the five largest modules)."""
    groups: dict[str, list[tuple[str, int]]] = {}
    for path, text in graph.sources.items():
        name = module_name(path)
        group = "assistant.ui" if _is_ui(name) else ("entry points" if name in ENTRY_POINTS else _top(name))
        groups.setdefault(group, []).append((path, text.count("\n")))
    order = ["assistant", "assistant.ui", "models", "evals", "entry points"]
    rows = []
    for group in sorted(groups, key=lambda g: order.index(g) if g in order else len(order)):
        sizes = groups[group]
        largest = sorted(sizes, key=lambda s: -s[1])[:5]
        rows.append((group, sum(n for _, n in sizes), len(sizes), statistics.median(n for _, n in sizes), largest))
    return rows


def report(graph: Graph, label: str) -> str:
    """The printed report of one tree."""
    out = [f"# Import graph: {label}", ""]
    out.append(f"modules: {len(graph.modules)}; module-level edges between them: {len(graph.edges)}; "
               f"TYPE_CHECKING-only edges: {len(graph.type_edges)}")
    out.append(f"cycles (strongly connected components > 1): {len(graph.cycles)}")
    out.append(f"cycles hidden by imports inside functions (count those too): {len(graph.hidden_cycles)}")
    out.append(f"back-arrows: {len(graph.back_arrows)}")
    reasoned = sum(i.reason for i in graph.in_function)
    out.append(f"import statements inside function bodies: {len(graph.in_function)} ({reasoned} with a reason comment)")
    out += ["", "## Cycles"]
    out += [f"- {' <-> '.join(c)}" for c in graph.cycles] or ["(none)"]
    out += ["", "## Cycles hidden by imports inside functions"]
    out += [f"- {' <-> '.join(c)}" for c in graph.hidden_cycles] or ["(none)"]
    out += ["", "## Back-arrows"]
    out += [f"- {i.path}:{i.line} {i.source} -> {i.target} [{i.scope}]: {rule}"
            for i, rule in graph.back_arrows] or ["(none)"]
    out += ["", "## Imports inside function bodies"]
    out += [f"- {i.path}:{i.line} {i.target} ({'reason' if i.reason else 'NO REASON'})"
            for i in graph.in_function] or ["(none)"]
    out += ["", "## Line counts", "package | lines | modules | median | largest"]
    for group, lines, count, median, largest in line_counts(graph):
        biggest = ", ".join(f"{Path(p).name} {n}" for p, n in largest)
        out.append(f"{group} | {lines} | {count} | {median:g} | {biggest}")
    out += ["", "## Package graph of assistant/", package_report(graph)]
    out += ["", "## Imports against the layer order"]
    out += [f"- {line}" for line in against_layers(graph)] or ["(none)"]
    out += ["", "## UI pages", ", ".join(sorted(graph.pages)) or "(none)"]
    out += ["", "## Edges (module-level, between project modules)"]
    by_source: dict[str, list[str]] = {}
    for a, b in sorted(graph.edges):
        by_source.setdefault(a, []).append(b)
    out += [f"{a} -> {', '.join(bs)}" for a, bs in by_source.items()]
    if graph.type_edges:
        out += ["", "## TYPE_CHECKING-only edges"]
        out += [f"{a} -> {b}" for a, b in sorted(graph.type_edges)]
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("rev", nargs="?", help="a git revision (default: the working tree)")
    args = parser.parse_args(argv)
    sys.stdout.write(report(analyse(args.rev), args.rev or "working tree"))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
