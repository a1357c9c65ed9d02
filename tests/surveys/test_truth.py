"""The simulator's truth (surveys.truth): the model, its table, and who may read it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from surveys.truth import CODES, CUTS, SCENARIOS, expected_score, household_mix

ROOT = Path(__file__).resolve().parents[2]
SCORES = dict(zip(CODES, (0.0, 20.0, 60.0, 80.0, 100.0), strict=True))


def test_truth_expected_score_hand_worked() -> None:
    # mu = 0.2: P(answer) = Φ(cut − 0.2) differences
    p = np.diff(np.concatenate([[0.0], stats.norm.cdf(np.asarray(CUTS) - 0.2), [1.0]]))
    hand = float(p @ np.asarray([0, 20, 60, 80, 100]))
    assert expected_score(np.array([0.2]), SCORES)[0] == pytest.approx(hand, abs=1e-12)
    # Φ(−2.2), Φ(−1.3), Φ(−0.35), Φ(0.7) = 0.0139, 0.0968, 0.3632, 0.7580 → 73.43
    assert hand == pytest.approx(73.43, abs=0.01)


def test_truth_expected_score_matches_simulated_answers() -> None:
    rng = np.random.default_rng(5)
    u = -0.3 + rng.standard_normal(400_000)
    values = np.asarray([SCORES[c] for c in CODES])[np.searchsorted(np.asarray(CUTS), u)]
    assert expected_score(np.array([-0.3]), SCORES)[0] == pytest.approx(values.mean(), abs=0.15)


@given(st.floats(-4, 4), st.floats(0.01, 3))
def test_truth_expected_score_increases_with_mu(mu: float, step: float) -> None:
    lo, hi = expected_score(np.array([mu, mu + step]), SCORES)
    assert 0 <= lo < hi <= 100


def _register(n: int = 400) -> pl.DataFrame:
    rng = np.random.default_rng(3)
    tags = np.where(rng.random(n) < 0.3, "elderly", np.where(rng.random(n) < 0.1, "low_income,floating", None))
    return pl.DataFrame({
        "household_id": [f"H{i:05d}" for i in range(n)],
        "grid_id": [f"G{i % 8}" for i in range(n)],
        "size": rng.integers(1, 7, n),
        "tags": tags.tolist(),
    })


def test_truth_mix_is_centred_and_vanishes_at_zero() -> None:
    reg = _register()
    mix = household_mix(reg, SCENARIOS["documented"], seed=1)
    assert abs(mix["mix"].mean()) < 1e-12 and mix["mix"].std() > 0.05
    assert (household_mix(reg, SCENARIOS["none"], seed=1)["mix"].abs().max()) == 0
    # the unregistered characteristic moves answers only in its scenario
    un = household_mix(reg, SCENARIOS["unregistered"], seed=1)
    assert un["unregistered"].to_list() == mix["unregistered"].to_list()
    assert (un["mix"] - mix["mix"]).abs().max() > 0.1
    elderly = mix.filter(pl.col("elderly") & ~pl.col("low_income") & ~pl.col("floating")
                         & ~pl.col("unregistered") & (pl.col("size") == 3))["mix"]
    other = mix.filter(~pl.col("elderly") & ~pl.col("low_income") & ~pl.col("floating")
                       & ~pl.col("unregistered") & (pl.col("size") == 3))["mix"]
    assert elderly[0] - other[0] == pytest.approx(SCENARIOS["documented"].elderly)


def test_truth_grid_truth_covers_every_sampled_grid(city_path) -> None:
    from surveys.synthetic import population
    from warehouse.db import open_db

    with open_db(city_path, read_only=True) as db:
        _, truth = population(db, "2025")
        strata = db.query("SELECT grid_id, population FROM survey_strata")
        quality = db.query("""SELECT w.grid_id, t.quality FROM workers w JOIN synthetic_truth t USING (worker_id)
                              WHERE w.role = 'grid_worker'""")
    assert sorted(truth["grid_id"]) == sorted(strata["grid_id"])
    joined = truth.join(strata, on="grid_id")
    assert (joined["population"] == joined["population_right"]).all()
    assert truth["true_mean"].is_between(0, 100).all()
    # the worker's effect is a monotone function of the worker's quality, zero at q = 0
    q = truth.join(quality, on="grid_id", suffix="_w")
    assert stats.spearmanr(q["worker_effect"], q["quality_w"]).statistic == pytest.approx(1.0)
    assert stats.pearsonr(truth["true_mean"], truth["worker_effect"]).statistic > 0.9
    assert (truth["expected_mean"] - truth["adjusted_mean"] - truth["mix_effect"]).abs().max() < 1e-9
    # the city's standard mix: the residents' effects average out over households
    w = truth["population"] / truth["population"].sum()
    assert abs(float((truth["mix_effect"] * w).sum())) < 0.5


def test_truth_population_is_fixed_and_the_survey_is_unbiased(city_path) -> None:
    from surveys.estimate import estimate
    from surveys.synthetic import population
    from warehouse.db import open_db

    with open_db(city_path, read_only=True) as db:
        people, grids = population(db, "2025")
        again, grids2 = population(db, "2025")
        est = estimate(db, "2025", k_min=0)
        _, none = population(db, "2025", scenario="none")
    assert people["u"].to_list() == again["u"].to_list()
    assert grids["true_mean"].to_list() == grids2["true_mean"].to_list()
    assert none["mix_effect"].abs().max() < 1e-9
    err = est.join(grids, left_on="unit_id", right_on="grid_id").drop_nulls("se").select(
        (pl.col("mean") - pl.col("true_mean")).alias("e"), "se")
    # mean error over grids within 3 of its standard errors (answers missing at random)
    se_of_mean = float(np.sqrt((err["se"] ** 2).sum())) / err.height
    assert abs(err["e"].mean()) < 3 * se_of_mean + 0.1


def test_truth_grids_differ_in_resident_mix(city_path) -> None:
    from warehouse.db import open_db

    with open_db(city_path, read_only=True) as db:
        share = db.query("""SELECT grid_id, avg(CAST(coalesce(tags, '') LIKE '%elderly%' AS INT)) AS e, count(*) AS n
                            FROM households GROUP BY grid_id""")
    binomial_sd = float(np.sqrt(0.25 * 0.75 / share["n"].mean()))
    assert share["e"].std() > 3 * binomial_sd


def test_truth_model_is_used_only_by_the_simulator() -> None:
    # scoring never sees the truth: only the simulator (and tests, benchmarks) import it
    for package in ("surveys", "metrics", "dashboard"):
        users = [f.name for f in (ROOT / package).rglob("*.py")
                 if any(s in f.read_text(encoding="utf-8") for s in ("from surveys.truth", "import surveys.truth"))]
        assert users == (["synthetic.py"] if package == "surveys" else [])


def test_truth_table_holds_the_simulated_truth(city_path) -> None:
    from surveys.synthetic import population
    from warehouse.db import open_db

    with open_db(city_path, read_only=True) as db:
        stored = db.query("SELECT * FROM synthetic_grid_truth WHERE period_id = '2025' ORDER BY grid_id")
        _, grids = population(db, "2025")
    assert (stored["scenario"] == "documented").all()
    assert stored["grid_id"].to_list() == grids["grid_id"].to_list()
    for col in ("true_mean", "adjusted_mean", "worker_effect", "mix_effect"):
        assert stored[col].to_list() == pytest.approx(grids[col].to_list(), abs=1e-12)


def test_truth_table_is_read_by_no_scoring_code() -> None:
    for package in ("surveys", "metrics", "dashboard"):
        readers = [f.name for f in (ROOT / package).rglob("*.py")
                   if "synthetic_grid_truth" in f.read_text(encoding="utf-8")]
        assert readers == (["synthetic.py"] if package == "surveys" else [])
