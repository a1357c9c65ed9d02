"""The annual report as one Excel workbook (xlsxwriter): a sheet per table.

Chinese headers, frozen header row, autofilter, column widths, number formats
(scores one decimal as in the views, counts whole, rates as percents), grade cells
in the grade colours. Values are written as numbers from the run (not rounded
text). The workbook is a `warehouse.safe_cells.SafeWorkbook`: every string stays text
and goes through the one neutraliser, so a name or comment such as `=HYPERLINK(...)`
opens as text (quote-prefixed): no formula injection.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import polars as pl

from dashboard.i18n import enum_label, t
from dashboard.reports import tables as T
from dashboard.reports.model import AnnualReport
from dashboard.theme import GRADE_COLOURS
from warehouse.safe_cells import SafeWorkbook

_FORMATS = {"num": "0.0", "num3": "0.###", "int": "0", "pct": "0.0%", "interval": "0", "interval1": "0.0"}


class _Book:
    """A workbook with the report's cell formats."""

    def __init__(self, path: Path) -> None:
        self.wb = SafeWorkbook(str(path))
        font = {"font_name": "Noto Sans CJK SC", "font_size": 10}
        self.header = self.wb.add_format({**font, "bold": True, "bg_color": "#EEF2F6", "bottom": 1,
                                          "text_wrap": True, "valign": "vcenter"})
        self.text = self.wb.add_format(font)
        self.num = {k: self.wb.add_format({**font, "num_format": v}) for k, v in _FORMATS.items()}
        self.grade = {g: self.wb.add_format({**font, "bold": True, "font_color": c}) for g, c in GRADE_COLOURS.items()}
        self.title = self.wb.add_format({**font, "bold": True, "font_size": 14})
        self.date = self.wb.add_format({**font, "num_format": "yyyy-mm-dd"})

    def cell(self, ws: Any, r: int, c: int, value: Any, kind: str, raw: Any = None) -> None:
        """Write one value by kind: numbers as numbers, strings always as text."""
        if value is None or (isinstance(value, float) and value != value):
            ws.write_blank(r, c, None, self.text)
        elif kind == "grade":
            ws.write_string(r, c, enum_label("grade", value), self.grade.get(raw or value, self.text))
        elif kind in _FORMATS and isinstance(value, int | float) and not isinstance(value, bool):
            ws.write_number(r, c, float(value), self.num[kind])
        elif isinstance(value, dt.datetime | dt.date):
            ws.write_datetime(r, c, value if isinstance(value, dt.datetime)
                              else dt.datetime(value.year, value.month, value.day), self.date)
        else:
            ws.write_string(r, c, str(value), self.text)


def _expand(cols: tuple[T.Col, ...], frame: pl.DataFrame) -> list[tuple[str, str, str]]:
    """(column, header, kind) of a sheet: intervals become two numeric columns."""
    out = []
    for c in T.present(cols, frame):
        if c.kind in ("interval", "interval1") and c.high:
            out += [(c.key, f"{c.zh}（下限）", c.kind), (c.high, f"{c.zh}（上限）", c.kind)]
        else:
            out.append((c.key, c.zh, c.kind))
    return out


def _label(kind: str, value: Any) -> Any:
    if value is None:
        return None
    if kind in T.CODE_KINDS:
        return T.code_label(kind, value)
    if kind == "bool":
        return t("bool.yes") if value else t("bool.no")
    return value


def _sheet(book: _Book, name: str, cols: tuple[T.Col, ...], frame: pl.DataFrame) -> None:
    """One table as a sheet: header, rows, widths, freeze, autofilter."""
    ws = book.wb.add_worksheet(name)
    spec = _expand(cols, frame)
    for c, (_key, header, _kind) in enumerate(spec):
        ws.write_string(0, c, header, book.header)
    data = frame.select([k for k, _h, _k in spec]) if spec else frame.clear()
    columns = [data.get_column(k).to_list() for k, _h, _kind in spec]
    widths = [max(6, min(40, len(h) * 2 + 2)) for _k, h, _kind in spec]
    for c, ((_key, _h, kind), values) in enumerate(zip(spec, columns, strict=True)):
        for r, value in enumerate(values, start=1):
            shown = _label(kind, value)
            book.cell(ws, r, c, shown, kind, raw=value)
            if isinstance(shown, str):
                widths[c] = max(widths[c], min(40, int(sum(2 if ord(ch) > 0x2E80 else 1 for ch in shown)) + 2))
    for c, w in enumerate(widths):
        ws.set_column(c, c, w)
    ws.freeze_panes(1, 0)
    if spec:
        ws.autofilter(0, 0, max(data.height, 1), len(spec) - 1)


def _key_values(book: _Book, name: str, title: str, rows: list[tuple[str, Any]]) -> None:
    ws = book.wb.add_worksheet(name)
    ws.write_string(0, 0, title, book.title)
    ws.write_string(1, 0, "项目", book.header)
    ws.write_string(1, 1, "内容", book.header)
    for r, (k, v) in enumerate(rows, start=2):
        ws.write_string(r, 0, k, book.text)
        book.cell(ws, r, 1, v, "num" if isinstance(v, float) else "int" if isinstance(v, int) else "text")
    ws.set_column(0, 0, 24)
    ws.set_column(1, 1, 60)
    ws.freeze_panes(2, 0)


WORKER_SHEET = (
    T.Col("street_name", "col.street"),
    *T.WORKERS[:5],
    T.Col("community_name", "col.community"),
    T.Col("grid_name", "col.grid"),
    T.Col("ranked_among", "col.ranked_among", "int"),
    *T.PILLAR_COLS,
    T.Col("eligible", "col.eligible", "bool"),
    T.Col("ineligible_reason", "col.ineligible_reason", "reasons"),
    T.Col("vetoed", "col.vetoed", "bool"),
    T.Col("veto_reason", "col.veto_reason", "veto_reason"),
)


def render_xlsx(report: AnnualReport, path: str | Path) -> Path:
    """Write the report's tables to an .xlsx workbook, one sheet per table."""
    out = Path(path)
    out.parent.mkdir(parents=True, exist_ok=True)
    book = _Book(out)
    run = report.run
    m = report.methodology
    cover: list[tuple[str, Any]] = [
        ("报告", report.title), ("考核期", report.period_label), ("范围", report.scope_name),
        ("评分批次", run.run_id), ("状态", "已定稿" if not report.draft else "草稿"),
        ("考核方案", f"{m.scheme_name}（{m.scheme_version}）"), ("输入指纹", run.input_fingerprint),
        ("生成时间", report.generated_at.isoformat(sep=" ")),
    ]
    _key_values(book, "封面", report.title, cover)
    h = report.headline
    summary: list[tuple[str, Any]] = [(t("kpi.workers"), h.workers), (t("kpi.ranked"), h.ranked),
                                      (t("kpi.not_ranked_label"), h.not_ranked), (t("kpi.mean"), h.mean),
                                      (t("kpi.vetoes"), h.vetoes), (t("kpi.response_rate"), h.response_rate)]
    summary += [(f"等次：{enum_label('grade', g)}", n) for g, n in h.grades.items()]
    _key_values(book, "汇总", "总体情况", summary)
    _sheet(book, "等次分布", T.GRADES, report.grade_distribution)
    _sheet(book, "人员排名", tuple(c for c in WORKER_SHEET if c.key != "markers"), report.workers)
    _sheet(book, "社区排名", T.UNITS, report.communities)
    _sheet(book, "街道排名", T.UNITS, report.streets)
    _sheet(book, "部门得分", T.UNITS, report.departments)
    _sheet(book, "一票否决人员", T.VETOED, report.vetoed)
    _sheet(book, "否决事项", T.VETO_EVENTS, report.veto_events)
    _sheet(book, "网格满意度", T.SATISFACTION, report.satisfaction)
    _sheet(book, "各期趋势", T.TREND, report.trend)
    _sheet(book, "与上期比较", T.CHANGES, report.changes)
    _sheet(book, "方法-构成", T.M_PILLARS, m.pillars)
    _sheet(book, "方法-指标", T.M_INDICATORS, m.indicators)
    _sheet(book, "方法-扣分", T.M_DEDUCTIONS, m.deductions)
    _sheet(book, "方法-否决", T.M_VETOES, m.vetoes)
    _sheet(book, "方法-等次", T.M_GRADES, m.grades)
    _sheet(book, "方法-规则", T.M_RULES, m.rules)
    _sheet(book, "方法-抽样", T.M_DESIGN, m.design)
    book.wb.close()
    return out
