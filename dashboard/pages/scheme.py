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
from dash.development.base_component import Component

from dashboard import ids
from dashboard.access import filter_frame
from dashboard.auth import User
from dashboard.callbacks import checked
from dashboard.components import empty_state, grid, page_title, section
from dashboard.context import ViewContext, current_db, current_user, make_context
from dashboard.data import load_scheme, run_id_of, worker_scores
from dashboard.i18n import fmt_num, fmt_pct, join_list, lang_of, pick_attr, t
from dashboard.pagekit import SCOPE_COLUMNS, Query, has, no_run, page_layout, scoped_scores
from dashboard.shell import parse_search
from dashboard.viewmodel import WeightCheck, check_weights, influence, reweighted, whatif_frame
from metrics.scheme import Scheme
from warehouse.db import Database
from warehouse.pillars import DEFAULT_WEIGHTS, PILLAR_KEYS

PATH = "/scheme"
PILLARS = PILLAR_KEYS
INPUT_IDS = (ids.WHATIF_RESULTS, ids.WHATIF_SKILLS, ids.WHATIF_SATISFACTION)


def scheme_weights(scheme: Scheme | None) -> dict[str, float]:
    """Pillar weights of the scheme in force (the 4:1:5 default when unknown)."""
    pillars = getattr(scheme, "pillars", None) or ()
    found = {p.key: float(p.weight) for p in pillars if getattr(p, "key", None) in PILLARS}
    return {k: found.get(k, v) for k, v in DEFAULT_WEIGHTS.items()}


def whatif_panel(ctx: ViewContext, weights: dict[str, float]) -> Component:
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
        section(t("scheme.influence", lang), grid(shares, infl_cols, lang=lang, grid_id="whatif-influence", height=170)),
        section(t("col.rank_change", lang), grid(rows, cols, lang=lang, grid_id="whatif-grid", height=400)),
    ])


def weights_check(values: list[Any]) -> WeightCheck:
    """The typed weights checked against the scheme's pillar total (100 for 4:1:5)."""
    scheme = load_scheme()
    required = float(sum(scheme_weights(scheme).values())) if scheme is not None else 100.0
    return check_weights(dict(zip(PILLARS, values, strict=True)), required)


def weights_message(check: WeightCheck, lang: str) -> Component:
    """What the user reads next to the inputs: the sum so far, or why the weights are refused."""
    if check.bad:
        names = join_list([t(f"col.{k}", lang) for k in check.bad], lang)
        text, colour = t("whatif.not_number", lang, names=names), "danger"
    elif not check.ok:
        text = t("whatif.sum", lang, total=fmt_num(check.required, lang, digits=0),
                 sum=fmt_num(check.total, lang, digits=1 if (check.total or 0) % 1 else 0))
        colour = "danger"
    else:
        return html.Div(t("whatif.sum_ok", lang, total=fmt_num(check.required, lang, digits=0)),
                        className="small text-success", id="whatif-sum-ok")
    return html.Div(dbc.Alert(text, color=colour, className="py-2 mb-0"), id="whatif-refused", role="alert")


def on_weights(values: list[Any], search: str | None) -> tuple[Any, bool, list[bool]]:
    """Callback logic while typing: the message, the button's disabled state, which inputs are invalid."""
    lang = lang_of(parse_search(search).get("lang"))
    check = weights_check(values)
    invalid = [k in check.bad or (not check.bad and not check.ok) for k in PILLARS]
    return weights_message(check, lang), not check.ok, invalid


def on_whatif(db: Database, user: User | None, search: str | None, values: list[Any]) -> Component:
    """Callback logic: check the `whatif` right and scope and the weights, then simulate.

    Weights that are not numbers from 0 to 100 adding up to the scheme's total are
    refused with the reason (the button is disabled then too; this check is the one
    that counts, for a request made by hand).
    """
    p = parse_search(search)
    ctx = make_context(db, user, period=p.get("period"), unit=p.get("unit"), lang=p.get("lang"), action="whatif")
    check = weights_check(values)
    if check.weights is None:
        return weights_message(check, ctx.lang)
    return whatif_panel(ctx, check.weights)


def view(ctx: ViewContext, query: Query) -> Component:
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
        for p, i in zip(PILLARS, INPUT_IDS, strict=True)
    ] + [dbc.Col(html.Button(t("scheme.apply", lang), id=ids.WHATIF_APPLY, className="btn btn-primary mt-4"), md=2),
         dbc.Col(html.Div(weights_message(weights_check([weights[p] for p in PILLARS]), lang), id=ids.WHATIF_MSG,
                          **{"aria-live": "polite"}), md=4)],
        className="g-2 align-items-end")
    return html.Div([
        title, html.P(f"{name} · v{getattr(scheme, 'version', '')}", className="text-muted"),
        dbc.Row([dbc.Col(section(t("scheme.weights", lang), grid(pillars, p_cols, lang=lang, grid_id="scheme-pillars", height=200)), lg=4),
                 dbc.Col(section(t("chart.indicators", lang), grid(indicators, i_cols, lang=lang, grid_id="scheme-indicators", height=320)), lg=8)]),
        dbc.Card(dbc.CardBody([html.H5(t("scheme.whatif", lang)), inputs, html.Div(id=ids.WHATIF_OUT, className="mt-3")]),
                 className="mt-3 shadow-sm"),
    ])


layout = page_layout(view)


def register(app: dash.Dash) -> None:
    """Register the page and the what-if callback."""
    dash.register_page(__name__, path=PATH, name="scheme", title="网格化管理考核", layout=layout, order=6)

    @app.callback(Output(ids.WHATIF_MSG, "children"), Output(ids.WHATIF_APPLY, "disabled"),
                  *[Output(i, "invalid") for i in INPUT_IDS], *[Input(i, "value") for i in INPUT_IDS],
                  State(ids.LOCATION, "search"), prevent_initial_call=True)
    @checked
    def _weights(w_r: float | str | None, w_s: float | str | None, w_sat: float | str | None,
                 search: str | None) -> Any:
        message, disabled, invalid = on_weights([w_r, w_s, w_sat], search)
        return message, disabled, *invalid

    @app.callback(Output(ids.WHATIF_OUT, "children"), Input(ids.WHATIF_APPLY, "n_clicks"),
                  State(ids.WHATIF_RESULTS, "value"), State(ids.WHATIF_SKILLS, "value"),
                  State(ids.WHATIF_SATISFACTION, "value"), State(ids.LOCATION, "search"), prevent_initial_call=True)
    @checked
    def _whatif(_n: int | None, w_r: float | str | None, w_s: float | str | None,
                w_sat: float | str | None, search: str | None) -> Any:
        # a number box sends a number, or text while it holds none; on_whatif falls back on text
        return on_whatif(current_db(), current_user(), search, [w_r, w_s, w_sat])
