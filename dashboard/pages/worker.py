"""Worker detail: how the score is made, indicators vs targets, satisfaction, rank, records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import dash
import dash_bootstrap_components as dbc
import polars as pl
from dash import Input, Output, State, dcc, html
from dash.development.base_component import Component
from dash.exceptions import PreventUpdate

from dashboard import ids
from dashboard.access import require
from dashboard.auth import User
from dashboard.callbacks import checked
from dashboard.components import (
    Figure,
    axis_title,
    empty_state,
    export_buttons,
    graph,
    grid,
    kpi,
    page_title,
    section,
    style_figure,
)
from dashboard.context import ViewContext, current_db, current_user, make_context
from dashboard.data import (
    adjustments,
    deduction_table,
    indicator_values,
    load_scheme,
    run_id_of,
    run_scheme,
    satisfaction,
    served_grid_count,
    trend_runs,
    work_records_sample,
    worker_scores,
)
from dashboard.i18n import (
    bonus_label,
    enum_label,
    fmt_date,
    fmt_int,
    fmt_interval,
    fmt_num,
    fmt_pct,
    fmt_period,
    interval_outside,
    pick,
    reasons_text,
    step_label,
    t,
    veto_category_label,
)
from dashboard.pagekit import PILLAR_KEYS, Query, has, no_run, page_layout, scoped_scores
from dashboard.satisfaction_note import is_tied, method_section
from dashboard.shell import build_search, parse_search
from dashboard.theme import (
    GRADE_COLOURS,
    GRADE_ORDER,
    NOT_RANKED_COLOUR,
    PILLAR_COLOURS,
    grade_colour,
)
from dashboard.viewmodel import deduction_rows
from metrics.explain import pillar_deductions, score_steps
from warehouse.db import Database

PATH = "/worker"


def row_deductions(row: dict[str, Any]) -> dict[str, float]:
    """Pillar → deducted points of a score row, for rows without their items: the scheme's
    deduction items all sit in the pillar of its first deduction item (results by default)."""
    if not row.get("deductions"):
        return {}
    deductions = getattr(load_scheme(), "deductions", ())
    pillar = deductions[0].pillar if deductions else PILLAR_KEYS[0]
    return {pillar: abs(float(row["deductions"]))}


def waterfall_steps(row: dict[str, Any], lang: str,
                    deductions: Mapping[str, float] | None = None) -> list[tuple[str, float, str]]:
    """(label, points, measure) steps from pillar points to the total (`metrics.explain.score_steps`).

    Deductions are inside their pillar (B4/B5): results before deductions, the deductions,
    the results points, then skills, satisfaction, bonus, cap and rounding, and the total.
    Each step is at one decimal, so the printed steps add up to the printed total.
    `deductions` (pillar → points lost, from `deduction_items`) defaults to the row's.
    """
    points = {key: (float(row[key]) if row.get(key) is not None else None) for key in PILLAR_KEYS}
    steps = score_steps(points, deductions=row_deductions(row) if deductions is None else deductions,
                        bonus=row.get("bonus"), total=row.get("total"))
    return [(step_label(s.key, s.pillar, s.measure, lang), s.points, s.measure) for s in steps]


def pillar_causes(row: dict[str, Any]) -> dict[str, str | None]:
    """`<pillar>_missing` → the code of why (the row's `<pillar>_reason`), for `reasons_text`."""
    return {f"{k}_missing": row.get(f"{k}_reason") for k in PILLAR_KEYS}


def veto_text(row: dict[str, Any], lang: str) -> str:
    """The acting veto in words: its category's name and the evidence ("category: evidence" stored)."""
    category, _, evidence = str(row.get("veto_reason") or "").partition(": ")
    return f"{veto_category_label(category, lang)}：{evidence}" if evidence else veto_category_label(category, lang)


def waterfall_figure(row: dict[str, Any], lang: str, deductions: Mapping[str, float] | None = None) -> Figure:
    """Waterfall of the worker's score (the steps of `waterfall_steps`, labelled with their points)."""
    steps = waterfall_steps(row, lang, deductions)
    fig = {"data": [{
        "type": "waterfall", "x": [s[0] for s in steps], "y": [s[1] for s in steps],
        "measure": [s[2] for s in steps], "text": [fmt_num(s[1], lang) for s in steps], "textposition": "outside",
        "increasing": {"marker": {"color": PILLAR_COLOURS["results"]}},
        "decreasing": {"marker": {"color": PILLAR_COLOURS["deductions"]}},
        "totals": {"marker": {"color": grade_colour(row.get("grade"))}},
    }], "layout": {"yaxis": axis_title(t("axis.points", lang)), "showlegend": False}}
    return style_figure(fig, t("chart.waterfall", lang))


def scheme_names(lang: str) -> dict[str, str]:
    """Indicator, deduction and bonus keys → names in `lang`, from the scheme in force."""
    scheme = load_scheme()
    names: dict[str, str] = {}
    for item in (*getattr(scheme, "indicators", ()), *getattr(scheme, "deductions", ())):
        names[item.key] = pick(item.name_zh, item.name_en, lang)
    for key, label in getattr(scheme, "bonus_categories", ()) or ():
        names.setdefault(key, bonus_label(key, lang, {key: label}))
    return names


def indicator_rows(lines: pl.DataFrame | None, lang: str) -> pl.DataFrame:
    """Indicator lines of a run (value, target, weight, points) with names, for the chart."""
    schema = {"indicator": pl.String, "value": pl.Float64, "target": pl.Float64, "weight": pl.Float64,
              "points": pl.Float64}
    if lines is None or lines.height == 0 or "item" not in lines.columns:
        return pl.DataFrame(schema=schema)
    if "kind" in lines.columns:
        lines = lines.filter(pl.col("kind") == "indicator")
    names = scheme_names(lang)
    return pl.DataFrame({
        "indicator": [names.get(k, k) for k in lines["item"].to_list()],
        "value": lines["value"].to_list(), "target": lines["target"].to_list(),
        "weight": lines["weight"].to_list(), "points": lines["points"].to_list(),
    }, schema=schema, strict=False)


def adjustment_rows(lines: pl.DataFrame | None, lang: str) -> pl.DataFrame:
    """Deductions and bonuses with the evidence record behind each."""
    schema = {"type": pl.String, "category": pl.String, "evidence": pl.String, "points": pl.Float64}
    if lines is None or lines.height == 0:
        return pl.DataFrame(schema=schema)
    names = scheme_names(lang)
    return pl.DataFrame({
        "type": [t("col.deductions" if k == "deduction" else "col.bonus", lang) for k in lines["kind"].to_list()],
        "category": [names.get(i, i) for i in lines["item"].to_list()],
        "evidence": lines["evidence_id"].to_list(),
        "points": [(-p if k == "deduction" else p) for k, p in zip(lines["kind"].to_list(), lines["points"].to_list(), strict=True)],
    }, schema=schema, strict=False)


def indicator_figure(frame: pl.DataFrame, lang: str) -> Figure:
    """Indicator values against their targets."""
    names = frame["indicator"].to_list()
    fig = {"data": [
        {"type": "bar", "orientation": "h", "y": names, "x": frame["value"].to_list(), "name": t("col.value", lang),
         "marker": {"color": PILLAR_COLOURS["results"]}},
        {"type": "scatter", "mode": "markers", "y": names, "x": frame["target"].to_list(), "name": t("col.target", lang),
         "marker": {"symbol": "line-ns-open", "size": 18, "color": "#cf222e"}},
    ], "layout": {"yaxis": {"autorange": "reversed"}}}
    return style_figure(fig, t("chart.indicators", lang), height=max(260, 30 * frame.height + 100))


FUNNEL_LIMITS = ("funnel_low_95", "funnel_high_95", "funnel_low_998", "funnel_high_998", "funnel_p0")


def funnel_figure(estimates: pl.DataFrame, grid_id: str | None, lang: str) -> Figure:
    """Funnel plot: each grid's share satisfied against its respondents, limits from surveys.

    The 95 % and 99.8 % limits and the centre line are surveys' own (`funnel_*`
    columns of `surveys.estimate.estimate`); this grid is the red diamond.
    """
    data: list[dict[str, Any]] = []
    y = "p_satisfied" if "p_satisfied" in estimates.columns else "mean"
    if has(estimates, "respondents", y):
        est = estimates.drop_nulls(y).sort("respondents")
        data.append({"type": "scattergl" if est.height > 1000 else "scatter", "mode": "markers",
                     "x": est["respondents"].to_list(), "y": est[y].round(4).to_list(),
                     "marker": {"color": "#8c959f", "size": 5}, "name": t("col.grid", lang)})
        limits = [c for c in FUNNEL_LIMITS if c in est.columns and est[c].dtype.is_numeric()]
        if limits:
            curve = est.group_by("respondents").agg(pl.col(limits).mean()).sort("respondents")
            for col in limits:
                dash = "solid" if col.endswith("p0") else ("dot" if col.endswith("95") else "dash")
                data.append({"type": "scatter", "mode": "lines", "x": curve["respondents"].to_list(),
                             "y": curve[col].round(4).to_list(), "showlegend": False, "hoverinfo": "skip",
                             "line": {"dash": dash, "width": 1, "color": "#57606a"}, "name": col})
        mine = est.filter(pl.col("unit_id") == grid_id) if grid_id and "unit_id" in est.columns else est.clear()
        if mine.height:
            data.append({"type": "scatter", "mode": "markers", "x": mine["respondents"].to_list(),
                         "y": mine[y].to_list(), "name": t("nav.worker", lang),
                         "marker": {"color": "#cf222e", "size": 14, "symbol": "diamond"}})
    yaxis = axis_title(t("axis.satisfaction", lang), **({"tickformat": ".0%"} if y == "p_satisfied" else {}))
    fig = {"data": data, "layout": {"xaxis": axis_title(t("axis.respondents", lang)), "yaxis": yaxis}}
    return style_figure(fig, t("chart.funnel", lang))


def p_grade_figure(row: dict[str, Any], lang: str) -> Figure | None:
    """Bar chart of P(grade) from the run's uncertainty draws (None if not given)."""
    probs = [(g, row.get(f"p_grade_{g}")) for g in GRADE_ORDER]
    if all(p is None for _, p in probs):
        return None
    fig = {"data": [{"type": "bar", "x": [enum_label("grade", g, lang) for g, _ in probs],
                     "y": [p or 0 for _, p in probs], "marker": {"color": [GRADE_COLOURS[g] for g, _ in probs]},
                     "text": [fmt_pct(p, lang) for _, p in probs], "textposition": "outside"}],
           "layout": {"yaxis": {"tickformat": ".0%", "range": [0, 1.1]}, "showlegend": False}}
    return style_figure(fig, t("chart.p_grade", lang), height=280)


def worker_trend(ctx: ViewContext, worker_id: str) -> pl.DataFrame:
    """The worker's total per period, left to right: periods of the viewed period's kind up
    to it, oldest first, each from its latest run (`dashboard.data.trend_runs`; runs cached)."""
    runs = trend_runs(ctx.db, ctx.period)
    rows: list[dict[str, Any]] = []
    for run_id, period_id in ([] if runs is None else runs.select("run_id", "period_id").iter_rows()):
        scores = worker_scores(ctx.db, run_id)
        if scores is None or "total" not in scores.columns:
            continue
        hit = scores.filter(pl.col("worker_id") == worker_id)
        if hit.height and hit["total"][0] is not None:
            rows.append({"period_id": period_id, "total": hit["total"][0]})
    return pl.DataFrame(rows, schema={"period_id": pl.String, "total": pl.Float64})


def trend_figure(frame: pl.DataFrame, lang: str) -> Figure:
    """The worker's total over periods."""
    fig = {"data": [{"type": "scatter", "mode": "lines+markers", "name": t("col.total", lang),
                     "x": [fmt_period(p, lang) for p in frame["period_id"].to_list()], "y": frame["total"].to_list()}],
           "layout": {"xaxis": axis_title(t("axis.period", lang), type="category"),
                      "yaxis": axis_title(t("axis.score", lang))}}
    return style_figure(fig, t("chart.worker_trend", lang), height=280)


def record_rows(records: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Work records shaped for display (labels, dates)."""
    return pl.DataFrame({
        "record": records["record_id"].to_list(),
        "type": [enum_label("work_type", v, lang) for v in records["type"].to_list()],
        "opened": [fmt_date(v, lang) for v in records["opened_at"].to_list()],
        "closed": [fmt_date(v, lang) for v in records["closed_at"].to_list()],
        "status": [enum_label("work_status", v, lang) for v in records["status"].to_list()],
        "outcome": [enum_label("work_outcome", v, lang) for v in records["outcome"].to_list()],
    }, schema={k: pl.String for k in ("record", "type", "opened", "closed", "status", "outcome")})


def worker_detail(ctx: ViewContext, worker_id: str) -> Component:
    """The detail of one worker (the caller's scope is checked here)."""
    require(ctx.user, "view", worker_id, tree=ctx.tree)
    lang = ctx.lang
    run, scores = scoped_scores(ctx)
    if scores is None:
        return no_run(ctx)
    mine = scores.filter(pl.col("worker_id") == worker_id)
    if mine.height == 0:
        return empty_state(lang, "empty.no_data", None)
    row = mine.row(0, named=True)
    grade = row.get("grade")  # as published (pagekit.shown_grades): None when not ranked
    if grade is not None:
        badge = html.Span(enum_label("grade", grade, lang), className="grade-badge ms-2",
                          style={"background": grade_colour(grade)}, id="worker-grade")
    else:
        badge = html.Span(t("worker.not_ranked" if row.get("total") is not None else "worker.not_scored", lang),
                          className="grade-badge ms-2", style={"background": NOT_RANKED_COLOUR}, id="worker-not-ranked")
    header = html.Div([
        html.H3([row.get("name") or worker_id, badge], className="mt-2 mb-0", id="worker-name"),
        html.Div(" · ".join(x for x in (enum_label("role", row.get("role"), lang),
                                        ctx.tree.names.get(row.get("grid_id") or "", ""),
                                        str(row.get("community_name") or ""), str(row.get("street_name") or "")) if x),
                 className="text-muted"),
    ], className="mb-3")
    rank_text = fmt_int(row.get("rank"), lang)
    if row.get("rank_low") is not None:
        rank_text += f"（{fmt_int(row['rank_low'], lang)}–{fmt_int(row['rank_high'], lang)}）"
    flags = []
    if row.get("vetoed"):
        flags.append(html.Div(f"{t('worker.veto', lang)}{t('sep.colon', lang)}{veto_text(row, lang)}",
                              className="text-danger small mb-1", id="worker-veto"))
    if row.get("eligible") is False:
        flags.append(html.Div([html.Div(t("worker.not_ranked_why", lang), className="text-muted small"),
                               html.Div(reasons_text(row.get("ineligible_reason"), lang, details=pillar_causes(row)),
                                        className="fw-semibold")], id="worker-reasons"))
    estimates = satisfaction(ctx.db, ctx.period, level="grid")
    sat_row = None
    if has(estimates, "unit_id") and estimates is not None and row.get("grid_id"):
        hit = estimates.filter(pl.col("unit_id") == row["grid_id"])
        sat_row = hit.row(0, named=True) if hit.height else None
    sat_text = "—"
    sat_sub = None
    if sat_row:
        sat_text = f"{fmt_num(sat_row.get('mean'), lang)} {fmt_interval(sat_row.get('ci_low'), sat_row.get('ci_high'), lang)}"
        sat_sub = (f"{fmt_int(sat_row.get('respondents'), lang)} {t('worker.respondents', lang)}"
                   + (f" · {t('note.interval', lang)}" if interval_outside(sat_row.get("ci_low"), sat_row.get("ci_high")) else ""))
    elif row.get("satisfaction_raw") is not None:
        # a role assessed on the residents of an area (coordinator, community or department staff)
        sat_text = fmt_num(row.get("satisfaction_raw"), lang)
        se = row.get("satisfaction_se")
        if se is not None:
            lo, hi = row["satisfaction_raw"] - 1.96 * se, row["satisfaction_raw"] + 1.96 * se
            sat_text += f" {fmt_interval(lo, hi, lang)}"
        grids = served_grid_count(ctx.db, worker_id)
        sat_sub = (f"{fmt_int(row.get('satisfaction_n'), lang)} {t('worker.respondents', lang)} · "
                   + t("worker.served_area", lang).format(grids=fmt_int(grids, lang)))
    cards = dbc.Row([
        dbc.Col(kpi(t("col.total", lang), fmt_num(row.get("total"), lang), testid="worker-total"), md=3),
        dbc.Col(kpi(t("worker.rank", lang), rank_text), md=3),
        dbc.Col(kpi(t("worker.satisfaction", lang), sat_text, sub=sat_sub), md=3),
        dbc.Col(html.Div(flags), md=3),
    ], className="g-3 mb-3")
    if is_tied(row):
        flags.append(dbc.Badge(f"≈ {t('marker.tied', lang)}", color="warning", text_color="dark", className="me-2",
                               id="worker-tied"))
    method = method_section(row, lang, run_scheme(ctx.db, run_id_of(run)), "worker-method")
    indicators = indicator_rows(indicator_values(ctx.db, run_id_of(run), worker_id), lang)
    adjust = adjustment_rows(adjustments(ctx.db, run_id_of(run), worker_id), lang)
    recon = deduction_table(ctx.db, run_id_of(run), worker_id)
    charts: list[Any] = [dbc.Col(graph(waterfall_figure(row, lang, pillar_deductions(recon)), "chart-waterfall"), lg=6)]
    pg = p_grade_figure(row, lang) if grade is not None else None  # no grade odds for the not ranked
    if pg is not None:
        charts.append(dbc.Col(graph(pg, "chart-p-grade"), lg=6))
    if indicators is not None and indicators.height:
        charts.append(dbc.Col(graph(indicator_figure(indicators, lang), "chart-indicators"), lg=6))
    if estimates is not None:
        charts.append(dbc.Col(graph(funnel_figure(estimates, row.get("grid_id"), lang), "chart-funnel"), lg=6))
    history = worker_trend(ctx, worker_id)
    if history.height > 1:
        charts.append(dbc.Col(graph(trend_figure(history, lang), "chart-worker-trend"), lg=6))
    records = record_rows(work_records_sample(ctx.db, worker_id, ctx.period), lang)
    rec_cols = [{"field": k, "headerName": t(f"col.{k}", lang)} for k in records.columns]
    adj_cols = [{"field": k, "headerName": t(f"col.{k}", lang)} for k in adjust.columns]
    ded = deduction_rows(recon, lang, scheme_names(lang))
    ded_cols = [{"field": k, "headerName": t(f"col.ded_{k}", lang)} for k in ded.columns]
    ded_section = section(t("worker.deductions", lang),
                          html.Div([html.P(t("worker.deductions_note", lang), className="text-muted small mb-1"),
                                    grid(ded, ded_cols, lang=lang, grid_id="worker-deductions", height=170)]))
    return html.Div([header, cards, method, dbc.Row(charts), ded_section,
                     dbc.Row([dbc.Col(section(t("worker.adjustments", lang),
                                              grid(adjust, adj_cols, lang=lang, grid_id="worker-adjustments", height=300)), lg=5),
                              dbc.Col(section(t("worker.records", lang),
                                              grid(records, rec_cols, lang=lang, grid_id="worker-records", height=360)), lg=7)])])


MAX_OPTIONS = 50


def worker_options(ctx: ViewContext, *, text: str | None = None, keep: str | None = None) -> list[dict[str, str]]:
    """Up to 50 workers in the user's scope whose name contains `text` (plus the picked one)."""
    _run, scores = scoped_scores(ctx)
    if scores is None or not has(scores, "worker_id", "name"):
        return []
    frame = scores.select("worker_id", "name", "grid_name" if "grid_name" in scores.columns else pl.lit("").alias("grid_name"))
    match = frame
    if text:
        match = frame.filter(pl.col("name").str.contains(text.strip()[:20], literal=True))
    match = match.sort("name").head(MAX_OPTIONS)
    if keep and keep not in match["worker_id"].to_list():
        match = pl.concat([frame.filter(pl.col("worker_id") == keep), match])
    return [{"label": f"{n} · {g}" if g else n, "value": w} for w, n, g in match.iter_rows()]


def on_search(db: Database, user: User | None, text: str | None, value: str | None, search: str | None) -> list[dict[str, str]]:
    """Callback logic: picker options matching the typed name (checks role and scope)."""
    p = parse_search(search)
    ctx = make_context(db, user, period=p.get("period"), unit=p.get("unit"), lang=p.get("lang"))
    return worker_options(ctx, text=text, keep=value)


def on_pick(db: Database, user: User | None, worker_id: str | None, search: str | None) -> str:
    """Callback logic: the URL query for a picked worker (checks scope)."""
    p = parse_search(search)
    ctx = make_context(db, user, period=p.get("period"), unit=p.get("unit"), lang=p.get("lang"))
    if not worker_id:
        raise PreventUpdate
    require(ctx.user, "view", worker_id, tree=ctx.tree)
    return build_search({**p, "worker": worker_id})


def view(ctx: ViewContext, query: Query) -> Component:
    """The worker page (empty state until a worker is picked)."""
    lang = ctx.lang
    worker_id = (query.get("worker") or "")[:32] or None
    picker = dcc.Dropdown(id=ids.WORKER_PICK, options=worker_options(ctx, keep=worker_id), value=worker_id,
                          placeholder=t("worker.pick", lang), className="mb-3")
    if worker_id is None:
        body = empty_state(lang, "empty.pick_worker", None)
    else:
        body = worker_detail(ctx, worker_id)
    return html.Div([page_title(f"{t('nav.worker', lang)} · {fmt_period(ctx.period, lang)}", "worker"),
                     export_buttons(ctx, worker=worker_id), picker, body])


layout = page_layout(view)


def register(app: dash.Dash) -> None:
    """Register the page and its callbacks."""
    dash.register_page(__name__, path=PATH, name="worker", title="网格化管理考核", layout=layout, order=2)

    @app.callback(Output(ids.LOCATION, "search", allow_duplicate=True), Input(ids.WORKER_PICK, "value"),
                  State(ids.LOCATION, "search"), prevent_initial_call=True)
    @checked
    def _pick(worker_id: str | None, search: str | None) -> str:
        return on_pick(current_db(), current_user(), worker_id, search)

    @app.callback(Output(ids.WORKER_PICK, "options"), Input(ids.WORKER_PICK, "search_value"),
                  State(ids.WORKER_PICK, "value"), State(ids.LOCATION, "search"), prevent_initial_call=True)
    @checked
    def _search(text: str | None, value: str | None, search: str | None) -> list[dict[str, str]]:
        if not text:
            raise PreventUpdate
        return on_search(current_db(), current_user(), text, value, search)
