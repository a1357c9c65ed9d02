"""Scheme: the weights and indicators in force, and a what-if panel.

The what-if re-weights the run's stored pillar points in memory to show how
ranks would move; it never writes anything, so the stored run is unchanged.
"""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, Output, State, html

from dashboard import ids
from dashboard.access import filter_frame
from dashboard.auth import User
from dashboard.components import empty_state, grid, page_title, section
from dashboard.context import ViewContext, current_db, current_user, make_context
from dashboard.data import load_scheme, run_id_of, worker_scores
from dashboard.i18n import fmt_num, fmt_pct, pick_attr, t
from dashboard.pagekit import SCOPE_COLUMNS, has, no_run, page_layout, scoped_scores
from dashboard.shell import parse_search
from dashboard.viewmodel import influence, reweighted, whatif_frame
from warehouse.db import Database
from warehouse.pillars import DEFAULT_WEIGHTS, PILLAR_KEYS

PATH = "/scheme"
PILLARS = PILLAR_KEYS


def scheme_weights(scheme: Any) -> dict[str, float]:
    """Pillar weights of the scheme in force (the 4:1:5 default when unknown)."""
    pillars = getattr(scheme, "pillars", None) or ()
    found = {p.key: float(p.weight) for p in pillars if getattr(p, "key", None) in PILLARS}
    return {k: found.get(k, v) for k, v in DEFAULT_WEIGHTS.items()}


def whatif_panel(ctx: ViewContext, weights: dict[str, float]) -> Any:
    """The what-if result: influence before/after and the workers whose rank moves most."""
    lang = ctx.lang
    run, scores = scoped_scores(ctx)
    scheme = load_scheme()
    if scores is None or scheme is None or not has(scores, "total", *PILLARS):
        return no_run(ctx)
    frame = whatif_frame(scores, scheme_weights(scheme), weights, cap=float(scheme.cap))
    # Realised shares need the pillars as 0–100 scores (the stored frame, before with_points).
    raw = filter_frame(worker_scores(ctx.db, run_id_of(run)), ctx.tree, ctx.unit, columns=SCOPE_COLUMNS)
    raw = raw.filter(pl.col("total").is_not_null())
    before = influence(raw, scheme)
    after = influence(raw.with_columns(total=frame["whatif_total"]), reweighted(scheme, weights))
    shares = pl.DataFrame({
        "pillar": [t(f"col.{p}", lang) for p in PILLARS],
        "before": [fmt_pct(before.get(p), lang) for p in PILLARS],
        "after": [fmt_pct(after.get(p), lang) for p in PILLARS],
    })
    moved = frame.sort(pl.col("rank_change").abs(), descending=True).head(30)
    rows = pl.DataFrame({
        "name": moved["name"].to_list() if "name" in moved.columns else moved["worker_id"].to_list(),
        "total": moved["total"].to_list(), "whatif_total": moved["whatif_total"].to_list(),
        "rank": moved["rank_before"].to_list(), "whatif_rank": moved["whatif_rank"].to_list(),
        "rank_change": moved["rank_change"].to_list(),
    }, strict=False)
    infl_cols = [{"field": "pillar", "headerName": t("col.category", lang)},
                 {"field": "before", "headerName": t("scheme.in_force", lang)},
                 {"field": "after", "headerName": t("scheme.simulated", lang)}]
    cols = [{"field": c, "headerName": t(f"col.{c}", lang)} for c in rows.columns]
    return html.Div([
        section(t("scheme.influence", lang), grid(shares, infl_cols, grid_id="whatif-influence", height=170)),
        section(t("col.rank_change", lang), grid(rows, cols, grid_id="whatif-grid", height=400)),
    ])


def on_whatif(db: Database, user: User | None, search: str | None, values: list[Any]) -> Any:
    """Callback logic: check the `whatif` right and scope, then simulate."""
    p = parse_search(search)
    ctx = make_context(db, user, period=p.get("period"), unit=p.get("unit"), lang=p.get("lang"), action="whatif")
    weights = {}
    for key, value in zip(PILLARS, values, strict=True):
        try:
            weights[key] = min(max(float(value), 0.0), 100.0)
        except (TypeError, ValueError):
            weights[key] = DEFAULT_WEIGHTS[key]
    return whatif_panel(ctx, weights)


def view(ctx: ViewContext, query: dict[str, Any]) -> Any:
    """The scheme page."""
    lang = ctx.lang
    scheme = load_scheme()
    title = page_title(t("nav.scheme", lang), "scheme")
    if scheme is None:
        return html.Div([title, empty_state(lang, "empty.not_available", None)])
    name = pick_attr(scheme, "name", lang)
    weights = scheme_weights(scheme)
    pillars = pl.DataFrame({
        "indicator": [pick_attr(p, "name", lang, p.key) for p in scheme.pillars],
        "weight": [float(p.weight) for p in scheme.pillars],
    })
    indicators = pl.DataFrame({
        "indicator": [pick_attr(i, "name", lang, i.key) for i in scheme.indicators],
        "category": [t(f"col.{i.pillar}", lang) for i in scheme.indicators],
        "weight": [float(i.weight) for i in scheme.indicators],
        "target": [fmt_num(i.target, lang, digits=2) if i.target is not None else "—" for i in scheme.indicators],
    })
    p_cols = [{"field": "indicator", "headerName": t("col.category", lang)}, {"field": "weight", "headerName": t("col.weight", lang)}]
    i_cols = [{"field": c, "headerName": t(f"col.{c}", lang)} for c in indicators.columns]
    inputs = dbc.Row([
        dbc.Col([dbc.Label(t(f"col.{p}", lang), html_for=i), dbc.Input(id=i, type="number", min=0, max=100, step=1, value=weights[p])], md=2)
        for p, i in zip(PILLARS, (ids.WHATIF_RESULTS, ids.WHATIF_SKILLS, ids.WHATIF_SATISFACTION), strict=True)
    ] + [dbc.Col(html.Button(t("scheme.apply", lang), id=ids.WHATIF_APPLY, className="btn btn-primary mt-4"), md=2)],
        className="g-2 align-items-end")
    return html.Div([
        title, html.P(f"{name} · v{getattr(scheme, 'version', '')}", className="text-muted"),
        dbc.Row([dbc.Col(section(t("scheme.weights", lang), grid(pillars, p_cols, grid_id="scheme-pillars", height=200)), lg=4),
                 dbc.Col(section(t("chart.indicators", lang), grid(indicators, i_cols, grid_id="scheme-indicators", height=320)), lg=8)]),
        dbc.Card(dbc.CardBody([html.H5(t("scheme.whatif", lang)), inputs, html.Div(id=ids.WHATIF_OUT, className="mt-3")]),
                 className="mt-3 shadow-sm"),
    ])


layout = page_layout(view)


def register(app: dash.Dash) -> None:
    """Register the page and the what-if callback."""
    dash.register_page(__name__, path=PATH, name="scheme", title="网格化管理考核", layout=layout, order=6)

    @app.callback(Output(ids.WHATIF_OUT, "children"), Input(ids.WHATIF_APPLY, "n_clicks"),
                  State(ids.WHATIF_RESULTS, "value"), State(ids.WHATIF_SKILLS, "value"),
                  State(ids.WHATIF_SATISFACTION, "value"), State(ids.LOCATION, "search"), prevent_initial_call=True)
    def _whatif(_n: int | None, w_r: Any, w_s: Any, w_sat: Any, search: str | None) -> Any:
        return on_whatif(current_db(), current_user(), search, [w_r, w_s, w_sat])
