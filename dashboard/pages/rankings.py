"""Rankings: a sortable, filterable grid of workers or units with rank intervals."""

from __future__ import annotations

import io
from typing import Any

import dash
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, Output, State, dcc, html

from dashboard import ids
from dashboard.access import filter_frame
from dashboard.auth import User
from dashboard.components import grid
from dashboard.context import ViewContext, current_db, current_user, make_context
from dashboard.data import latest_run, run_id_of, unit_scores
from dashboard.i18n import enum_label, fmt_int, fmt_period, t
from dashboard.pagekit import SCOPE_COLUMNS, has, no_run, page_layout, scoped_scores, with_points
from dashboard.shell import parse_search
from dashboard.theme import GRADE_COLOURS
from warehouse.db import Database

PATH = "/rankings"
LEVELS = ("workers", "department", "community", "street")
PILLARS = ("results", "skills", "satisfaction", "deductions", "bonus")


def markers(row: dict[str, Any], lang: str) -> str:
    """Veto / ineligibility markers of a row as short text."""
    out = []
    if row.get("vetoed"):
        out.append("⛔ " + t("marker.vetoed", lang))
    if row.get("eligible") is False:
        out.append("○ " + t("marker.ineligible", lang))
    return " ".join(out)


def ranking_rows(scores: pl.DataFrame, ctx: ViewContext, *, level: str = "workers") -> pl.DataFrame:
    """Rows for the grid: display names, labels, rank interval, markers and drill-down link."""
    lang = ctx.lang
    frame = scores
    if "rank" in frame.columns and "role" in frame.columns and level == "workers":
        frame = frame.sort("role", "rank", "total", descending=[False, False, True], nulls_last=True)
    elif "rank" in frame.columns:
        frame = frame.sort("rank", nulls_last=True)
    elif "total" in frame.columns:
        frame = frame.sort("total", descending=True, nulls_last=True)
    out: dict[str, Any] = {}
    id_col = "worker_id" if level == "workers" else next(
        (c for c in ("unit_id", "dept_id", "community_id", "street_id") if c in frame.columns), None)
    ids_ = frame[id_col].to_list() if id_col else [None] * frame.height
    out["id"] = ids_
    out["rank"] = frame["rank"].to_list() if "rank" in frame.columns else list(range(1, frame.height + 1))
    if has(frame, "rank_low", "rank_high"):
        out["rank_interval"] = [f"{fmt_int(lo)}–{fmt_int(hi)}" if lo is not None else "" for lo, hi in
                                zip(frame["rank_low"].to_list(), frame["rank_high"].to_list(), strict=True)]
    else:
        out["rank_interval"] = [""] * frame.height
    name_col = "name" if "name" in frame.columns else ("unit_name" if "unit_name" in frame.columns else id_col)
    out["name"] = frame[name_col].to_list() if name_col else ids_
    if level == "workers":
        out["role"] = [enum_label("role", r, lang) for r in frame["role"].to_list()] if "role" in frame.columns else [""] * frame.height
        for col, key in (("grid_name", "grid"), ("community_name", "community"), ("street_name", "street")):
            out[key] = frame[col].to_list() if col in frame.columns else [ctx.tree.names.get(g, "") for g in frame["grid_id"].to_list()] if key == "grid" and "grid_id" in frame.columns else [""] * frame.height
        out["href"] = ["/worker" + ctx.query(worker=w) for w in ids_]
    else:
        out["href"] = ["/unit" + ctx.query(subject=u) for u in ids_]
    for col in (*PILLARS, "total"):
        out[col] = frame[col].round(1).to_list() if col in frame.columns else [None] * frame.height
    out["grade_code"] = frame["grade"].to_list() if "grade" in frame.columns else [None] * frame.height
    out["grade"] = [enum_label("grade", g, lang) for g in out["grade_code"]]
    rows = frame.to_dicts()
    out["markers"] = [markers(r, lang) for r in rows]
    return pl.DataFrame(out, strict=False)


def column_defs(lang: str, *, level: str = "workers") -> list[dict[str, Any]]:
    """AG Grid columns (labels in `lang`, grade cells in the grade colours)."""
    grade_style = {"styleConditions": [
        {"condition": f"params.data.grade_code == '{g}'", "style": {"color": colour, "fontWeight": 600}}
        for g, colour in GRADE_COLOURS.items()]}
    cols: list[dict[str, Any]] = [
        {"field": "rank", "headerName": t("col.rank_in_role" if level == "workers" else "col.rank", lang),
         "filter": "agNumberColumnFilter"},
        {"field": "rank_interval", "headerName": t("col.rank_interval", lang), "width": 110},
        {"field": "name", "headerName": t("col.name" if level == "workers" else "col.unit_name", lang),
         "cellRenderer": "DrillLink", "minWidth": 120},
    ]
    if level == "workers":
        cols += [{"field": k, "headerName": t(f"col.{k}", lang)} for k in ("role", "grid", "community", "street")]
    cols += [{"field": k, "headerName": t(f"col.{k}", lang), "filter": "agNumberColumnFilter"}
             for k in (*PILLARS, "total")]
    cols += [{"field": "grade", "headerName": t("col.grade", lang), "cellStyle": grade_style},
             {"field": "markers", "headerName": t("col.markers", lang)}]
    return cols


def level_frame(ctx: ViewContext, level: str) -> pl.DataFrame | None:
    """Scores for the level in the view's scope (None: no run yet)."""
    if level not in LEVELS:
        level = "workers"
    if level == "workers":
        _run, scores = scoped_scores(ctx)
        return scores
    run = latest_run(ctx.db, ctx.period)
    frame = unit_scores(ctx.db, run_id_of(run), level=level)
    if frame is None:
        return None
    return with_points(filter_frame(frame, ctx.tree, ctx.unit, columns=SCOPE_COLUMNS))


def rankings_table(ctx: ViewContext, level: str) -> Any:
    """The grid for a level, or the empty state."""
    frame = level_frame(ctx, level)
    if frame is None:
        return no_run(ctx)
    rows = ranking_rows(frame, ctx, level=level)
    return grid(rows, column_defs(ctx.lang, level=level), grid_id=ids.RANK_GRID, row_id="id", fit="autoSize")


def export_csv(ctx: ViewContext, *, level: str = "workers") -> str:
    """The rankings of the view as CSV text (the caller checked the `export` action)."""
    frame = level_frame(ctx, level)
    if frame is None:
        return ""
    rows = ranking_rows(frame, ctx, level=level).drop("href", "grade_code")
    buffer = io.StringIO()
    rows.write_csv(buffer)
    return buffer.getvalue()


def on_level(db: Database, user: User | None, level: str | None, search: str | None) -> Any:
    """Callback logic: the grid for another level (checks role and scope)."""
    p = parse_search(search)
    ctx = make_context(db, user, period=p.get("period"), unit=p.get("unit"), lang=p.get("lang"))
    return rankings_table(ctx, level or "workers")


def on_export(db: Database, user: User | None, level: str | None, search: str | None) -> dict[str, Any]:
    """Callback logic: the CSV download (checks the `export` action and scope)."""
    p = parse_search(search)
    ctx = make_context(db, user, period=p.get("period"), unit=p.get("unit"), lang=p.get("lang"), action="export")
    return {"content": export_csv(ctx, level=level or "workers"), "filename": f"rankings-{ctx.period}.csv",
            "type": "text/csv"}


def view(ctx: ViewContext, query: dict[str, Any]) -> Any:
    """The rankings page."""
    lang = ctx.lang
    level = query.get("level") if query.get("level") in LEVELS else "workers"
    controls = dbc.Row(
        [
            dbc.Col(dbc.RadioItems(id=ids.RANK_LEVEL, value=level, inline=True,
                                   options=[{"label": t(f"rankings.{lv}", lang), "value": lv} for lv in LEVELS]), md=5),
            dbc.Col([dbc.Label(t("rankings.search", lang), html_for=ids.RANK_SEARCH, className="visually-hidden"),
                     dbc.Input(id=ids.RANK_SEARCH, type="search", placeholder=t("rankings.search", lang),
                               debounce=False)], md=4),
            dbc.Col(html.Button(t("rankings.export", lang), id=ids.RANK_EXPORT, className="btn btn-outline-secondary"), md=3,
                    className="text-end"),
        ],
        className="g-2 mb-2 align-items-center",
    )
    return html.Div([
        html.H3(f"{t('nav.rankings', lang)} · {fmt_period(ctx.period, lang)}", className="mt-2"),
        controls,
        html.Div(rankings_table(ctx, level), id=ids.RANK_STORE),
        dcc.Download(id=ids.RANK_DOWNLOAD),
    ])


layout = page_layout(view)


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks."""
    dash.register_page(__name__, path=PATH, name="rankings", title="网格化管理考核", layout=layout, order=1)

    @app.callback(Output(ids.RANK_STORE, "children"), Input(ids.RANK_LEVEL, "value"),
                  State(ids.LOCATION, "search"), prevent_initial_call=True)
    def _level(level: str | None, search: str | None) -> Any:
        return on_level(current_db(), current_user(), level, search)

    @app.callback(Output(ids.RANK_GRID, "dashGridOptions"), Input(ids.RANK_SEARCH, "value"),
                  State(ids.RANK_GRID, "dashGridOptions"), prevent_initial_call=True)
    def _search(text: str | None, options: dict[str, Any] | None) -> dict[str, Any]:
        return {**(options or {}), "quickFilterText": (text or "")[:100]}

    @app.callback(Output(ids.RANK_DOWNLOAD, "data"), Input(ids.RANK_EXPORT, "n_clicks"),
                  State(ids.RANK_LEVEL, "value"), State(ids.LOCATION, "search"), prevent_initial_call=True)
    def _export(_n: int | None, level: str | None, search: str | None) -> dict[str, Any]:
        return on_export(current_db(), current_user(), level, search)
