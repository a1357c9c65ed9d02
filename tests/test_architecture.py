"""Imports go one way: warehouse ← surveys ← metrics ← dashboard; no web below dashboard."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LAYERS = ["warehouse", "surveys", "metrics", "dashboard"]
WEB = {"dash", "flask", "dash_ag_grid", "dash_bootstrap_components", "waitress", "werkzeug"}


def imported_roots(path: Path) -> set[str]:
    """Top-level module names imported by a Python file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    roots: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_imported_roots_sees_imports(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("import dash\nfrom metrics.score import x\nfrom . import y\n")
    assert imported_roots(sample) == {"dash", "metrics"}


@pytest.mark.parametrize("layer", LAYERS)
def test_layer_imports_only_downward(layer: str) -> None:
    allowed_below = set(LAYERS[: LAYERS.index(layer) + 1])
    forbidden = set(LAYERS) - allowed_below
    if layer != "dashboard":
        forbidden |= WEB
    offenders = []
    for path in sorted((ROOT / layer).rglob("*.py")):
        bad = imported_roots(path) & forbidden
        if bad:
            offenders.append(f"{path.relative_to(ROOT)} imports {sorted(bad)}")
    assert offenders == []


# ---------------------------------------------------------------- import circles

PROJECT = set(LAYERS)
STRING_IMPORTERS = {"import_module", "__import__"}
# Loaders of files found by name in their own package (nothing imports such a file
# statically, so no edge of the graph is hidden): file → why. Everything else is refused.
DISCOVERY = {
    "warehouse/migrations/__init__.py": "migration files mNNN_*.py are found by file name",
    "warehouse/datadict.py": "schema modules warehouse.schema_* are found by name to list their tables",
}


def module_name(path: Path) -> str:
    """`dashboard/pages/overview.py` → `dashboard.pages.overview` (a package is its `__init__`)."""
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    """Every module of the four packages, by dotted name."""
    return {module_name(p): p for layer in LAYERS for p in sorted((ROOT / layer).rglob("*.py"))}


def _resolve(known: set[str], name: str) -> str | None:
    """The longest known module that `name` is or lies inside (`a.b.func` → `a.b`)."""
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def _typing_only(tree: ast.AST) -> set[int]:
    """Ids of the nodes under `if TYPE_CHECKING:` (read by type checkers, never run)."""
    skip: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING"):
            skip.update(id(n) for stmt in node.body for n in ast.walk(stmt))
    return skip


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Project modules a module imports anywhere it runs (top level, functions, `try`/`if`
    blocks); only `if TYPE_CHECKING:` blocks are left out, as they never execute."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    skip = _typing_only(tree)
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` imports the module pkg.mod; `from mod import func` the module.
            targets = [f"{base}.{alias.name}" for alias in node.names]
        for target in targets:
            hit = _resolve(known, target)
            if hit is not None and hit != name:
                found.add(hit)
    return found


def import_graph() -> dict[str, set[str]]:
    """Module → the project modules it imports."""
    modules = project_modules()
    known = set(modules)
    return {name: imports_of(name, path, known) for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                components.append(comp)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return [_a_cycle(graph, set(comp)) for comp in components]


def _a_cycle(graph: dict[str, set[str]], comp: set[str]) -> list[str]:
    """A concrete path start → … → start inside a strongly connected component."""
    start = min(comp)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        nxt = []
        for v in frontier:
            for w in sorted(graph[v] & comp):
                if w == start:
                    return [*paths[v], start]
                if w not in paths:
                    paths[w] = [*paths[v], w]
                    nxt.append(w)
        frontier = nxt
    return sorted(comp)  # unreachable for a real component


def string_imports(path: Path) -> list[str]:
    """`importlib.import_module(...)` / `__import__(...)` calls (and `from importlib import
    import_module`) in a file, as "line: source". Any such call is refused: a module name in
    a string is invisible to the circle check, and a failed import turns into a silent None."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call):
            fn = node.func
            called = fn.attr if isinstance(fn, ast.Attribute) else fn.id if isinstance(fn, ast.Name) else ""
            if called in STRING_IMPORTERS:
                out.append(f"{node.lineno}: {ast.unparse(node)}")
        elif isinstance(node, ast.ImportFrom) and node.module == "importlib":
            out += [f"{node.lineno}: from importlib import {a.name}" for a in node.names if a.name in STRING_IMPORTERS]
    return out


def test_cycle_finder_sees_cycles_through_function_imports(tmp_path: Path) -> None:
    a = tmp_path / "a.py"
    a.write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.c import x\n"
                 "def f():\n    from pkg.b import g\n")
    b = tmp_path / "b.py"
    b.write_text("from . import a\n")
    c = tmp_path / "c.py"
    c.write_text("import pkg.a\n")
    known = {"pkg.a", "pkg.b", "pkg.c"}
    graph = {f"pkg.{f.stem}": imports_of(f"pkg.{f.stem}", f, known) for f in (a, b, c)}
    assert graph == {"pkg.a": {"pkg.b"}, "pkg.b": {"pkg.a"}, "pkg.c": {"pkg.a"}}
    assert cycles(graph) == [["pkg.a", "pkg.b", "pkg.a"]]
    assert cycles({"x": {"y"}, "y": set()}) == []


def test_string_import_finder_sees_every_form(tmp_path: Path) -> None:
    sample = tmp_path / "m.py"
    sample.write_text("import importlib\nfrom importlib import import_module\n"
                      "def f():\n    importlib.import_module('dashboard.data')\n    __import__('metrics')\n")
    assert [line.split(":")[0] for line in string_imports(sample)] == ["2", "4", "5"]


def test_no_import_circle_in_the_packages() -> None:
    found = cycles(import_graph())
    assert found == [], "import circles:\n" + "\n".join(" → ".join(c) for c in found)


def test_no_string_based_imports_of_project_modules() -> None:
    found = {str(p.relative_to(ROOT)): string_imports(p) for layer in LAYERS for p in sorted((ROOT / layer).rglob("*.py"))}
    offenders = [f"{path}:{hit}" for path, hits in found.items() if path not in DISCOVERY for hit in hits]
    assert offenders == []
    assert all(found.get(path) for path in DISCOVERY), "a DISCOVERY entry no longer loads by name: drop it"


MAX_FUNCTION_LINES = 100


def long_functions(root: Path, limit: int = MAX_FUNCTION_LINES) -> list[str]:
    """`path:line name (n lines)` of every function (methods and nested ones too) longer than `limit`."""
    found = []
    for package in LAYERS:
        for path in sorted((root / package).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = (node.end_lineno or node.lineno) - node.lineno + 1
                    if lines > limit:
                        found.append(f"{path.relative_to(root)}:{node.lineno} {node.name} ({lines} lines)")
    return found


def test_long_function_finder_counts_from_def_to_last_line(tmp_path: Path) -> None:
    (tmp_path / "warehouse").mkdir()
    body = "".join(f"        x{i} = {i}\n" for i in range(4))
    (tmp_path / "warehouse" / "m.py").write_text(f"def short():\n{body}\n\nclass C:\n    def long(self):\n{body}{body}")
    assert long_functions(tmp_path, limit=5) == ["warehouse/m.py:9 long (9 lines)"]


def test_no_function_over_100_lines_in_the_packages() -> None:
    assert long_functions(ROOT) == [], "split these by responsibility"
