"""The annual report's content: frames and figures read from one stored score run.

`build_report` gathers everything the renderers print, in the same shapes the
dashboard views use: worker scores with pillar points (`pagekit.with_points`), the
same scope filter (`access.filter_frame`), the overview's headline figures and
charts, survey estimates from `surveys.estimate`. Nothing is recomputed here: every
score comes from `metrics.results` for the run, so the report prints the numbers
the views show.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import polars as pl

from dashboard.access import OrgTree, filter_frame, load_tree, require
from dashboard.auth import User
from dashboard.context import ViewContext
from dashboard.data import satisfaction, veto_events
from dashboard.i18n import (
    STRINGS,
    enum_label,
    event_label,
    fmt_int,
    fmt_num,
    fmt_pct,
    fmt_period,
    join_list,
    lang_of,
    t,
)
from dashboard.pagekit import PILLAR_KEYS, SCOPE_COLUMNS, shown_grades, with_points
from dashboard.theme import GRADE_ORDER
from dashboard.viewmodel import (
    Headline,
    distribution_figure,
    grade_mix_figure,
    headline,
    trend,
    trend_figure,
)
from metrics.results import unit_scores, worker_scores
from metrics.runs import RunInfo, get_run, latest_run, run_scheme
from metrics.scheme import Scheme
from warehouse.db import Database

REPORT_USER = User("report", "admin", None)  # the local CLI: whoever can read the file sees all


class ReportError(ValueError):
    """The report cannot be built (no run for the period, run of another period, unknown unit)."""


@dataclass(frozen=True)
class Methodology:
    """The scheme and sample design in force, as tables for the appendix."""

    scheme_name: str
    scheme_version: str
    pillars: pl.DataFrame
    indicators: pl.DataFrame
    deductions: pl.DataFrame
    vetoes: pl.DataFrame
    grades: pl.DataFrame
    rules: pl.DataFrame
    design: pl.DataFrame
    sample: pl.DataFrame


@dataclass(frozen=True)
class AnnualReport:
    """Everything the annual report shows, scope-filtered, in display order.

    Frames hold the run's raw values (renderers format them: one decimal as in the
    views); `figures` are the dashboard's own plotly figures (dicts or `go.Figure`).
    """

    period_id: str
    period_label: str
    lang: str
    unit_id: str | None
    scope_name: str
    run: RunInfo
    generated_at: datetime
    headline: Headline
    workers: pl.DataFrame
    grade_distribution: pl.DataFrame
    communities: pl.DataFrame
    streets: pl.DataFrame
    departments: pl.DataFrame
    vetoed: pl.DataFrame
    veto_events: pl.DataFrame
    satisfaction: pl.DataFrame
    trend: pl.DataFrame
    previous_period: str | None
    previous_run_id: str | None
    changes: pl.DataFrame
    methodology: Methodology
    figures: dict[str, Any] = field(default_factory=dict)

    @property
    def draft(self) -> bool:
        """True unless the run is final (the report then carries a DRAFT watermark)."""
        return self.run.status != "final"

    @property
    def title(self) -> str:
        """The report's title in its language."""
        return t("report.title", self.lang, period=self.period_label, scope=self.scope_name)


# ---------------------------------------------------------------- pieces

WORKER_COLUMNS = (
    "worker_id", "name", "role", "grid_id", "grid_name", "community_id", "community_name", "street_id",
    "street_name", "dept_id", "dept_name", *PILLAR_KEYS, "deductions", "bonus", "total",
    "grade", "rank", "ranked_among", "rank_low", "rank_high", "eligible", "ineligible_reason", "vetoed",
    "veto_reason", "tied",
)
UNIT_COLUMNS = (
    "unit_id", "name", "members", *PILLAR_KEYS, "deductions", "bonus", "total", "grade",
    "rank", "rank_low", "rank_high", "ranked_among", "eligible", "ineligible_reason", "vetoed", "veto_reason",
)


def scope_filter(frame: pl.DataFrame, tree: OrgTree, unit_id: str | None, *, columns: tuple[str, ...],
                 members: set[str] | None = None) -> pl.DataFrame:
    """Rows in the scope: `access.filter_frame` for org units; for a department, rows
    whose id (or dept_id) is the department or one of its `members` (as the unit view does)."""
    if unit_id is None or unit_id in tree.parent or unit_id not in tree.dept_unit:
        return filter_frame(frame, tree, unit_id, columns=columns)
    ids = list({unit_id} | (members or set()))
    cols = [c for c in (*columns, "dept_id") if c in frame.columns]
    if not cols or frame.height == 0:
        return frame.clear()
    return frame.filter(pl.any_horizontal([pl.col(c).is_in(ids) for c in cols]))


def _select(frame: pl.DataFrame, columns: tuple[str, ...]) -> pl.DataFrame:
    return frame.select([c for c in columns if c in frame.columns])


def _survey_choice_text(scheme: Scheme, lang: str) -> tuple[str, str]:
    """The satisfaction pillar's estimator and estimand in `lang` (the report's rules table)."""
    p = next((p for p in scheme.pillars if p.source == "survey"), None)
    if p is None:
        return "—", "—"
    return t(f"fair.short.{p.estimator}", lang), t(f"fair.short.{p.estimand}", lang)


def worker_table(scores: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Worker rows in report order (street, community, role, rank) with markers.

    Pillar columns are points (as in the rankings view), values as stored; the
    markers are the rankings view's labels (⛔ vetoed, ○ ineligible, ≈ statistically tied).
    """
    frame = _select(with_points(scores), WORKER_COLUMNS)
    vetoed = pl.when(pl.col("vetoed").fill_null(False)).then(pl.lit("⛔ " + t("marker.vetoed", lang)))
    ineligible = pl.when(pl.col("eligible").not_().fill_null(False)).then(pl.lit("○ " + t("marker.ineligible", lang)))
    tied = (pl.when(pl.col("tied").fill_null(False)).then(pl.lit("≈ " + t("marker.tied", lang)))
            if "tied" in frame.columns else pl.lit(None, dtype=pl.String))
    marks = pl.concat_str([vetoed, ineligible, tied], separator=" ", ignore_nulls=True).fill_null("").alias("markers")
    return frame.with_columns(marks).sort(
        "street_id", "community_id", "role", "rank", "total",
        descending=[False, False, False, False, True], nulls_last=True,
    )


def grade_table(scores: pl.DataFrame, lang: str) -> pl.DataFrame:
    """Workers per grade with share (grades in scheme order)."""
    counts = scores.group_by("grade").len("n") if scores.height else pl.DataFrame(
        schema={"grade": pl.String, "n": pl.UInt32})
    base = pl.DataFrame({"grade": list(GRADE_ORDER), "order": list(range(len(GRADE_ORDER)))})
    out = base.join(counts, on="grade", how="left").with_columns(pl.col("n").fill_null(0).cast(pl.Int64))
    total = max(int(out["n"].sum()), 1)
    return out.with_columns(
        label=pl.col("grade").map_elements(lambda g: enum_label("grade", g, lang), return_dtype=pl.String),
        share=pl.col("n") / total,
    ).sort("order").select("grade", "label", "n", "share")


def unit_table(db: Database, run_id: str, level: str, tree: OrgTree, unit_id: str | None) -> pl.DataFrame:
    """Unit scores of a level (points per pillar) limited to the scope."""
    frame = unit_scores(db, run_id, level=level)  # type: ignore[arg-type]
    return _select(with_points(scope_filter(frame, tree, unit_id, columns=SCOPE_COLUMNS)), UNIT_COLUMNS)


def satisfaction_table(db: Database, period_id: str, tree: OrgTree, unit_id: str | None) -> pl.DataFrame:
    """Grid satisfaction estimates (values blanked below `K_MIN` respondents by surveys)."""
    est = satisfaction(db, period_id, level="grid")
    cols = ("unit_id", "name", "invited", "respondents", "mean", "ci_low", "ci_high", "rr1", "rr3", "suppressed")
    if est is None or est.height == 0:
        return pl.DataFrame(schema={c: pl.String if c in ("unit_id", "name") else pl.Float64 for c in cols})
    est = scope_filter(est, tree, unit_id, columns=("unit_id",))
    return _select(est, cols).sort("unit_id")


def previous_period(db: Database, period_id: str) -> str | None:
    """The period of the same kind just before `period_id` (None if there is none)."""
    frame = db.query(
        """
        WITH p AS (SELECT kind, starts_on FROM periods WHERE period_id = ?)
        SELECT q.period_id FROM periods q, p
        WHERE q.kind = p.kind AND q.ends_on < p.starts_on
        ORDER BY q.ends_on DESC LIMIT 1
        """,
        [period_id],
    )
    return None if frame.height == 0 else str(frame["period_id"][0])


def changes_table(now: pl.DataFrame, before: pl.DataFrame | None) -> pl.DataFrame:
    """Per street: mean total now and in the previous period's run, and the change.

    Workers above the streets (district department staff) belong to no street row.
    """
    schema = {"street_name": pl.String, "mean_now": pl.Float64, "mean_before": pl.Float64, "change": pl.Float64}
    if before is None or now.height == 0:
        return pl.DataFrame(schema=schema)
    now = now.filter(pl.col("street_id").is_not_null())
    a = now.group_by("street_id", "street_name").agg(mean_now=pl.col("total").mean())
    b = before.group_by("street_id").agg(mean_before=pl.col("total").mean())
    return (a.join(b, on="street_id", how="left")
            .with_columns(change=pl.col("mean_now") - pl.col("mean_before"))
            .sort("street_id").select(list(schema)))


def methodology(db: Database, run: RunInfo, lang: str = "zh") -> Methodology:
    """Appendix tables from the run's own scheme and the period's sample design (codes in words)."""
    from surveys.design import design_of, sample_counts

    scheme: Scheme = run_scheme(db, run.run_id)
    pillars = pl.DataFrame(
        [{"key": p.key, "name": p.name_zh, "name_en": p.name_en, "weight": p.weight, "source": p.source,
          "min_coverage": p.min_coverage} for p in scheme.pillars])
    indicators = pl.DataFrame(
        [{"pillar": i.pillar, "key": i.key, "name": i.name_zh, "name_en": i.name_en, "direction": i.direction,
          "weight": i.weight, "target": i.target, "floor": i.floor} for i in scheme.indicators],
        schema={"pillar": pl.String, "key": pl.String, "name": pl.String, "name_en": pl.String,
                "direction": pl.String, "weight": pl.Float64, "target": pl.Float64, "floor": pl.Float64})
    deductions = pl.DataFrame(
        [{"pillar": d.pillar, "key": d.key, "name": d.name_zh, "name_en": d.name_en, "full": d.full,
          "weight": d.weight,
          "events": t("sep.reasons", lang).join(
              f"{event_label(e, lang)}{t('sep.colon', lang)}{t('event.recorded', lang) if p is None else fmt_num(p, lang)}"
              for e, p in d.events),
          "zeroing": join_list([event_label(e, lang) for e in d.zeroing], lang)} for d in scheme.deductions],
        schema={"pillar": pl.String, "key": pl.String, "name": pl.String, "name_en": pl.String,
                "full": pl.Float64, "weight": pl.Float64, "events": pl.String, "zeroing": pl.String})
    vetoes = pl.DataFrame(
        [{"key": c.key, "name": c.name_zh, "name_en": c.name_en, "severity": c.severity}
         for c in scheme.veto.categories],
        schema={"key": pl.String, "name": pl.String, "name_en": pl.String, "severity": pl.String})
    grades = pl.DataFrame([{"grade": g.key, "name": g.name_zh, "low": g.low, "high": g.high} for g in scheme.grades])
    el = scheme.eligibility
    rules = pl.DataFrame({
        "rule": [t(f"rule.{k}", lang) for k in ("cap", "bonus_cap", "min_months", "survey_n_min", "min_reliability",
                                                "acting_statuses", "grade_cap", "rank_interval", "draws",
                                                "satisfaction_estimator", "satisfaction_estimand", "tied_below",
                                                "rank_set")],
        "value": [fmt_num(scheme.cap), fmt_num(scheme.bonus_cap), fmt_num(el.min_months_in_post),
                  str(el.survey_n_min), fmt_num(el.min_reliability, digits=2),
                  join_list([enum_label("veto_status", s, lang) for s in scheme.veto.acting_statuses], lang),
                  enum_label("grade", scheme.veto.grade_cap, lang), f"{int(round(scheme.uncertainty.interval * 100))}%", str(run.draws),
                  *_survey_choice_text(scheme, lang), f"{int(round(scheme.uncertainty.tied_below * 100))}%",
                  f"{int(round(scheme.uncertainty.rank_set * 100))}%"],
    })
    design = design_of(db, run.period_id)
    if design is None:
        design_frame = pl.DataFrame({"item": [], "value": []}, schema={"item": pl.String, "value": pl.String})
        sample = pl.DataFrame(schema={"grids": pl.Int64, "population": pl.Int64, "completes_needed": pl.Int64,
                                      "invited": pl.Int64})
    else:
        keys = ("design_id", "method", "margin_kind", "target_margin", "assumed_sd", "confidence",
                "response_rate", "questionnaire_version")
        design_frame = pl.DataFrame({"item": [t(f"design.{k}", lang) for k in keys],
                                     "value": [design_value(k, design.get(k), lang) for k in keys]})
        counts = sample_counts(db, run.period_id)
        sample = counts.select(
            grids=pl.len().cast(pl.Int64), population=pl.col("population").sum().cast(pl.Int64),
            completes_needed=pl.col("completes_needed").sum().cast(pl.Int64),
            invited=pl.col("invited").sum().cast(pl.Int64))
    return Methodology(scheme_name=scheme.name_zh, scheme_version=scheme.version, pillars=pillars,
                       indicators=indicators, deductions=deductions, vetoes=vetoes, grades=grades, rules=rules,
                       design=design_frame, sample=sample)


def design_value(key: str, value: object, lang: str) -> str:
    """A sample-design value as shown: codes (method, margin kind) through the catalogue, shares as percents."""
    if value is None:
        return "—"
    if key in ("method", "margin_kind") and f"design.{key}.{value}" in STRINGS:
        return t(f"design.{key}.{value}", lang)
    if key in ("confidence", "response_rate") and isinstance(value, int | float):
        return fmt_pct(float(value), lang, digits=0)
    return str(value)


def _resolve_run(db: Database, period_id: str, run_id: str | None) -> RunInfo:
    if run_id:
        run = get_run(db, run_id)
        if run.period_id != period_id:
            raise ReportError(f"run {run_id} scores period {run.period_id}, not {period_id}")
        return run
    run = latest_run(db, period_id)
    if run is None:
        raise ReportError(f"period {period_id!r} has no score run yet (run `gridscore score` first)")
    return run


# ---------------------------------------------------------------- the report

def build_report(
    db: Database,
    *,
    period_id: str,
    unit_id: str | None = None,
    run_id: str | None = None,
    user: User | None = None,
    lang: str = "zh",
) -> AnnualReport:
    """Gather the annual report of a period for a scope from the stored score run.

    Args:
        db: the database (read-only is enough).
        period_id: the assessment period, e.g. "2025".
        unit_id: the org unit (street, community, grid) or department the report is
            about; None means the user's scope (the whole city for the CLI).
        run_id: a specific run of the period; default the latest run, as the views.
        user: the signed-in user; the `export` action and scope are checked with
            `dashboard.access.require`, as the dashboard does. None is the local CLI.
        lang: "zh" (default) or "en" for labels.

    Raises:
        ReportError: no run for the period, a run of another period, or an unknown unit.
        AccessDenied: the user may not export this scope.
    """
    lang = lang_of(lang)
    tree = load_tree(db)
    if user is not None:
        unit_id = unit_id or user.scope_unit_id
        require(user, "export", unit_id, tree=tree)
    if unit_id is not None and tree.resolve(unit_id) is None:
        raise ReportError(f"unknown unit {unit_id!r}")
    run = _resolve_run(db, period_id, run_id)
    scores = shown_grades(scope_filter(worker_scores(db, run.run_id), tree, unit_id, columns=SCOPE_COLUMNS))
    members = set(scores["worker_id"].to_list())
    estimates = satisfaction_table(db, period_id, tree, unit_id)
    head = headline(with_points(scores), estimates)
    workers = worker_table(scores, lang)
    prev = previous_period(db, period_id)
    prev_run = latest_run(db, prev) if prev else None
    before = None
    if prev_run is not None:
        before = scope_filter(worker_scores(db, prev_run.run_id), tree, unit_id, columns=SCOPE_COLUMNS)
    ctx = ViewContext(db=db, user=user or REPORT_USER, tree=tree, period=period_id, unit=unit_id, lang=lang)
    trend_frame = trend(ctx)
    vetoes = veto_events(db, period_id)
    vetoes = scope_filter(vetoes, tree, unit_id, columns=("subject_id",), members=members)
    scope_name = tree.names.get(unit_id) if unit_id else t("report.whole_city", lang)
    if unit_id and scope_name is None:  # a department
        scope_name = db.scalar("SELECT name FROM departments WHERE dept_id = ?", [unit_id]) or unit_id
    vetoed = workers.filter(pl.col("vetoed").fill_null(False)).select(
        [c for c in ("worker_id", "name", "role", "grid_name", "street_name", "total", "grade", "veto_reason")
         if c in workers.columns])
    figures = {
        "distribution": distribution_figure(scores, lang),
        "grade_mix": grade_mix_figure(scores, lang),
        "trend": trend_figure(trend_frame, lang),
    }
    return AnnualReport(
        period_id=period_id, period_label=fmt_period(period_id, lang), lang=lang, unit_id=unit_id,
        scope_name=str(scope_name), run=run, generated_at=datetime.now().replace(microsecond=0),
        headline=head, workers=workers, grade_distribution=grade_table(scores, lang),
        communities=unit_table(db, run.run_id, "community", tree, unit_id),
        streets=unit_table(db, run.run_id, "street", tree, unit_id),
        departments=unit_table(db, run.run_id, "department", tree, unit_id),
        vetoed=vetoed, veto_events=vetoes, satisfaction=estimates, trend=trend_frame,
        previous_period=prev if prev_run is not None else None,
        previous_run_id=prev_run.run_id if prev_run is not None else None,
        changes=changes_table(scores, before), methodology=methodology(db, run, lang), figures=figures,
    )


def summary_rows(report: AnnualReport) -> list[tuple[str, str]]:
    """The summary figures as (label, formatted value), as the overview's cards show them."""
    lang = report.lang
    h = report.headline
    return [
        (t("kpi.workers", lang), fmt_int(h.workers, lang)),
        (t("kpi.ranked", lang), fmt_int(h.ranked, lang)),
        (t("kpi.not_ranked_label", lang), fmt_int(h.not_ranked, lang)),
        (t("kpi.mean", lang), fmt_num(h.mean, lang)),
        *[(enum_label("grade", g, lang), fmt_int(n, lang)) for g, n in h.grades.items()],
        (t("kpi.vetoes", lang), fmt_int(h.vetoes, lang)),
        (t("kpi.response_rate", lang), fmt_pct(h.response_rate, lang)),
        (t("kpi.run", lang), f"{report.run.run_id} · {t('run.' + ('draft' if report.draft else 'final'), lang)}"),
    ]
