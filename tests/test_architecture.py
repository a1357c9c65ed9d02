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
