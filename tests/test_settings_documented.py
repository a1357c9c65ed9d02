"""Every setting is documented (in the manner of datasette's documentation tests).

The `Settings` fields come from the dataclass itself; the environment variables from
the AST of every module of the packages, benchmarks and tests (any string constant that
is a `GRIDSCORE_*` name). Each must appear as `name` in docs/settings.md.
"""

from __future__ import annotations

import ast
import dataclasses
import re
from pathlib import Path

import pytest

from dashboard.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
DOC = (ROOT / "docs" / "settings.md").read_text(encoding="utf-8")
TREES = ("warehouse", "surveys", "metrics", "dashboard", "bench", "tests")
ENV_NAME = re.compile(r"^GRIDSCORE_[A-Z0-9_]*[A-Z0-9]$")


def _env_vars() -> set[str]:
    found = set()
    for tree in TREES:
        for path in (ROOT / tree).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and ENV_NAME.match(node.value):
                    found.add(node.value)
    return found


ENV_VARS = sorted(_env_vars())


def test_the_scan_finds_the_known_variables() -> None:
    assert {"GRIDSCORE_DB", "GRIDSCORE_MEMORY_LIMIT", "GRIDSCORE_COOKIE_SECURE"} <= set(ENV_VARS)


@pytest.mark.parametrize("name", ENV_VARS)
def test_environment_variable_is_documented(name: str) -> None:
    assert f"`{name}`" in DOC, f"{name} is read by the code but not documented in docs/settings.md"


@pytest.mark.parametrize("name", [f.name for f in dataclasses.fields(Settings)])
def test_settings_field_is_documented(name: str) -> None:
    assert f"| `{name}` |" in DOC, f"Settings.{name} is not documented in docs/settings.md"


def test_gridscore_db_is_resolved_in_one_place() -> None:
    """Only warehouse.db reads GRIDSCORE_DB from the environment; everyone else asks it."""
    readers = []
    for tree in ("warehouse", "surveys", "metrics", "dashboard"):
        for path in (ROOT / tree).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and node.value == "GRIDSCORE_DB":
                    readers.append(path.relative_to(ROOT).as_posix())
    assert readers == ["warehouse/db.py"], readers


def test_minimum_respondents_is_defined_once() -> None:
    """`K_MIN` is assigned only in surveys.suppression; no `k_min` default is a bare literal."""
    places = []
    for tree in ("warehouse", "surveys", "metrics", "dashboard", "tests"):
        for path in (ROOT / tree).rglob("*.py"):
            rel = path.relative_to(ROOT).as_posix()
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target] \
                    if isinstance(node, ast.AnnAssign) else []
                for target in targets:
                    name = target.id if isinstance(target, ast.Name) else ""
                    literal = isinstance(getattr(node, "value", None), ast.Constant)
                    if name == "K_MIN" or (name == "k_min" and literal):
                        places.append(f"{rel}:{node.lineno}")
                if isinstance(node, ast.arguments):
                    named = node.posonlyargs + node.args + node.kwonlyargs
                    defaults = [None] * (len(node.posonlyargs + node.args) - len(node.defaults)) + node.defaults \
                        + node.kw_defaults
                    places += [f"{rel}:{a.lineno}" for a, d in zip(named, defaults, strict=True)
                               if a.arg == "k_min" and isinstance(d, ast.Constant)]
    from surveys.estimate import EstimateOptions
    from surveys.suppression import K_MIN
    assert places == ["surveys/suppression.py:" + str(_line_of_k_min())], places
    assert EstimateOptions().k_min == K_MIN == 5


def _line_of_k_min() -> int:
    text = (ROOT / "surveys" / "suppression.py").read_text(encoding="utf-8").splitlines()
    return next(n for n, line in enumerate(text, start=1) if line.startswith("K_MIN ="))
