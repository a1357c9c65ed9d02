"""View models: the figures the overview, the scheme page and the annual report share.

Page-free on purpose: the pages and `dashboard.reports.model` both import from here,
so the report prints the numbers the views show without the report importing a page
(which made an import circle: overview → reports.web → reports.model → overview).
Nothing here scores anything: totals come from the stored run (`metrics.results`),
realised pillar shares from `metrics.diagnostics.pillar_influence`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

import polars as pl

from dashboard.access import filter_frame
from dashboard.components import Figure, axis_title, style_figure
from dashboard.context import ViewContext
from dashboard.data import trend_runs, unit_scores, worker_scores
from dashboard.i18n import enum_label, fmt_int, fmt_num, fmt_pct, fmt_period, t
from dashboard.pagekit import SCOPE_COLUMNS, has, shown_grades
from dashboard.theme import GRADE_COLOURS, GRADE_ORDER, NOT_RANKED_COLOUR
from metrics.diagnostics import pillar_influence
from metrics.explain import pillar_deductions, round_display
from metrics.scheme import Scheme


@dataclass(frozen=True)
class Headline:
    """The overview's headline figures."""

    workers: int
    mean: float | None
    grades: dict[str, int]
    vetoes: int
    response_rate: float | None
    ranked: int = 0
    not_ranked: int = 0

    @property
    def graded(self) -> int:
        """Workers with a published grade (the ranked, and those a veto graded)."""
        return sum(self.grades.values())

    @property
    def ungraded(self) -> int:
        """Workers with no published grade: `graded` + `ungraded` = `workers`."""
        return self.workers - self.graded

    @property
    def graded_not_ranked(self) -> int:
        """Workers a veto graded 不合格 who are not ranked (counted in both `graded` and `not_ranked`)."""
        return self.not_ranked - self.ungraded


def headline(scores: pl.DataFrame, estimates: pl.DataFrame | None) -> Headline:
    """Headline figures from worker scores and (optionally) satisfaction estimates.

    Grades are counted as published (`pagekit.shown_grades`): a worker who is scored,
    not ranked has no grade; `ranked` + `not_ranked` = `workers`.
    """
    scores = shown_grades(scores)
    mean = scores["total"].mean() if has(scores, "total") and scores.height else None
    grades = {g: 0 for g in GRADE_ORDER}
    if has(scores, "grade"):
        for grade, n in scores.group_by("grade").len().iter_rows():
            if grade in grades:
                grades[grade] = int(n)
    vetoes = int(scores["vetoed"].fill_null(False).sum()) if has(scores, "vetoed") else 0
    ranked = int(scores["eligible"].fill_null(False).sum()) if has(scores, "eligible") else scores.height
    rate = None
    if has(estimates, "rr1") and estimates is not None and estimates.height:
        rate = estimates["rr1"].drop_nulls().mean()
    return Headline(workers=scores.height, mean=mean, grades=grades, vetoes=vetoes,
                    response_rate=None if rate is None else float(rate), ranked=ranked,
                    not_ranked=scores.height - ranked)


def headline_text(head: Headline, lang: str) -> str:
    """The headline's second line: how many are graded (by grade) and how many are not ranked."""
    grades = " / ".join(f"{enum_label('grade', g, lang)} {n}" for g, n in head.grades.items())
    text = (f"{t('kpi.graded', lang, n=fmt_int(head.graded, lang))}（{grades}）"
            f"{t('sep.reasons', lang)}{t('kpi.ungraded', lang, n=fmt_int(head.ungraded, lang))}")
    if head.graded_not_ranked > 0:  # a vetoed worker is graded 不合格 yet not ranked: say so, so the sums hold
        text += t("kpi.not_ranked_total", lang, n=fmt_int(head.not_ranked, lang),
                  v=fmt_int(head.graded_not_ranked, lang))
    return text


def distribution_figure(scores: pl.DataFrame, lang: str) -> Figure:
    """Histogram of total scores, one colour per published grade, grey for scored, not ranked."""
    data = []
    scores = shown_grades(scores)
    if has(scores, "total", "grade"):
        for grade in GRADE_ORDER:
            part = scores.filter(pl.col("grade") == grade)
            if part.height:
                data.append({"type": "histogram", "x": part["total"].to_list(), "name": enum_label("grade", grade, lang),
                             "marker": {"color": GRADE_COLOURS[grade]}, "xbins": {"size": 2}})
        rest = scores.filter(pl.col("grade").is_null() & pl.col("total").is_not_null())
        if rest.height:
            data.append({"type": "histogram", "x": rest["total"].to_list(), "name": t("worker.not_ranked", lang),
                         "marker": {"color": NOT_RANKED_COLOUR}, "xbins": {"size": 2}})
    fig = {"data": data, "layout": {"barmode": "stack", "xaxis": axis_title(t("axis.score", lang), hoverformat=".1f"),
                                    "yaxis": axis_title(t("axis.count", lang))}}
    return style_figure(fig, t("chart.distribution", lang))


def grade_mix(scores: pl.DataFrame) -> pl.DataFrame:
    """Share of each published grade per street (street name, grade, share); workers not
    ranked count as grade null, so each street's shares sum to 1."""
    if not has(scores, "grade", "street_name"):
        return pl.DataFrame(schema={"street_name": pl.String, "grade": pl.String, "n": pl.UInt32, "share": pl.Float64})
    counts = shown_grades(scores).group_by("street_name", "grade").len("n")
    return counts.with_columns(share=pl.col("n") / pl.col("n").sum().over("street_name")).sort("street_name", "grade")


def grade_mix_figure(scores: pl.DataFrame, lang: str) -> Figure:
    """Stacked bars: grade mix by street."""
    mix = grade_mix(scores)
    data = []
    for grade in GRADE_ORDER:
        part = mix.filter(pl.col("grade") == grade)
        data.append({"type": "bar", "x": part["street_name"].to_list(), "y": part["share"].to_list(),
                     "name": enum_label("grade", grade, lang), "marker": {"color": GRADE_COLOURS[grade]}})
    rest = mix.filter(pl.col("grade").is_null())
    if rest.height:
        data.append({"type": "bar", "x": rest["street_name"].to_list(), "y": rest["share"].to_list(),
                     "name": t("grade.none", lang), "marker": {"color": NOT_RANKED_COLOUR}})
    fig = {"data": data, "layout": {"barmode": "stack", "yaxis": axis_title(t("axis.share", lang), tickformat=".0%")}}
    return style_figure(fig, t("chart.grade_mix", lang))


SCORED_LEVELS = ("grid", "community", "street", "department")
SUB_UNIT_SCHEMA = {"unit_id": pl.String, "name": pl.String, "level": pl.String, "members": pl.Int64,
                   "total": pl.Float64, "grade": pl.String, "rank": pl.Int64, "ranked_among": pl.Int64}


def sub_units(ctx: ViewContext, run_id: str | None, unit_id: str | None) -> pl.DataFrame:
    """The org units directly under `unit_id` (None: the city's streets) with their stored
    unit scores (members, total, grade, rank within the level), in the user's scope only.

    The drill-down street → community → grid reads this; a grid has none (its members are
    workers). Units of a level the run did not score (e.g. grids in a run from before the
    grid level) keep their name with empty figures.
    """
    kids = [u for u in ctx.tree.children(unit_id) if ctx.tree.contains(ctx.user.scope_unit_id, u)]
    frame = pl.DataFrame({"unit_id": kids, "name": [ctx.tree.names.get(u, u) for u in kids],
                          "level": [ctx.tree.levels.get(u) for u in kids]},
                         schema={"unit_id": pl.String, "name": pl.String, "level": pl.String})
    scored = []
    for level in sorted(set(frame["level"].drop_nulls()) & set(SCORED_LEVELS)):
        scores = unit_scores(ctx.db, run_id, level=level)  # type: ignore[arg-type]
        if scores is not None and scores.height:
            scored.append(scores.select("unit_id", *(c for c in SUB_UNIT_SCHEMA if c not in ("unit_id", "name", "level"))))
    if scored:
        frame = frame.join(pl.concat([f.cast({c: SUB_UNIT_SCHEMA[c] for c in f.columns}) for f in scored]),
                           on="unit_id", how="left")
    return frame.with_columns(pl.lit(None, dtype=d).alias(c) for c, d in SUB_UNIT_SCHEMA.items()
                              if c not in frame.columns).select(list(SUB_UNIT_SCHEMA)).cast(SUB_UNIT_SCHEMA)


def trend(ctx: ViewContext) -> pl.DataFrame:
    """Mean total per period within the view's unit, left to right: periods of the view's
    period's kind up to it (years with years, halves with halves), oldest first, each from
    its latest run (`metrics.runs.trend_runs`)."""
    schema = {"period_id": pl.String, "mean": pl.Float64}
    runs = trend_runs(ctx.db, ctx.period)
    rows = []
    for run_id, period_id in ([] if runs is None else runs.select("run_id", "period_id").iter_rows()):
        scores = worker_scores(ctx.db, run_id)
        if scores is None or "total" not in scores.columns:
            continue
        scores = filter_frame(scores, ctx.tree, ctx.unit, columns=SCOPE_COLUMNS)
        rows.append({"period_id": period_id, "mean": scores["total"].mean()})
    return pl.DataFrame(rows, schema=schema)


def trend_figure(frame: pl.DataFrame, lang: str) -> Figure:
    """Line of the mean score over periods, in the frame's order (`trend`: oldest first)."""
    fig = {"data": [{"type": "scatter", "mode": "lines+markers", "name": t("kpi.mean", lang),
                     "x": [fmt_period(p, lang) for p in frame["period_id"].to_list()], "y": frame["mean"].to_list()}],
           "layout": {"xaxis": axis_title(t("axis.period", lang), type="category"),
                      "yaxis": axis_title(t("axis.score", lang), hoverformat=".1f")}}
    return style_figure(fig, t("chart.trend", lang))


@dataclass(frozen=True)
class WeightCheck:
    """The what-if's weights as typed, checked: simulated only when they add up to the scheme's total.

    Attributes:
        weights: pillar key → weight, or None when refused.
        total: the sum of the numbers typed (None if one is not a number).
        required: what they must add up to (the scheme's own pillar total, 100).
        bad: pillar keys whose input is not a number from 0 to 100.
    """

    weights: dict[str, float] | None
    total: float | None
    required: float
    bad: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when the weights may be simulated."""
        return self.weights is not None


def check_weights(values: dict[str, object], required: float = 100.0) -> WeightCheck:
    """Check the what-if weights: each a number in [0, 100], together exactly `required`.

    Nothing is rescaled behind the user's back: weights of 50/10/50 (= 110) are
    refused, so a simulated ranking is always one under weights someone could adopt.
    """
    parsed: dict[str, float] = {}
    bad: list[str] = []
    for key, value in values.items():
        try:
            number = float(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            bad.append(key)
            continue
        if number != number or not 0.0 <= number <= 100.0:
            bad.append(key)
            continue
        parsed[key] = number
    total = None if bad else sum(parsed.values())
    good = not bad and total is not None and abs(total - required) < 1e-9
    return WeightCheck(weights=parsed if good else None, total=total, required=required, bad=tuple(bad))


def whatif_frame(scores: pl.DataFrame, old: dict[str, float], new: dict[str, float], *, cap: float = 100.0) -> pl.DataFrame:
    """Re-weighted totals and rank changes (in memory only), for scored workers.

    `scores` holds pillar points (`pagekit.with_points`); `old` and `new` map each
    pillar key to its weight. Each pillar's points are rescaled from its weight in
    force to the new weight (new weights normalised to the same total); the
    difference is added to the stored total, so deductions, bonus, caps and vetoes
    stay as metrics applied them (a vetoed worker keeps the stored total). Same
    weights → same totals.
    """
    frame = scores.filter(pl.col("total").is_not_null())
    scale = sum(new.values()) or 1.0
    factor = {p: (new[p] * sum(old.values()) / scale) / old[p] if old[p] else 1.0 for p in old}
    delta = sum((pl.col(p).fill_null(0) * (factor[p] - 1.0) for p in old if p in frame.columns), pl.lit(0.0))
    expr = (pl.col("total") + delta).clip(0.0, cap)
    if "vetoed" in frame.columns:
        expr = pl.when(pl.col("vetoed").fill_null(False)).then(pl.col("total")).otherwise(expr)
    frame = frame.with_columns(expr.round(2).alias("whatif_total"))
    frame = frame.with_columns(
        pl.col("total").rank("min", descending=True).cast(pl.Int64).alias("rank_before"),
        pl.col("whatif_total").rank("min", descending=True).cast(pl.Int64).alias("whatif_rank"),
    )
    return frame.with_columns((pl.col("rank_before") - pl.col("whatif_rank")).alias("rank_change"))


def reweighted(scheme: Scheme, new: dict[str, float]) -> Scheme:
    """The scheme with the what-if's pillar weights (normalised to the scheme's own total)."""
    total = sum(p.weight for p in scheme.pillars)
    scale = sum(new.get(p.key, p.weight) for p in scheme.pillars) or 1.0
    return replace(scheme, pillars=tuple(replace(p, weight=new.get(p.key, p.weight) * total / scale)
                                         for p in scheme.pillars))


def influence(scores: pl.DataFrame, scheme: Scheme) -> dict[str, float | None]:
    """Realised share of each pillar in the variance of the total (`metrics.diagnostics.pillar_influence`).

    `scores` holds the pillars as 0–100 scores (as `metrics.results.worker_scores` returns
    them, before `with_points`) and `total`.
    """
    frame = pillar_influence(scores, scheme)
    return dict(zip(frame["pillar"].to_list(), frame["realised"].to_list(), strict=True))


def deduction_rows(recon: pl.DataFrame | None, lang: str, names: Mapping[str, str]) -> pl.DataFrame:
    """Deduction items reconciled, one row each plus a sum row, formatted for the table.

    Each row reads left to right: the events' points, capped at the item's full marks
    (扣完为止), give the item's score, and the item's weight in its pillar turns that into
    the points the total lost; the sum row is the waterfall's deductions step. The worker
    page and the score sheet print this table; `names` maps item keys to their names.
    """
    cols = ("item", "events", "event_points", "full", "applied", "item_score", "share", "points_lost")
    if recon is None or recon.height == 0:
        return pl.DataFrame(schema={c: pl.String for c in cols})
    rows = []
    for r in recon.iter_rows(named=True):
        applied = fmt_num(-r["applied"] if r["applied"] else 0.0, lang)
        if r["capped"]:
            applied += t("deduction.capped", lang)
        if r["zeroed"]:
            applied += t("deduction.zeroed", lang)
        rows.append({"item": names.get(r["item"], r["item"]), "events": fmt_int(r["events"], lang),
                     "event_points": fmt_num(-r["event_points"] if r["event_points"] else 0.0, lang),
                     "full": fmt_num(r["full"], lang), "applied": applied, "item_score": fmt_num(r["item_score"], lang),
                     "share": fmt_pct(r["share"], lang),
                     "points_lost": fmt_num(-round_display(r["points_lost"]) if r["points_lost"] else 0.0, lang)})
    lost = round_display(sum(pillar_deductions(recon).values()))
    rows.append({"item": t("deduction.sum", lang), "events": fmt_int(int(recon["events"].sum()), lang),
                 "event_points": fmt_num(-float(recon["event_points"].sum()) if recon["event_points"].sum() else 0.0, lang),
                 "full": "", "applied": "", "item_score": "", "share": "", "points_lost": fmt_num(-lost if lost else 0.0, lang)})
    return pl.DataFrame(rows, schema={c: pl.String for c in cols})
