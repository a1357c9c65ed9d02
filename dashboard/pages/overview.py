"""Overview: headline figures, score distribution, grade mix by street, trend."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import dash
import dash_bootstrap_components as dbc
import polars as pl
from dash import dcc, html

from dashboard.access import filter_frame
from dashboard.components import Figure, axis_title, graph, kpi, page_title, style_figure
from dashboard.context import ViewContext
from dashboard.data import list_runs, satisfaction, worker_scores
from dashboard.i18n import enum_label, fmt_int, fmt_num, fmt_pct, fmt_period, t
from dashboard.pagekit import SCOPE_COLUMNS, has, no_run, page_layout, scoped_scores
from dashboard.reports.web import export_buttons
from dashboard.theme import GRADE_COLOURS, GRADE_ORDER

PATH = "/"


@dataclass(frozen=True)
class Headline:
    """The overview's headline figures."""

    workers: int
    mean: float | None
    grades: dict[str, int]
    vetoes: int
    response_rate: float | None


def headline(scores: pl.DataFrame, estimates: pl.DataFrame | None) -> Headline:
    """Headline figures from worker scores and (optionally) satisfaction estimates."""
    mean = scores["total"].mean() if has(scores, "total") and scores.height else None
    grades = {g: 0 for g in GRADE_ORDER}
    if has(scores, "grade"):
        for grade, n in scores.group_by("grade").len().iter_rows():
            if grade in grades:
                grades[grade] = int(n)
    vetoes = int(scores["vetoed"].fill_null(False).sum()) if has(scores, "vetoed") else 0
    rate = None
    if has(estimates, "rr1") and estimates is not None and estimates.height:
        rate = estimates["rr1"].drop_nulls().mean()
    return Headline(workers=scores.height, mean=mean, grades=grades, vetoes=vetoes,
                    response_rate=None if rate is None else float(rate))


def distribution_figure(scores: pl.DataFrame, lang: str) -> Figure:
    """Histogram of total scores, one colour per grade."""
    data = []
    if has(scores, "total", "grade"):
        for grade in GRADE_ORDER:
            part = scores.filter(pl.col("grade") == grade)
            if part.height:
                data.append({"type": "histogram", "x": part["total"].to_list(), "name": enum_label("grade", grade, lang),
                             "marker": {"color": GRADE_COLOURS[grade]}, "xbins": {"size": 2}})
    fig = {"data": data, "layout": {"barmode": "stack", "xaxis": axis_title(t("axis.score", lang)),
                                    "yaxis": axis_title(t("axis.count", lang))}}
    return style_figure(fig, t("chart.distribution", lang))


def grade_mix(scores: pl.DataFrame) -> pl.DataFrame:
    """Share of each grade per street (street name, grade, share)."""
    if not has(scores, "grade", "street_name"):
        return pl.DataFrame(schema={"street_name": pl.String, "grade": pl.String, "n": pl.UInt32, "share": pl.Float64})
    counts = scores.group_by("street_name", "grade").len("n")
    return counts.with_columns(share=pl.col("n") / pl.col("n").sum().over("street_name")).sort("street_name", "grade")


def grade_mix_figure(scores: pl.DataFrame, lang: str) -> Figure:
    """Stacked bars: grade mix by street."""
    mix = grade_mix(scores)
    data = []
    for grade in GRADE_ORDER:
        part = mix.filter(pl.col("grade") == grade)
        data.append({"type": "bar", "x": part["street_name"].to_list(), "y": part["share"].to_list(),
                     "name": enum_label("grade", grade, lang), "marker": {"color": GRADE_COLOURS[grade]}})
    fig = {"data": data, "layout": {"barmode": "stack", "yaxis": axis_title(t("axis.share", lang), tickformat=".0%")}}
    return style_figure(fig, t("chart.grade_mix", lang))


def trend(ctx: ViewContext) -> pl.DataFrame:
    """Mean total per period (latest run of each period), within the view's unit."""
    runs = list_runs(ctx.db)
    if runs is None or runs.height == 0 or not has(runs, "run_id", "period_id"):
        return pl.DataFrame(schema={"period_id": pl.String, "mean": pl.Float64})
    latest = runs.unique("period_id", keep="first", maintain_order=True)
    rows = []
    for run_id, period_id in latest.select("run_id", "period_id").iter_rows():
        scores = worker_scores(ctx.db, run_id)
        if scores is None or "total" not in scores.columns:
            continue
        scores = filter_frame(scores, ctx.tree, ctx.unit, columns=SCOPE_COLUMNS)
        rows.append({"period_id": period_id, "mean": scores["total"].mean()})
    return pl.DataFrame(rows, schema={"period_id": pl.String, "mean": pl.Float64}).sort("period_id")


def trend_figure(frame: pl.DataFrame, lang: str) -> Figure:
    """Line of the mean score over periods."""
    fig = {"data": [{"type": "scatter", "mode": "lines+markers", "name": t("kpi.mean", lang),
                     "x": [fmt_period(p, lang) for p in frame["period_id"].to_list()], "y": frame["mean"].to_list()}],
           "layout": {"xaxis": axis_title(t("axis.period", lang), type="category"),
                      "yaxis": axis_title(t("axis.score", lang))}}
    return style_figure(fig, t("chart.trend", lang))


def view(ctx: ViewContext, query: dict[str, Any]) -> Any:
    """The overview page for a checked context."""
    lang = ctx.lang
    run, scores = scoped_scores(ctx)
    title = page_title(f"{t('nav.overview', lang)} · {fmt_period(ctx.period, lang)}", "overview")
    if scores is None:
        return html.Div([title, no_run(ctx)])
    estimates = satisfaction(ctx.db, ctx.period, level="grid")
    if estimates is not None and "unit_id" in estimates.columns:
        estimates = filter_frame(estimates, ctx.tree, ctx.unit, columns=("unit_id",))
    head = headline(scores, estimates)
    grade_text = " / ".join(f"{enum_label('grade', g, lang)} {n}" for g, n in head.grades.items())
    cards = dbc.Row(
        [
            dbc.Col(kpi(t("kpi.workers", lang), fmt_int(head.workers, lang), sub=grade_text, testid="kpi-workers"), md=4),
            dbc.Col(kpi(t("kpi.mean", lang), fmt_num(head.mean, lang)), md=2),
            dbc.Col(kpi(t("kpi.vetoes", lang), fmt_int(head.vetoes, lang)), md=2),
            dbc.Col(kpi(t("kpi.response_rate", lang), fmt_pct(head.response_rate, lang)), md=2),
            dbc.Col(kpi(t("kpi.run", lang), t("run." + ("final" if str(getattr(run, "status", "")) == "final" else "draft"), lang)), md=2),
        ],
        className="g-3 mb-3",
    )
    drill = dcc.Link(f"{t('nav.rankings', lang)} →", href="/rankings" + ctx.query(), id="drill-rankings",
                     className="btn btn-outline-primary mb-3")
    charts = dbc.Row(
        [
            dbc.Col(graph(distribution_figure(scores, lang), "chart-distribution"), lg=6),
            dbc.Col(graph(grade_mix_figure(scores, lang), "chart-grade-mix"), lg=6),
            dbc.Col(graph(trend_figure(trend(ctx), lang), "chart-trend"), lg=12),
        ]
    )
    return html.Div([title, export_buttons(ctx), cards, drill, charts])


layout = page_layout(view)


def register(app: dash.Dash) -> None:
    """Register the page with Dash Pages."""
    dash.register_page(__name__, path=PATH, name="overview", title="网格化管理考核", layout=layout, order=0)
