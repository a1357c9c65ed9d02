"""The "scores out of date" banner every period page shows, and its rescore action.

The banner reads `metrics.stale.changes_since` for the period's latest run; a draft
run offers a rescore button that submits the `rescore` job (the same task the CLI
runs), a final run says that it is never changed and names the correction path.
"""

from __future__ import annotations

from urllib.parse import parse_qs

import dash_bootstrap_components as dbc
from dash import html
from dash.development.base_component import Component

from dashboard import ids
from dashboard.access import allowed, require
from dashboard.auth import User
from dashboard.context import ViewContext, make_context
from dashboard.data import latest_run, run_id_of, run_status
from dashboard.i18n import t
from metrics.stale import Staleness, changes_since
from warehouse.db import Database


def period_staleness(db: Database, period_id: str | None) -> Staleness | None:
    """What changed since the period's latest run read its inputs (None: no period or no run)."""
    run = latest_run(db, period_id)
    run_id = run_id_of(run)
    return None if run_id is None else changes_since(db, str(run_id))


def stale_banner(ctx: ViewContext) -> Component:
    """The banner (an empty div when the period's scores are current)."""
    staleness = period_staleness(ctx.db, ctx.period)
    if staleness is None or not staleness.is_stale:
        return html.Div(id=ids.STALE_BANNER)
    lang = ctx.lang
    text = t("stale.banner", lang, batch=staleness.since_label, n=staleness.changes)
    body: list[Component] = [html.Strong(text)]
    if staleness.status == "draft":
        may = allowed(ctx.user, "finalise") and ctx.user.scope_unit_id is None
        body += [" ", html.Button(t("stale.rescore", lang), id=ids.RESCORE_BUTTON, disabled=not may,
                                  className="btn btn-sm btn-warning ms-2")]
    else:
        body += [html.Br(), html.Span(t("stale.final", lang, run=staleness.run_id))]
    body.append(html.Span(id=ids.RESCORE_RESULT, className="ms-2", role="status"))
    return dbc.Container(dbc.Alert(body, color="warning", className="py-2 mb-2", id=ids.STALE_BANNER), fluid=True)


def on_rescore(db: Database, user: User | None, search: str | None, runner) -> str:
    """Callback logic: submit a rescore job of the period's latest draft run.

    Returns:
        The message (UI language) saying what happened.
    """
    p = {k: v[0] for k, v in parse_qs((search or "").lstrip("?")).items() if v}
    ctx = make_context(db, user, period=p.get("period"), unit=p.get("unit"), lang=p.get("lang"), action="finalise")
    require(ctx.user, "finalise", None, tree=ctx.tree)  # a run covers the whole city
    run = latest_run(db, ctx.period)
    if run is None or run_status(run) != "draft":
        return t("stale.not_draft", ctx.lang)
    if runner is None:
        return t("stale.no_runner", ctx.lang)
    info = runner.submit("rescore", {"run": str(run_id_of(run)), "actor": ctx.user.name}, who=ctx.user.name)
    return t("stale.queued", ctx.lang, job=info.job_id)
