"""Satisfaction estimator choice in the scheme, simultaneous rank sets, data noise apart from weights."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.scheme import DEFAULT_SCHEME, SchemeError, scheme_from_text
from metrics.score import score_subjects
from metrics.uncertainty import _max_pair_t, monte_carlo, simultaneous_rank_sets
from tests.metrics.factories import random_inputs

DEFAULT_TEXT = DEFAULT_SCHEME.read_text(encoding="utf-8")
SAT = 'value = "shrunk"            # shrunk estimate (A9) ranks; the raw mean is shown beside it'


def _with(line: str) -> str:
    assert SAT in DEFAULT_TEXT
    return DEFAULT_TEXT.replace(SAT, line, 1)


def test_scheme_chooses_the_estimator_and_estimand() -> None:
    s = scheme_from_text(_with('estimator = "fay_herriot"\nestimand = "mix_adjusted"'))
    p = s.pillar("satisfaction")
    assert (p.estimator, p.estimand, p.value) == ("fay_herriot", "mix_adjusted", "shrunk")
    assert scheme_from_text(_with('value = "mean"')).pillar("satisfaction").estimator == "direct"
    assert scheme_from_text(DEFAULT_TEXT).pillar("satisfaction").estimator == "shrinkage"


@pytest.mark.parametrize(("line", "message"), [
    ('estimator = "bayes"', r"pillars\.satisfaction\.estimator: .*must be one of direct, shrinkage, fay_herriot, got 'bayes'"),
    ('estimand = "worker"', r"pillars\.satisfaction\.estimand: .*must be one of population, mix_adjusted"),
    ('value = "mean"\nestimator = "shrinkage"', r"contradicts value = 'mean'"),
])
def test_scheme_bad_estimator_refused_naming_the_key(line: str, message: str) -> None:
    with pytest.raises(SchemeError, match=message):
        scheme_from_text(_with(line))


def test_scheme_estimator_only_on_the_survey_pillar() -> None:
    text = DEFAULT_TEXT.replace('source = "indicators"', 'source = "indicators"\nestimator = "direct"', 1)
    with pytest.raises(SchemeError, match=r"pillars\.results\.estimator: .*only a survey pillar"):
        scheme_from_text(text)


def test_rank_sets_hand_worked_example() -> None:
    # methodology B11: three workers 10 points apart, draws ±1; the SD of each worker's draws
    # is 0.82, 1.15, 0.82, so c = 2/√(0.67 + 1.33) = 1.41 and every pair is ordered
    theta = np.array([10.0, 0.0, -10.0])
    z = np.array([[1, -1, 0], [-1, 1, 0], [0, 1, -1], [0, -1, 1]], dtype=float)
    lo, hi, c = simultaneous_rank_sets(theta, theta + z, 0.5)
    assert c == pytest.approx(np.sqrt(2))
    assert lo.tolist() == [1, 2, 3] and hi.tolist() == [1, 2, 3]
    # 1 point apart instead: only the outer pair is certain (2 > 1.41·√(0.67 + 0.67) = 1.63),
    # so the sets are [1, 2], [1, 3], [2, 3]
    lo, hi, _ = simultaneous_rank_sets(theta / 10, theta / 10 + z, 0.5)
    assert lo.tolist() == [1, 1, 2] and hi.tolist() == [2, 3, 3]


@settings(max_examples=40, deadline=None)
@given(n=st.integers(2, 60), seed=st.integers(0, 10_000))
def test_max_pair_statistic_equals_brute_force(n: int, seed: int) -> None:
    rng = np.random.default_rng(seed)
    s = rng.uniform(0.1, 4, n)
    s[rng.random(n) < 0.1] = 0.0
    a = rng.standard_normal((4, n)) * s
    den = np.sqrt(s[:, None] ** 2 + s[None, :] ** 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        t = np.where(den > 0, (a[:, :, None] - a[:, None, :]) / den, -np.inf)
    t[:, np.arange(n), np.arange(n)] = -np.inf
    assert _max_pair_t(a, s) == pytest.approx(t.max(axis=(1, 2)))


def test_rank_sets_cover_all_true_ranks_jointly() -> None:
    # 40 subjects, heterogeneous SEs: the sets hold every true rank at once in ≥ 90 % of samples
    rng = np.random.default_rng(5)
    theta = np.sort(rng.normal(0, 2, 40))[::-1]
    se = rng.uniform(0.5, 2, 40)
    true_rank = np.arange(1, 41)
    hits = []
    for _ in range(150):
        est = theta + se * rng.standard_normal(40)
        draws = est + se * rng.standard_normal((400, 40))
        lo, hi, _ = simultaneous_rank_sets(est, draws, 0.9)
        hits.append(bool(((lo <= true_rank) & (true_rank <= hi)).all()))
    assert np.mean(hits) >= 0.86  # 0.9 less 1.5 Monte Carlo SEs; single-step sets are conservative


def test_monte_carlo_separates_data_noise_from_weights() -> None:
    scheme = scheme_from_text(DEFAULT_TEXT)
    inputs = random_inputs(scheme, 60, 4)
    res = score_subjects(inputs, scheme)
    mc = monte_carlo(inputs, res, scheme, seed=1, draws=300)
    ranked = mc.join(res.scores.select("subject_id", "rank", "grade"), on="subject_id").filter(
        pl.col("rank").is_not_null())
    assert (ranked["rank_set_low"] <= ranked["rank_low"]).all()  # simultaneous sets are wider
    assert (ranked["rank_set_high"] >= ranked["rank_high"]).all()
    assert ranked["weight_rank_low"].is_not_null().all()
    # without weight jitter the weight-sensitivity range collapses; the data-noise interval does not
    still = scheme_from_text(DEFAULT_TEXT.replace("weight_jitter = 0.25", "weight_jitter = 0.0"))
    mc0 = monte_carlo(inputs, res, still, seed=1, draws=300).join(ranked.select("subject_id"), on="subject_id")
    assert (mc0["weight_rank_low"] == mc0["weight_rank_high"]).all()
    assert (mc0["rank_high"] - mc0["rank_low"]).max() > 0
    # tied: P(own grade) below 0.8
    probs = ranked.with_columns(pl.struct(pl.all()).map_elements(
        lambda r: r[f"p_grade_{r['grade']}"], return_dtype=pl.Float64).alias("p_own"))
    assert (probs["tied"] == (probs["p_own"] < 0.8)).all()


def test_run_records_the_estimator_and_explain_shows_it(city_db) -> None:
    from metrics.explain import explain_worker
    from metrics.runs import remember_scheme_text, score_period

    text = _with('estimator = "fay_herriot"\nestimand = "mix_adjusted"')
    scheme = scheme_from_text(text)
    remember_scheme_text(scheme, text)
    score_period(city_db, "2025", scheme=scheme, seed=3, draws=100)
    run = city_db.scalar("SELECT run_id FROM score_runs ORDER BY created_at DESC, run_id DESC LIMIT 1")
    assert city_db.query("SELECT satisfaction_estimator, satisfaction_estimand FROM score_runs WHERE run_id = ?",
                         [run]).row(0) == ("fay_herriot", "mix_adjusted")
    workers = city_db.query(
        "SELECT worker_id, satisfaction, satisfaction_estimator, satisfaction_adjusted, satisfaction_population, "
        "satisfaction_mix FROM score_workers WHERE run_id = ? AND role = 'grid_worker' AND satisfaction IS NOT NULL",
        [run])
    assert workers["satisfaction_estimator"].unique().to_list() == ["fay_herriot"]
    # the mix-adjusted value scores; population − adjusted = the residents' part
    assert (workers["satisfaction"] - workers["satisfaction_adjusted"]).abs().max() < 1e-6
    assert ((workers["satisfaction_population"] - workers["satisfaction_adjusted"]) - workers["satisfaction_mix"]
            ).abs().max() < 1e-6
    streets = city_db.query("SELECT satisfaction_estimator, satisfaction_note FROM score_units "
                            "WHERE run_id = ? AND level = 'street' AND satisfaction IS NOT NULL", [run])
    assert streets.height and streets["satisfaction_note"].unique().to_list() == ["grid_level_only"]
    expl = explain_worker(city_db, run, workers["worker_id"][0])
    assert expl.satisfaction is not None and expl.satisfaction.estimator == "fay_herriot"
    assert expl.satisfaction.rank_set is not None
    # through the server the explanation travels as JSON and comes back whole
    import dataclasses
    import json

    from metrics.explain import explanation_from_json

    back = explanation_from_json(json.loads(json.dumps(dataclasses.asdict(expl), default=str)))
    assert back.satisfaction == expl.satisfaction
