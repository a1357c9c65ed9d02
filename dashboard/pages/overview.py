"""Overview: headline figures, score distribution, grade mix by street, trend."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from dashboard.access import filter_frame
from dashboard.components import export_buttons, graph, kpi, page_title
from dashboard.context import ViewContext
from dashboard.data import run_id_of, satisfaction
from dashboard.i18n import fmt_int, fmt_num, fmt_pct, fmt_period, t
from dashboard.pagekit import Query, no_run, page_layout, scoped_scores, sub_unit_table
from dashboard.viewmodel import (
    distribution_figure,
    grade_mix_figure,
    headline,
    headline_text,
    sub_units,
    trend,
    trend_figure,
)

PATH = "/"


def view(ctx: ViewContext, query: Query) -> Component:
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
    grade_text = headline_text(head, lang)
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
    below = sub_unit_table(ctx, sub_units(ctx, run_id_of(run), ctx.unit), grid_id="overview-sub-units")
    return html.Div([title, export_buttons(ctx), cards, drill, below, charts])


layout = page_layout(view)


def register(app: dash.Dash) -> None:
    """Register the page with Dash Pages."""
    dash.register_page(__name__, path=PATH, name="overview", title="网格化管理考核", layout=layout, order=0)
