"""Fay–Herriot small-area estimates (surveys.smallarea): example, properties, oracle."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from surveys.errors import SurveyError
from surveys.smallarea import benchmark, fay_herriot, register_covariates, small_area_estimates


def test_smallarea_hand_worked_example() -> None:
    # four grids, equal ψ = 25, intercept only: REML σ²_v = s² − ψ = 166.67 − 25 = 141.67,
    # γ = 141.67/166.67 = 0.85, estimate = 75 + 0.85·(ȳ − 75)
    fit = fay_herriot(np.array([60.0, 70.0, 80.0, 90.0]), np.full(4, 25.0), np.ones((4, 1)))
    assert fit.sigma2_v == pytest.approx(425 / 3)
    assert fit.gamma == pytest.approx(np.full(4, 0.85))
    assert fit.estimate == pytest.approx([62.25, 70.75, 79.25, 87.75])
    # MSE = g1 + g2 + 2·g3 = 0.85·25 + 0.15²·166.67/4 + 2·0.15²·(2·166.67²/4)/166.67
    g1, g2, g3 = 0.85 * 25, 0.15**2 * (500 / 3) / 4, 0.15**2 * (2 * (500 / 3) ** 2 / 4) / (500 / 3)
    assert fit.mse == pytest.approx(np.full(4, g1 + g2 + 2 * g3))


def _sample(seed: int, m: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    x = np.column_stack([np.ones(m), rng.random(m), rng.random(m), 2 + rng.random(m)])
    psi = rng.uniform(8, 60, m)
    y = x @ np.array([60, 10, -8, 2]) + rng.normal(0, 6, m) + rng.normal(0, np.sqrt(psi))
    return y, psi, x


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_smallarea_matches_samplics_eblup_area_model(seed: int) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # samplics announces it is archived
        from samplics.sae import EblupAreaModel

        y, psi, x = _sample(seed)
        m = len(y)
        oracle = EblupAreaModel()  # REML
        oracle.fit(yhat=y, X=x[:, 1:], area=np.arange(m), error_std=np.sqrt(psi), intercept=True,
                   tol=1e-12, maxiter=500)
        oracle.predict(X=x[:, 1:], area=np.arange(m), intercept=True)
    fit = fay_herriot(y, psi, x)
    assert fit.sigma2_v == pytest.approx(float(oracle.re_std) ** 2, abs=1e-6)
    assert fit.beta == pytest.approx(np.asarray(oracle.fixed_effects), abs=1e-6)
    assert fit.estimate == pytest.approx(np.array([oracle.area_est[i] for i in range(m)]), abs=1e-6)
    assert fit.mse == pytest.approx(np.array([oracle.area_mse[i] for i in range(m)]), abs=1e-6)


@given(st.integers(0, 10_000))
def test_smallarea_permuting_areas_permutes_the_estimates(seed: int) -> None:
    y, psi, x = _sample(seed % 50, m=30)
    perm = np.random.default_rng(seed).permutation(len(y))
    a, b = fay_herriot(y, psi, x), fay_herriot(y[perm], psi[perm], x[perm])
    assert b.estimate == pytest.approx(a.estimate[perm], abs=1e-8)
    assert b.mse == pytest.approx(a.mse[perm], abs=1e-8)
    # an EBLUP lies between the direct value and the synthetic one
    lo, hi = np.minimum(y, a.synthetic), np.maximum(y, a.synthetic)
    assert np.all((a.estimate >= lo - 1e-9) & (a.estimate <= hi + 1e-9))
    assert np.all(a.mse <= psi + a.g2 + 2 * a.g3 + 1e-9) and np.all(a.mse > 0)


@given(st.lists(st.floats(0, 100), min_size=4, max_size=12), st.integers(0, 1000))
def test_smallarea_benchmark_matches_each_group(direct: list[float], seed: int) -> None:
    rng = np.random.default_rng(seed)
    d = np.array(direct)
    est = d + rng.normal(0, 5, len(d))
    w = rng.uniform(100, 500, len(d))
    group = np.array(["a", "b"])[rng.integers(0, 2, len(d))]
    out = benchmark(est, d, w, group)
    for g in np.unique(group):
        k = group == g
        assert np.average(out[k], weights=w[k]) == pytest.approx(np.average(d[k], weights=w[k]), abs=1e-9)
        assert np.ptp(out[k] - est[k]) == pytest.approx(0.0, abs=1e-9)  # one shift per group


def test_smallarea_needs_enough_areas() -> None:
    with pytest.raises(SurveyError, match="at least 6 areas"):
        fay_herriot(np.ones(5), np.ones(5), np.ones((5, 4)))


def test_smallarea_on_the_city_street_totals_match_direct(city_path) -> None:
    from surveys.estimate import TREE_SQL, estimate, load_inputs
    from warehouse.db import open_db

    with open_db(city_path, read_only=True) as db:
        from surveys.estimate import estimate_grids

        resp, strata, counts = load_inputs(db, "2025")
        grids = estimate_grids(resp, strata, counts=counts)
        cov = register_covariates(db)
        tree = db.query(TREE_SQL)
        streets = estimate(db, "2025", level="street", k_min=0)
    out = small_area_estimates(grids, cov, tree.select("grid_id", "street_id"))
    assert out.height == grids.drop_nulls("mean").height
    assert out["fh_se"].is_between(0, 20).all() and out["fh_gamma"].is_between(0, 1).all()
    joined = out.join(grids.select("unit_id", "population"), on="unit_id").join(
        tree.select(pl.col("grid_id").alias("unit_id"), "street_id"), on="unit_id")
    fh_street = joined.group_by("street_id").agg(
        ((pl.col("fh") * pl.col("population")).sum() / pl.col("population").sum()).alias("fh"))
    both = fh_street.join(streets.select(pl.col("unit_id").alias("street_id"), "mean"), on="street_id")
    assert (both["fh"] - both["mean"]).abs().max() < 1e-9
