"""The satisfaction value a scheme scores with: its estimator, its estimand, and their errors.

A scheme names the **estimator** (docs/methodology.md, A13):

- `direct`: the design-based mean (A4) and its SE;
- `shrinkage`: the covariate-free shrinkage toward the level's mean (A9) with its own
  error √(R·V + (1 − R)²·Var(ȳ_all)), not the raw SE;
- `fay_herriot`: the benchmarked Fay–Herriot EBLUP with register covariates
  (`surveys.smallarea`) and its Prasad–Rao √MSE — grids only; at community, street and
  district level the design-based estimate is used (the grids' EBLUPs are benchmarked to
  the streets' design-based figures, so the two agree there).

and the **estimand** (A14):

- `population`: the unit's population mean (what its residents feel);
- `mix_adjusted`: the same adjusted to the city's standard resident mix, HCAHPS-style:
  value − (x_u − x̄)ᵀβ̂, with x_u the unit's register shares (elderly, low-income,
  floating, mean household size), x̄ the city's, β̂ the grid-level Fay–Herriot slopes,
  shrunk toward 0 by positive-part James–Stein (`slopes`: slopes the data cannot tell
  from zero barely adjust). Its SE adds the slopes' error: √(SE² + dᵀ·Var(β̂)·d),
  d = x_u − x̄.

Where the data cannot carry the choice, the value falls back and says why (`estimator_note`,
`mix_note`): a level with fewer than `MIN_UNITS` units with an estimate is not shrunk
(τ² cannot be estimated from a handful of units) and has no mix model.
Everything is computed for all units at once; scoring code reads only this module's output.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from surveys.choices import ESTIMANDS, ESTIMATORS
from surveys.errors import SurveyError
from surveys.estimate import MIN_UNITS, TREE_SQL, Level, estimate_frame
from surveys.smallarea import COVARIATES, benchmark, register_covariates, small_area_fit
from warehouse.db import Database

NOTE_CODES: tuple[str, ...] = ("too_few_units", "grid_level_only", "no_mix_model")
"""Why a value fell back (`estimator_note`, `mix_note`); their words are in dashboard.i18n (fair.note.*)."""


def _check(estimator: str, estimand: str) -> None:
    if estimator not in ESTIMATORS:
        raise SurveyError(f"estimator must be one of {', '.join(ESTIMATORS)} (got {estimator!r})")
    if estimand not in ESTIMANDS:
        raise SurveyError(f"estimand must be one of {', '.join(ESTIMANDS)} (got {estimand!r})")


def unit_covariates(covariates: pl.DataFrame, tree: pl.DataFrame, level: str) -> pl.DataFrame:
    """Register covariates per unit of `level`: household-weighted means of its grids' shares.

    Examples:
        >>> cov = pl.DataFrame({"grid_id": ["g1", "g2"], "households": [100, 300],
        ...                     "share_elderly": [0.2, 0.4], "share_low_income": [0.0, 0.1],
        ...                     "share_floating": [0.1, 0.1], "mean_size": [3.0, 2.0]})
        >>> tree = pl.DataFrame({"grid_id": ["g1", "g2"], "street_id": ["s", "s"]})
        >>> unit_covariates(cov, tree, "street")["share_elderly"].round(3).to_list()
        [0.35]
    """
    if level == "grid":
        return covariates.rename({"grid_id": "unit_id"})
    key = f"{level}_id"
    return (
        covariates.join(tree.select("grid_id", key), on="grid_id", how="inner")
        .group_by(key)
        .agg(pl.col("households").sum(),
             *[((pl.col(c) * pl.col("households")).sum() / pl.col("households").sum()).alias(c) for c in COVARIATES])
        .rename({key: "unit_id"})
        .sort("unit_id")
    )


def standard_mix(covariates: pl.DataFrame) -> np.ndarray:
    """x̄: the household-weighted mean of every covariate over the register (the city's mix)."""
    w = covariates["households"].cast(pl.Float64).to_numpy()
    return np.array([float(w @ covariates[c].to_numpy() / w.sum()) for c in COVARIATES])


def slopes(beta: np.ndarray, cov: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positive-part James–Stein shrinkage of the mix slopes toward 0 (no adjustment).

    κ = max(0, 1 − (p − 2)/W), W = β̂ᵀ·Var(β̂)⁻¹·β̂ (the Wald statistic of "no mix effect"):
    slopes the data cannot tell from zero adjust little, so noise in β̂ does not move
    every grid. Returns κ·β̂ and κ²·Var(β̂).
    """
    p = len(beta)
    wald = float(beta @ np.linalg.solve(cov, beta)) if p else 0.0
    kappa = max(0.0, 1.0 - (p - 2) / wald) if wald > 0 else 0.0
    return kappa * beta, kappa**2 * cov


def _col(frame: pl.DataFrame, name: str) -> np.ndarray:
    return frame[name].cast(pl.Float64).fill_null(np.nan).fill_nan(np.nan).to_numpy()


def score_values(
    units: pl.DataFrame,
    grids: pl.DataFrame,
    covariates: pl.DataFrame,
    tree: pl.DataFrame,
    *,
    level: str = "grid",
    estimator: str = "shrinkage",
    estimand: str = "population",
) -> pl.DataFrame:
    """Per unit of `units`: the estimator's population value, the mix-adjusted value, the scored one.

    Args:
        units: `estimate_frame` at `level` (unit_id, population, mean, se, v_reliability,
            shrunk, shrunk_se, shrink_note, suppressed values blanked).
        grids: `estimate_frame` at grid level (the mix model and Fay–Herriot are fitted there;
            the same frame as `units` when level is grid).
        covariates: `surveys.smallarea.register_covariates`.
        tree: `surveys.estimate.TREE_SQL` (grid → community → street → district).
        level: level of `units`.
        estimator: one of `ESTIMATORS`.
        estimand: one of `ESTIMANDS`.

    Returns:
        unit_id, estimator, estimand (asked for), estimator_used, estimator_note,
        value_population, se_population, mix_adjustment, mix_adjustment_se,
        value_adjusted, se_adjusted, mix_note, scored, scored_se; sorted by unit_id.
    """
    _check(estimator, estimand)
    units = units.sort("unit_id")
    n = units.height
    mean, se = _col(units, "mean"), _col(units, "se")
    used = np.full(n, estimator, dtype=object)
    note = np.full(n, None, dtype=object)
    value, value_se = mean.copy(), se.copy()
    if estimator == "shrinkage":
        few = units["shrink_note"].to_list()
        shr, shr_se = _col(units, "shrunk"), _col(units, "shrunk_se")
        value, value_se = shr, shr_se
        bad = np.array([x == "too_few_units" for x in few], dtype=bool)
        used[bad], note[bad] = "direct", "too_few_units"
    # the grid-level model: Fay–Herriot (also the mix model's slopes)
    fit_data, fit = None, None
    try:
        fit_data, fit = small_area_fit(grids, covariates, tree.select("grid_id", "street_id"))
        if fit_data.height < max(MIN_UNITS, len(COVARIATES) + 2):
            fit = None
    except SurveyError:
        fit = None
    if estimator == "fay_herriot":
        if level != "grid":
            used[:], note[:] = "direct", "grid_level_only"
        elif fit is None or fit_data is None:
            used[:], note[:] = "direct", "too_few_units"
        else:
            street = fit_data["street_id"].fill_null("").to_numpy()
            fh = benchmark(fit.estimate, fit_data["mean"].to_numpy(),
                           fit_data["population"].cast(pl.Float64).to_numpy(), street)
            got = pl.DataFrame({"unit_id": fit_data["unit_id"], "fh": fh, "fh_se": np.sqrt(fit.mse)})
            joined = units.select("unit_id").join(got, on="unit_id", how="left")
            fh_v, fh_s = _col(joined, "fh"), _col(joined, "fh_se")
            has = np.isfinite(fh_v)
            value = np.where(has, fh_v, mean)
            value_se = np.where(has, fh_s, se)
            used[~has & np.isfinite(mean)] = "direct"
            note[~has & np.isfinite(mean)] = "too_few_units"
    # the mix adjustment (every estimator): (x_u − x̄)ᵀβ̂
    adj = np.full(n, np.nan)
    adj_se = np.full(n, np.nan)
    mix_note = np.full(n, "no_mix_model" if fit is None else None, dtype=object)
    if fit is not None and fit.beta_cov is not None:
        ucov = units.select("unit_id").join(unit_covariates(covariates, tree, level), on="unit_id", how="left")
        d = np.column_stack([_col(ucov, c) for c in COVARIATES]) - standard_mix(covariates)[None, :]
        beta, cov = slopes(fit.beta[1:], fit.beta_cov[1:, 1:])
        adj = d @ beta
        adj_se = np.sqrt(np.einsum("ij,jk,ik->i", d, cov, d))
        mix_note = np.where(np.isfinite(adj), None, "no_mix_model").astype(object)
    adjusted = value - adj
    adjusted_se = np.sqrt(value_se**2 + adj_se**2)
    blank = ~np.isfinite(value)
    used[blank], note[blank] = None, None
    if estimand == "mix_adjusted":
        ok = np.isfinite(adj)
        scored, scored_se = np.where(ok, adjusted, value), np.where(ok, adjusted_se, value_se)
    else:
        scored, scored_se = value, value_se

    def series(name: str, x: np.ndarray) -> pl.Series:
        return pl.Series(name, x, dtype=pl.Float64).fill_nan(None)

    return units.select("unit_id").with_columns(
        pl.lit(estimator).alias("estimator"), pl.lit(estimand).alias("estimand"),
        pl.Series("estimator_used", used.tolist(), dtype=pl.String),
        pl.Series("estimator_note", note.tolist(), dtype=pl.String),
        series("value_population", value), series("se_population", value_se),
        series("mix_adjustment", adj), series("mix_adjustment_se", adj_se),
        series("value_adjusted", adjusted), series("se_adjusted", adjusted_se),
        pl.Series("mix_note", mix_note.tolist(), dtype=pl.String),
        series("scored", scored), series("scored_se", scored_se),
    )


def scored_estimates(
    db: Database, period_id: str, *, level: Level = "grid", estimator: str = "shrinkage",
    estimand: str = "population", grids: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """`surveys.estimate.estimate_frame` at `level` joined with `score_values` (what scoring reads).

    `grids` is the period's grid-level `estimate_frame` when the caller has it already.

    Raises:
        SurveyError: no sample for the period, an unknown level, estimator or estimand.
    """
    _check(estimator, estimand)
    if grids is None:
        grids = estimate_frame(db, period_id, level="grid")
    units = grids if level == "grid" else estimate_frame(db, period_id, level=level)
    values = score_values(units, grids, register_covariates(db), db.query(TREE_SQL), level=level,
                          estimator=estimator, estimand=estimand)
    return units.join(values, on="unit_id", how="left")
