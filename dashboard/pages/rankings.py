"""Rankings: a sortable, filterable grid of workers or units with rank intervals."""

from __future__ import annotations

import base64
import io
from typing import Any

import dash
import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.access import db_key, filter_frame
from dashboard.auth import User
from dashboard.callbacks import checked, require_kind
from dashboard.components import export_buttons, one_decimal, page_title
from dashboard.context import ViewContext, current_db, current_user, make_context
from dashboard.data import RUN_CACHE, latest_run, run_id_of, unit_scores
from dashboard.i18n import enum_label, fmt_period, grid_locale, t
from dashboard.pagekit import (
    SCOPE_COLUMNS,
    Query,
    has,
    no_run,
    page_layout,
    scoped_scores,
    with_points,
)
from dashboard.shell import build_search, parse_search
from dashboard.theme import GRADE_COLOURS
from warehouse.db import Database
from warehouse.enums import WORKER_ROLES
from warehouse.pillars import PILLAR_KEYS
from warehouse.safe_cells import write_csv

PATH = "/rankings"
LEVELS = ("workers", "grid", "community", "street", "department")
PILLARS = (*PILLAR_KEYS, "deductions", "bonus")


def markers_expr(frame: pl.DataFrame, lang: str) -> pl.Expr:
    """Veto / ineligibility / statistically-tied markers of each row as short text (vectorised)."""
    parts = []
    if "vetoed" in frame.columns:
        parts.append(pl.when(pl.col("vetoed").fill_null(False)).then(pl.lit("⛔ " + t("marker.vetoed", lang))))
    if "eligible" in frame.columns:
        parts.append(pl.when(pl.col("eligible") == False).then(pl.lit("○ " + t("marker.ineligible", lang))))  # noqa: E712
    if "tied" in frame.columns:
        parts.append(pl.when(pl.col("tied").fill_null(False)).then(pl.lit("≈ " + t("marker.tied", lang))))
    if not parts:
        return pl.lit("")
    return pl.concat_str(parts, separator=" ", ignore_nulls=True).fill_null("")


def _label(frame: pl.DataFrame, column: str, kind: str, lang: str) -> pl.Expr:
    """Enumeration labels of a column (vectorised via the distinct codes)."""
    if column not in frame.columns:
        return pl.lit("")
    codes = [c for c in frame[column].unique().to_list() if c is not None]
    return pl.col(column).replace_strict({c: enum_label(kind, c, lang) for c in codes}, default="",
                                         return_dtype=pl.String)


def ranking_rows(scores: pl.DataFrame, ctx: ViewContext, *, level: str = "workers") -> pl.DataFrame:
    """Rows for the grid: display names, labels, rank interval, markers and drill-down link."""
    lang = ctx.lang
    frame = scores
    if "rank" in frame.columns and "role" in frame.columns and level == "workers":
        # ranked first, grid workers first, then by rank within the role
        order = {r: i for i, r in enumerate(WORKER_ROLES)}
        frame = frame.with_columns(
            pl.col("rank").is_null().alias("_unranked"),
            pl.col("role").replace_strict(order, default=len(order), return_dtype=pl.Int64).alias("_role"),
        ).sort("_unranked", "_role", "rank", "total", descending=[False, False, False, True], nulls_last=True)
    elif "rank" in frame.columns:
        frame = frame.sort("rank", nulls_last=True)
    elif "total" in frame.columns:
        frame = frame.sort("total", descending=True, nulls_last=True)
    id_col = "worker_id" if level == "workers" else next(
        (c for c in ("unit_id", "dept_id", "community_id", "street_id") if c in frame.columns), None)
    name_col = "name" if "name" in frame.columns else ("unit_name" if "unit_name" in frame.columns else id_col)
    null = pl.lit(None, dtype=pl.String)
    exprs: list[pl.Expr] = [
        (pl.col(id_col) if id_col else null).alias("id"),
        (pl.col("rank") if "rank" in frame.columns else pl.int_range(1, pl.len() + 1)).alias("rank"),
        (pl.format("{}–{}", pl.col("rank_low").round(0).cast(pl.Int64), pl.col("rank_high").round(0).cast(pl.Int64))
         if has(frame, "rank_low", "rank_high") else null).fill_null("").alias("rank_interval"),
        (pl.col(name_col) if name_col else null).alias("name"),
    ]
    if level == "workers":
        exprs.append(_label(frame, "role", "role", lang).alias("role"))
        for col, key in (("grid_name", "grid"), ("community_name", "community"), ("street_name", "street")):
            exprs.append((pl.col(col) if col in frame.columns else null).alias(key))
        exprs.append((pl.lit("/worker" + ctx.query() + "&worker=") + pl.col("worker_id")).alias("href"))
    else:
        exprs.append((pl.lit("/unit" + ctx.query() + "&subject=") + pl.col(id_col)).alias("href") if id_col
                     else null.alias("href"))
    for col in (*PILLARS, "total"):
        exprs.append((pl.col(col).round(1) if col in frame.columns else pl.lit(None, dtype=pl.Float64)).alias(col))
    exprs += [
        (pl.col("grade") if "grade" in frame.columns else null).alias("grade_code"),
        _label(frame, "grade", "grade", lang).alias("grade"),
        markers_expr(frame, lang).alias("markers"),
    ]
    return frame.select(exprs)


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
         "cellRenderer": "DrillLink", "minWidth": 120 if level == "workers" else 170},
        {"field": "total", "headerName": t("col.total", lang), "filter": "agNumberColumnFilter"},
        {"field": "grade", "headerName": t("col.grade", lang), "cellStyle": grade_style},
        {"field": "markers", "headerName": t("col.markers", lang)},
    ]
    if level == "workers":
        cols += [{"field": k, "headerName": t(f"col.{k}", lang)} for k in ("role", "grid", "community", "street")]
    cols += [{"field": k, "headerName": t(f"col.{k}", lang), "filter": "agNumberColumnFilter"} for k in PILLARS]
    return one_decimal(cols, ("total", *PILLARS))


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


PAGE_SIZE = 50


def rankings_table(ctx: ViewContext, level: str) -> Component:
    """The grid for a level (rows are fetched page by page from the server), or the empty state."""
    frame = level_frame(ctx, level)
    if frame is None:
        return no_run(ctx)
    return dag.AgGrid(
        id=ids.RANK_GRID,
        rowModelType="infinite",
        columnDefs=column_defs(ctx.lang, level=level),
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 80,
                       "filterParams": {"maxNumConditions": 1, "buttons": ["reset"]}},
        dashGridOptions={"pagination": True, "paginationPageSize": PAGE_SIZE, "cacheBlockSize": PAGE_SIZE,
                         "maxBlocksInCache": 10, "rowBuffer": 0, "enableCellTextSelection": True,
                         "infiniteInitialRowCount": PAGE_SIZE, "localeText": grid_locale(ctx.lang)},
        getRowId="params.data.id",
        columnSize="autoSize",
        style={"height": "620px", "width": "100%"},
        className="ag-theme-alpine",
    )


_NUMBER_OPS = {"equals": "eq", "notEqual": "ne", "greaterThan": "gt", "greaterThanOrEqual": "ge",
               "lessThan": "lt", "lessThanOrEqual": "le"}


def filter_rows(rows: pl.DataFrame, filter_model: dict[str, Any] | None, search: str | None) -> pl.DataFrame:
    """Apply AG Grid's filter model (text / number, one condition each) and the name search."""
    out = rows
    if search:
        out = out.filter(pl.col("name").str.contains(search.strip()[:50], literal=True))
    for col, spec in (filter_model or {}).items():
        if col not in out.columns or not isinstance(spec, dict):
            continue
        kind, op, value = spec.get("filterType"), spec.get("type"), spec.get("filter")
        if value is None and op not in ("blank", "notBlank"):
            continue
        where = f"getRowsRequest.filterModel.{col}"
        if kind == "number" and op in _NUMBER_OPS:
            out = out.filter(getattr(pl.col(col), _NUMBER_OPS[op])(require_kind(f"{where}.filter", value, float)))
        elif kind == "number" and op == "inRange" and spec.get("filterTo") is not None:
            out = out.filter(pl.col(col).is_between(require_kind(f"{where}.filter", value, float),
                                                    require_kind(f"{where}.filterTo", spec["filterTo"], float)))
        elif op == "blank":
            out = out.filter(pl.col(col).is_null() | (pl.col(col).cast(pl.String) == ""))
        elif op == "notBlank":
            out = out.filter(pl.col(col).is_not_null() & (pl.col(col).cast(pl.String) != ""))
        elif kind == "text":
            text = pl.col(col).cast(pl.String).fill_null("")
            needle = str(value)[:100]
            expr = {"contains": text.str.contains(needle, literal=True),
                    "notContains": ~text.str.contains(needle, literal=True),
                    "equals": text == needle, "notEqual": text != needle,
                    "startsWith": text.str.starts_with(needle), "endsWith": text.str.ends_with(needle)}.get(op)
            if expr is not None:
                out = out.filter(expr)
    return out


def sort_rows(rows: pl.DataFrame, sort_model: list[dict[str, Any]] | None) -> pl.DataFrame:
    """Apply AG Grid's sort model (columns the grid shows only)."""
    keys = [(m["colId"], m.get("sort") == "desc") for m in (sort_model or [])
            if isinstance(m, dict) and m.get("colId") in rows.columns]
    if not keys:
        return rows
    return rows.sort([k for k, _ in keys], descending=[d for _, d in keys], nulls_last=True)


def cached_rows(ctx: ViewContext, level: str) -> pl.DataFrame | None:
    """The display rows of a level for this context (cached with the run)."""
    run = latest_run(ctx.db, ctx.period)
    key = (db_key(ctx.db), "rank-rows", run_id_of(run), ctx.unit, ctx.lang, level, ctx.period)

    def compute() -> pl.DataFrame | None:
        frame = level_frame(ctx, level)
        return None if frame is None else ranking_rows(frame, ctx, level=level)

    return RUN_CACHE.get(key, compute)


def grid_models(request: dict[str, Any] | None) -> tuple[dict[str, Any] | None, list[Any] | None]:
    """The filter and sort models of AG Grid's row request, checked (`BadInput` names a wrong one)."""
    request = request or {}
    return (require_kind("getRowsRequest.filterModel", request.get("filterModel"), dict[str, Any] | None),
            require_kind("getRowsRequest.sortModel", request.get("sortModel"), list[Any] | None))


def on_rows(db: Database, user: User | None, request: dict[str, Any] | None, level: str | None,
            search_text: str | None, search: str | None) -> dict[str, Any]:
    """Callback logic: one block of rows for the grid (checks role and scope)."""
    p = parse_search(search)
    ctx = make_context(db, user, period=p.get("period"), unit=p.get("unit"), lang=p.get("lang"))
    rows = cached_rows(ctx, level if level in LEVELS else "workers")
    if rows is None:
        return {"rowData": [], "rowCount": 0}
    request = request or {}
    filters, sorts = grid_models(request)
    start = max(0, require_kind("getRowsRequest.startRow", request.get("startRow"), int | None) or 0)
    end_row = require_kind("getRowsRequest.endRow", request.get("endRow"), int | None)
    rows = sort_rows(filter_rows(rows, filters, search_text), sorts)
    end = min(start + 500, max(start, end_row or start + PAGE_SIZE))
    return {"rowData": rows.slice(start, end - start).to_dicts(), "rowCount": rows.height}


BOM = "\ufeff"
"""UTF-8 byte order mark: Excel and WPS read a CSV as UTF-8 only when it starts with one."""


def export_frame(ctx: ViewContext, *, level: str = "workers", request: dict[str, Any] | None = None,
                 search_text: str | None = None) -> pl.DataFrame | None:
    """The rows of the view as the grid shows them: its filter, name search and sort.

    `request` is AG Grid's last `getRowsRequest` (its `filterModel` and `sortModel`,
    the same the server applied to fill the grid); columns are in the grid's order
    with its headers in the UI language, after the id.
    """
    level = level if level in LEVELS else "workers"
    rows = cached_rows(ctx, level)
    if rows is None:
        return None
    filters, sorts = grid_models(request)
    rows = sort_rows(filter_rows(rows, filters, search_text), sorts)
    defs = column_defs(ctx.lang, level=level)
    fields = ["id", *(d["field"] for d in defs)]
    headers = [t("col.worker_id", ctx.lang), *(d["headerName"] for d in defs)]
    return rows.select(fields).rename(dict(zip(fields, headers, strict=True)))


def export_csv(ctx: ViewContext, *, level: str = "workers", request: dict[str, Any] | None = None,
               search_text: str | None = None) -> str:
    """The rankings of the view as CSV text for a Chinese office (the caller checked `export`).

    Headers in the UI language, the rows in the grid's current filter and sort, and
    a byte order mark first, so Excel and WPS open the UTF-8 text correctly.
    """
    frame = export_frame(ctx, level=level, request=request, search_text=search_text)
    if frame is None:
        return BOM
    buffer = io.StringIO()
    write_csv(frame, buffer)
    return BOM + buffer.getvalue()


def on_level(db: Database, user: User | None, level: str | None, search: str | None) -> Component:
    """Callback logic: the grid for another level (checks role and scope)."""
    p = parse_search(search)
    ctx = make_context(db, user, period=p.get("period"), unit=p.get("unit"), lang=p.get("lang"))
    return rankings_table(ctx, level or "workers")


def level_search(level: str | None, search: str | None) -> str:
    """Callback logic: the address with the picked level (`level=`), every other parameter kept.

    The level lives in the address, so a language, period or unit switch, a reload
    or a shared link shows the same level (the page re-renders from the address).
    """
    params = parse_search(search)
    if (level if level in LEVELS else "workers") == (params.get("level") or "workers"):
        raise PreventUpdate
    params["level"] = level if level in LEVELS and level != "workers" else ""
    return build_search(params)


def on_export(db: Database, user: User | None, level: str | None, search: str | None,
              request: dict[str, Any] | None = None, search_text: str | None = None) -> dict[str, Any]:
    """Callback logic: the CSV download of the view as shown (checks the `export` action and scope).

    Sent base64-encoded, so the bytes (BOM included) reach the file unchanged.
    """
    p = parse_search(search)
    ctx = make_context(db, user, period=p.get("period"), unit=p.get("unit"), lang=p.get("lang"), action="export")
    body = export_csv(ctx, level=level or "workers", request=request, search_text=search_text)
    return {"content": base64.b64encode(body.encode("utf-8")).decode("ascii"), "base64": True,
            "filename": f"rankings-{ctx.period}.csv", "type": "text/csv;charset=utf-8"}


def view(ctx: ViewContext, query: Query) -> Component:
    """The rankings page."""
    lang = ctx.lang
    level = query.get("level") if query.get("level") in LEVELS else "workers"
    controls = dbc.Row(
        [
            dbc.Col(dbc.RadioItems(id=ids.RANK_LEVEL, value=level, inline=True,
                                   options=[{"label": t(f"rankings.{lv}", lang), "value": lv} for lv in LEVELS]), md=5),
            dbc.Col([dbc.Label(t("rankings.search", lang), html_for=ids.RANK_SEARCH, className="visually-hidden"),
                     dbc.Input(id=ids.RANK_SEARCH, type="search", placeholder=t("rankings.search", lang),
                               debounce=400)], md=4),
            dbc.Col(html.Button(t("rankings.export", lang), id=ids.RANK_EXPORT, className="btn btn-outline-secondary"), md=3,
                    className="text-end"),
        ],
        className="g-2 mb-2 align-items-center",
    )
    return html.Div([
        page_title(f"{t('nav.rankings', lang)} · {fmt_period(ctx.period, lang)}", "rankings"),
        export_buttons(ctx),
        controls,
        html.Div(rankings_table(ctx, level), id=ids.RANK_STORE),
        dcc.Download(id=ids.RANK_DOWNLOAD),
    ])


layout = page_layout(view)


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks."""
    dash.register_page(__name__, path=PATH, name="rankings", title="网格化管理考核", layout=layout, order=1)

    @app.callback(Output(ids.LOCATION, "search", allow_duplicate=True), Input(ids.RANK_LEVEL, "value"),
                  State(ids.LOCATION, "search"), prevent_initial_call=True)
    @checked
    def _level(level: str | None, search: str | None) -> str:
        return level_search(level, search)

    @app.callback(Output(ids.RANK_GRID, "getRowsResponse"), Input(ids.RANK_GRID, "getRowsRequest"),
                  State(ids.RANK_LEVEL, "value"), State(ids.RANK_SEARCH, "value"), State(ids.LOCATION, "search"),
                  prevent_initial_call=True)
    @checked
    def _rows(request: dict[str, Any] | None, level: str | None, text: str | None, search: str | None) -> dict[str, Any]:
        return on_rows(current_db(), current_user(), request, level, text, search)

    @app.callback(Output(ids.RANK_STORE, "children"), Input(ids.RANK_SEARCH, "value"),
                  State(ids.RANK_LEVEL, "value"), State(ids.LOCATION, "search"), prevent_initial_call=True)
    @checked
    def _search(_text: str | None, level: str | None, search: str | None) -> Any:
        return on_level(current_db(), current_user(), level, search)

    @app.callback(Output(ids.RANK_DOWNLOAD, "data"), Input(ids.RANK_EXPORT, "n_clicks"),
                  State(ids.RANK_LEVEL, "value"), State(ids.LOCATION, "search"),
                  State(ids.RANK_GRID, "getRowsRequest"), State(ids.RANK_SEARCH, "value"), prevent_initial_call=True)
    @checked
    def _export(_n: int | None, level: str | None, search: str | None, request: dict[str, Any] | None,
                text: str | None) -> dict[str, Any]:
        return on_export(current_db(), current_user(), level, search, request, text)
