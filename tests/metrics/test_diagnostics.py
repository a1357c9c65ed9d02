"""Diagnostics (B12–B14) and the Monte Carlo (B11)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from metrics.diagnostics import (
    dominance_violations,
    icc2k,
    krippendorff_alpha_interval,
    pillar_influence,
    rater_reliability,
)
from metrics.results import worker_scores
from metrics.runs import latest_run
from metrics.scheme import load_scheme
from metrics.score import score_subjects
from metrics.uncertainty import monte_carlo
from tests.conftest import CITY_YEAR
from tests.metrics.factories import example_inputs, example_scheme, random_inputs
from warehouse.db import open_db

SCHEME = load_scheme()


def test_icc2k_matches_shrout_fleiss_table() -> None:
    m = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)
    assert icc2k(m) == pytest.approx(0.62, abs=0.005)


def test_krippendorff_alpha_perfect_agreement_is_one() -> None:
    units = pl.DataFrame({"unit": [1, 1, 2, 2, 3, 3], "value": [1.0, 1.0, 5.0, 5.0, 3.0, 3.0]})
    assert krippendorff_alpha_interval(units) == pytest.approx(1.0)


def test_krippendorff_alpha_matches_pairwise_definition() -> None:
    rng = np.random.default_rng(0)
    truth = rng.normal(size=30)
    units = pl.DataFrame({"unit": np.repeat(np.arange(30), 3), "value": np.repeat(truth, 3) + rng.normal(0, 0.5, 90)})
    vals = [g["value"].to_numpy() for _, g in units.group_by("unit", maintain_order=True)]
    allv = np.concatenate(vals)
    n = len(allv)
    d_o = sum(((v[:, None] - v[None, :]) ** 2).sum() / (len(v) - 1) for v in vals) / n
    d_e = ((allv[:, None] - allv[None, :]) ** 2).sum() / (n * (n - 1))
    assert krippendorff_alpha_interval(units) == pytest.approx(1 - d_o / d_e)


def test_city_diagnostics(city_path: Path) -> None:
    with open_db(city_path, read_only=True) as db:
        run = latest_run(db, str(CITY_YEAR))
        ws = worker_scores(db, run.run_id)
        infl = pillar_influence(ws.filter(pl.col("eligible")), SCHEME)
        assert infl["realised"].sum() == pytest.approx(1.0, abs=0.1)
        assert dominance_violations(ws, SCHEME).height == 0
        items, raters = rater_reliability(db, str(CITY_YEAR))
        assert items.height > 0 and items["icc2k"].drop_nulls().min() > 0
        assert raters["leniency"].is_not_null().all()


def test_monte_carlo_reproducible_and_coherent() -> None:
    inputs = random_inputs(SCHEME, 30, 5)
    res = score_subjects(inputs, SCHEME)
    a = monte_carlo(inputs, res, SCHEME, seed=3, draws=500)
    b = monte_carlo(inputs, res, SCHEME, seed=3, draws=500)
    assert a.equals(b)
    p = a.select([f"p_grade_{g.key}" for g in SCHEME.grades]).sum_horizontal()
    assert np.allclose(p.to_numpy(), 1.0)
    assert (a["rank_low"] <= a["rank_median"]).all() and (a["rank_median"] <= a["rank_high"]).all()
    assert a["rank_high"].max() <= 30


def test_monte_carlo_same_with_one_thread_or_many(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of draws have their own seeded generators: the thread count cannot change a result."""
    import metrics.uncertainty as unc

    inputs = random_inputs(SCHEME, 400, 11)
    res = score_subjects(inputs, SCHEME)
    monkeypatch.setattr(unc, "_workers", lambda: 1)
    one = monte_carlo(inputs, res, SCHEME, seed=[7, 2], draws=1000)
    monkeypatch.setattr(unc, "_workers", lambda: 6)
    many = monte_carlo(inputs, res, SCHEME, seed=[7, 2], draws=1000)
    other_seed = monte_carlo(inputs, res, SCHEME, seed=[7, 3], draws=1000)
    assert len(unc._chunk_seeds([7, 2], 1000)) == 8
    assert one.equals(many)
    assert not one.equals(other_seed)


def test_monte_carlo_vetoed_worker_fails_in_every_draw() -> None:
    inputs = example_inputs()
    res = score_subjects(inputs, example_scheme())
    mc = monte_carlo(inputs, res, example_scheme(), seed=0, draws=200)
    w1 = mc.filter(pl.col("subject_id") == "W1").row(0, named=True)
    assert w1["p_grade_fail"] == 1.0 and w1["rank_median"] is None


def test_weight_sobol_indices_name_the_influential_weight() -> None:
    from metrics.uncertainty import weight_sobol_indices

    inputs = random_inputs(SCHEME, 60, 2)
    res = score_subjects(inputs, SCHEME)
    idx = weight_sobol_indices(res.scores, SCHEME, n=64, seed=1)
    assert idx["pillar"].to_list() == ["results", "skills", "satisfaction"]
    assert idx["total"].is_finite().all()
    totals = dict(zip(idx["pillar"], idx["total"], strict=True))
    assert totals["skills"] < max(totals["results"], totals["satisfaction"])
