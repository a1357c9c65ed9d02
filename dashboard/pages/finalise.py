"""Finalise: lock the period's draft run (authorised roles), after a confirmation."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
from dash import Input, Output, State, html
from dash.development.base_component import Component

from dashboard import ids
from dashboard.access import allowed, require
from dashboard.auth import User
from dashboard.callbacks import checked
from dashboard.components import kpi, page_title
from dashboard.context import ViewContext, current_db, current_user, make_context
from dashboard.data import finalise_run, latest_run, run_id_of, run_status
from dashboard.i18n import fmt_date, fmt_period, lang_of, t
from dashboard.pagekit import Query, no_run, page_layout
from dashboard.shell import parse_search
from warehouse.db import Database

PATH = "/finalise"


def on_finalise(db: Database, user: User | None, search: str | None) -> str:
    """Callback logic: finalise the period's latest draft run (whole-city right only).

    Returns:
        The outcome message key.
    """
    p = parse_search(search)
    ctx = make_context(db, user, period=p.get("period"), unit=p.get("unit"), lang=p.get("lang"), action="finalise")
    require(ctx.user, "finalise", None, tree=ctx.tree)  # a run covers the whole city
    run = latest_run(db, ctx.period)
    if run is None:
        return "finalise.none"
    if run_status(run) == "final":
        return "finalise.already"
    finalise_run(db, run_id_of(run) or "", actor=ctx.user.name)
    return "finalise.done"


def view(ctx: ViewContext, query: Query) -> Component:
    """The finalise page."""
    lang = ctx.lang
    title = page_title(f"{t('nav.finalise', lang)} · {fmt_period(ctx.period, lang)}", "finalise")
    run = latest_run(ctx.db, ctx.period)
    if run is None:
        return html.Div([title, no_run(ctx)])
    status = run_status(run)
    may = allowed(ctx.user, "finalise") and ctx.user.scope_unit_id is None
    info = dbc.Row([
        dbc.Col(kpi(t("kpi.run", lang), str(run_id_of(run))), md=4),
        dbc.Col(kpi(t("col.status", lang), t("run.final" if status == "final" else "run.draft", lang), testid="run-status"), md=4),
        dbc.Col(kpi(t("col.date", lang), fmt_date(getattr(run, "created_at", None), lang)), md=4),
    ], className="g-3 mb-3")
    modal = dbc.Modal([
        dbc.ModalBody(t("finalise.confirm", lang)),
        dbc.ModalFooter([html.Button(t("finalise.button", lang), id=ids.FINALISE_CONFIRM, className="btn btn-danger")]),
    ], id=ids.FINALISE_STORE, is_open=False)
    button = html.Button(t("finalise.button", lang), id=ids.FINALISE_BUTTON, className="btn btn-warning",
                         disabled=(not may) or status == "final")
    return html.Div([title, info, button, modal, html.Div(id=ids.FINALISE_RESULT, className="mt-3", role="status")])


layout = page_layout(view)


def register(app: dash.Dash) -> None:
    """Register the page and its two-step callbacks."""
    dash.register_page(__name__, path=PATH, name="finalise", title="网格化管理考核", layout=layout, order=7)

    @app.callback(Output(ids.FINALISE_STORE, "is_open"), Input(ids.FINALISE_BUTTON, "n_clicks"), prevent_initial_call=True)
    @checked
    def _open(_n: int | None) -> bool:
        return True

    @app.callback(Output(ids.FINALISE_RESULT, "children"), Output(ids.FINALISE_STORE, "is_open", allow_duplicate=True),
                  Input(ids.FINALISE_CONFIRM, "n_clicks"), State(ids.LOCATION, "search"), prevent_initial_call=True)
    @checked
    def _confirm(_n: int | None, search: str | None) -> Any:
        key = on_finalise(current_db(), current_user(), search)
        lang = lang_of(parse_search(search).get("lang"))
        return dbc.Alert(t(key, lang), color="success" if key == "finalise.done" else "info"), False
