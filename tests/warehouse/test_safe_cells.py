"""The one spreadsheet neutraliser: what it catches, and that every CSV/XLSX writer uses it."""

from __future__ import annotations

import ast
import csv
import io
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from tests.reliability.payloads import PAYLOADS
from warehouse.safe_cells import (
    TRIGGERS,
    SafeWorkbook,
    is_formula_like,
    neutralise_formulas,
    neutralise_text,
    write_csv,
    write_xlsx,
)
from warehouse.templates import write_template

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("warehouse", "surveys", "metrics", "dashboard")
# leading blanks and full-width triggers on top of the reliability payloads
EXTRA = tuple(f"{lead}{trigger}1+1 x{n}" for n, (lead, trigger) in enumerate(
    (lead, trigger) for lead in ("", " ", "  ", "\n", "\r\n", "\t", "\u3000") for trigger in TRIGGERS))
ALL = PAYLOADS + EXTRA + ("\tplain", "\nplain")
STARTS = TRIGGERS + ("\t", "\r", "\n")


def _formula_cells(cells: list[object]) -> list[str]:
    """Text cells a spreadsheet could evaluate: a trigger first, or after blanks."""
    return [c for c in cells if isinstance(c, str) and (c.startswith(STARTS) or c.lstrip(" \t\r\n\u3000").startswith(TRIGGERS))]


@pytest.mark.parametrize("text", ["=1", " =1", "\n+1", "\t-1", "@A1", "＝1", " ＋1", "－1", "＠A1", "\u3000=1", "\tx"])
def test_formula_like_text_is_quoted(text: str) -> None:
    assert is_formula_like(text)
    assert neutralise_text(text) == "'" + text


@pytest.mark.parametrize("text", ["张三", "a=b", "1-2", " 网格", "'=1", ""])
def test_plain_text_is_unchanged(text: str) -> None:
    assert not is_formula_like(text)
    assert neutralise_text(text) == text


def test_frame_rule_matches_text_rule() -> None:
    frame = pl.DataFrame({"t": list(ALL) + ["ok", None], "n": list(range(len(ALL) + 2))})
    out = neutralise_formulas(frame)
    assert out["t"].to_list() == [neutralise_text(x) for x in ALL] + ["ok", None]
    assert out["n"].to_list() == frame["n"].to_list()


def test_payloads_through_csv_writer_read_back_as_text(tmp_path: Path) -> None:
    frame = pl.DataFrame({"name": list(ALL), "k": list(range(len(ALL)))})
    path = tmp_path / "out.csv"
    write_csv(frame, path)
    buffer = io.StringIO()
    write_csv(frame, buffer)
    with path.open(encoding="utf-8", newline="") as f:
        stored = f.read()
    for text in (stored, buffer.getvalue()):
        rows = list(csv.reader(io.StringIO(text)))
        cells = [c for row in rows[1:] for c in row]
        assert len(rows) - 1 == len(ALL)
        assert not _formula_cells(cells), _formula_cells(cells)[:5]
        assert [r[0] for r in rows[1:]] == ["'" + x if is_formula_like(x) else x for x in ALL]  # nothing else changed


def _xlsx_cells(path: Path) -> tuple[list[object], int]:
    book = openpyxl.load_workbook(path)
    cells, formulas = [], 0
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                formulas += cell.data_type == "f"
                cells.append(cell.value)
    return cells, formulas


def test_payloads_through_xlsx_writers_read_back_as_text(tmp_path: Path) -> None:
    frame = pl.DataFrame({"name": list(ALL)})
    write_xlsx(frame, tmp_path / "frame.xlsx", worksheet="t")
    with SafeWorkbook(str(tmp_path / "cells.xlsx")) as book:
        sheet = book.add_worksheet("t")
        for r, text in enumerate(ALL):
            sheet.write(r, 0, text)  # the generic write, as polars and the report use
            sheet.write_string(r, 1, text)
    for name, expected in (("frame.xlsx", len(ALL) + 1), ("cells.xlsx", 2 * len(ALL))):
        cells, formulas = _xlsx_cells(tmp_path / name)
        assert formulas == 0
        assert len([c for c in cells if c is not None]) == expected
        assert not _formula_cells(cells), (name, _formula_cells(cells)[:5])


def test_ingest_template_goes_through_the_neutraliser(tmp_path: Path) -> None:
    path = write_template("complaints", tmp_path / "t.xlsx")
    cells, formulas = _xlsx_cells(path)
    assert formulas == 0 and cells and not _formula_cells(cells)


def _writer_calls(tree: ast.AST) -> list[str]:
    """Calls that write a CSV/XLSX file directly (not through warehouse.safe_cells)."""
    found = []
    for node in ast.walk(tree):
        if not isinstance(node, ast.Call):
            continue
        f = node.func
        name = f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""
        owner = f.value.id if isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name) else ""
        if name == "write_excel" and owner != "safe" or name == "write_csv" and isinstance(f, ast.Attribute) and (node.args or node.keywords and
                                                                        any(k.arg == "file" for k in node.keywords)):
            found.append(f"{name} line {node.lineno}")
        elif (owner, name) in {("xlsxwriter", "Workbook"), ("csv", "writer"), ("csv", "DictWriter")}:
            found.append(f"{owner}.{name} line {node.lineno}")
        elif name == "Workbook" and owner == "":
            found.append(f"Workbook line {node.lineno}")
    return found


def test_every_csv_xlsx_writer_goes_through_safe_cells() -> None:
    offenders = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            rel = path.relative_to(ROOT).as_posix()
            if rel == "warehouse/safe_cells.py":
                continue
            calls = _writer_calls(ast.parse(path.read_text(encoding="utf-8")))
            if calls:
                offenders[rel] = calls
    assert not offenders, f"write CSV/XLSX through warehouse.safe_cells: {offenders}"
    # the checker sees the writers it is meant to forbid
    assert _writer_calls(ast.parse("frame.write_csv(path)\nxlsxwriter.Workbook(p)\ncsv.writer(f)\nf.write_excel(p)"))
    assert not _writer_calls(ast.parse("frame.write_csv()\nwrite_csv(frame, p)"))
