"""Spreadsheet-safe text: the one neutraliser every CSV/XLSX writer goes through.

Names, addresses, comments and other free text come from ingested files and survey
forms. A cell such as `=HYPERLINK(...)` would run as a formula when the file is opened in
Excel, WPS or LibreOffice (CSV/formula injection). `neutralise_text` prefixes such text
with a quote so it opens as text; it catches the triggers = + - @, their full-width
forms ＝ ＋ － ＠, the same after leading blanks (space, tab, newline, CR, ideographic
space), and a leading tab, CR or newline on its own.

`write_csv` and `write_xlsx` write a polars frame through it;
`SafeWorkbook` is an xlsxwriter workbook whose every string cell goes through it (the
report workbook and the ingest templates). A test checks that no other module in the
packages writes a CSV or XLSX file itself.
"""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from xlsxwriter.worksheet import Worksheet

TRIGGERS = ("=", "+", "-", "@", "＝", "＋", "－", "＠")
LEADING_BLANKS = " \t\r\n\u3000"
QUOTE = "'"
# the same rule as `is_formula_like`, for polars (Rust regex)
_PATTERN = r"^(?:[\t\r\n]|[ \t\r\n\u3000]*[=+\-@＝＋－＠])"
_RE = re.compile(_PATTERN)


def is_formula_like(text: str) -> bool:
    """True when a spreadsheet could take `text` for a formula.

    >>> [is_formula_like(s) for s in ("=1+1", " =1+1", "\\n@SUM(A1)", "＝1", "\\tx", "张三", "a=b")]
    [True, True, True, True, True, False, False]
    """
    return bool(_RE.match(text))


def neutralise_text(text: str) -> str:
    """`text` with a leading quote when it could be a formula, else unchanged.

    >>> neutralise_text("=HYPERLINK(1)"), neutralise_text("网格员")
    ("'=HYPERLINK(1)", '网格员')
    """
    return QUOTE + text if _RE.match(text) else text


def neutralise_formulas(frame: pl.DataFrame) -> pl.DataFrame:
    """The frame with every text cell that could be a formula prefixed with a quote.

    >>> neutralise_formulas(pl.DataFrame({"n": ["=1+1", "ok"], "v": [1, 2]}))["n"].to_list()
    ["'=1+1", 'ok']
    """
    text = [c for c, dtype in frame.schema.items() if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum)]
    return frame.with_columns(
        pl.when(pl.col(c).cast(pl.String).str.contains(_PATTERN))
        .then(pl.lit(QUOTE) + pl.col(c).cast(pl.String))
        .otherwise(pl.col(c).cast(pl.String))
        .alias(c)
        for c in text
    )


class SafeWorksheet(Worksheet):
    """An xlsxwriter worksheet that neutralises every string it writes."""

    def _write_string(self, row: int, col: int, string: str, cell_format: Any = None) -> Any:
        return super()._write_string(row, col, neutralise_text(string), cell_format)


class SafeWorkbook(xlsxwriter.Workbook):
    """An xlsxwriter workbook whose strings stay text and go through `neutralise_text`.

    Opened with `strings_to_formulas=False` (and no URL/number guessing) on top.
    """

    def __init__(self, filename: Any, options: dict[str, Any] | None = None) -> None:
        safe = {"strings_to_formulas": False, "strings_to_urls": False, "strings_to_numbers": False,
                "nan_inf_to_errors": True}
        super().__init__(filename, {**safe, **(options or {})})
        self.worksheet_class = SafeWorksheet


def write_csv(frame: pl.DataFrame, target: str | Path | io.IOBase, **options: Any) -> None:
    """Write `frame` as CSV (to a path or a text/bytes buffer) with its text neutralised."""
    neutralise_formulas(frame).write_csv(target, **options)  # type: ignore[arg-type]


def write_xlsx(frame: pl.DataFrame, path: str | Path, *, worksheet: str = "Sheet1", autofit: bool = True) -> None:
    """Write `frame` as a one-sheet .xlsx workbook with its text neutralised."""
    with SafeWorkbook(str(path)) as book:
        neutralise_formulas(frame).write_excel(book, worksheet=worksheet, autofit=autofit)

