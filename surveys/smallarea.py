"""Fay–Herriot small-area estimates of grid satisfaction with register covariates.

The area-level model (Fay & Herriot 1979; Rao & Molina, *Small Area Estimation*, 2015,
ch. 6): the direct grid mean ȳ_i = θ_i + e_i with sampling variance ψ_i (known), and
θ_i = x_iᵀβ + v_i, v_i ~ N(0, σ²_v). The covariates x_i come only from the household
register (shares of elderly, low-income and floating households, mean household size),
never from anything the worker controls. σ²_v is estimated by REML (Fisher scoring),
the EBLUP is θ̂_i = γ_i·ȳ_i + (1 − γ_i)·x_iᵀβ̂ with γ_i = σ²_v / (σ²_v + ψ_i), and its
MSE is the Prasad–Rao estimator in the REML form of Datta & Lahiri (2000):
g1 + g2 + 2·g3. Finally the estimates are benchmarked (difference benchmarking) so that
each street's household-weighted mean equals its design-based estimate.

Everything is O(m·p²): V is diagonal, so no m × m matrix is ever formed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from surveys.errors import SurveyError
from warehouse.db import Database

COVARIATES = ("share_elderly", "share_low_income", "share_floating", "mean_size")

COVARIATES_SQL = """
WITH register AS (           -- active households: the survey frame
    SELECT grid_id,
           CAST(coalesce(tags, '') LIKE '%elderly%' AS DOUBLE) AS elderly,
           CAST(coalesce(tags, '') LIKE '%low_income%' AS DOUBLE) AS low_income,
           CAST(coalesce(tags, '') LIKE '%floating%' AS DOUBLE) AS floating,
           CAST(size AS DOUBLE) AS size
    FROM households
    WHERE active
)
SELECT grid_id, count(*) AS households, avg(elderly) AS share_elderly, avg(low_income) AS share_low_income,
       avg(floating) AS share_floating, avg(size) AS mean_size
FROM register
GROUP BY grid_id
ORDER BY grid_id
"""


def register_covariates(db: Database) -> pl.DataFrame:
    """Per grid: the register covariates of the model (`COVARIATES`)."""
    return db.query(COVARIATES_SQL)


@dataclass(frozen=True)
class FayHerriot:
    """A fitted Fay–Herriot model and its EBLUPs (arrays in the input order)."""

    estimate: np.ndarray
    mse: np.ndarray
    gamma: np.ndarray
    synthetic: np.ndarray
    beta: np.ndarray
    sigma2_v: float
    g1: np.ndarray
    g2: np.ndarray
    g3: np.ndarray
    iterations: int
    beta_cov: np.ndarray | None = None  # (XᵀV⁻¹X)⁻¹ at the fitted σ²_v: Var(β̂)


def _reml_step(y: np.ndarray, x: np.ndarray, psi: np.ndarray, s2: float) -> tuple[float, float]:
    """REML score and Fisher information for σ²_v (diagonal V = σ²_v + ψ)."""
    w = 1.0 / (s2 + psi)
    a_inv = np.linalg.inv(x.T @ (x * w[:, None]))
    beta = a_inv @ (x.T @ (w * y))
    py = w * (y - x @ beta)  # P·y
    x2 = x.T @ (x * (w**2)[:, None])  # Xᵀ V⁻² X
    x3 = x.T @ (x * (w**3)[:, None])  # Xᵀ V⁻³ X
    tr_p = w.sum() - np.trace(a_inv @ x2)
    tr_pp = (w**2).sum() - 2 * np.trace(a_inv @ x3) + np.trace(a_inv @ x2 @ a_inv @ x2)
    return -0.5 * (tr_p - py @ py), 0.5 * tr_pp


def fay_herriot(
    y: np.ndarray, psi: np.ndarray, x: np.ndarray, *, tol: float = 1e-12, maxiter: int = 200
) -> FayHerriot:
    """Fit the Fay–Herriot model by REML and return EBLUPs with Prasad–Rao MSEs.

    Args:
        y: direct estimates ȳ_i (m).
        psi: their sampling variances ψ_i (m, > 0).
        x: covariates (m × p), including the intercept column.
        tol: convergence tolerance on σ²_v (absolute, in squared points).
        maxiter: most Fisher-scoring steps.

    Returns:
        The fit; σ²_v is floored at 0 (then every γ_i = 0: the synthetic estimate).

    Raises:
        SurveyError: fewer areas than covariates + 2, or a non-positive ψ.

    Examples:
        >>> y = np.array([60.0, 70.0, 80.0, 90.0]); psi = np.full(4, 25.0)
        >>> fit = fay_herriot(y, psi, np.ones((4, 1)))
        >>> round(float(fit.sigma2_v), 4), [round(float(v), 2) for v in fit.estimate]
        (141.6667, [62.25, 70.75, 79.25, 87.75])
    """
    y = np.asarray(y, dtype=float)
    psi = np.asarray(psi, dtype=float)
    x = np.asarray(x, dtype=float)
    m, p = x.shape
    if m < p + 2:
        raise SurveyError(f"Fay–Herriot needs at least {p + 2} areas with estimates (got {m})")
    if not np.all(psi > 0):
        raise SurveyError("Fay–Herriot needs a positive sampling variance for every area")
    s2 = float(max(np.var(y, ddof=1) - psi.mean(), psi.mean() * 0.1))
    it = 0
    for it in range(1, maxiter + 1):  # noqa: B007 (the count is reported)
        score, info = _reml_step(y, x, psi, s2)
        new = max(s2 + score / info, 0.0)
        done = abs(new - s2) < tol
        s2 = new
        if done or s2 == 0.0:
            break
    w = 1.0 / (s2 + psi)
    a_inv = np.linalg.inv(x.T @ (x * w[:, None]))
    beta = a_inv @ (x.T @ (w * y))
    synthetic = x @ beta
    gamma = s2 / (s2 + psi)
    estimate = gamma * y + (1 - gamma) * synthetic
    g1 = gamma * psi
    g2 = (1 - gamma) ** 2 * np.einsum("ij,jk,ik->i", x, a_inv, x)
    var_s2 = 2.0 / np.sum(w**2)  # asymptotic variance of the REML σ²_v
    g3 = (1 - gamma) ** 2 * var_s2 / (s2 + psi)
    return FayHerriot(estimate=estimate, mse=g1 + g2 + 2 * g3, gamma=gamma, synthetic=synthetic, beta=beta,
                      sigma2_v=s2, g1=g1, g2=g2, g3=g3, iterations=it, beta_cov=a_inv)


def benchmark(estimate: np.ndarray, direct: np.ndarray, weight: np.ndarray, group: np.ndarray) -> np.ndarray:
    """Difference benchmarking: shift each group's estimates so its weighted mean equals the direct one.

    Examples:
        >>> benchmark(np.array([70.0, 80.0, 60.0]), np.array([72.0, 82.0, 60.0]),
        ...           np.array([1.0, 1.0, 1.0]), np.array(["a", "a", "b"])).tolist()
        [72.0, 82.0, 60.0]
    """
    out = np.asarray(estimate, dtype=float).copy()
    for g in np.unique(group):
        k = group == g
        w = weight[k] / weight[k].sum()
        out[k] += float(w @ direct[k] - w @ out[k])
    return out


def small_area_fit(
    grids: pl.DataFrame, covariates: pl.DataFrame, streets: pl.DataFrame
) -> tuple[pl.DataFrame, FayHerriot]:
    """The grids the model uses (unit_id, population, mean, v_reliability, covariates, street_id)
    and the fitted model, in the same order (see `small_area_estimates`)."""
    data = (
        grids.select("unit_id", "population", "mean", "v_reliability")
        .join(covariates.rename({"grid_id": "unit_id"}), on="unit_id", how="inner")
        .join(streets.rename({"grid_id": "unit_id"}), on="unit_id", how="left")
        .drop_nulls(["mean", "v_reliability", *COVARIATES])
        .filter(pl.col("v_reliability") > 0)
        .sort("unit_id")
    )
    x = np.column_stack([np.ones(data.height), *[data[c].to_numpy() for c in COVARIATES]])
    return data, fay_herriot(data["mean"].to_numpy(), data["v_reliability"].to_numpy(), x)


def small_area_estimates(grids: pl.DataFrame, covariates: pl.DataFrame, streets: pl.DataFrame) -> pl.DataFrame:
    """Benchmarked Fay–Herriot estimates for the grids that have a direct estimate.

    Args:
        grids: unit_id, population, mean and v_reliability (the pooled-variance sampling
            variance of A8, a steadier ψ than each grid's own s²/r) from `estimate_grids`.
        covariates: `register_covariates`.
        streets: grid_id, street_id.

    Returns:
        unit_id, fh (benchmarked EBLUP), fh_unbenchmarked, fh_mse (Prasad–Rao), fh_se,
        fh_gamma, fh_sigma2_v; grids without a direct estimate are left out.
    """
    data, fit = small_area_fit(grids, covariates, streets)
    y = data["mean"].to_numpy()
    street = data["street_id"].fill_null("").to_numpy()
    bench = benchmark(fit.estimate, y, data["population"].to_numpy().astype(float), street)
    return data.select("unit_id").with_columns(
        pl.Series("fh", bench), pl.Series("fh_unbenchmarked", fit.estimate), pl.Series("fh_mse", fit.mse),
        pl.Series("fh_se", np.sqrt(fit.mse)), pl.Series("fh_gamma", fit.gamma),
        pl.lit(fit.sigma2_v).alias("fh_sigma2_v"),
    )
