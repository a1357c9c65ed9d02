"""Excel input templates, one per ingest kind, written from the kind's spec.

Sheet 1 (the data sheet, the one ingest reads): bilingual headers `中文 / English`
(required columns marked with `*`), one example row (marked by a note; ingest
recognises it and never loads it, `warehouse.ingest.read.example_rows`), a dropdown on every
enumerated column (Chinese labels; the English codes are accepted too), column
widths, a frozen header row. Sheet 2 (`说明 Columns`): per column the headers,
required or not, type and format, allowed values and what it holds. Because the
template comes from the same spec ingest validates with, a filled-in template
ingests cleanly.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from warehouse.ingest.specs import ColumnSpec, KindSpec, get_spec
from warehouse.safe_cells import SafeWorkbook

DATA_ROWS = 5000
"""Rows below the header that carry the dropdowns and formats."""

TYPE_TEXT = {
    "text": ("文本", "text"),
    "int": ("整数", "whole number"),
    "float": ("数字", "number"),
    "date": ("日期 YYYY-MM-DD", "date YYYY-MM-DD"),
    "datetime": ("日期时间 YYYY-MM-DD HH:MM", "date-time YYYY-MM-DD HH:MM"),
    "bool": ("是/否", "yes/no"),
}


def header_text(col: ColumnSpec) -> str:
    """The template header of a column: `中文 / English`, with `*` when required."""
    return f"{'*' if col.required else ''}{col.zh} / {col.name}"


def _width(col: ColumnSpec) -> int:
    widest = max(len(header_text(col)) + 4, len(col.example) + 4, 12)
    if col.type == "datetime":
        widest = max(widest, 20)
    return min(widest, 40)


def allowed_values(col: ColumnSpec) -> str:
    """Allowed values as `code 标签` pairs, for the explanation sheet."""
    if col.enum is None:
        return ""
    pairs = "; ".join(f"{code} {label}" for code, label in col.enum.items())
    return ("comma-separated list of: " if col.multi else "") + pairs


def write_template(kind: str, out: str | Path) -> Path:
    """Write the Excel template of `kind` to `out` (.xlsx) and return its path.

    Raises:
        IngestError: unknown kind.
    """
    spec: KindSpec = get_spec(kind)
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook = SafeWorkbook(str(path))
    try:
        _data_sheet(workbook, spec)
        _explain_sheet(workbook, spec)
    finally:
        workbook.close()
    return path


def _data_sheet(workbook: xlsxwriter.Workbook, spec: KindSpec) -> None:
    sheet = workbook.add_worksheet(f"{spec.zh} {spec.kind}"[:31])
    head = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True,
                                "valign": "vcenter"})
    head_required = workbook.add_format({"bold": True, "bg_color": "#FCE4D6", "border": 1,
                                         "text_wrap": True, "valign": "vcenter"})
    text = workbook.add_format({"num_format": "@"})
    example = workbook.add_format({"num_format": "@", "font_color": "#595959", "italic": True})
    sheet.set_row(0, 32)
    for index, col in enumerate(spec.columns):
        sheet.write_string(0, index, header_text(col), head_required if col.required else head)
        # every cell as text, so codes like 001 and dates keep their spelling
        sheet.set_column(index, index, _width(col), text)
        sheet.write_string(1, index, col.example, example)
        if index == 0:
            sheet.write_comment(1, 0, "示例行：导入时自动跳过，可覆盖或删除。\n"
                                "Example row: skipped on ingest; overwrite or delete it.", {"x_scale": 2})
        if col.enum is not None and not col.multi:
            sheet.data_validation(1, index, DATA_ROWS, index, {
                "validate": "list",
                "source": list(col.enum.values()),
                "error_type": "warning",
                "error_title": col.zh,
                "error_message": "请从列表中选择 / choose from the list: "
                + ", ".join(f"{c}={label}" for c, label in col.enum.items())[:200],
            })
        note = TYPE_TEXT[col.type][0] if col.enum is None else "从列表选择 / choose"
        sheet.write_comment(0, index, f"{col.help}\n{note}"[:250], {"x_scale": 2})
    sheet.freeze_panes(1, 0)


def _explain_sheet(workbook: xlsxwriter.Workbook, spec: KindSpec) -> None:
    sheet = workbook.add_worksheet("说明 Columns")
    bold = workbook.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
    titles = ["中文表头", "English header", "必填 required", "类型 type", "允许值 allowed values",
              "说明 description", "示例 example"]
    widths = [16, 18, 12, 26, 50, 60, 22]
    for index, (title, width) in enumerate(zip(titles, widths, strict=True)):
        sheet.write_string(0, index, title, bold)
        sheet.set_column(index, index, width, wrap)
    for row, col in enumerate(spec.columns, start=1):
        zh_type, en_type = TYPE_TEXT[col.type]
        values = [
            col.zh, col.name, "是 yes" if col.required else "否 no", f"{zh_type} / {en_type}",
            allowed_values(col), col.help, col.example,
        ]
        for index, value in enumerate(values):
            sheet.write_string(row, index, value)
    notes_row = len(spec.columns) + 2
    key = ", ".join(spec.key)
    notes = [
        f"{spec.zh} ({spec.kind}): {spec.description}",
        f"唯一键 natural key: {key}. 同一文件内重复的键，后出现的行被拒绝 (later duplicates are rejected); "
        "已入库且内容不同的键被拒绝，不会覆盖 (a stored key with different content is rejected, never overwritten).",
        "表头可用中文或英文 (headers in Chinese or English); 第一行为示例，导入时自动跳过，可覆盖或删除 "
        "(row 2 is an example: ingest skips it; overwrite or delete it).",
        "导入: gridscore ingest " + spec.kind + " FILE.xlsx",
    ]
    for offset, note in enumerate(notes):
        sheet.write_string(notes_row + offset, 0, note)
    sheet.freeze_panes(1, 0)
