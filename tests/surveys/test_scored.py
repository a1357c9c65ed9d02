"""The value a scheme scores with (surveys.scored): hand case, properties, fallbacks, errors."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from surveys.errors import SurveyError
from surveys.estimate import shrinkage
from surveys.scored import score_values, scored_estimates, standard_mix
from surveys.smallarea import COVARIATES


def test_shrinkage_hand_worked_example() -> None:
    # methodology A9: 10 grids, Var(ȳ) = 120, V = 40 → τ² = 80, R = 2/3,
    # SE(θ̃) = √(R·V + (1 − R)²·Σ(τ² + V)/m²) = √(26.67 + 1.33) = √28 = 5.29 (raw √40 = 6.32)
    m = 78 + np.array([1, -1] * 5) * np.sqrt(108.0)
    tau2, rel, shr, se = shrinkage(m, np.full(10, 40.0), np.full(10, 6.32), np.ones(10, bool))
    assert tau2 == pytest.approx(80.0)
    assert rel == pytest.approx(np.full(10, 2 / 3))
    assert shr == pytest.approx(78 + (2 / 3) * (m - 78))
    assert se == pytest.approx(np.full(10, np.sqrt(28.0)))


def test_shrinkage_not_applied_below_ten_units() -> None:
    # two streets with different means: each keeps its own mean and raw SE, none gets τ² = 0
    tau2, rel, shr, se = shrinkage(np.array([70.0, 80.0]), np.array([4.0, 4.0]), np.array([2.0, 2.1]),
                                   np.ones(2, bool))
    assert np.isnan(tau2) and np.isnan(rel).all()
    assert shr.tolist() == [70.0, 80.0] and se.tolist() == [2.0, 2.1]


def _world(m: int, seed: int = 0) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    ids = [f"g{i:03d}" for i in range(m)]
    cov = pl.DataFrame({"grid_id": ids, "households": rng.integers(100, 400, m),
                        "share_elderly": rng.uniform(0.1, 0.5, m), "share_low_income": rng.uniform(0, 0.1, m),
                        "share_floating": rng.uniform(0, 0.3, m), "mean_size": rng.uniform(2, 3.5, m)})
    mean = 70 + 20 * cov["share_elderly"].to_numpy() + rng.normal(0, 8, m) + rng.normal(0, 4, m)
    v = rng.uniform(10, 30, m)
    tau2, rel, shr, shr_se = shrinkage(mean, v, np.sqrt(v), np.ones(m, bool))
    units = pl.DataFrame({"unit_id": ids, "population": cov["households"], "mean": mean, "se": np.sqrt(v),
                          "v_reliability": v, "shrunk": shr, "shrunk_se": shr_se,
                          "shrink_note": [None if m >= 10 else "too_few_units"] * m},
                         schema_overrides={"shrink_note": pl.String})
    tree = pl.DataFrame({"grid_id": ids, "community_id": [f"c{i % 4}" for i in range(m)],
                         "street_id": [f"s{i % 2}" for i in range(m)], "district_id": ["d"] * m})
    return units, cov, tree


@settings(max_examples=15, deadline=None)
@given(m=st.integers(12, 80), seed=st.integers(0, 10_000),
       estimator=st.sampled_from(["direct", "shrinkage", "fay_herriot"]),
       estimand=st.sampled_from(["population", "mix_adjusted"]))
def test_scored_value_properties(m: int, seed: int, estimator: str, estimand: str) -> None:
    units, cov, tree = _world(m, seed)
    out = score_values(units, units, cov, tree, estimator=estimator, estimand=estimand)
    assert out.height == m and out["estimator_used"].to_list() == [estimator] * m
    # the adjustment is centred on the city's mix: its household-weighted mean is 0
    w = cov["households"].cast(pl.Float64).to_numpy()
    assert float(w @ out["mix_adjustment"].to_numpy()) / w.sum() == pytest.approx(0.0, abs=1e-9)
    assert (out["value_adjusted"] - (out["value_population"] - out["mix_adjustment"])).abs().max() < 1e-9
    assert (out["se_adjusted"] >= out["se_population"] - 1e-12).all() and (out["scored_se"] > 0).all()
    which = "value_adjusted" if estimand == "mix_adjusted" else "value_population"
    assert out["scored"].to_list() == out[which].to_list()
    if estimator == "direct":
        assert out["value_population"].to_list() == pytest.approx(units["mean"].to_list())
    if estimator == "shrinkage":  # its own error is below the raw SE
        assert (out["se_population"] < units["se"]).all()


def test_standard_mix_is_household_weighted() -> None:
    cov = pl.DataFrame({"households": [100, 300], **{c: [0.0, 1.0] for c in COVARIATES}})
    assert standard_mix(cov).tolist() == [0.75] * len(COVARIATES)


def test_scored_falls_back_and_says_why() -> None:
    units, cov, tree = _world(6)
    out = score_values(units, units, cov, tree, estimator="shrinkage", estimand="mix_adjusted")
    assert out["estimator_used"].unique().to_list() == ["direct"]
    assert out["estimator_note"].unique().to_list() == ["too_few_units"]
    assert out["mix_note"].unique().to_list() == ["no_mix_model"]
    assert out["scored"].to_list() == units["mean"].to_list()
    units, cov, tree = _world(30)
    streets = units.select("unit_id").head(2).with_columns(pl.Series("unit_id", ["s0", "s1"]))
    street_units = streets.join(units.head(2).drop("unit_id").with_row_index("i").with_columns(
        pl.Series("unit_id", ["s0", "s1"])).drop("i"), on="unit_id")
    out = score_values(street_units, units, cov, tree, level="street", estimator="fay_herriot")
    assert out["estimator_used"].to_list() == ["direct", "direct"]
    assert out["estimator_note"].to_list() == ["grid_level_only"] * 2
    assert out["mix_adjustment"].is_not_null().all()  # the street's mix, grid-level slopes


def test_scored_unknown_choice_is_refused(city_path) -> None:
    from warehouse.db import open_db

    with open_db(city_path, read_only=True) as db:
        with pytest.raises(SurveyError, match="estimator must be one of direct, shrinkage, fay_herriot"):
            scored_estimates(db, "2025", estimator="bayes")
        out = scored_estimates(db, "2025", estimator="fay_herriot", estimand="mix_adjusted")
    assert out["estimator_used"].drop_nulls().unique().to_list() == ["fay_herriot"]
    assert out.filter(pl.col("suppressed"))["scored"].null_count() == out["suppressed"].sum()


def test_mix_slopes_james_stein_hand_worked_example() -> None:
    # methodology A14: β̂ = (3, 0, 0, 0), Var(β̂) = I → W = 9, κ = 1 − (4 − 2)/9 = 7/9
    from surveys.scored import slopes

    beta, cov = slopes(np.array([3.0, 0, 0, 0]), np.eye(4))
    assert beta.tolist() == pytest.approx([7 / 3, 0, 0, 0])
    assert cov == pytest.approx(np.eye(4) * (7 / 9) ** 2)
    # slopes the data cannot tell from zero do not adjust at all
    assert slopes(np.array([0.5, 0, 0, 0]), np.eye(4))[0].tolist() == [0.0] * 4


def test_mix_adjustment_uses_the_fitted_slopes() -> None:
    # oracle: the adjustment equals (x − x̄)ᵀ·κβ̂ with β̂ from the Fay–Herriot fit itself
    from surveys.scored import slopes
    from surveys.smallarea import small_area_fit

    units, cov, tree = _world(50, seed=3)
    out = score_values(units, units, cov, tree, estimator="direct", estimand="mix_adjusted")
    _data, fit = small_area_fit(units, cov, tree.select("grid_id", "street_id"))
    beta, _ = slopes(fit.beta[1:], fit.beta_cov[1:, 1:])
    d = cov.sort("grid_id").select(list(COVARIATES)).to_numpy() - standard_mix(cov)[None, :]
    assert out["mix_adjustment"].to_numpy() == pytest.approx(d @ beta)
