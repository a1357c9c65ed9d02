"""Estimators: oracle (samplics, scipy), properties (hypothesis), hand-worked examples, the city."""

from __future__ import annotations

import warnings

import numpy as np
import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from surveys.estimate import EstimateOptions, estimate, estimate_grids, roll_up, wilson_fpc
from warehouse.db import Database

SCORES = [0.0, 20.0, 60.0, 80.0, 100.0]


def _generated(seed: int = 3) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Respondents and strata incl. a 2-respondent grid, an all-same grid and a census grid."""
    rng = np.random.default_rng(seed)
    rows, strata = [], []
    for g in range(12):
        grid = f"G{g:02d}"
        big_n = int(rng.integers(20, 500))
        r = {0: 2, 1: 9, 2: 15}.get(g, int(rng.integers(3, 40)))
        if g == 3:
            big_n = r = 12  # census
        y = rng.choice(SCORES, size=r, p=[0.05, 0.1, 0.25, 0.35, 0.25])
        if g == 1:
            y[:] = 80.0  # everyone answered the same
        strata.append((grid, big_n))
        rows += [(grid, "other", float(v), v >= 80) for v in y]
    resp = pl.DataFrame(rows, schema=["grid_id", "weight_class", "y", "satisfied"], orient="row")
    return resp, pl.DataFrame(strata, schema=["grid_id", "population"], orient="row")


def test_estimate_grids_matches_samplics_mean_se_and_ci() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from samplics.estimation import TaylorEstimator
        from samplics.utils.types import PopParam
    resp, strata = _generated()
    ours = estimate_grids(resp, strata).sort("unit_id")
    # samplics takes sqrt of a rounding-negative variance when it is exactly zero;
    # those grids (census, everyone the same) are checked exactly below instead
    zero = set(ours.filter(pl.col("se") == 0)["unit_id"])
    assert {"G01", "G03"} <= zero
    resp_all, resp = resp, resp.filter(~pl.col("grid_id").is_in(list(zero)))
    strata_all, strata = strata, strata.filter(~pl.col("grid_id").is_in(list(zero)))
    ours_all, ours = ours, ours.filter(~pl.col("unit_id").is_in(list(zero)))
    sizes = dict(strata.iter_rows())
    r = resp.group_by("grid_id").len().sort("grid_id")
    n_of = dict(r.iter_rows())
    # one stratified call with grid domains (SE), one SRS call per grid (its t(r−1) interval)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        strat = TaylorEstimator(PopParam.mean)
        grids = resp["grid_id"].to_numpy()
        weights = np.array([sizes[g] / n_of[g] for g in grids])
        fpc = {g: 1 - n_of[g] / sizes[g] for g in sizes}
        strat.estimate(y=resp["y"].to_numpy(), samp_weight=weights, stratum=grids, domain=grids, fpc=fpc)
        for row in ours.iter_rows(named=True):
            g = row["unit_id"]
            y = resp.filter(pl.col("grid_id") == g)["y"].to_numpy()
            one = TaylorEstimator(PopParam.mean)
            one.estimate(y=y, samp_weight=np.full(len(y), sizes[g] / len(y)), fpc=1 - len(y) / sizes[g])
            assert row["mean"] == pytest.approx(strat.point_est[g], abs=1e-9)
            assert row["se"] == pytest.approx(strat.stderror[g], abs=1e-9)
            assert row["mean"] == pytest.approx(one.point_est, abs=1e-9)
            assert row["se"] == pytest.approx(one.stderror, abs=1e-9)
            assert row["ci_low"] == pytest.approx(one.lower_ci, abs=1e-9)
            assert row["ci_high"] == pytest.approx(one.upper_ci, abs=1e-9)
    assert ours.filter(pl.col("unit_id") == "G00")["respondents"][0] == 2
    del resp_all, strata_all
    ours = ours_all
    census = ours.filter(pl.col("unit_id") == "G03").row(0, named=True)
    assert census["se"] == 0 and census["ci_low"] == census["ci_high"] == census["mean"]
    same = ours.filter(pl.col("unit_id") == "G01").row(0, named=True)
    assert same["mean"] == 80 and same["se"] == 0


def test_estimate_grids_matches_scipy_formula() -> None:
    resp, strata = _generated(9)
    ours = estimate_grids(resp, strata).sort("unit_id")
    for row in ours.iter_rows(named=True):
        y = resp.filter(pl.col("grid_id") == row["unit_id"])["y"].to_numpy()
        n, big_n = len(y), row["population"]
        se = np.sqrt((1 - n / big_n) * np.var(y, ddof=1) / n)
        t = stats.t.ppf(0.975, n - 1)
        assert row["se"] == pytest.approx(se, abs=1e-9)
        assert row["ci_low"] == pytest.approx(y.mean() - t * se, abs=1e-9)


def test_estimate_grids_one_respondent_has_no_se_with_reason() -> None:
    resp = pl.DataFrame({"grid_id": ["A"], "weight_class": ["other"], "y": [80.0], "satisfied": [True]})
    out = estimate_grids(resp, pl.DataFrame({"grid_id": ["A", "B"], "population": [100, 50]})).sort("unit_id")
    assert out["se"].to_list() == [None, None]
    assert out["se_reason"].to_list() == ["fewer than 2 respondents", "no respondents"]


def test_wilson_fpc_worked_example_and_extremes() -> None:
    p, lo, hi = wilson_fpc(np.array([40, 0, 40]), np.array([40, 40, 40]), np.array([400, 400, 40]))
    assert round(lo[0], 2) == 0.92 and hi[0] == 1.0
    assert lo[1] == 0.0 and 0 < hi[1] < 0.1
    assert lo[2] == hi[2] == 1.0  # census: zero width at p̂


@given(st.lists(st.sampled_from(SCORES), min_size=2, max_size=40), st.integers(0, 400), st.randoms())
def test_estimate_grids_permutation_invariant(ys: list[float], extra: int, rnd) -> None:
    big_n = len(ys) + extra
    strata = pl.DataFrame({"grid_id": ["A"], "population": [big_n]})
    frame = pl.DataFrame({"grid_id": "A", "weight_class": "other", "y": ys, "satisfied": [y >= 80 for y in ys]})
    shuffled = frame.sample(fraction=1.0, shuffle=True, seed=rnd.randint(0, 10**6))
    a, b = estimate_grids(frame, strata), estimate_grids(shuffled, strata)
    for col in ("mean", "se", "ci_low", "ci_high", "p_low", "p_high"):
        assert a[col][0] == pytest.approx(b[col][0], abs=1e-9)
    assert a["ci_low"][0] <= a["mean"][0] <= a["ci_high"][0]
    assert a["p_low"][0] <= a["p_satisfied"][0] <= a["p_high"][0]


@given(st.lists(st.sampled_from(SCORES), min_size=1, max_size=40))
def test_estimate_grids_census_has_zero_variance(ys: list[float]) -> None:
    strata = pl.DataFrame({"grid_id": ["A"], "population": [len(ys)]})
    frame = pl.DataFrame({"grid_id": "A", "weight_class": "other", "y": ys, "satisfied": [y >= 80 for y in ys]})
    out = estimate_grids(frame, strata).row(0, named=True)
    assert out["se"] == 0 and out["ci_low"] == out["ci_high"] == pytest.approx(np.mean(ys))
    assert out["p_low"] == out["p_high"] == out["p_satisfied"]


@given(st.integers(1, 200), st.integers(0, 2000), st.data())
def test_wilson_fpc_inside_unit_interval_and_nondegenerate(r: int, extra: int, data) -> None:
    x = data.draw(st.integers(0, r))
    big_n = r + extra
    p, lo, hi = wilson_fpc(np.array([x]), np.array([r]), np.array([big_n]))
    assert 0 <= lo[0] <= p[0] <= hi[0] <= 1
    if r < big_n:
        assert hi[0] - lo[0] > 0  # also at 0 % and 100 %


def test_roll_up_is_the_stratified_estimator() -> None:
    resp = pl.DataFrame({"grid_id": ["A"] * 3 + ["B"] * 4, "weight_class": "other",
                         "y": [100.0, 80, 60, 20, 60, 80, 80], "satisfied": [True, True, False, False, False, True, True]})
    strata = pl.DataFrame({"grid_id": ["A", "B"], "population": [100, 300]})
    grids = estimate_grids(resp, strata)
    tree = pl.DataFrame({"grid_id": ["A", "B"], "community_id": ["C", "C"]})
    up = roll_up(grids, tree, "community").row(0, named=True)
    va = (1 - 3 / 100) * np.var([100, 80, 60], ddof=1) / 3
    vb = (1 - 4 / 300) * np.var([20, 60, 80, 80], ddof=1) / 4
    assert up["mean"] == pytest.approx(0.25 * 80 + 0.75 * 60)
    assert up["se"] == pytest.approx(np.sqrt(0.25**2 * va + 0.75**2 * vb))
    assert up["ci_high"] - up["mean"] == pytest.approx(stats.t.ppf(0.975, 5) * up["se"])


def test_estimate_grids_nonresponse_adjustment_and_bounds() -> None:
    resp = pl.DataFrame({"grid_id": "A", "weight_class": ["elderly"] * 3 + ["other"] * 6,
                         "y": [40.0, 40, 40, 80, 80, 80, 80, 80, 80], "satisfied": [False] * 3 + [True] * 6})
    counts = pl.DataFrame({"grid_id": ["A", "A"], "weight_class": ["elderly", "other"], "invited": [9, 6],
                           "n_complete": [3, 6], "n_partial": [0, 0], "n_refusal": [6, 0], "n_non_contact": [0, 0],
                           "n_ineligible": [0, 0], "n_unknown": [0, 0]})
    out = estimate_grids(resp, pl.DataFrame({"grid_id": ["A"], "population": [200]}), counts=counts).row(0, named=True)
    # elderly answered 3 of 9: weighted back to 9 of 15 households
    assert out["mean_adjusted"] == pytest.approx((9 * 40 + 6 * 80) / 15)
    assert out["mean_worst"] == pytest.approx((3 * 40 + 6 * 80) / 15)
    assert out["mean_best"] == pytest.approx((3 * 40 + 6 * 80 + 6 * 100) / 15)
    assert out["rr1"] == pytest.approx(9 / 15)


def test_estimate_city_suppresses_small_and_tracks_truth(city_path, tmp_path) -> None:
    from warehouse.db import open_db

    with open_db(city_path, read_only=True) as db:
        grids = estimate(db, "2025", level="grid")
        truth = _truth(db)
        for level in ("community", "street", "district"):
            up = estimate(db, "2025", level=level)
            assert up.height > 0 and up["respondents"].sum() == grids["respondents"].sum()
        strict = estimate(db, "2025", level="grid", k_min=10**6)
    assert grids.height == db_grids(city_path) and grids["respondents"].sum() > 0
    assert strict["suppressed"].all() and strict["mean"].null_count() == strict.height
    joined = grids.join(truth, left_on="unit_id", right_on="grid_id").drop_nulls("mean")
    rho = stats.spearmanr(joined["mean"], joined["quality"]).statistic
    assert rho > 0.5
    ok = grids.drop_nulls("se")
    assert ((ok["ci_low"] <= ok["mean"]) & (ok["mean"] <= ok["ci_high"])).all()
    assert ((ok["reliability"] >= 0) & (ok["reliability"] <= 1)).all()


def _truth(db: Database) -> pl.DataFrame:
    return db.query("""SELECT w.grid_id, t.quality FROM workers w JOIN synthetic_truth t USING (worker_id)
                       WHERE w.role = 'grid_worker'""")


def db_grids(path) -> int:
    from warehouse.db import open_db

    with open_db(path, read_only=True) as db:
        return db.scalar("SELECT count(*) FROM survey_strata")


def test_estimate_options_k_min_default() -> None:
    assert EstimateOptions().k_min == 5


def test_estimate_database_aggregates_equal_respondent_path(city_path) -> None:
    from surveys.estimate import load_inputs
    from warehouse.db import open_db

    with open_db(city_path, read_only=True) as db:
        resp, strata, counts = load_inputs(db, "2025")
        direct = estimate_grids(resp, strata, counts=counts).sort("unit_id")
        via_db = estimate(db, "2025", k_min=0).sort("unit_id")
    assert direct["unit_id"].to_list() == via_db["unit_id"].to_list()
    for col in ("respondents", "mean", "se", "ci_low", "ci_high", "p_satisfied", "p_low", "p_high",
                "mean_adjusted", "mean_worst", "mean_best", "rr1", "rr3"):
        a, b = direct[col].to_numpy().astype(float), via_db[col].to_numpy().astype(float)
        assert np.allclose(a, b, rtol=0, atol=1e-9, equal_nan=True), col


def _brute_hypergeometric(x: int, r: int, big_n: int) -> tuple[float, float]:
    ms = [m for m in range(big_n + 1) if m >= x and big_n - m >= r - x]
    lo = min(m for m in ms if stats.hypergeom(big_n, m, r).sf(x - 1) > 0.025)
    hi = max(m for m in ms if stats.hypergeom(big_n, m, r).cdf(x) > 0.025)
    return lo / big_n, hi / big_n


@pytest.mark.slow
def test_hypergeometric_interval_matches_brute_force() -> None:
    from surveys.estimate import hypergeometric_interval

    cases = [(0, 10, 50), (10, 10, 50), (3, 10, 50), (7, 12, 13), (5, 5, 5), (1, 2, 400), (20, 40, 400)]
    x, r, n = (np.array(c) for c in zip(*cases, strict=True))
    lo, hi = hypergeometric_interval(x, r, n)
    for i, case in enumerate(cases):
        assert (lo[i], hi[i]) == pytest.approx(_brute_hypergeometric(*case), abs=1e-12)


@given(st.integers(1, 60), st.integers(0, 300), st.data())
def test_hypergeometric_interval_contains_estimate(r: int, extra: int, data) -> None:
    from surveys.estimate import hypergeometric_interval

    x = data.draw(st.integers(0, r))
    lo, hi = hypergeometric_interval(np.array([x]), np.array([r]), np.array([r + extra]))
    assert 0 <= lo[0] <= x / r <= hi[0] <= 1
    if extra == 0:
        assert lo[0] == hi[0] == x / r
    elif 0 < x < r:
        assert hi[0] > lo[0]


def test_estimate_does_not_depend_on_the_storage_order_of_answers(city_path, tmp_path) -> None:
    """Same answers stored in another order → byte-identical estimates (B15), fractional scores too."""
    import shutil

    from warehouse.db import open_db

    path = tmp_path / "city.duckdb"
    shutil.copyfile(city_path, path)
    with open_db(path) as db:
        with db.transaction() as cur:
            cur.execute("UPDATE survey_answers SET score = score / 3 + 0.1")  # 6.7666…: not exact in binary
        before = estimate(db, "2025", k_min=0).sort("unit_id")
        with db.transaction() as cur:
            cur.execute("CREATE TEMP TABLE shuffled AS SELECT * FROM survey_answers")
            cur.execute("DELETE FROM survey_answers")
            cur.execute("INSERT INTO survey_answers SELECT * FROM shuffled ORDER BY hash(response_id, item_key)")
        after = estimate(db, "2025", k_min=0).sort("unit_id")
    assert before.height >= 50 and before["se"].is_not_null().sum() >= 50
    assert before.equals(after)

