"""Unit detail: members, unit scores, roll-up, heat map of pillar points by member."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import polars as pl
from dash import html
from dash.development.base_component import Component

from dashboard.access import filter_frame, require
from dashboard.components import (
    Figure,
    empty_state,
    export_buttons,
    graph,
    grid,
    kpi,
    page_title,
    section,
    style_figure,
)
from dashboard.context import ViewContext
from dashboard.data import indicator_values, run_id_of, run_scheme, unit_scores
from dashboard.i18n import enum_label, fmt_int, fmt_num, fmt_period, t
from dashboard.pagekit import (
    PILLAR_KEYS,
    SCOPE_COLUMNS,
    Query,
    has,
    no_run,
    page_layout,
    scoped_scores,
    sub_unit_table,
)
from dashboard.pages.worker import indicator_figure, indicator_rows
from dashboard.satisfaction_note import method_section
from dashboard.viewmodel import sub_units

PATH = "/unit"
HEAT_COLUMNS = (*PILLAR_KEYS, "deductions", "bonus", "total")


def member_rows(members: pl.DataFrame, lang: str, *, href: str | None = None) -> pl.DataFrame:
    """Members of a unit for the table (name, role, pillars, total, grade).

    With `href` (a path and query ending in `worker=`), each row links to its worker's page.
    """
    cols: dict[str, Any] = {"name": members["name"]} if "name" in members.columns else {}
    if href is not None and "worker_id" in members.columns:
        cols["href"] = (href + members["worker_id"]).alias("href")
    if "role" in members.columns:
        cols["role"] = pl.Series("role", [enum_label("role", r, lang) for r in members["role"].to_list()])
    cols |= {c: members[c] for c in HEAT_COLUMNS if c in members.columns}
    frame = pl.DataFrame(cols)
    if "grade" in members.columns:
        frame = frame.with_columns(pl.Series("grade", [enum_label("grade", g, lang) for g in members["grade"].to_list()]))
    return frame.sort("total", descending=True, nulls_last=True) if "total" in frame.columns else frame


def heatmap_figure(members: pl.DataFrame, lang: str) -> Figure:
    """Members × pillar points, each column scaled to its own range."""
    cols = [c for c in HEAT_COLUMNS if c in members.columns]
    frame = members.sort("total", descending=True, nulls_last=True).head(60) if "total" in members.columns else members.head(60)
    z = []
    for c in cols:
        s = frame[c].cast(pl.Float64)
        lo, hi = s.min(), s.max()
        span = (hi - lo) if (hi is not None and lo is not None and hi != lo) else 1.0
        z.append([None if v is None else (v - (lo or 0.0)) / span for v in s.to_list()])
    text = [[fmt_num(v, lang) for v in frame[c].to_list()] for c in cols]
    fig = {"data": [{"type": "heatmap", "z": [list(r) for r in zip(*z, strict=True)] if z else [],
                     "x": [t(f"col.{c}", lang) for c in cols],
                     "y": frame["name"].to_list() if "name" in frame.columns else None,
                     "text": [list(r) for r in zip(*text, strict=True)] if text else None,
                     "texttemplate": "%{text}", "colorscale": "Blues", "showscale": False}],
           "layout": {"yaxis": {"autorange": "reversed"}}}
    return style_figure(fig, t("chart.heatmap", lang), height=max(300, 22 * frame.height + 120))


def view(ctx: ViewContext, query: Query) -> Component:
    """The unit page: about the filter's unit, or a department given as `subject`."""
    lang = ctx.lang
    subject = (query.get("subject") or "")[:32] or ctx.unit
    title = page_title(f"{t('nav.unit', lang)} · {fmt_period(ctx.period, lang)}", "unit")
    if subject is None:
        return html.Div([title, empty_state(lang, "empty.pick_unit", None)])
    require(ctx.user, "view", subject, tree=ctx.tree)
    run, scores = scoped_scores(ctx)
    if scores is None:
        return html.Div([title, no_run(ctx)])
    members = filter_frame(scores, ctx.tree, subject, columns=SCOPE_COLUMNS)
    if "dept_id" in scores.columns and subject not in ctx.tree.parent:
        members = scores.filter(pl.col("dept_id") == subject)
    name = ctx.tree.names.get(subject, subject)
    level = enum_label("level", ctx.tree.levels.get(subject), lang)
    unit_row: dict[str, Any] | None = None
    unit_level: str | None = None
    for lv in ("grid", "community", "street", "department"):
        frame = unit_scores(ctx.db, run_id_of(run), level=lv)  # scope checked above by require()
        if frame is not None and "unit_id" in frame.columns:
            hit = frame.filter(pl.col("unit_id") == subject)
            if hit.height:
                unit_row, unit_level = hit.row(0, named=True), lv
                break
    indicators = indicator_rows(indicator_values(ctx.db, run_id_of(run), subject, level=unit_level), lang) \
        if unit_level else None
    cards = dbc.Row([
        dbc.Col(kpi(t("col.members", lang), fmt_int(members.height, lang)), md=3),
        dbc.Col(kpi(t("col.mean", lang), fmt_num(members["total"].mean() if has(members, "total") and members.height else None, lang)), md=3),
        dbc.Col(kpi(t("col.total", lang), fmt_num((unit_row or {}).get("total"), lang),
                    sub=enum_label("grade", (unit_row or {}).get("grade"), lang) or None), md=3),
    ], className="g-3 mb-3")
    method = method_section(unit_row, lang, run_scheme(ctx.db, run_id_of(run)), "unit-method") if unit_row \
        else html.Div(id="unit-method")
    keep_unit = subject if subject in ctx.tree.parent else ctx.unit
    rows = member_rows(members, lang, href="/worker" + ctx.query(unit=keep_unit) + "&worker=")
    cols = [{"field": c, "headerName": t(f"col.{c}", lang), **({"cellRenderer": "DrillLink"} if c == "name" else {})}
            for c in rows.columns if c != "href"]
    below = sub_units(ctx, run_id_of(run), subject) if subject in ctx.tree.parent else None
    return html.Div([
        title, export_buttons(ctx, unit=subject), html.H4(f"{name} {level}".strip(), id="unit-name"), cards, method,
        sub_unit_table(ctx, below, grid_id="unit-sub-units") if below is not None else html.Div(),
        dbc.Row([dbc.Col(section(t("unit.members", lang), grid(rows, cols, grid_id="unit-members", height=420, fit="autoSize")), lg=6),
                 dbc.Col(graph(heatmap_figure(members, lang), "chart-heatmap"), lg=6)]),
        dbc.Row([dbc.Col(graph(indicator_figure(indicators, lang), "chart-unit-indicators"), lg=6)])
        if indicators is not None and indicators.height else html.Div(),
    ])


layout = page_layout(view)


def register(app: dash.Dash) -> None:
    """Register the page with Dash Pages."""
    dash.register_page(__name__, path=PATH, name="unit", title="网格化管理考核", layout=layout, order=3)
