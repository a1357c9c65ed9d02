"""Satisfaction estimates with their uncertainty, per grid and rolled up (A4–A11).

Everything is computed for all units at once: DuckDB reads the answers, polars
aggregates per grid, numpy/scipy evaluate the formulas on whole columns. There is no
loop over grids.

The design is stratified SRSWOR with stratum = grid (see `surveys.design`): N_h
households in the register, r_h respondents, y a resident's 0–100 score on the
questionnaire's overall item, and "satisfied" the top-2 box.

Reading order: `estimate` (the public entry) → `estimate_grids` (A4, A5, A6) →
`roll_up` (A7) → `_finish` (A8 reliability, A9 shrinkage, A10 funnel limits,
A11 suppression).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

import numpy as np
import polars as pl
from scipy import stats

from surveys.dispositions import COUNT_COLUMNS, disposition_counts, with_response_rates
from surveys.errors import SurveyError
from surveys.questionnaire import Questionnaire, load_questionnaire, questionnaire_for
from surveys.suppression import K_MIN, SMALL, reason_text, suppressed_units
from warehouse.db import Database

Level = Literal["grid", "community", "street", "district"]
MIN_UNITS = 10
"""A8/A9: fewer units with an estimate at a level than this and τ² is not estimated: not shrunk."""
LEVELS: tuple[str, ...] = ("grid", "community", "street", "district")


@dataclass(frozen=True)
class EstimateOptions:
    """Settings of the estimators (defaults follow docs/methodology.md)."""

    k_min: int = K_MIN  # A11: suppress below this many respondents
    confidence: float = 0.95  # A4, A5
    min_cell: int = 3  # A6: a weighting class needs this many respondents, else classes merge
    max_adjustment: float = 3.0  # A6: non-response adjustment factors are trimmed at this
    target_reliability: float = 0.7  # A8: minimum n reported for this reliability
    low_response: float = 0.5  # A6: best/worst bounds are flagged when RR3 is below this
    winsor: float = 0.1  # A10: z-scores winsorised at this tail share
    proportion_interval: Literal["wilson", "exact"] = "wilson"  # A5: "exact" = hypergeometric


# --------------------------------------------------------------------------- formulas


def t_interval(
    mean: np.ndarray, s2: np.ndarray, r: np.ndarray, big_n: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A4: SE and t-interval of a mean under SRSWOR with finite-population correction.

    Var(ȳ) = (1 − r/N)·s²/r, CI = ȳ ± t(r − 1)·SE. A census (r = N) has zero
    variance; fewer than 2 respondents (not a census) give NaN.

    Examples:
        >>> se, lo, hi = t_interval(np.array([68.0]), np.array([1000.0]), np.array([5]), np.array([400]))
        >>> round(float(se[0]), 6), round(float(lo[0]), 4)
        (14.053469, 28.9813)
    """
    r = np.asarray(r, dtype=float)
    big_n = np.asarray(big_n, dtype=float)
    census = (r >= 1) & (r >= big_n)
    with np.errstate(divide="ignore", invalid="ignore"):
        var = np.where(census, 0.0, np.where(r >= 2, (1 - r / big_n) * s2 / r, np.nan))
        df = np.where(r >= 2, r - 1, np.where(census, 1.0, np.nan))
        tq = stats.t.ppf(0.5 + confidence / 2, df)
    se = np.sqrt(var)
    half = np.where(census, 0.0, tq * se)
    return se, mean - half, mean + half


def wilson_fpc(
    x: np.ndarray, r: np.ndarray, big_n: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A5: proportion with a Wilson interval using the FPC-effective sample size.

    n* = r·(N − 1)/(N − r); a census (r = N) gives a zero-width interval at p̂.
    Stays inside [0, 1] and is not degenerate at 0 % or 100 % unless a census.

    Examples:
        >>> p, lo, hi = wilson_fpc(np.array([40]), np.array([40]), np.array([400]))
        >>> round(float(lo[0]), 3), float(hi[0])
        (0.92, 1.0)
    """
    x = np.asarray(x, dtype=float)
    r = np.asarray(r, dtype=float)
    big_n = np.asarray(big_n, dtype=float)
    z = stats.norm.ppf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.where(r > 0, x / r, np.nan)
        census = r >= big_n
        n_star = np.where(census, np.inf, r * (big_n - 1) / (big_n - r))
        denom = 1 + z**2 / n_star
        centre = (p + z**2 / (2 * n_star)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n_star + z**2 / (4 * n_star**2))
    lo = np.where(census, p, np.clip(centre - half, 0.0, 1.0))
    hi = np.where(census, p, np.clip(centre + half, 0.0, 1.0))
    # never let rounding push the estimate outside its own interval
    return p, np.minimum(lo, p), np.maximum(hi, p)


def wilson_effective(
    p: np.ndarray, n_eff: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """Wilson interval for an estimated proportion with an effective sample size (roll-ups)."""
    z = stats.norm.ppf(0.5 + confidence / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        denom = 1 + z**2 / n_eff
        centre = (p + z**2 / (2 * n_eff)) / denom
        half = z / denom * np.sqrt(p * (1 - p) / n_eff + z**2 / (4 * n_eff**2))
        lo = np.where(np.isinf(n_eff), p, np.clip(centre - half, 0.0, 1.0))
        hi = np.where(np.isinf(n_eff), p, np.clip(centre + half, 0.0, 1.0))
    return np.minimum(lo, p), np.maximum(hi, p)


def hypergeometric_interval(
    x: np.ndarray, r: np.ndarray, big_n: np.ndarray, confidence: float = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """A5 on request: exact interval for the share satisfied under SRSWOR (hypergeometric).

    Inverts the two one-sided tests over the possible numbers M of satisfied
    households in the grid (Clopper–Pearson for a finite population): the lower
    bound is the smallest M with P(X ≥ x | M) > α/2, the upper the largest with
    P(X ≤ x | M) > α/2, both divided by N. All grids at once (M × grid matrix).

    Examples:
        >>> lo, hi = hypergeometric_interval(np.array([40, 3]), np.array([40, 3]), np.array([400, 3]))
        >>> round(float(lo[0]) * 400), float(hi[0]), float(lo[1]), float(hi[1])
        (367, 1.0, 1.0, 1.0)
    """
    x = np.asarray(x, dtype=np.int64)
    r = np.asarray(r, dtype=np.int64)
    big_n = np.asarray(big_n, dtype=np.int64)
    alpha = 1 - confidence
    lo = np.full(x.shape, np.nan)
    hi = np.full(x.shape, np.nan)
    ok = r > 0
    if not ok.any():
        return lo, hi
    xs, rs, ns = x[ok], r[ok], big_n[ok]
    m = np.arange(0, int(ns.max()) + 1)[:, None]
    possible = (m >= xs) & (m <= ns - (rs - xs))
    with np.errstate(invalid="ignore", divide="ignore"):
        upper_tail = stats.hypergeom.sf(xs - 1, ns, m, rs)
        lower_tail = stats.hypergeom.cdf(xs, ns, m, rs)
    keep_lo = possible & (upper_tail > alpha / 2)
    keep_hi = possible & (lower_tail > alpha / 2)
    big = int(ns.max()) + 1
    lo[ok] = np.where(keep_lo, m, big).min(axis=0) / ns
    hi[ok] = np.where(keep_hi, m, -1).max(axis=0) / ns
    return lo, hi


# --------------------------------------------------------------------------- inputs

RESPONDENTS_SQL = """
SELECT r.grid_id, r.weight_class, a.score AS y,
       list_contains($satisfied, a.answer_code) AS satisfied
FROM survey_responses r
JOIN survey_answers a USING (response_id)
WHERE r.period_id = $period AND a.item_key = $item AND a.score IS NOT NULL
"""

AGGREGATES_SQL = """
WITH resp AS (
    SELECT response_id, grid_id, weight_class FROM survey_responses WHERE period_id = $period
),
overall AS (                 -- y in exact integer units of 1e-9 point, so sums need no fixed order
    SELECT response_id, round(score * 1e9)::HUGEINT AS yq, list_contains($satisfied, answer_code) AS satisfied
    FROM survey_answers
    WHERE item_key = $item AND score IS NOT NULL
),
flagged AS (
    SELECT DISTINCT response_id, true AS flagged FROM survey_quality_flags WHERE period_id = $period
),
sums AS (                    -- exact sums: the same bytes however DuckDB's threads split a grid (B15)
    SELECT r.grid_id, r.weight_class, GROUPING(r.weight_class) AS whole_grid,
           count(o.yq) AS n, coalesce(sum(o.yq), 0) AS sum_q, coalesce(sum(o.yq * o.yq), 0) AS sum_q2,
           count(*) FILTER (WHERE o.satisfied) AS n_satisfied,
           count(*) FILTER (WHERE f.flagged) AS flagged_responses
    FROM resp r
    LEFT JOIN overall o USING (response_id)
    LEFT JOIN flagged f USING (response_id)
    GROUP BY GROUPING SETS ((r.grid_id, r.weight_class), (r.grid_id))
)
SELECT grid_id, weight_class, whole_grid, n,
       CASE WHEN n > 0 THEN sum_q::DOUBLE / 1e9 / n END AS mean,
       CASE WHEN n > 1 THEN (n * sum_q2 - sum_q * sum_q)::DOUBLE / 1e18 / (n * (n - 1)) END AS s2,
       sum_q::DOUBLE / 1e9 AS sum_y, n_satisfied, flagged_responses
FROM sums
"""


STRATA_SQL = """
SELECT s.grid_id, s.population
FROM survey_strata s JOIN survey_designs d USING (design_id)
WHERE d.period_id = $period
"""

TREE_SQL = """
SELECT g.unit_id AS grid_id, g.name AS grid_name,
       c.unit_id AS community_id, c.name AS community_name,
       s.unit_id AS street_id, s.name AS street_name,
       d.unit_id AS district_id, d.name AS district_name
FROM org_units g
LEFT JOIN org_units c ON c.unit_id = g.parent_id
LEFT JOIN org_units s ON s.unit_id = c.parent_id
LEFT JOIN org_units d ON d.unit_id = s.parent_id
WHERE g.level = 'grid'
"""


# --------------------------------------------------------------------------- grids


def respondent_aggregates(respondents: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Per grid (respondents, mean, s2, sum_y, n_satisfied) and per grid × class (r_c, mean_c)."""
    resp = respondents.with_columns(pl.col("y").cast(pl.Float64), pl.col("satisfied").cast(pl.Int64))
    per_grid = resp.group_by("grid_id").agg(
        pl.len().cast(pl.Int64).alias("respondents"),
        pl.col("y").mean().alias("mean"),
        pl.col("y").var(ddof=1).alias("s2"),
        pl.col("y").sum().alias("sum_y"),
        pl.col("satisfied").sum().cast(pl.Int64).alias("n_satisfied"),
    )
    per_class = resp.group_by("grid_id", "weight_class").agg(
        pl.len().cast(pl.Int64).alias("r_c"), pl.col("y").mean().alias("mean_c")
    )
    return per_grid, per_class


def estimate_grids(
    respondents: pl.DataFrame,
    strata: pl.DataFrame,
    *,
    counts: pl.DataFrame | None = None,
    options: EstimateOptions = EstimateOptions(),
    scale_min: float = 0.0,
    scale_max: float = 100.0,
) -> pl.DataFrame:
    """Per-grid estimates (A4 mean/SE/t-CI, A5 Wilson, A6 adjustment and bounds), unsuppressed.

    Args:
        respondents: one row per respondent: grid_id, weight_class, y (0–100),
            satisfied (bool).
        strata: grid_id, population (N_h) for every sampled grid.
        counts: outcome counts per grid and weighting class (from
            `disposition_counts(by_class=True)`); without it A6 uses the respondents only.
        options: estimator settings.
        scale_min: lowest score on the scale (worst-case bound).
        scale_max: highest score on the scale (best-case bound).

    Returns:
        One row per grid of `strata`.
    """
    per_grid, per_class = respondent_aggregates(respondents)
    return estimate_from_aggregates(
        per_grid, per_class, strata, counts=counts, options=options, scale_min=scale_min, scale_max=scale_max
    )


def estimate_from_aggregates(
    per_grid: pl.DataFrame,
    per_class: pl.DataFrame,
    strata: pl.DataFrame,
    *,
    counts: pl.DataFrame | None = None,
    options: EstimateOptions = EstimateOptions(),
    scale_min: float = 0.0,
    scale_max: float = 100.0,
) -> pl.DataFrame:
    """`estimate_grids` from per-grid and per-class aggregates (the database path computes
    these in DuckDB, so 300 k answers never leave it)."""
    if counts is None:
        counts = per_class.select(
            "grid_id", "weight_class",
            pl.col("r_c").alias("invited"), pl.col("r_c").alias("n_complete"),
            *[pl.lit(0, dtype=pl.Int64).alias(c) for c in COUNT_COLUMNS[2:]],
        )
    counts = counts.with_columns((pl.col("invited") - pl.col("n_ineligible")).alias("eligible_c"))
    # A6: weighting-class adjustment inside each grid, sparse classes merged, factors trimmed
    cells = counts.select("grid_id", "weight_class", "eligible_c").join(
        per_class, on=["grid_id", "weight_class"], how="full", coalesce=True
    ).with_columns(pl.col("r_c").fill_null(0), pl.col("eligible_c").fill_null(0))
    sparse = cells.group_by("grid_id").agg(
        ((pl.col("eligible_c") > 0) & (pl.col("r_c") < options.min_cell)).any().alias("merge")
    )
    adjusted = (
        cells.join(sparse, on="grid_id")
        .filter(pl.col("r_c") > 0)
        .with_columns(
            pl.when(pl.col("merge")).then(1.0)
            .otherwise((pl.col("eligible_c") / pl.col("r_c")).clip(upper_bound=options.max_adjustment))
            .alias("factor")
        )
        .group_by("grid_id")
        .agg(
            ((pl.col("r_c") * pl.col("factor") * pl.col("mean_c")).sum()
             / (pl.col("r_c") * pl.col("factor")).sum()).alias("mean_adjusted"),
            pl.col("merge").first().alias("classes_merged"),
        )
    )
    disp = with_response_rates(counts.group_by("grid_id").agg(pl.col(COUNT_COLUMNS).sum()))
    grid = (
        strata.select("grid_id", pl.col("population").cast(pl.Int64))
        .join(per_grid, on="grid_id", how="left")
        .join(adjusted, on="grid_id", how="left")
        .join(disp, on="grid_id", how="left")
        .with_columns(
            pl.col("respondents").fill_null(0),
            pl.col("n_satisfied").fill_null(0),
            pl.col("sum_y").fill_null(0.0),
            *[pl.col(c).fill_null(0) for c in COUNT_COLUMNS],
        )
        .sort("grid_id")
    )
    r = grid["respondents"].to_numpy().astype(float)
    big_n = grid["population"].to_numpy().astype(float)
    mean = grid["mean"].fill_null(np.nan).to_numpy()
    s2 = grid["s2"].fill_null(np.nan).to_numpy()
    se, lo, hi = t_interval(mean, s2, r, big_n, options.confidence)
    p, p_lo, p_hi = wilson_fpc(grid["n_satisfied"].to_numpy(), r, big_n, options.confidence)
    if options.proportion_interval == "exact":
        p_lo, p_hi = hypergeometric_interval(grid["n_satisfied"].to_numpy(), r, big_n, options.confidence)
    census = (r >= 1) & (r >= big_n)
    reason = np.where(r == 0, "no respondents", np.where((r == 1) & ~census, "fewer than 2 respondents", None))
    # A6 bounds: every eligible non-respondent at the scale's minimum / maximum
    eligible = np.maximum((grid["invited"] - grid["n_ineligible"]).to_numpy().astype(float), r)
    missing = eligible - r
    sum_y = grid["sum_y"].to_numpy()
    x = grid["n_satisfied"].to_numpy().astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        worst = np.where(eligible > 0, (sum_y + scale_min * missing) / eligible, np.nan)
        best = np.where(eligible > 0, (sum_y + scale_max * missing) / eligible, np.nan)
        p_worst = np.where(eligible > 0, x / eligible, np.nan)
        p_best = np.where(eligible > 0, (x + missing) / eligible, np.nan)
        var = se**2
        # pooled within-grid variance for reliability (A8): a grid whose few
        # respondents happen to agree must not look perfectly reliable
        df_w = np.where(r >= 2, r - 1, 0.0)
        sigma_w2 = float(np.nansum(np.where(r >= 2, s2, 0.0) * df_w) / df_w.sum()) if df_w.sum() > 0 else np.nan
        v_pooled = np.where(r >= 1, (1 - r / big_n) * sigma_w2 / r, np.nan)
    return grid.with_columns(
        pl.lit("grid").alias("level"),
        pl.Series("se", se).fill_nan(None),
        pl.Series("variance", var).fill_nan(None),
        pl.Series("ci_low", lo).fill_nan(None),
        pl.Series("ci_high", hi).fill_nan(None),
        pl.Series("se_reason", reason.tolist(), dtype=pl.String),
        pl.Series("p_satisfied", p).fill_nan(None),
        pl.Series("p_low", p_lo).fill_nan(None),
        pl.Series("p_high", p_hi).fill_nan(None),
        pl.Series("eligible", eligible).cast(pl.Int64),
        pl.Series("mean_worst", worst).fill_nan(None),
        pl.Series("mean_best", best).fill_nan(None),
        pl.Series("p_worst", p_worst).fill_nan(None),
        pl.Series("p_best", p_best).fill_nan(None),
        pl.Series("v_reliability", v_pooled).fill_nan(None),
        pl.lit(sigma_w2 if np.isfinite(sigma_w2) else None, dtype=pl.Float64).alias("sigma_w2"),
    ).rename({"grid_id": "unit_id"})


# --------------------------------------------------------------------------- roll-ups


def roll_up(grids: pl.DataFrame, tree: pl.DataFrame, level: Level, *, options: EstimateOptions = EstimateOptions()) -> pl.DataFrame:
    """A7: stratified estimator over the grids of each unit.

    ȳ_U = Σ_h (N_h/N)·ȳ_h and Var = Σ_h (N_h/N)²·Var(ȳ_h), over the grids of the
    unit that have respondents (N is their register total; `coverage` says what
    share of the unit's households that is). The t-interval uses the design degrees
    of freedom Σ r_h − H. The proportion's Wilson interval uses the effective
    sample size p(1 − p)/Var(p̂). If a grid with respondents has no variance (one
    respondent), the unit's SE is not given.
    """
    key = f"{level}_id"
    g = grids.join(tree.select(pl.col("grid_id").alias("unit_id"), key), on="unit_id", how="left").filter(
        pl.col(key).is_not_null()
    )
    has = pl.col("respondents") > 0
    n_cov = pl.col("population").filter(has).sum()
    w = pl.col("population") / n_cov
    var_p_grid = pl.when(pl.col("respondents") >= pl.col("population")).then(0.0).when(pl.col("respondents") >= 2).then(
        (1 - pl.col("respondents") / pl.col("population"))
        * pl.col("p_satisfied") * (1 - pl.col("p_satisfied")) / (pl.col("respondents") - 1)
    )

    def wsum(expr: pl.Expr) -> pl.Expr:
        return (w * expr).filter(has).sum()

    units = g.group_by(key).agg(
        pl.col("population").sum().alias("population"),
        n_cov.alias("covered_population"),
        pl.len().alias("grids"),
        has.sum().alias("grids_with_respondents"),
        pl.col("respondents").sum(),
        pl.col("n_satisfied").sum(),
        pl.col("sum_y").sum(),
        pl.col("eligible").sum(),
        *[pl.col(c).sum() for c in COUNT_COLUMNS],
        wsum(pl.col("mean")).alias("mean"),
        ((w**2) * pl.col("variance")).filter(has).sum().alias("variance"),
        pl.col("variance").filter(has).is_null().any().alias("_var_missing"),
        (pl.col("respondents") >= pl.col("population")).filter(has).all().alias("_census"),
        wsum(pl.col("p_satisfied")).alias("p_satisfied"),
        ((w**2) * var_p_grid).filter(has).sum().alias("_var_p"),
        wsum(pl.col("mean_adjusted")).alias("mean_adjusted"),
        wsum(pl.col("mean_worst")).alias("mean_worst"),
        wsum(pl.col("mean_best")).alias("mean_best"),
        wsum(pl.col("p_worst")).alias("p_worst"),
        wsum(pl.col("p_best")).alias("p_best"),
        pl.col("flagged_responses").sum() if "flagged_responses" in g.columns else pl.lit(0).alias("flagged_responses"),
    ).rename({key: "unit_id"})
    units = units.with_columns(
        pl.when(pl.col("respondents") == 0).then(None).otherwise(pl.col("mean")).alias("mean"),
        pl.when(pl.col("respondents") == 0).then(None).otherwise(pl.col("p_satisfied")).alias("p_satisfied"),
        pl.when((pl.col("respondents") == 0) | pl.col("_var_missing")).then(None).otherwise(pl.col("variance")).alias("variance"),
    ).sort("unit_id")
    r = units["respondents"].to_numpy().astype(float)
    h = units["grids_with_respondents"].to_numpy().astype(float)
    mean = units["mean"].fill_null(np.nan).to_numpy()
    var = units["variance"].fill_null(np.nan).to_numpy()
    census = units["_census"].fill_null(False).to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        df = np.where(r - h >= 1, r - h, np.nan)
        tq = stats.t.ppf(0.5 + options.confidence / 2, df)
        se = np.sqrt(var)
        half = np.where(census, 0.0, tq * se)
        p = units["p_satisfied"].fill_null(np.nan).to_numpy()
        var_p = units["_var_p"].fill_null(np.nan).to_numpy()
        big_n = units["covered_population"].to_numpy().astype(float)
        n_fallback = np.where(r >= big_n, np.inf, r * (big_n - 1) / (big_n - r))
        n_eff = np.where(census, np.inf, np.where(var_p > 0, p * (1 - p) / var_p, n_fallback))
    p_lo, p_hi = wilson_effective(p, n_eff, options.confidence)
    reason = np.where(
        r == 0, "no respondents",
        np.where(units["_var_missing"].to_numpy(), "a grid has a single respondent",
                 np.where(np.isnan(df) & ~census, "too few respondents", None)),
    )
    return units.with_columns(
        pl.lit(level).alias("level"),
        pl.Series("se", se).fill_nan(None),
        pl.Series("ci_low", mean - half).fill_nan(None),
        pl.Series("ci_high", mean + half).fill_nan(None),
        pl.Series("se_reason", reason.tolist(), dtype=pl.String),
        pl.Series("p_low", p_lo).fill_nan(None),
        pl.Series("p_high", p_hi).fill_nan(None),
        pl.col("variance").alias("v_reliability"),
        (pl.col("covered_population") / pl.col("population")).alias("coverage"),
    ).drop("_var_missing", "_census", "_var_p").pipe(with_response_rates)


# --------------------------------------------------------------------------- A8–A11


def shrinkage(
    mean: np.ndarray, v: np.ndarray, raw_se: np.ndarray, ok: np.ndarray
) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
    """A8/A9: τ², reliability R, the shrunk value and its own SE, for the units where `ok`.

    τ² = Var(ȳ_i) − mean(V_i) (at least 0); R = τ²/(τ² + V); θ̃ = R·ȳ + (1 − R)·ȳ_all;
    SE(θ̃) = √(R·V + (1 − R)²·Var(ȳ_all)), Var(ȳ_all) = Σ(τ² + V_i)/m² — the shrunk value's
    error, smaller than the raw SE. With fewer than `MIN_UNITS` units τ² is not estimated
    (a handful of units gives τ² = 0 by chance, and every unit the same number): τ² and R
    are NaN, the value is the raw mean with its raw SE.

    Examples:
        >>> m = 78 + np.array([1, -1] * 5) * np.sqrt(108.0)   # Var(ȳ) = 120
        >>> tau2, rel, shr, se = shrinkage(m, np.full(10, 40.0), np.full(10, 6.3), np.ones(10, bool))
        >>> round(tau2, 6), round(float(rel[0]), 4), round(float(se[0]), 4)
        (80.0, 0.6667, 5.2915)
    """
    m = int(ok.sum())
    if m >= MIN_UNITS:
        tau2 = max(0.0, float(np.var(mean[ok], ddof=1) - np.mean(v[ok])))
        grand = float(np.mean(mean[ok]))
        var_grand = float(np.sum(tau2 + v[ok])) / m**2
    else:
        tau2, grand, var_grand = np.nan, np.nan, np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = np.where(ok, tau2 / (tau2 + v), np.nan)
        rel = np.where(ok & (v == 0) & np.isfinite(tau2), 1.0, rel)
        shrunk = np.where(np.isfinite(tau2), rel * mean + (1 - rel) * grand, mean)
        shrunk_se = np.where(np.isfinite(tau2), np.sqrt(rel * v + (1 - rel) ** 2 * var_grand), raw_se)
    return tau2, rel, np.where(ok, shrunk, np.nan), np.where(ok, shrunk_se, np.nan)


def _finish(units: pl.DataFrame, options: EstimateOptions, suppressed: pl.DataFrame | None = None) -> pl.DataFrame:
    """Reliability (A8), shrinkage (A9), funnel limits (A10), suppression (A11).

    `suppressed` (unit_id, reason) is `surveys.suppression.suppressed_units` for this level;
    without it only units below k respondents are suppressed.
    """
    r = units["respondents"].to_numpy().astype(float)
    mean = units["mean"].fill_null(np.nan).to_numpy()
    v = units["v_reliability"].fill_null(np.nan).to_numpy()
    ok = (r >= 1) & np.isfinite(mean) & np.isfinite(v)
    raw_se = units["se"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    tau2, rel, shrunk, shrunk_se = shrinkage(mean, v, raw_se, ok)
    m = int(ok.sum())
    shrink_note = None if m >= MIN_UNITS else "too_few_units"
    sigma_w2 = units["sigma_w2"][0] if "sigma_w2" in units.columns and units.height else None
    rstar = options.target_reliability
    n_target = None
    if sigma_w2 is not None and np.isfinite(tau2) and tau2 > 0:
        n_target = int(np.ceil(rstar / (1 - rstar) * sigma_w2 / tau2))
    # A9 for proportions: beta-binomial prior fitted by moments across units
    x = units["n_satisfied"].to_numpy().astype(float)
    okp = r >= 1
    p_shrunk = np.where(okp, x / np.maximum(r, 1), np.nan)  # not shrunk below MIN_UNITS units
    if okp.sum() >= MIN_UNITS:
        mu = x[okp].sum() / r[okp].sum()
        phat = x[okp] / r[okp]
        between = float(np.var(phat, ddof=1) - np.mean(mu * (1 - mu) / r[okp]))
        ab = 1e6 if between <= 0 or mu in (0.0, 1.0) else min(1e6, max(mu * (1 - mu) / between - 1, 1e-6))
        p_shrunk = np.where(okp, (x + mu * ab) / (r + ab), np.nan)
    # A10: funnel limits around the overall proportion, overdispersion from winsorised z
    p = units["p_satisfied"].fill_null(np.nan).to_numpy()
    lim = {}
    p0 = x[okp].sum() / r[okp].sum() if okp.any() else np.nan
    phi = 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        if okp.sum() >= 3 and 0 < p0 < 1:
            z = (p[okp] - p0) / np.sqrt(p0 * (1 - p0) / r[okp])
            lo_q, hi_q = np.quantile(z, [options.winsor, 1 - options.winsor])
            phi = max(1.0, float(np.mean(np.clip(z, lo_q, hi_q) ** 2)))
        for name, zq in (("95", 1.959964), ("998", 3.090232)):
            half = zq * np.sqrt(phi * p0 * (1 - p0) / r)
            lim[f"funnel_low_{name}"] = np.where(okp, np.clip(p0 - half, 0, 1), np.nan)
            lim[f"funnel_high_{name}"] = np.where(okp, np.clip(p0 + half, 0, 1), np.nan)
    # A10: a signal is outside the 99.8 % limits; outside the 95 % but inside the 99.8 % ones is an alert
    signal = np.where(
        ~okp, None,
        np.where(p > lim["funnel_high_998"], "above_99.8", np.where(p < lim["funnel_low_998"], "below_99.8", None)),
    )
    alert = np.where(
        ~okp | (signal != None), None,  # noqa: E711 (numpy object array)
        np.where(p > lim["funnel_high_95"], "above_95", np.where(p < lim["funnel_low_95"], "below_95", None)),
    )
    out = units.with_columns(
        pl.Series("reliability", rel).fill_nan(None),
        pl.Series("shrunk", shrunk).fill_nan(None),
        pl.Series("shrunk_se", shrunk_se).fill_nan(None),
        pl.lit(shrink_note, dtype=pl.String).alias("shrink_note"),
        pl.Series("p_shrunk", p_shrunk).fill_nan(None),
        pl.lit(n_target, dtype=pl.Int64).alias("n_for_target_reliability"),
        pl.lit(tau2 if np.isfinite(tau2) else None, dtype=pl.Float64).alias("tau2"),
        pl.lit(p0 if np.isfinite(p0) else None, dtype=pl.Float64).alias("funnel_p0"),
        pl.lit(phi, dtype=pl.Float64).alias("funnel_phi"),
        *[pl.Series(k, val).fill_nan(None) for k, val in lim.items()],
        pl.Series("funnel_signal", signal.tolist(), dtype=pl.String),
        pl.Series("funnel_alert", alert.tolist(), dtype=pl.String),
        (pl.col("rr3") < options.low_response).alias("low_response"),
    )
    # A11: small units and their complementary partners (surveys.suppression), decided once
    if suppressed is None:
        suppressed = out.filter(pl.col("respondents") < options.k_min).select("unit_id", reason=pl.lit(SMALL))
    why = dict(suppressed.select("unit_id", "reason").iter_rows())
    reasons = [why.get(u) for u in out["unit_id"].to_list()]
    out = out.with_columns(
        pl.Series("suppressed", [r is not None for r in reasons], dtype=pl.Boolean),
        pl.Series("suppressed_reason", [reason_text(r, options.k_min) for r in reasons], dtype=pl.String),
        pl.Series("suppressed_kind", reasons, dtype=pl.String),  # the code (small | complementary); not published
    )
    hidden = [
        "mean", "se", "ci_low", "ci_high", "p_satisfied", "p_low", "p_high", "mean_adjusted",
        "mean_worst", "mean_best", "p_worst", "p_best", "reliability", "shrunk", "shrunk_se", "p_shrunk",
        "funnel_signal", "funnel_alert",
    ]
    return out.with_columns(
        [pl.when(pl.col("suppressed")).then(None).otherwise(pl.col(c)).alias(c) for c in hidden]
    )


OUTPUT_COLUMNS = [
    "unit_id", "name", "level", "population", "invited", "eligible", "respondents",
    "mean", "se", "ci_low", "ci_high", "se_reason",
    "p_satisfied", "p_low", "p_high",
    "mean_adjusted", "mean_worst", "mean_best", "p_worst", "p_best", "low_response",
    "rr1", "rr3", "eligibility_rate",
    "reliability", "shrunk", "shrunk_se", "shrink_note", "p_shrunk", "n_for_target_reliability",
    "funnel_p0", "funnel_phi", "funnel_low_95", "funnel_high_95", "funnel_low_998", "funnel_high_998",
    "funnel_signal", "funnel_alert", "flagged_responses", "suppressed", "suppressed_reason",
]


def _questionnaire_of(db: Database, period_id: str) -> Questionnaire:
    version = db.scalar("SELECT questionnaire_version FROM survey_designs WHERE period_id = ?", [period_id])
    try:
        return questionnaire_for(version)
    except SurveyError:
        return load_questionnaire()


def load_inputs(db: Database, period_id: str) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Respondents (grid, class, y, satisfied), strata (grid, N) and outcome counts of a period.

    The respondent-level view, for checks and benchmarks; `estimate` aggregates in DuckDB instead.
    """
    strata = db.query(STRATA_SQL, {"period": period_id})
    if strata.is_empty():
        raise SurveyError(f"period {period_id} has no survey sample (run `gridscore sample --period {period_id}`)")
    q = _questionnaire_of(db, period_id)
    respondents = db.query(
        RESPONDENTS_SQL,
        {"period": period_id, "item": q.overall_item, "satisfied": sorted(q.satisfied_codes)},
    )
    return respondents, strata, disposition_counts(db, period_id, by_class=True)


def load_aggregates(
    db: Database, period_id: str
) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Strata, outcome counts, per-grid and per-class aggregates and flag counts, from DuckDB."""
    strata = db.query(STRATA_SQL, {"period": period_id})
    if strata.is_empty():
        raise SurveyError(f"period {period_id} has no survey sample (run `gridscore sample --period {period_id}`)")
    q = _questionnaire_of(db, period_id)
    agg = db.query(
        AGGREGATES_SQL,
        {"period": period_id, "item": q.overall_item, "satisfied": sorted(q.satisfied_codes)},
    )
    whole = agg.filter(pl.col("whole_grid") == 1)
    per_grid = whole.select(
        "grid_id", pl.col("n").cast(pl.Int64).alias("respondents"), "mean", "s2",
        pl.col("sum_y").cast(pl.Float64), pl.col("n_satisfied").cast(pl.Int64),
    ).filter(pl.col("respondents") > 0)
    per_class = agg.filter((pl.col("whole_grid") == 0) & (pl.col("n") > 0)).select(
        "grid_id", "weight_class", pl.col("n").cast(pl.Int64).alias("r_c"), pl.col("mean").alias("mean_c")
    )
    flags = whole.select(pl.col("grid_id").alias("unit_id"), pl.col("flagged_responses").cast(pl.Int64))
    return strata, disposition_counts(db, period_id, by_class=True), per_grid, per_class, flags


def estimate_frame(
    db: Database,
    period_id: str,
    *,
    level: Level = "grid",
    k_min: int = K_MIN,
    exact: bool = False,
    options: EstimateOptions | None = None,
) -> pl.DataFrame:
    """Satisfaction per unit of a level for a period, with its uncertainty (A4–A11), all columns.

    One row per unit: unit_id, name, respondents, mean (0–100) with se, ci_low,
    ci_high (95 % t, FPC), p_satisfied with Wilson+FPC p_low/p_high, the
    non-response-adjusted mean and best/worst bounds, rr1/rr3, reliability, the
    shrunk value beside the raw one, funnel limits, flagged responses, and
    `suppressed` (values blanked below `k_min` respondents). With `exact`, the grid
    level's p_low/p_high are the exact hypergeometric interval instead of Wilson.

    Raises:
        SurveyError: the period has no sample, or the level is unknown.
    """
    if level not in LEVELS:
        raise SurveyError(f"level must be one of {', '.join(LEVELS)} (got {level!r})")
    # `k_min` wins unless it is left at its default and options say otherwise
    opts = options or EstimateOptions()
    if options is None or k_min != EstimateOptions.k_min:
        opts = replace(opts, k_min=k_min)
    if exact:
        opts = replace(opts, proportion_interval="exact")
    strata, counts, per_grid, per_class, flags = load_aggregates(db, period_id)
    grids = estimate_from_aggregates(per_grid, per_class, strata, counts=counts, options=opts)
    grids = grids.join(flags, on="unit_id", how="left").with_columns(
        pl.col("flagged_responses").fill_null(0).cast(pl.Int64)
    )
    tree = db.query(TREE_SQL)
    units = grids if level == "grid" else roll_up(grids, tree, level, options=opts)
    suppressed = suppressed_units(grids, tree, opts.k_min).filter(pl.col("level") == level)
    names = tree.select(pl.col(f"{level}_id").alias("unit_id"), pl.col(f"{level}_name").alias("name")).unique("unit_id")
    return _finish(units, opts, suppressed).join(names, on="unit_id", how="left").sort("unit_id")


def estimate(
    db: Database,
    period_id: str,
    *,
    level: Level = "grid",
    k_min: int = K_MIN,
    exact: bool = False,
    options: EstimateOptions | None = None,
) -> pl.DataFrame:
    """`estimate_frame` with the published columns (`OUTPUT_COLUMNS`): what the CLI, pages and
    reports show. Same arguments and errors."""
    units = estimate_frame(db, period_id, level=level, k_min=k_min, exact=exact, options=options)
    return units.select(OUTPUT_COLUMNS)
