"""The fairness harness (bench/bench_fairness.py) in reduced form: it runs, its figures are sane."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

from bench.bench_fairness import (
    ESTIMATORS,
    FIGURES,
    RANKED,
    load_world,
    run,
    summarise,
    survey_once,
)
from metrics.scheme import load_scheme


def test_fairness_summary_hand_worked() -> None:
    # every grid estimated 1 point too high in each of 4 replications; half the intervals cover
    err = np.ones((4, 3))
    cover = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1], [0, 1, 0]], dtype=float)
    res = {"err": err, "cover": cover, "misgraded": np.array([0.1, 0.3, 0.1, 0.3]),
           "rank_cover": np.full(4, 0.9), "rank_set_joint": np.array([1.0, 1.0, 0.0, 1.0]),
           "rank_set_share": np.full(4, 0.95)}
    figs = summarise(res)
    assert figs["rmse"] == pytest.approx((1.0, 0.0))
    assert figs["bias"] == pytest.approx((1.0, 0.0))
    assert figs["grid_bias"] == pytest.approx((1.0, 0.0))
    # per-replication coverage 2/3, 1/3, 2/3, 1/3 → mean 0.5, SE = sd/√4
    assert figs["coverage"][0] == pytest.approx(0.5)
    assert figs["coverage"][1] == pytest.approx(np.std([2 / 3, 1 / 3, 2 / 3, 1 / 3], ddof=1) / 2)
    assert figs["misgraded"] == pytest.approx((0.2, np.std([0.1, 0.3, 0.1, 0.3], ddof=1) / 2))
    assert figs["rank_set_joint"] == pytest.approx((0.75, 0.25))


def test_fairness_replication_surveys_the_design(city_path) -> None:
    from warehouse.db import open_db

    with open_db(city_path, read_only=True) as db:
        world = load_world(db, "documented", load_scheme())
    respondents, strata, counts = survey_once(world, np.random.default_rng(1))
    per_grid = counts.group_by("grid_id").agg(pl.col("invited").sum()).sort("grid_id")
    assert per_grid["invited"].to_list() == world.invited.tolist()
    assert counts["n_complete"].sum() == respondents.height
    assert 0.55 < respondents.height / counts["invited"].sum() < 0.73  # 64 % complete
    assert strata["population"].sum() == len(world.y)


def test_fairness_harness_runs_with_sane_figures(city_path) -> None:
    from warehouse.db import open_db

    with open_db(city_path, read_only=True) as db:
        out = run(db, size="small", reps=3, draws=50, scenarios=("none", "unregistered"))
    assert out.height == 2 * len(ESTIMATORS)
    assert out.filter(pl.col("scenario") == "none")["estimator"].to_list() == list(ESTIMATORS)
    ranked = pl.col("estimator").is_in(list(RANKED))
    for f in FIGURES:
        rows = out.filter(ranked) if f.startswith("rank") else out
        assert rows[f].is_finite().all() and (rows[f"{f}_se"] >= 0).all(), f
    assert out.filter(~ranked)["rank_coverage"].is_nan().all()  # no Monte Carlo for comparison-only estimators
    assert out["rmse"].is_between(0.5, 15).all()  # 20–60 answers a grid: a few points
    assert out["bias"].abs().max() < 3
    assert out["coverage"].is_between(0.6, 1.0).all()
    assert out["misgraded"].is_between(0.0, 0.6).all()
    assert out.filter(ranked)["rank_coverage"].is_between(0.3, 1.0).all()
    assert out.filter(ranked)["rank_set_share"].is_between(0.5, 1.0).all()
    # the simultaneous sets are at least as wide as the marginal intervals, so they cover more
    assert (out.filter(ranked)["rank_set_share"] >= out.filter(ranked)["rank_coverage"] - 1e-9).all()
