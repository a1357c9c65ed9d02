"""Vetoes and appeals: one-vote veto events with status and evidence; audited actions."""

from __future__ import annotations

from typing import Any

import dash
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, Output, State, html, no_update
from dash import ctx as dash_ctx
from dash.development.base_component import Component

from dashboard import ids
from dashboard.access import AccessDenied, allowed, filter_frame, load_tree, require
from dashboard.auth import User
from dashboard.callbacks import checked, require_kind
from dashboard.components import empty_state, grid, page_title
from dashboard.context import ViewContext, current_db, current_user, make_context
from dashboard.data import load_scheme, query, veto_events, veto_transition
from dashboard.i18n import enum_label, fmt_date, fmt_period, lang_of, pick, t, veto_category_label
from dashboard.pagekit import Query, page_layout
from dashboard.shell import parse_search
from warehouse.db import Database

PATH = "/vetoes"
ACTIONS = ("confirm", "appeal", "uphold", "overturn")
ACTION_RIGHT = {"confirm": "veto_decide", "uphold": "veto_decide", "overturn": "veto_decide", "appeal": "veto_appeal"}


def category_names(lang: str) -> dict[str, str]:
    """Veto category code → name from the scheme in force (codes when no scheme)."""
    scheme = load_scheme()
    cats = getattr(getattr(scheme, "veto", None), "categories", None) or ()
    return {c.key: pick(c.name_zh, c.name_en, lang) for c in cats}


def veto_rows(events: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Veto events shaped for the grid (labels; free text stays text)."""
    names = category_names(lang)
    return pl.DataFrame({
        "veto_id": events["veto_id"].to_list(),
        "subject": events["subject_name"].to_list(),
        "scope": [enum_label("veto_scope", v, lang) for v in events["scope"].to_list()],
        "category": [veto_category_label(c, lang, names) for c in events["category"].to_list()],
        "severity": [enum_label("veto_severity", v, lang) for v in events["severity"].to_list()],
        "status": [enum_label("veto_status", v, lang) for v in events["status"].to_list()],
        "date": [fmt_date(v, lang) for v in events["event_on"].to_list()],
        "evidence": events["evidence"].to_list(),
    }, schema={k: pl.String for k in ("veto_id", "subject", "scope", "category", "severity", "status", "date", "evidence")})


def scoped_events(ctx: ViewContext) -> pl.DataFrame:
    """The period's veto events within the view's unit."""
    events = veto_events(ctx.db, ctx.period)
    return filter_frame(events, ctx.tree, ctx.unit, columns=("subject_id",))


def act(db: Database, user: User | None, veto_id: str | None, action: str, note: str | None) -> str:
    """Callback logic: apply an action to a veto after checking role and the subject's scope.

    The veto's subject is read from the database (never from the browser), so a
    forged id outside the user's subtree is refused.

    Returns:
        The outcome message key ("vetoes.done", "vetoes.need_note", "vetoes.pick").
    """
    if action not in ACTION_RIGHT:
        raise AccessDenied(user, action, veto_id)
    if user is None or not allowed(user, ACTION_RIGHT[action]):
        raise AccessDenied(user, ACTION_RIGHT[action], veto_id)
    if not veto_id:
        return "vetoes.pick"
    found = query(db, "SELECT subject_id FROM veto_events WHERE veto_id = ?", [veto_id[:64]])
    if found.height == 0:
        raise AccessDenied(user, ACTION_RIGHT[action], veto_id)
    require(user, ACTION_RIGHT[action], found["subject_id"][0], tree=load_tree(db))
    if not (note or "").strip():
        return "vetoes.need_note"
    veto_transition(db, veto_id, action=action, actor=user.name, evidence=note.strip()[:2000])
    return "vetoes.done"


def veto_table(ctx: ViewContext) -> Component:
    """The grid of the period's vetoes in scope (or the empty state)."""
    events = scoped_events(ctx)
    if events.height == 0:
        return empty_state(ctx.lang, "empty.no_data", None)
    rows = veto_rows(events, ctx.lang)
    cols = [{"field": c, "headerName": t(f"col.{c}", ctx.lang) if c != "veto_id" else "ID"} for c in rows.columns]
    cols[-1] |= {"wrapText": True, "autoHeight": True, "minWidth": 320}
    return grid(rows, cols, lang=ctx.lang, grid_id=ids.VETO_GRID, row_id="veto_id", selectable=True, height=360)


def view(ctx: ViewContext, query_: Query) -> Component:
    """The vetoes page."""
    lang = ctx.lang
    title = page_title(f"{t('nav.vetoes', lang)} · {fmt_period(ctx.period, lang)}", "vetoes")
    table = html.Div(veto_table(ctx), id=ids.VETO_STORE)
    buttons = [
        html.Button(t(f"vetoes.{a}", lang), id=f"{ids.VETO_ACTION}-{a}", n_clicks=0,
                    className=f"btn btn-{'danger' if a == 'overturn' else 'outline-primary'} me-2",
                    disabled=not allowed(ctx.user, ACTION_RIGHT[a]))
        for a in ACTIONS
    ]
    form = dbc.Card(dbc.CardBody([
        dbc.Label(t("vetoes.note", lang), html_for=ids.VETO_NOTE),
        dbc.Textarea(id=ids.VETO_NOTE, maxLength=2000, className="mb-2"),
        html.Div(buttons),
        html.Div(id=ids.VETO_RESULT, className="mt-2", role="status"),
    ]), className="mt-3 shadow-sm")
    return html.Div([title, table, form])


layout = page_layout(view)


def register(app: dash.Dash) -> None:
    """Register the page and its action callback."""
    dash.register_page(__name__, path=PATH, name="vetoes", title="网格化管理考核", layout=layout, order=4)

    @app.callback(
        Output(ids.VETO_RESULT, "children"),
        Output(ids.VETO_STORE, "children"),
        *[Input(f"{ids.VETO_ACTION}-{a}", "n_clicks") for a in ACTIONS],
        State(ids.VETO_GRID, "selectedRows"), State(ids.VETO_NOTE, "value"), State(ids.LOCATION, "search"),
        prevent_initial_call=True,
    )
    def _act(*args: Any) -> Any:
        return _decide(*args[len(ACTIONS):])

    @checked
    def _decide(selected: list[dict[str, Any]] | None, note: str | None, search: str | None) -> Any:
        action = str(dash_ctx.triggered_id or "").removeprefix(f"{ids.VETO_ACTION}-")
        veto_id = require_kind("selectedRows[0].veto_id", selected[0].get("veto_id"), str | None) if selected else None
        key = act(current_db(), current_user(), veto_id, action, note)
        p = parse_search(search)
        lang = lang_of(p.get("lang"))
        message = dbc.Alert(t(key, lang), color="success" if key == "vetoes.done" else "warning", className="py-2")
        if key != "vetoes.done":
            return message, no_update
        ctx = make_context(current_db(), current_user(), period=p.get("period"), unit=p.get("unit"), lang=lang)
        return message, veto_table(ctx)
