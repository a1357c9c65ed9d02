"""Survey operations: sample progress and response rates per grid, quality flags."""

from __future__ import annotations

import dash
import dash_bootstrap_components as dbc
import polars as pl
from dash import html
from dash.development.base_component import Component

from dashboard.access import filter_frame, require
from dashboard.components import (
    Figure,
    axis_title,
    empty_state,
    graph,
    grid,
    kpi,
    page_title,
    section,
    style_figure,
)
from dashboard.context import ViewContext
from dashboard.data import quality_flags, sample_counts, satisfaction
from dashboard.i18n import fmt_int, fmt_pct, fmt_period, join_list, t
from dashboard.pagekit import Query, has, page_layout
from surveys.suppression import K_MIN

PATH = "/surveys"


def progress_frame(counts: pl.DataFrame | None, estimates: pl.DataFrame | None) -> pl.DataFrame:
    """Per grid: invited, respondents, response rate and flags (from surveys' own figures)."""
    if counts is None or counts.height == 0:
        return pl.DataFrame(schema={"grid_id": pl.String, "invited": pl.Int64, "respondents": pl.Int64,
                                    "rr": pl.Float64, "low_n": pl.Boolean, "suppressed": pl.Boolean})
    frame = counts.select("grid_id", pl.col("invited").cast(pl.Int64))
    if has(estimates, "unit_id", "respondents") and estimates is not None:
        est_cols = ["unit_id", "respondents"] + [c for c in ("rr1", "suppressed") if c in estimates.columns]
        frame = frame.join(estimates.select(est_cols).rename({"unit_id": "grid_id"}), on="grid_id", how="left")
    else:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Int64).alias("respondents"))
    if "rr1" not in frame.columns:
        frame = frame.with_columns((pl.col("respondents") / pl.col("invited")).alias("rr1"))
    if "suppressed" not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Boolean).alias("suppressed"))
    return frame.rename({"rr1": "rr"}).with_columns(
        low_n=pl.col("respondents").fill_null(0) < K_MIN,
        respondents=pl.col("respondents").cast(pl.Int64),
    ).select("grid_id", "invited", "respondents", "rr", "low_n", "suppressed")


def flag_text(flags: pl.DataFrame | None, lang: str) -> dict[str, str]:
    """Per grid: the quality flags of its responses as "label ×n" text (from surveys.quality)."""
    if flags is None or flags.height == 0 or not has(flags, "grid_id", "flag"):
        return {}
    counts = flags.group_by("grid_id", "flag").len("n").sort("grid_id", "flag")
    out: dict[str, list[str]] = {}
    for grid_id, flag, n in counts.iter_rows():
        out.setdefault(grid_id, []).append(f"{t('qflag.' + flag, lang)}×{n}")
    return {g: join_list(v, lang) for g, v in out.items()}


def response_figure(frame: pl.DataFrame, names: dict[str, str], lang: str) -> Figure:
    """Response rate of the 40 lowest grids (grids below the minimum in red)."""
    part = frame.sort("rr", nulls_last=False).head(40)
    fig = {"data": [{"type": "bar", "x": [names.get(g, g) for g in part["grid_id"].to_list()],
                     "y": part["rr"].to_list(),
                     "marker": {"color": ["#cf222e" if low else "#0969da" for low in part["low_n"].to_list()]}}],
           "layout": {"yaxis": axis_title(t("col.rr", lang), tickformat=".0%"), "xaxis": {"tickangle": -45}}}
    return style_figure(fig, t("chart.response", lang))


def view(ctx: ViewContext, query: Query) -> Component:
    """The survey operations page (needs the `survey_ops` right)."""
    require(ctx.user, "survey_ops", ctx.unit, tree=ctx.tree)
    lang = ctx.lang
    title = page_title(f"{t('nav.surveys', lang)} · {fmt_period(ctx.period, lang)}", "surveys")
    counts = sample_counts(ctx.db, ctx.period)
    if counts is None or counts.height == 0:
        return html.Div([title, empty_state(lang, "empty.no_data", None)])
    counts = filter_frame(counts, ctx.tree, ctx.unit, columns=("grid_id",))
    frame = progress_frame(counts, satisfaction(ctx.db, ctx.period, level="grid"))
    invited = frame["invited"].sum()
    responded = frame["respondents"].fill_null(0).sum()
    low = frame.filter(pl.col("low_n"))
    cards = dbc.Row([
        dbc.Col(kpi(t("col.sampled", lang), fmt_int(invited, lang)), md=3),
        dbc.Col(kpi(t("col.responded", lang), fmt_int(responded, lang)), md=3),
        dbc.Col(kpi(t("col.rr", lang), fmt_pct(responded / invited if invited else None, lang)), md=3),
        dbc.Col(kpi(t("surveys.below_min", lang), fmt_int(low.height, lang)), md=3),
    ], className="g-3 mb-3")
    names = ctx.tree.names
    quality = flag_text(quality_flags(ctx.db, ctx.period), lang)
    rows = pl.DataFrame({
        "grid": [names.get(g, g) for g in frame["grid_id"].to_list()],
        "sampled": frame["invited"].to_list(),
        "responded": frame["respondents"].to_list(),
        "rr": [fmt_pct(v, lang) for v in frame["rr"].to_list()],
        "flags": [" ".join(x for x in (t("marker.low_n", lang) if lo else "",
                                       t("qflag.suppressed", lang) if sup else "", quality.get(g, "")) if x)
                  for g, lo, sup in zip(frame["grid_id"].to_list(), frame["low_n"].to_list(),
                                        frame["suppressed"].to_list(), strict=True)],
    }, strict=False)
    cols = [{"field": c, "headerName": t(f"col.{c}", lang)} for c in rows.columns]
    return html.Div([title, cards, graph(response_figure(frame, names, lang), "chart-response"),
                     section(t("nav.surveys", lang), grid(rows, cols, lang=lang, grid_id="survey-grid", height=420))])


layout = page_layout(view)


def register(app: dash.Dash) -> None:
    """Register the page with Dash Pages."""
    dash.register_page(__name__, path=PATH, name="surveys", title="网格化管理考核", layout=layout, order=5)
