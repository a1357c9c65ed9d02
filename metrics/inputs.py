"""Gather the scoring inputs of a period from the database into `ScoreInputs` frames.

Indicators come from `metrics.indicators` (one pass over work records); skills from
`skill_assessments`; satisfaction from `surveys.estimate.estimate` (shrunk value for
ranking, raw mean shown); deduction and bonus lines with their evidence ids; vetoes
mapped to the subjects they reach. Events recorded for a sub-period (e.g. 2025Q2) count
in every period that contains it (2025H1, 2025); skill assessments count in every period
they overlap (the annual exam also scores 2025H1).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

from metrics.indicators import (
    UNIT_COLUMN,
    Level,
    long_indicators,
    period_params,
    unit_indicators,
    wide_indicators,
)
from metrics.scheme import Scheme
from metrics.score import ScoreInputs
from warehouse.db import Database, fetch_pl

PERIOD_CTE = """
period AS (
    SELECT period_id, starts_on, ends_on FROM periods WHERE period_id = $period_id
),
sub_periods AS (             -- the period itself and every period inside it
    SELECT s.period_id FROM periods s, period p
    WHERE s.starts_on >= p.starts_on AND s.ends_on <= p.ends_on
)"""

SKILLS_SQL = f"""
WITH {PERIOD_CTE},
overlapping AS (             -- an annual exam also counts for the halves and quarters of its year
    SELECT s.period_id FROM periods s, period p
    WHERE s.starts_on <= p.ends_on AND s.ends_on >= p.starts_on
),
per_item AS (                -- Σscore / Σmax per item (raters of a panel pooled)
    SELECT a.worker_id, a.item,
           (sum(round(a.score * 1e9)::HUGEINT) / sum(round(a.max_score * 1e9)::HUGEINT))::DOUBLE AS ratio,
           count(*) AS ratings
    FROM skill_assessments a JOIN overlapping USING (period_id)
    GROUP BY a.worker_id, a.item
)
-- exact sums (units of 1e-9 point) and the items' mean in a fixed order: a rerun is
-- byte-identical however DuckDB's threads split a worker's rows (B15)
SELECT worker_id AS subject_id, 100.0 * avg(ratio ORDER BY item) AS skills, count(*)::INTEGER AS skill_items,
       sum(ratings)::INTEGER AS skill_ratings
FROM per_item GROUP BY worker_id ORDER BY worker_id
"""

EVENTS_SQL = f"""
WITH {PERIOD_CTE},
inspection AS (
    SELECT i.worker_id, i.unit_id, 'inspection' AS event, i.inspection_id AS evidence_id,
           i.deduction AS recorded
    FROM inspections i, period p
    WHERE i.inspected_on BETWEEN p.starts_on AND p.ends_on
),
rectification_overdue AS (   -- 限期整改: not rectified by the deadline
    SELECT i.worker_id, i.unit_id, 'rectification_overdue', i.inspection_id, NULL::DOUBLE
    FROM inspections i, period p
    WHERE i.rectify_by BETWEEN p.starts_on AND p.ends_on
      AND (i.rectified_at > i.rectify_by OR (i.rectified_at IS NULL))
),
valid_complaint AS (         -- 有效投诉
    SELECT c.worker_id, c.unit_id, 'valid_complaint', c.complaint_id, NULL::DOUBLE
    FROM complaints c, period p
    WHERE c.valid AND c.received_on BETWEEN p.starts_on AND p.ends_on
),
failed_spot_check AS (       -- records a supervisor's spot check did not confirm
    SELECT r.worker_id, NULL::VARCHAR, 'failed_spot_check', r.record_id, NULL::DOUBLE
    FROM work_records r
    WHERE r.verified = false  -- a plain comparison, which the scan tests faster than `IS FALSE`
      AND r.status <> 'cancelled'
      AND r.opened_at >= $starts AND r.opened_at < $ends
)
SELECT * FROM inspection
UNION ALL SELECT * FROM rectification_overdue
UNION ALL SELECT * FROM valid_complaint
UNION ALL SELECT * FROM failed_spot_check
"""

BONUS_SQL = f"""
WITH {PERIOD_CTE}
SELECT b.worker_id, b.unit_id, b.category AS item, 'bonus' AS event, b.bonus_id AS evidence_id,
       b.points::DOUBLE AS points
FROM bonus_events b JOIN sub_periods USING (period_id)
"""

VETO_SQL = f"""
WITH {PERIOD_CTE}
SELECT v.veto_id, v.category, v.scope, v.subject_id AS target_id, v.severity, v.status, v.evidence
FROM veto_events v JOIN sub_periods USING (period_id)
"""

EMPTY_SURVEY = pl.DataFrame(schema={"unit_id": pl.String, "shrunk": pl.Float64, "mean": pl.Float64,
                                    "se": pl.Float64, "respondents": pl.Int64, "reliability": pl.Float64,
                                    "scored_se": pl.Float64, "estimator": pl.String, "estimand": pl.String,
                                    "estimator_note": pl.String, "value_population": pl.Float64,
                                    "value_adjusted": pl.Float64, "mix_adjustment": pl.Float64,
                                    "missing_reason": pl.String})
LINE_SCHEMA = {"subject_id": pl.String, "item": pl.String, "event": pl.String, "evidence_id": pl.String,
               "points": pl.Float64, "zeroing": pl.Boolean}
VETO_SCHEMA = {"subject_id": pl.String, "veto_id": pl.String, "category": pl.String, "severity": pl.String,
               "status": pl.String, "evidence": pl.String}


@dataclass(frozen=True)
class PeriodInputs:
    """Worker inputs plus the raw frames the unit roll-ups and the fingerprint need."""

    workers: ScoreInputs
    wide: pl.DataFrame
    events: pl.DataFrame
    bonus: pl.DataFrame
    vetoes: pl.DataFrame
    skills: pl.DataFrame
    surveys: dict[str, pl.DataFrame]
    grid_estimates: pl.DataFrame | None = None  # surveys.estimate.estimate_frame at grid level (reused by roll-ups)


def survey_estimates(db: Database, period_id: str, *, level: str = "grid", estimator: str = "shrinkage",
                     estimand: str = "population", grids: pl.DataFrame | None = None) -> pl.DataFrame:
    """Satisfaction per unit as the scheme scores it (`surveys.scored`; empty if no survey yet).

    `shrunk` is the value that scores (the scheme's estimator and estimand; the column keeps
    its older name), `mean`/`se` the design-based figures shown beside it, `scored_se` the
    scored value's own error (what the Monte Carlo draws from), `estimator` the estimator
    actually used for the unit (a fallback names itself in `estimator_note`).
    Suppressed units (fewer than k respondents, A11) come back with no value, so the
    satisfaction pillar is missing with a reason rather than silently re-weighted.
    """
    from surveys.errors import SurveyError
    from surveys.scored import scored_estimates
    from surveys.suppression import SMALL

    try:
        est = scored_estimates(db, period_id, level=level, estimator=estimator, estimand=estimand,  # type: ignore[arg-type]
                               grids=grids)
    except SurveyError:
        return EMPTY_SURVEY
    if est.height == 0:
        return EMPTY_SURVEY
    out = est.select(
        pl.col("unit_id").cast(pl.String),
        pl.col("scored").cast(pl.Float64).alias("shrunk"),
        pl.col("mean").cast(pl.Float64),
        pl.col("se").cast(pl.Float64),
        pl.col("respondents").cast(pl.Int64),
        pl.col("reliability").cast(pl.Float64),
        pl.col("scored_se").cast(pl.Float64),
        pl.col("estimator_used").alias("estimator"),
        pl.col("estimand"),
        pl.coalesce(pl.col("estimator_note"), pl.when(pl.col("estimand") == "mix_adjusted")
                    .then(pl.col("mix_note"))).alias("estimator_note"),
        pl.col("value_population").cast(pl.Float64),
        pl.col("value_adjusted").cast(pl.Float64),
        pl.col("mix_adjustment").cast(pl.Float64),
        pl.col("suppressed").fill_null(False),
        (pl.col("suppressed_kind") if "suppressed_kind" in est.columns else pl.lit(None)).cast(pl.String).alias("_why"),
    )
    blank = ("shrunk", "mean", "se", "scored_se", "value_population", "value_adjusted", "mix_adjustment")
    return out.with_columns(
        *(pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c) for c in blank),
        # a suppressed grid's pillar says so (metrics.reasons: suppressed_small / suppressed_complementary)
        pl.when(pl.col("suppressed")).then(pl.lit("suppressed_") + pl.col("_why").fill_null(SMALL))
        .otherwise(None).alias("missing_reason"),
    ).drop("suppressed", "_why").cast(dict(EMPTY_SURVEY.schema)).sort("unit_id")


def _grid_frame(db: Database, period_id: str) -> pl.DataFrame | None:
    """The period's grid estimates (all columns), None before a survey sample exists."""
    from surveys.errors import SurveyError
    from surveys.estimate import estimate_frame

    try:
        return estimate_frame(db, period_id, level="grid")
    except SurveyError:
        return None


def scheme_survey(scheme: Scheme) -> dict[str, str]:
    """The survey pillar's estimator and estimand as keyword arguments of `survey_estimates`."""
    p = next((p for p in scheme.pillars if p.source == "survey"), None)
    return {"estimator": p.estimator, "estimand": p.estimand} if p else {}


def _lines(events: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """Event rows → deduction lines: one per (event, item listing it), with the scheme's points."""
    rules = pl.DataFrame(
        [{"item": d.key, "event": e, "per_event": pts, "zeroing": e in d.zeroing}
         for d in scheme.deductions for e, pts in d.events],
        schema={"item": pl.String, "event": pl.String, "per_event": pl.Float64, "zeroing": pl.Boolean},
    )
    return events.join(rules, on="event").with_columns(
        pl.coalesce(pl.col("per_event"), pl.col("recorded"), pl.lit(0.0)).alias("points")
    )


def _veto_subjects(vetoes: pl.DataFrame, roster: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """Map veto events to the workers they reach (scope worker, grid roles, community if configured)."""
    direct = vetoes.filter(pl.col("scope") == "worker").with_columns(pl.col("target_id").alias("subject_id"))
    grid = vetoes.filter(pl.col("scope") == "grid").join(
        roster.filter(pl.col("role").is_in(list(scheme.veto.grid_roles))).select("subject_id", "grid_id"),
        left_on="target_id", right_on="grid_id",
    )
    parts = [direct, grid]
    if scheme.veto.community_reaches_workers:
        parts.append(vetoes.filter(pl.col("scope") == "community").join(
            roster.select("subject_id", "community_id"), left_on="target_id", right_on="community_id"))
    return pl.concat([p.select(list(VETO_SCHEMA)) for p in parts]).cast(VETO_SCHEMA)


AREAS_SQL = """
WITH roster AS (SELECT * FROM roster_frame),
listed AS (SELECT worker_id, unit_id FROM {areas_table}),  -- worker_areas
served AS (                  -- served_grids roles: the units listed in worker_areas, else the own grid
    SELECT r.subject_id AS area_id, a.unit_id
    FROM roster r JOIN listed a ON a.worker_id = r.subject_id
    WHERE r.source = 'served_grids'
    UNION ALL
    SELECT r.subject_id, r.grid_id FROM roster r
    WHERE r.source = 'served_grids' AND r.grid_id IS NOT NULL
      AND NOT EXISTS (SELECT 1 FROM listed a WHERE a.worker_id = r.subject_id)
),
department_area AS (         -- department_area roles: the org unit the worker's department serves
    SELECT r.subject_id AS area_id, d.unit_id
    FROM roster r JOIN departments d ON d.dept_id = r.dept_id
    WHERE r.source = 'department_area' AND d.unit_id IS NOT NULL
)
SELECT * FROM served UNION ALL SELECT * FROM department_area
ORDER BY area_id, unit_id
"""


def role_sources(roster: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """The roster with `source`, where each worker's satisfaction comes from (the scheme's role rules)."""
    return roster.with_columns(
        pl.col("role").map_elements(lambda r: scheme.role_rule(r).satisfaction, return_dtype=pl.String)
        .alias("source")
    )


def apply_role_indicators(wide: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """Zero the measures of indicators a worker's role is not assessed on (the scheme's role rules).

    Such an indicator is not an item of the worker's pillar (it is dropped, not missing),
    and its zeros add nothing to a unit's Σnum / Σden: a community's screening rate is its
    grid workers' screenings over their slots, not diluted by staff who do not screen.
    """
    exprs = []
    for ind in scheme.indicators:
        off = [r.role for r in scheme.roles if not r.applies(ind.key)]
        if off:
            cond = pl.col("role").is_in(off)
            exprs += [pl.when(cond).then(0.0).otherwise(pl.col(f"{ind.key}__{p}")).alias(f"{ind.key}__{p}")
                      for p in ("num", "den")]
    return wide.with_columns(exprs) if exprs else wide


def applicable_pairs(roster: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """(subject_id, indicator) for every indicator that applies to the subject's role."""
    rows = [(r, i.key) for r in roster["role"].unique().to_list() for i in scheme.indicators
            if scheme.role_rule(r).applies(i.key)]
    pairs = pl.DataFrame(rows, schema={"role": pl.String, "indicator": pl.String}, orient="row")
    return roster.select("subject_id", "role").join(pairs, on="role").drop("role")


def area_estimates(areas: pl.DataFrame, grid_survey: pl.DataFrame, grid_frame: pl.DataFrame,
                   tree: pl.DataFrame) -> pl.DataFrame:
    """Satisfaction of the residents of an area of several grids, from its grids' published values.

    `areas`: area_id (the worker) and unit_id, any org units (expanded to their grids with
    `tree`, `surveys.estimate.TREE_SQL`). Over the area's grids with a published value in
    `grid_survey` (the scheme's scored grid values; a grid blanked by A11 is left out, so the
    figure combines figures already shown and reveals nothing by difference), w_h = N_h/ΣN_h:
    every value (scored, design-based mean, population and mix-adjusted values) is Σ w_h·x_h,
    every error √Σ w_h²·SE_h², respondents Σ r_h. Reliability (A8) is τ²/(τ² + Σ w_h²·V_h)
    with the grids' τ² and pooled-variance V_h (`grid_frame`, `estimate_frame` at grid level):
    a worker's effect acts on every grid they serve, as a grid worker's on one. For one
    grid every figure is that grid's own. One row per area with a published grid; the
    columns of `EMPTY_SURVEY` with unit_id = area_id, plus grids, grids_used, coverage.
    """
    cols = [c for c in ("grid_id", "community_id", "street_id", "district_id") if c in tree.columns]
    under = pl.concat([tree.select(pl.col(c).alias("unit_id"), "grid_id") for c in cols]).drop_nulls().unique()
    members = (
        areas.select("area_id", "unit_id").join(under, on="unit_id").select("area_id", "grid_id").unique()
        .join(grid_frame.select(pl.col("unit_id").alias("grid_id"), pl.col("population").cast(pl.Float64),
                                "v_reliability"), on="grid_id", how="left")
        .join(grid_survey.rename({"unit_id": "grid_id"}), on="grid_id", how="left")
        .with_columns(pl.col("population").fill_null(0.0))
        .sort("area_id", "grid_id")
    )
    tau2 = grid_frame["tau2"].drop_nulls()
    tau2_value = float(tau2[0]) if "tau2" in grid_frame.columns and tau2.len() else None
    used = pl.col("shrunk").is_not_null()
    w = pl.col("population") / pl.col("population").filter(used).sum()

    def wsum(c: str) -> pl.Expr:
        return (w * pl.col(c)).filter(used).sum().alias(c)

    def wse(c: str) -> pl.Expr:
        return pl.when(pl.col(c).filter(used).is_null().any()).then(None).otherwise(
            (w.pow(2) * pl.col(c).pow(2)).filter(used).sum().sqrt()).alias(c)

    out = members.group_by("area_id", maintain_order=True).agg(
        pl.len().alias("grids"), used.sum().alias("grids_used"),
        (pl.col("population").filter(used).sum() / pl.col("population").sum()).alias("coverage"),
        wsum("shrunk"), wsum("mean"), wse("se"), wse("scored_se"),
        pl.col("respondents").filter(used).sum().cast(pl.Int64).alias("respondents"),
        (w.pow(2) * pl.col("v_reliability")).filter(used).sum().alias("_v"),
        pl.col("estimator").filter(used).first(), pl.col("estimand").filter(used).first(),
        pl.col("estimator_note").filter(used).drop_nulls().first(),
        wsum("value_population"), wsum("value_adjusted"), wsum("mix_adjustment"),
    ).filter(pl.col("grids_used") > 0)
    rel = (pl.lit(None, dtype=pl.Float64) if tau2_value is None
           else pl.when(pl.col("_v") <= 0).then(1.0).otherwise(tau2_value / (tau2_value + pl.col("_v"))))
    # an area with no published grid has no row: its worker's pillar is missing (no_survey)
    return out.with_columns(rel.alias("reliability"), pl.lit(None, dtype=pl.String).alias("missing_reason")).drop(
        "_v").rename({"area_id": "unit_id"}).select(
        *EMPTY_SURVEY.columns, "grids", "grids_used", "coverage").cast(dict(EMPTY_SURVEY.schema)).sort("unit_id")


def worker_satisfaction(db: Database, roster: pl.DataFrame, scheme: Scheme, grid_survey: pl.DataFrame,
                        grid_frame: pl.DataFrame | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Each worker's satisfaction pillar input, from the source of their role (docs/methodology.md).

    `grid`: the scored estimate of the worker's own grid. `served_grids` and
    `department_area`: `area_estimates` over the grids of the worker's `worker_areas`
    units (else their own grid) or of their department's area. Returns (satisfaction rows,
    the area estimates, kept for the input fingerprint).
    """
    sources = role_sources(roster, scheme)
    own = sources.filter(pl.col("source") == "grid").select("subject_id", "grid_id").join(
        grid_survey, left_on="grid_id", right_on="unit_id", how="inner"
    ).drop("grid_id")
    empty_area = EMPTY_SURVEY.clear()
    if sources.filter(pl.col("source") != "grid").height == 0 or grid_survey.height == 0 or grid_frame is None:
        return own, empty_area
    frame = sources.select("subject_id", "grid_id", "dept_id", "source")
    # an export or database from before the worker_areas migration: nobody has listed areas
    has_areas = db.scalar("SELECT count(*) FROM information_schema.tables WHERE table_name = 'worker_areas'")
    cur = db.cursor()
    try:
        cur.register("roster_frame", frame.to_arrow())
        table = "worker_areas" if has_areas else "(SELECT NULL::VARCHAR AS worker_id, NULL::VARCHAR AS unit_id WHERE false)"
        areas = fetch_pl(cur, AREAS_SQL.format(areas_table=table), None)
    finally:
        cur.close()
    from surveys.estimate import TREE_SQL

    est = area_estimates(areas, grid_survey, grid_frame, db.query(TREE_SQL))
    served = est.select(pl.col("unit_id").alias("subject_id"), *EMPTY_SURVEY.columns[1:])
    return pl.concat([own, served.cast(dict(own.schema))]).sort("subject_id"), est.select(EMPTY_SURVEY.columns)


def load_period_inputs(db: Database, period_id: str, scheme: Scheme, *,
                       wide: pl.DataFrame | None = None) -> PeriodInputs:
    """Everything scoring a period needs, read from the database (no scores computed here).

    `wide` is the indicator frame when another engine computed it (`metrics.engines.spark`).
    """
    params = {"period_id": period_id}
    wide = wide_indicators(db, period_id, scheme) if wide is None else wide
    wide = apply_role_indicators(wide, scheme)
    bounds = period_params(db, period_id)
    roster = wide.select(
        pl.col("worker_id").alias("subject_id"), "role", "grid_id", "dept_id", "community_id",
        "street_id", "households", "months_in_post",
    )
    indicators = long_indicators(wide, scheme).rename({"worker_id": "subject_id"}).join(
        applicable_pairs(roster, scheme), on=["subject_id", "indicator"], how="semi")
    skills = db.query(SKILLS_SQL, params)
    grid_frame = _grid_frame(db, period_id)
    grid_survey = survey_estimates(db, period_id, level="grid", grids=grid_frame, **scheme_survey(scheme))
    satisfaction, areas = worker_satisfaction(db, roster, scheme, grid_survey, grid_frame)
    events = db.query(EVENTS_SQL, bounds)
    lines = _lines(events, scheme)
    bonus = db.query(BONUS_SQL, params)
    vetoes = db.query(VETO_SQL, params)
    workers = ScoreInputs(
        roster=roster,
        indicators=indicators,
        skills=skills,
        satisfaction=satisfaction,
        deductions=lines.filter(pl.col("worker_id").is_not_null())
        .rename({"worker_id": "subject_id"}).select(list(LINE_SCHEMA)).cast(LINE_SCHEMA)
        .join(roster.select("subject_id"), on="subject_id", how="semi"),
        bonus=bonus.filter(pl.col("worker_id").is_not_null()).rename({"worker_id": "subject_id"})
        .select("subject_id", "item", "event", "evidence_id", "points")
        .join(roster.select("subject_id"), on="subject_id", how="semi"),
        vetoes=_veto_subjects(vetoes, roster, scheme),
    )
    return PeriodInputs(workers=workers, wide=wide, events=lines, bonus=bonus, vetoes=vetoes,
                        skills=skills, surveys={"grid": grid_survey, "areas": areas}, grid_estimates=grid_frame)


def unit_inputs(db: Database, period_id: str, scheme: Scheme, pin: PeriodInputs,
                worker_scores: pl.DataFrame, *, level: Level) -> ScoreInputs:
    """Inputs of the unit roll-up at `level` (B10).

    Rates are Σnum/Σden over members; skills and (where no survey estimate exists at the
    level) satisfaction are members' means weighted by households served (at least 1);
    deductions, bonus and vetoes are the events recorded against the unit itself. A grid's
    members are the workers placed in it; its satisfaction is the grid's own survey
    estimate (the one its workers carry), missing when that estimate is suppressed.
    """
    col = UNIT_COLUMN[level]
    w = pin.wide.filter(pl.col(col).is_not_null())
    weight = (pl.col("households").clip(lower_bound=1) if scheme.member_weight == "households" else pl.lit(1))
    members = (
        worker_scores.filter(pl.col(col).is_not_null())
        .with_columns(weight.cast(pl.Float64).alias("_w"))
        .sort(col, "subject_id")
    )
    roster = (
        w.group_by(col).agg(pl.len().cast(pl.Int32).alias("members"), pl.col("households").sum().alias("households"))
        .rename({col: "subject_id"})
        .with_columns(pl.lit("unit").alias("role"), pl.lit(None, dtype=pl.Float64).alias("months_in_post"))
        .sort("subject_id")
    )

    def wmean(c: str) -> pl.Expr:
        """Members' weighted mean of `c`; missing (not NaN) when no member has a value."""
        ok = pl.col(c).is_not_null()
        den = pl.col("_w").filter(ok).sum()
        return pl.when(den > 0).then((pl.col(c) * pl.col("_w")).filter(ok).sum() / den).alias(c)

    def pooled_se(c: str, se: pl.Expr) -> pl.Expr:
        """Standard error of the weighted mean of `c` when members' errors `se` are independent."""
        ok = pl.col(c).is_not_null()
        den = pl.col("_w").filter(ok).sum()
        return pl.when(den > 0).then((pl.col("_w") * se).filter(ok).pow(2).sum().sqrt() / den)

    skills_sd = next((p.measurement_sd for p in scheme.pillars if p.source == "skill_assessments"), 0.0)
    agg = members.group_by(col, maintain_order=True).agg(
        wmean("skills"), wmean("satisfaction"), wmean("satisfaction_raw"), wmean("total").alias("members_total"),
        pl.col("satisfaction_n").sum().alias("respondents"),
        # Monte Carlo only (B11): the errors of the members' means (not stored in score_units)
        pooled_se("skills", pl.lit(skills_sd)).alias("skills_se"),
        pooled_se("satisfaction", pl.coalesce("satisfaction_scored_se", "satisfaction_se").fill_null(0.0))
        .alias("satisfaction_se_members"),
    ).rename({col: "subject_id"})
    skills = agg.select("subject_id", "skills").filter(pl.col("skills").is_not_null())
    survey = EMPTY_SURVEY
    if level == "grid":  # the grid's own estimate, already read for its workers
        survey = pin.surveys["grid"]
    elif level in ("community", "street"):
        survey = survey_estimates(db, period_id, level=level, grids=pin.grid_estimates, **scheme_survey(scheme))
        pin.surveys[level] = survey
    own = survey.rename({"unit_id": "subject_id"})
    fallback = agg.filter(~pl.col("subject_id").is_in(own["subject_id"].implode())).select(
        "subject_id", pl.col("satisfaction").alias("shrunk"), pl.col("satisfaction_raw").alias("mean"),
        pl.lit(None, dtype=pl.Float64).alias("se"), pl.col("respondents").cast(pl.Int64),
        pl.lit(None, dtype=pl.Float64).alias("reliability"),
        pl.lit(None, dtype=pl.Float64).alias("scored_se"),  # the draws use satisfaction_se_members
        pl.lit("members").alias("estimator"), pl.lit(None, dtype=pl.String).alias("estimand"),
        pl.lit(None, dtype=pl.String).alias("estimator_note"),
        *[pl.lit(None, dtype=pl.Float64).alias(c) for c in ("value_population", "value_adjusted", "mix_adjustment")],
        pl.lit(None, dtype=pl.String).alias("missing_reason"),
    ).filter(pl.col("shrunk").is_not_null()).cast({("subject_id" if k == "unit_id" else k): v for k, v in EMPTY_SURVEY.schema.items()})
    satisfaction = pl.concat([own.select(fallback.columns).cast(fallback.schema), fallback]).join(
        roster.select("subject_id"), on="subject_id", how="semi")

    lines = pin.events.filter(pl.col("worker_id").is_null() & pl.col("unit_id").is_not_null()).rename(
        {"unit_id": "subject_id"}).select(list(LINE_SCHEMA)).cast(LINE_SCHEMA)
    bonus = pin.bonus.filter(pl.col("worker_id").is_null() & pl.col("unit_id").is_not_null()).rename(
        {"unit_id": "subject_id"}).select("subject_id", "item", "event", "evidence_id", "points")
    scope = {"department": "department", "community": "community", "street": "street", "grid": "grid"}[level]
    vetoes = pin.vetoes.filter(pl.col("scope") == scope).rename({"target_id": "subject_id"}).select(
        list(VETO_SCHEMA)).cast(VETO_SCHEMA)
    members_total = agg.select("subject_id", "members_total", "skills_se", "satisfaction_se_members")
    return ScoreInputs(
        roster=roster.join(members_total, on="subject_id", how="left"),
        indicators=unit_indicators(pin.wide, scheme, level=level).rename({"unit_id": "subject_id"}),
        skills=skills,
        satisfaction=satisfaction,
        deductions=lines.join(roster.select("subject_id"), on="subject_id", how="semi"),
        bonus=bonus.join(roster.select("subject_id"), on="subject_id", how="semi"),
        vetoes=vetoes.join(roster.select("subject_id"), on="subject_id", how="semi"),
    )


def frame_digest(frame: pl.DataFrame) -> str:
    """sha256 of a frame's content, independent of row order (rows sorted on every column)."""
    if frame.height == 0:
        return hashlib.sha256(",".join(frame.columns).encode()).hexdigest()
    ordered = frame.sort(frame.columns, nulls_last=True)
    return hashlib.sha256(ordered.write_csv(float_precision=12).encode()).hexdigest()


def input_fingerprint(pin: PeriodInputs) -> str:
    """sha256 over the digests of every scoring input frame (B15)."""
    parts = [
        ("wide", pin.wide), ("skills", pin.skills), ("events", pin.events.drop("per_event", strict=False)),
        ("bonus", pin.bonus), ("vetoes", pin.vetoes),
        *[(f"survey_{k}", v) for k, v in sorted(pin.surveys.items())],
    ]
    text = "\n".join(f"{name}:{frame_digest(f)}" for name, f in parts)
    return hashlib.sha256(text.encode()).hexdigest()
