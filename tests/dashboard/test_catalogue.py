"""One catalogue of UI text (dashboard.i18n), checked on the AST of every module.

* every key given to `t(...)` as a literal exists, with text in both languages; a key
  built as an f-string has at least one catalogue key with its literal prefix, and the
  enumerated families (report labels, export links) exist in full;
* no module outside the catalogue compares a language with "zh"/"en" to choose text:
  they call `t`, `pick`, `pick_attr`, `join_list` or `other_lang` instead.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dashboard.i18n import STRINGS
from dashboard.reports.html import REPORT_LABELS

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("warehouse", "surveys", "metrics", "dashboard")
CATALOGUE = "dashboard/i18n.py"
# language routing, not text: after sign-in an English user lands on "/?lang=en"
ALLOWED_BRANCHES = {("dashboard/app.py", "next_")}


def _modules() -> list[tuple[str, ast.AST]]:
    out = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            out.append((path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))))
    return out


MODULES = _modules()


def _t_calls(tree: ast.AST) -> list[ast.Call]:
    return [n for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)
            and n.func.id == "t" and n.args]


def _used_keys() -> tuple[set[str], set[str]]:
    """Literal keys and f-string prefixes given to `t` anywhere in the packages."""
    literal, prefixes = set(), set()
    for _rel, tree in MODULES:
        for call in _t_calls(tree):
            arg = call.args[0]
            if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
                literal.add(arg.value)
            elif isinstance(arg, ast.IfExp):  # t("a" if x else "b", lang)
                literal |= {b.value for b in (arg.body, arg.orelse) if isinstance(b, ast.Constant)}
            elif isinstance(arg, ast.JoinedStr) and arg.values and isinstance(arg.values[0], ast.Constant):
                prefixes.add(str(arg.values[0].value))
            elif isinstance(arg, ast.BinOp) and isinstance(arg.left, ast.Constant):  # "role." + code
                prefixes.add(str(arg.left.value))
    return literal, prefixes


LITERAL, PREFIXES = _used_keys()


def test_the_scan_sees_the_calls() -> None:
    assert len(LITERAL) > 100 and {"report.", "export."} <= PREFIXES


@pytest.mark.parametrize("key", sorted(LITERAL))
def test_used_key_exists_in_both_languages(key: str) -> None:
    assert key in STRINGS, f"t({key!r}) has no entry in dashboard.i18n.STRINGS"
    zh, en = STRINGS[key]
    assert zh.strip() and en.strip(), f"{key} lacks its zh or en text"


@pytest.mark.parametrize("prefix", sorted(PREFIXES))
def test_built_key_has_catalogue_entries(prefix: str) -> None:
    assert any(k.startswith(prefix) for k in STRINGS), f"no catalogue key starts with {prefix!r}"


def test_enumerated_families_are_complete() -> None:
    wanted = [f"report.{k}" for k in REPORT_LABELS] + [f"export.{f}" for f in ("pdf", "xlsx", "html")]
    assert [k for k in wanted if k not in STRINGS] == []


def test_every_entry_has_both_languages() -> None:
    bad = [k for k, v in STRINGS.items() if len(v) != 2 or not all(isinstance(x, str) and x.strip() for x in v)]
    assert bad == []


def _is_lang(node: ast.AST) -> bool:
    if isinstance(node, ast.Name):
        return "lang" in node.id
    if isinstance(node, ast.Attribute):
        return "lang" in node.attr
    if isinstance(node, ast.Call):
        return _is_lang(node.func)
    return False


def _lang_branches(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, assigned name or "") of each comparison of a language with "zh"/"en"."""
    found = []
    parents = {c: p for p in ast.walk(tree) for c in ast.iter_child_nodes(p)}
    for node in ast.walk(tree):
        if not isinstance(node, ast.Compare):
            continue
        sides = [node.left, *node.comparators]
        if any(isinstance(s, ast.Constant) and s.value in ("zh", "en") for s in sides) and any(map(_is_lang, sides)):
            up = node
            while up in parents and not isinstance(up, ast.stmt):
                up = parents[up]
            body = getattr(up, "body", [])
            target = ""
            for stmt in body if isinstance(up, ast.If) else []:
                if isinstance(stmt, ast.Assign) and isinstance(stmt.targets[0], ast.Name):
                    target = stmt.targets[0].id
            found.append((node.lineno, target))
    return found


def test_no_module_outside_the_catalogue_branches_on_language() -> None:
    offenders = {}
    for rel, tree in MODULES:
        if rel == CATALOGUE:
            continue
        hits = [line for line, target in _lang_branches(tree) if (rel, target) not in ALLOWED_BRANCHES]
        if hits:
            offenders[rel] = hits
    assert offenders == {}, f"choose text through dashboard.i18n (t/pick), not lang == ...: {offenders}"


def test_the_branch_check_sees_a_branch() -> None:
    tree = ast.parse('x = "Yes" if lang == "en" else "是"\ny = a.en if ctx.lang != "zh" else a.zh\n')
    assert [line for line, _ in _lang_branches(tree)] == [1, 2]


def _report_columns() -> list[object]:
    from dashboard.reports import tables, xlsx

    cols = []
    for module in (tables, xlsx):
        for value in vars(module).values():
            if isinstance(value, tuple) and value and all(isinstance(c, tables.Col) for c in value):
                cols += list(value)
    return cols


def test_report_column_headers_come_from_the_catalogue() -> None:
    cols = _report_columns()
    assert len(cols) > 60
    missing = [c.key for c in cols if c.names is None and c.text not in STRINGS]
    assert missing == [], missing


def test_no_report_column_carries_its_own_text() -> None:
    """`Col(key, "zh", "en")` pairs are gone: the second argument is a catalogue key."""
    offenders = []
    for rel, tree in MODULES:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) == "Col":
                text = node.args[1] if len(node.args) > 1 else None
                if isinstance(text, ast.Constant) and text.value not in STRINGS:
                    offenders.append(f"{rel}:{node.lineno}")
    assert offenders == [], offenders
