"""Column specifications of the report's tables, shared by the HTML/PDF and Excel renderers.

A `Col` names a frame column, its Chinese and English header and its kind, which
decides the display format (one decimal as in the views, whole numbers, percents)
and the Excel number format. An `interval` column prints `low–high` in HTML and
becomes two numeric columns in Excel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import polars as pl

from dashboard.i18n import enum_label, fmt_int, fmt_num, fmt_pct, pick, t

Kind = Literal["text", "num", "num3", "int", "pct", "grade", "interval", "interval1", "bool", "role", "severity", "status"]


@dataclass(frozen=True)
class Col:
    """One column of a report table."""

    key: str
    zh: str
    en: str
    kind: Kind = "text"
    high: str | None = None  # the upper column of an interval

    def label(self, lang: str) -> str:
        """The header in `lang`."""
        return pick(self.zh, self.en, lang)


PILLAR_COLS = (
    Col("results", "工作实绩", "Work results", "num"),
    Col("skills", "业务技能", "Job skills", "num"),
    Col("satisfaction", "群众满意度", "Satisfaction", "num"),
    Col("deductions", "扣分", "Deductions", "num"),
    Col("bonus", "加分", "Bonus", "num"),
    Col("total", "总分", "Total", "num"),
    Col("grade", "等次", "Grade", "grade"),
)

WORKERS = (
    Col("rank", "岗位内名次", "Rank in role", "int"),
    Col("rank_low", "名次区间", "Rank interval", "interval", high="rank_high"),
    Col("name", "姓名", "Name"),
    Col("worker_id", "编号", "ID"),
    Col("role", "岗位", "Role", "role"),
    Col("community_name", "社区", "Community"),
    Col("grid_name", "网格", "Grid"),
    *PILLAR_COLS,
    Col("markers", "标记", "Markers"),
)

UNITS = (
    Col("rank", "名次", "Rank", "int"),
    Col("rank_low", "名次区间", "Rank interval", "interval", high="rank_high"),
    Col("name", "单位", "Unit"),
    Col("members", "人数", "Members", "int"),
    *PILLAR_COLS,
)

GRADES = (
    Col("label", "等次", "Grade"),
    Col("n", "人数", "Workers", "int"),
    Col("share", "占比", "Share", "pct"),
)

VETOED = (
    Col("name", "姓名", "Name"),
    Col("worker_id", "编号", "ID"),
    Col("role", "岗位", "Role", "role"),
    Col("grid_name", "网格", "Grid"),
    Col("street_name", "街道", "Street"),
    Col("total", "总分", "Total", "num"),
    Col("grade", "等次", "Grade", "grade"),
    Col("veto_reason", "否决原因", "Veto reason"),
)

VETO_EVENTS = (
    Col("veto_id", "编号", "ID"),
    Col("subject_name", "对象", "Subject"),
    Col("category", "类别", "Category"),
    Col("severity", "后果", "Severity", "severity"),
    Col("status", "状态", "Status", "status"),
    Col("event_on", "日期", "Date"),
    Col("evidence", "事由与证据", "Reason / evidence"),
)

SATISFACTION = (
    Col("name", "网格", "Grid"),
    Col("invited", "抽样户数", "Invited", "int"),
    Col("respondents", "应答户数", "Respondents", "int"),
    Col("rr1", "应答率", "Response rate", "pct"),
    Col("mean", "满意度", "Satisfaction", "num"),
    Col("ci_low", "95% 置信区间", "95% interval", "interval1", high="ci_high"),
    Col("suppressed", "样本不足已抑制", "Suppressed (few respondents)", "bool"),
)

TREND = (
    Col("period_id", "考核期", "Period"),
    Col("mean", "平均分", "Mean score", "num"),
)

CHANGES = (
    Col("street_name", "街道", "Street"),
    Col("mean_now", "本期平均分", "Mean this period", "num"),
    Col("mean_before", "上期平均分", "Mean previous period", "num"),
    Col("change", "变化", "Change", "num"),
)

M_PILLARS = (Col("name", "部分", "Pillar"), Col("weight", "分值", "Points", "num"),
             Col("source", "数据来源", "Source"), Col("min_coverage", "最低覆盖率", "Min coverage", "pct"))
M_INDICATORS = (Col("pillar", "部分", "Pillar"), Col("name", "指标", "Indicator"),
                Col("direction", "方向", "Direction"), Col("weight", "权重", "Weight", "num"),
                Col("target", "目标值", "Target", "num3"), Col("floor", "起评值", "Floor", "num3"))
M_DEDUCTIONS = (Col("pillar", "部分", "Pillar"), Col("name", "扣分项", "Deduction"),
                Col("full", "满分", "Full points", "num"), Col("events", "扣分标准", "Points per event"),
                Col("zeroing", "直接扣完情形", "Zeroing events"))
M_VETOES = (Col("name", "否决情形", "Veto category"), Col("severity", "后果", "Severity", "severity"))
M_GRADES = (Col("name", "等次", "Grade"), Col("low", "下限", "From", "num"), Col("high", "上限", "Below", "num"))
M_RULES = (Col("rule", "规则", "Rule"), Col("value", "取值", "Value"))
M_DESIGN = (Col("item", "抽样设计", "Design item"), Col("value", "取值", "Value"))
M_SAMPLE = (Col("grids", "网格数", "Grids", "int"), Col("population", "总户数", "Households", "int"),
            Col("completes_needed", "需完成户数", "Completes needed", "int"),
            Col("invited", "抽样户数", "Invited", "int"))


def present(cols: tuple[Col, ...], frame: pl.DataFrame) -> tuple[Col, ...]:
    """The columns of a spec that the frame has."""
    return tuple(c for c in cols if c.key in frame.columns)


def fmt_cell(col: Col, row: dict[str, Any], lang: str) -> str:
    """A cell as display text: one decimal for scores (as in the views), "—" for missing."""
    value = row.get(col.key)
    kind = col.kind
    if kind == "num":
        return fmt_num(value, lang)
    if kind == "num3":
        return "—" if value is None else f"{value:g}"
    if kind == "int":
        return fmt_int(value, lang)
    if kind == "pct":
        return fmt_pct(value, lang)
    if kind == "grade":
        return enum_label("grade", value, lang)
    if kind == "role":
        return enum_label("role", value, lang)
    if kind == "severity":
        return enum_label("veto_severity", value, lang)
    if kind == "status":
        return enum_label("veto_status", value, lang)
    if kind in ("interval", "interval1"):
        high = row.get(col.high or "")
        if value is None or high is None:
            return ""
        f = fmt_int if kind == "interval" else fmt_num
        return f"{f(value, lang)}–{f(high, lang)}"
    if kind == "bool":
        return t("bool.yes", lang) if value else ""
    return "" if value is None else str(value)
