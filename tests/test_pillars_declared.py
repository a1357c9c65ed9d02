"""The pillar kinds are declared once (`warehouse.pillars`); every other module reads them.

Parsed, not grepped: any tuple, list, set or dict literal in the four packages that spells
out the pillar keys, or a dict literal giving them weights, is a second declaration.
"""

from __future__ import annotations

import ast
from pathlib import Path

from warehouse.pillars import PILLAR_KEYS, PILLAR_KINDS, pillar_kind

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("warehouse", "surveys", "metrics", "dashboard")
HOME = ROOT / "warehouse" / "pillars.py"


def _strings(node: ast.AST) -> set[str]:
    elts = node.keys if isinstance(node, ast.Dict) else getattr(node, "elts", [])
    return {e.value for e in elts if isinstance(e, ast.Constant) and isinstance(e.value, str)}


def test_no_module_repeats_the_pillar_keys() -> None:
    repeats = []
    for pkg in PACKAGES:
        for path in sorted((ROOT / pkg).rglob("*.py")):
            if path == HOME:
                continue
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Tuple | ast.List | ast.Set | ast.Dict) and set(PILLAR_KEYS) <= _strings(node):
                    repeats.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert repeats == []


def test_the_declaration_is_the_default_scheme() -> None:
    """The default scheme gives the declared kinds their declared weights, in the declared order."""
    from metrics.scheme import load_scheme

    scheme = load_scheme()
    assert [(p.key, p.source, p.weight) for p in scheme.pillars] == [(k.key, k.source, k.weight) for k in PILLAR_KINDS]
    assert sum(k.weight for k in PILLAR_KINDS) == scheme.cap
    assert pillar_kind("satisfaction").source == "survey"


def test_dashboard_labels_and_colours_come_from_the_declaration() -> None:
    from dashboard.i18n import t
    from dashboard.reports.tables import PILLAR_COLS
    from dashboard.theme import PILLAR_COLOURS

    for k in PILLAR_KINDS:
        assert PILLAR_COLOURS[k.key] == k.colour
        assert (t(f"col.{k.key}", "zh"), t(f"col.{k.key}", "en")) == (k.name_zh, k.name_en)
    assert [c.key for c in PILLAR_COLS][: len(PILLAR_KEYS)] == list(PILLAR_KEYS)
