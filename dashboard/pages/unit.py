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


NEUTRAL = "#ffffff"
HEAT_SCALES: dict[str, list[list[Any]]] = {
    # points earned: pale (the unit's weakest) → deep blue (its strongest)
    "points": [[0.0, "#deebf7"], [1.0, "#08519c"]],
    # points taken off or added: none is neutral white, more is red / green
    "deductions": [[0.0, NEUTRAL], [1.0, "#cf222e"]],
    "bonus": [[0.0, NEUTRAL], [1.0, "#1a7f37"]],
}


def heatmap_figure(members: pl.DataFrame, lang: str) -> Figure:
    """Members × points, one column per pillar, deductions, bonus and total.

    Pillars and the total are scaled to their own range (pale = the unit's weakest,
    blue = its strongest). Deductions and bonus are scaled from zero with their own
    colours, so no deduction is neutral white, not the colour of the weakest score.
    """
    cols = [c for c in HEAT_COLUMNS if c in members.columns]
    frame = members.sort("total", descending=True, nulls_last=True).head(60) if "total" in members.columns else members.head(60)
    names = frame["name"].to_list() if "name" in frame.columns else None
    labels = [t(f"col.{c}", lang) for c in cols]
    data = []
    for index, c in enumerate(cols):
        values = frame[c].cast(pl.Float64)
        scale = HEAT_SCALES.get(c, HEAT_SCALES["points"])
        if c in ("deductions", "bonus"):
            shown = values.abs()
            lo, hi = 0.0, max(float(shown.max() or 0.0), 1e-9)
        else:
            shown = values
            lo, hi = float(values.min() or 0.0), float(values.max() or 0.0)
            hi = hi if hi > lo else lo + 1.0
        # one trace per column (its own colours) over the full grid of cells, the other
        # columns left empty, so every trace shares the same cell geometry
        blank = [None] * len(cols)
        z = [blank[:index] + [v] + blank[index + 1:] for v in shown.to_list()]
        text = [[""] * index + [fmt_num(v, lang)] + [""] * (len(cols) - index - 1) for v in values.to_list()]
        data.append({"type": "heatmap", "x": labels, "y": names,
                     "z": z, "zmin": lo, "zmax": hi, "colorscale": scale,
                     "text": text, "texttemplate": "%{text}",
                     "hovertemplate": "%{y} · %{x}: %{text}<extra></extra>", "hoverongaps": False,
                     "showscale": False, "xgap": 2})
    fig = {"data": data, "layout": {"yaxis": {"autorange": "reversed"}}}
    return style_figure(fig, t("chart.heatmap", lang), height=max(300, 22 * frame.height + 120))


def unit_heading(name: str, level: str) -> str:
    """The unit's heading: its name, with the level only when the name does not already say it
    ("翠竹社区", not "翠竹社区 社区"; "民政局 部门")."""
    if not level or level.lower() in name.lower():
        return name
    return f"{name} {level}"


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
        title, export_buttons(ctx, unit=subject), html.H4(unit_heading(name, level), id="unit-name"), cards, method,
        sub_unit_table(ctx, below, grid_id="unit-sub-units") if below is not None else html.Div(),
        dbc.Row([dbc.Col(section(t("unit.members", lang), grid(rows, cols, lang=lang, grid_id="unit-members", height=420, fit="autoSize")), lg=6),
                 dbc.Col(graph(heatmap_figure(members, lang), "chart-heatmap"), lg=6)]),
        dbc.Row([dbc.Col(graph(indicator_figure(indicators, lang), "chart-unit-indicators"), lg=6)])
        if indicators is not None and indicators.height else html.Div(),
    ])


layout = page_layout(view)


def register(app: dash.Dash) -> None:
    """Register the page with Dash Pages."""
    dash.register_page(__name__, path=PATH, name="unit", title="网格化管理考核", layout=layout, order=3)
