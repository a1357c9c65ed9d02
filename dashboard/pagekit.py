"""Glue shared by the page modules: a checked layout wrapper and frame helpers."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import polars as pl
from dash import html
from dash.development.base_component import Component

from dashboard.access import AccessDenied, OutOfScope, UnknownUnit, db_key, filter_frame
from dashboard.components import bad_unit, denied, empty_state, grid, section
from dashboard.context import ViewContext, request_context
from dashboard.data import RUN_CACHE, latest_run, run_id_of, worker_scores
from dashboard.i18n import enum_label, lang_of, t
from warehouse.pillars import PILLAR_KEYS

Query = dict[str, str]  # the URL's query parameters as a page's view gets them (first value of each)

SCOPE_COLUMNS = ("worker_id", "grid_id", "unit_id", "community_id", "street_id", "dept_id")


def page_layout(view: Callable[[ViewContext, Query], Component]) -> Callable[..., Component]:
    """Wrap a page's `view(ctx, query)` as a Dash Pages layout function.

    The wrapper parses the URL's query, checks role and scope, then renders the view. A
    unit in the address that does not exist or lies outside the user's scope is named in a
    notice (never silently replaced by another scope); any other refusal renders "no access".
    """

    def layout(**raw: str | list[str]) -> Component:
        # Dash passes a parameter given twice as a list: keep the first, as parse_search does
        query = {k: v[0] if isinstance(v, list) and v else v for k, v in raw.items()}
        lang = lang_of(query.get("lang"))
        try:
            ctx = request_context(period=query.get("period"), unit=query.get("unit"), lang=lang)
            return view(ctx, query)
        except UnknownUnit as exc:
            return bad_unit(lang, "unit.unknown", exc.unit_id)
        except OutOfScope as exc:
            return bad_unit(lang, "unit.out_of_scope", exc.unit_id)
        except AccessDenied:
            return denied(lang)

    layout.__name__ = getattr(view, "__name__", "layout")
    return layout


def with_points(frame: pl.DataFrame) -> pl.DataFrame:
    """Pillar columns as the points they add to the total (`<pillar>_points` when given).

    metrics reports each pillar as a 0–100 score and as points (score × weight);
    the dashboard shows points, so pillars, deductions and bonus add up to the total.
    Grades are the published ones (`shown_grades`).
    """
    swap = [pl.col(f"{k}_points").alias(k) for k in PILLAR_KEYS if f"{k}_points" in frame.columns]
    return shown_grades(frame.with_columns(swap) if swap else frame)


def shown_grades(frame: pl.DataFrame) -> pl.DataFrame:
    """Grades as published: only ranked subjects and grades a veto decided carry a grade.

    A subject that is "scored, not ranked" (B9) keeps its total, but its band grade is
    not a grade it was awarded, so views never badge it (methodology B8/B9): `grade` is
    null for it and the stored value stays in `band_grade`. A grade a veto decided, and the
    不合格 of a fail veto (B7), are awarded grades and stay. Applying it twice changes nothing.
    """
    if "grade" not in frame.columns or "eligible" not in frame.columns or "band_grade" in frame.columns:
        return frame
    veto = (pl.col("grade_reason").str.starts_with("veto").fill_null(False) if "grade_reason" in frame.columns
            else pl.lit(False))
    if "veto_severity" in frame.columns:
        veto = veto | (pl.col("veto_severity") == "fail").fill_null(False)
    return frame.with_columns(
        pl.col("grade").alias("band_grade"),
        pl.when(pl.col("eligible").fill_null(False) | veto).then(pl.col("grade")).otherwise(None).alias("grade"),
    )


def scoped_scores(ctx: ViewContext) -> tuple[Any, pl.DataFrame | None]:
    """The period's latest run and its worker scores limited to the context's unit."""
    run = latest_run(ctx.db, ctx.period)
    run_id = run_id_of(run)

    def compute() -> pl.DataFrame | None:
        scores = worker_scores(ctx.db, run_id)
        if scores is None:
            return None
        return with_points(filter_frame(scores, ctx.tree, ctx.unit, columns=SCOPE_COLUMNS))

    # A stored run never changes, so its scoped frame is cached with it.
    return run, RUN_CACHE.get((db_key(ctx.db), "scoped", run_id, ctx.unit), compute)


def has(frame: pl.DataFrame | None, *columns: str) -> bool:
    """True when `frame` exists and has all `columns`."""
    return frame is not None and all(c in frame.columns for c in columns)


def no_run(ctx: ViewContext) -> Component:
    """The "no score run yet / 暂无评分结果" state."""
    return empty_state(ctx.lang)


def sub_unit_table(ctx: ViewContext, units: pl.DataFrame, *, grid_id: str) -> Component:
    """The drill-down block: each unit under the view's one (`viewmodel.sub_units`) with its
    score, the name a link to that unit's page (the org filter follows), or nothing when none."""
    if units.height == 0:
        return html.Div()
    lang = ctx.lang
    rows = units.select(
        "name",
        pl.col("level").map_elements(lambda v: enum_label("level", v, lang), return_dtype=pl.String).alias("level"),
        "members", "total",
        pl.col("grade").map_elements(lambda v: enum_label("grade", v, lang), return_dtype=pl.String).alias("grade"),
        "rank",
        (pl.lit("/unit") + pl.col("unit_id").map_elements(lambda u: ctx.query(unit=u), return_dtype=pl.String)
         ).alias("href"),
    )
    cols = [{"field": "name", "headerName": t("col.unit_name", lang), "cellRenderer": "DrillLink", "minWidth": 140},
            *({"field": c, "headerName": t(f"col.{c}", lang)} for c in ("level", "members", "total", "grade", "rank"))]
    return section(t("unit.sub_units", lang), grid(rows, cols, lang=lang, grid_id=grid_id, height=420, fit="autoSize"))
