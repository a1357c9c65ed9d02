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

from dashboard.i18n import (
    INTERVAL_MARK,
    STRINGS,
    enum_label,
    fmt_int,
    fmt_num,
    fmt_pct,
    interval_outside,
    pick,
    reasons_text,
    t,
    veto_category_label,
)
from warehouse.pillars import PILLAR_KINDS

Kind = Literal["text", "num", "num3", "int", "pct", "grade", "interval", "interval1", "bool", "role", "severity", "status",
               "veto_category", "veto_reason", "reasons", "pillar", "source", "direction"]

CODE_KINDS = ("role", "severity", "status", "veto_category", "veto_reason", "reasons", "pillar", "source", "direction")
"""Kinds whose values are codes: shown only through the catalogue (`code_label`)."""


def code_label(kind: str, value: Any, lang: str = "zh") -> str:
    """The words for a code cell of `kind` (HTML, PDF and Excel print the same)."""
    if value is None:
        return ""
    if kind == "role":
        return enum_label("role", value, lang)
    if kind == "severity":
        return enum_label("veto_severity", value, lang)
    if kind == "status":
        return enum_label("veto_status", value, lang)
    if kind == "veto_category":
        return veto_category_label(str(value), lang)
    if kind == "veto_reason":  # stored "category: evidence"
        category, _, evidence = str(value).partition(": ")
        return veto_category_label(category, lang) + (f"{t('sep.colon', lang)}{evidence}" if evidence else "")
    if kind == "reasons":
        return reasons_text(str(value), lang)
    if kind in ("pillar", "source", "direction"):
        key = f"{kind}.{value}" if kind != "pillar" else f"col.{value}"
        return t(key, lang) if key in STRINGS else str(value)
    return str(value)


@dataclass(frozen=True)
class Col:
    """One column of a report table; its header is a catalogue key (dashboard.i18n)."""

    key: str
    text: str  # catalogue key of the header ("col.*")
    kind: Kind = "text"
    high: str | None = None  # the upper column of an interval
    names: tuple[str, str] | None = None  # (zh, en) carried by a declaration instead of `text`

    def label(self, lang: str) -> str:
        """The header in `lang`."""
        return pick(*self.names, lang) if self.names else t(self.text, lang)

    @property
    def zh(self) -> str:
        """The Chinese header (the Excel workbook's headers are Chinese)."""
        return self.label("zh")


PILLAR_COLS = (
    *(Col(k.key, f"col.{k.key}", "num") for k in PILLAR_KINDS),  # labels from warehouse.pillars
    Col("deductions", "col.deductions", "num"),
    Col("bonus", "col.bonus", "num"),
    Col("total", "col.total", "num"),
    Col("grade", "col.grade", "grade"),
)

WORKERS = (
    Col("rank", "col.rank_in_role", "int"),
    Col("rank_low", "col.rank_interval", "interval", high="rank_high"),
    Col("name", "col.name"),
    Col("worker_id", "col.worker_id"),
    Col("role", "col.role", "role"),
    Col("community_name", "col.community"),
    Col("grid_name", "col.grid"),
    *PILLAR_COLS,
    Col("markers", "col.markers"),
)

UNITS = (
    Col("rank", "col.rank", "int"),
    Col("rank_low", "col.rank_interval", "interval", high="rank_high"),
    Col("name", "col.unit_name"),
    Col("members", "col.members", "int"),
    *PILLAR_COLS,
)

GRADES = (
    Col("label", "col.grade"),
    Col("n", "axis.count", "int"),
    Col("share", "axis.share", "pct"),
)

VETOED = (
    Col("name", "col.name"),
    Col("worker_id", "col.worker_id"),
    Col("role", "col.role", "role"),
    Col("grid_name", "col.grid"),
    Col("street_name", "col.street"),
    Col("total", "col.total", "num"),
    Col("grade", "col.grade", "grade"),
    Col("veto_reason", "col.veto_reason", "veto_reason"),
)

VETO_EVENTS = (
    Col("veto_id", "col.worker_id"),
    Col("subject_name", "col.subject"),
    Col("category", "col.category", "veto_category"),
    Col("severity", "col.severity", "severity"),
    Col("status", "col.status", "status"),
    Col("event_on", "col.date"),
    Col("evidence", "col.evidence.reason_evidence"),
)

SATISFACTION = (
    Col("name", "col.grid"),
    Col("invited", "col.invited", "int"),
    Col("respondents", "axis.respondents", "int"),
    Col("rr1", "col.rr", "pct"),
    Col("mean", "col.mean.satisfaction", "num"),
    Col("ci_low", "col.ci_low", "interval1", high="ci_high"),
    Col("suppressed", "col.suppressed", "bool"),
)

TREND = (
    Col("period_id", "filter.period"),
    Col("mean", "kpi.mean", "num"),
)

CHANGES = (
    Col("street_name", "col.street"),
    Col("mean_now", "col.mean_now", "num"),
    Col("mean_before", "col.mean_before", "num"),
    Col("change", "col.change", "num"),
)

M_PILLARS = (Col("name", "col.name.pillar"), Col("weight", "axis.points", "num"),
             Col("source", "col.source", "source"), Col("min_coverage", "col.min_coverage", "pct"))
M_INDICATORS = (Col("pillar", "col.name.pillar", "pillar"), Col("name", "col.indicator"),
                Col("direction", "col.direction", "direction"), Col("weight", "col.weight", "num"),
                Col("target", "col.target.target", "num3"), Col("floor", "col.floor", "num3"))
M_DEDUCTIONS = (Col("pillar", "col.name.pillar", "pillar"), Col("name", "col.name.deduction"),
                Col("full", "col.full", "num"), Col("events", "col.events"),
                Col("zeroing", "col.zeroing"))
M_VETOES = (Col("name", "col.name.veto_category"), Col("severity", "col.severity", "severity"))
M_GRADES = (Col("name", "col.grade"), Col("low", "col.low", "num"), Col("high", "col.high", "num"))
M_RULES = (Col("rule", "col.rule"), Col("value", "col.value.value"))
M_DESIGN = (Col("item", "col.item"), Col("value", "col.value.value"))
M_SAMPLE = (Col("grids", "col.grids", "int"), Col("population", "col.population", "int"),
            Col("completes_needed", "col.completes_needed", "int"),
            Col("invited", "col.invited", "int"))


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
    if kind in CODE_KINDS:
        return code_label(kind, value, lang)
    if kind in ("interval", "interval1"):
        high = row.get(col.high or "")
        if value is None or high is None:
            return ""
        f = fmt_int if kind == "interval" else fmt_num
        mark = INTERVAL_MARK if kind == "interval1" and interval_outside(value, high) else ""
        return f"{f(value, lang)}–{f(high, lang)}{mark}"
    if kind == "bool":
        return t("bool.yes", lang) if value else ""
    return "" if value is None else str(value)
