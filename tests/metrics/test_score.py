"""Scores: the hand-worked example of docs/methodology.md (Part B) and properties."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.scheme import load_scheme
from metrics.score import grade_expr, round_half_up, score_subjects
from tests.metrics.factories import example_inputs, example_scheme, random_inputs

SCHEME = load_scheme()


def _row(result, subject: str) -> dict:
    return result.scores.filter(pl.col("subject_id") == subject).row(0, named=True)


def test_score_hand_worked_example_vetoed_worker() -> None:
    r = score_subjects(example_inputs(), example_scheme())
    w1 = _row(r, "W1")
    assert w1["results"] == pytest.approx(96.0)
    assert (w1["results_points"], w1["skills_points"], w1["satisfaction_points"]) == pytest.approx((38.4, 8.5, 44.0))
    assert w1["base"] == pytest.approx(90.9)
    assert w1["deductions"] == pytest.approx(1.6)
    assert w1["bonus"] == 3.0
    assert w1["total"] == pytest.approx(93.9)
    assert w1["grade"] == "fail"
    assert w1["grade_reason"] == "veto VT-1"
    assert w1["rank"] is None
    assert w1["ineligible_reason"] == "vetoed"


def test_score_hand_worked_example_deduction_floor() -> None:
    r = score_subjects(example_inputs(), example_scheme())
    w2 = _row(r, "W2")
    items = r.items.filter(pl.col("subject_id") == "W2").select("item", "normalised", "points")
    norm = dict(zip(items["item"], items["normalised"], strict=True))
    assert norm["mediation_success"] == pytest.approx(60.0)
    assert norm["hotline_resolution"] == pytest.approx(75.0)
    assert norm["supervision"] == 0.0  # 6 + 2 + 2 = 10 deducted… plus floor: max(0, 10 − 10)
    assert w2["deduction_floor_hit"] is True
    assert w2["results"] == pytest.approx(51.0)
    assert w2["base"] == pytest.approx(65.15)
    assert w2["deductions"] == pytest.approx(8.0)
    assert w2["total"] == 65.2  # half-up
    assert w2["grade"] == "pass"
    assert (w2["rank"], w2["ranked_among"], w2["eligible"]) == (1, 1, True)


def test_score_hand_worked_example_ineligible_worker() -> None:
    r = score_subjects(example_inputs(), example_scheme())
    w3 = _row(r, "W3")
    assert w3["results_coverage"] == pytest.approx(0.8)
    assert w3["results"] == pytest.approx(100.0)
    assert w3["base"] == pytest.approx(89.0)
    assert w3["bonus"] == 5.0  # 4 + 3 capped at 5
    assert w3["total"] == pytest.approx(94.0)
    assert w3["grade"] == "excellent"
    assert w3["rank"] is None
    assert w3["ineligible_reason"] == "in_post_lt_6m;survey_n_lt_min;reliability_lt_min"


def test_score_deduction_floor_never_negative() -> None:
    inputs = example_inputs()
    more = inputs.deductions.with_columns(pl.col("points") * 10)
    r = score_subjects(replace(inputs, deductions=more), example_scheme())
    assert r.items.filter(pl.col("kind") == "deduction")["normalised"].min() == 0.0
    assert _row(r, "W2")["results"] == pytest.approx(51.0)


def test_score_zeroing_event_sets_item_to_zero() -> None:
    inputs = example_inputs()
    zero = inputs.deductions.with_columns(
        pl.when(pl.col("subject_id") == "W1").then(True).otherwise(pl.col("zeroing")).alias("zeroing"))
    r = score_subjects(replace(inputs, deductions=zero), example_scheme())
    item = r.items.filter((pl.col("subject_id") == "W1") & (pl.col("item") == "supervision"))
    assert item["normalised"].item() == 0.0


def test_score_missing_satisfaction_is_not_reweighted() -> None:
    inputs = example_inputs()
    r = score_subjects(replace(inputs, satisfaction=inputs.satisfaction.filter(pl.col("subject_id") != "W2")),
                       example_scheme())
    w2 = _row(r, "W2")
    assert w2["satisfaction"] is None
    assert w2["satisfaction_reason"] == "no_survey"
    assert w2["base"] is None and w2["total"] is None and w2["rank"] is None
    assert "satisfaction_missing" in w2["ineligible_reason"]


def test_round_half_up_examples() -> None:
    vals = pl.DataFrame({"x": [65.15, 84.25, 0.05, 99.95, 12.34]})
    out = vals.select(round_half_up(pl.col("x"), 1))["x"].to_list()
    assert out == [65.2, 84.3, 0.1, 100.0, 12.3]


def test_score_ties_share_rank() -> None:
    inputs = random_inputs(SCHEME, 4, 1)
    same = inputs.satisfaction.with_columns(pl.lit(80.0).alias("shrunk"))
    ind = inputs.indicators.with_columns(pl.lit(1.0).alias("value"))
    sk = inputs.skills.with_columns(pl.lit(70.0).alias("skills"))
    r = score_subjects(replace(inputs, satisfaction=same, indicators=ind, skills=sk), SCHEME)
    assert r.scores["rank"].to_list() == [1, 1, 1, 1]


# ----------------------------------------------------------------------------- properties


@settings(max_examples=25)
@given(seed=st.integers(0, 10_000), who=st.integers(0, 9),
       status=st.sampled_from(["confirmed", "appealed", "upheld"]))
def test_score_confirmed_veto_always_fails(seed: int, who: int, status: str) -> None:
    inputs = random_inputs(SCHEME, 10, seed)
    target = f"W{who:04d}"
    vetoes = pl.DataFrame({"subject_id": [target], "veto_id": ["V1"], "category": ["falsified_records"],
                           "severity": ["fail"], "status": [status], "evidence": ["x"]})
    r = score_subjects(replace(inputs, vetoes=vetoes), SCHEME)
    row = _row(r, target)
    assert row["grade"] == "fail"
    assert row["rank"] is None
    assert row["vetoed"] is True


@settings(max_examples=25)
@given(seed=st.integers(0, 10_000), severity=st.sampled_from(["grade_cap", "no_award"]))
def test_score_grade_cap_veto_caps_grade(seed: int, severity: str) -> None:
    inputs = random_inputs(SCHEME, 6, seed)
    sat = inputs.satisfaction.with_columns(pl.lit(100.0).alias("shrunk"))
    vetoes = pl.DataFrame({"subject_id": ["W0000"], "veto_id": ["V1"], "category": ["discipline"],
                           "severity": [severity], "status": ["confirmed"], "evidence": ["x"]})
    r = score_subjects(replace(inputs, vetoes=vetoes, satisfaction=sat), SCHEME)
    order = ["excellent", "good", "pass", "fail"]
    cap = SCHEME.veto.grade_cap if severity == "grade_cap" else SCHEME.veto.no_award_cap
    assert order.index(_row(r, "W0000")["grade"]) >= order.index(cap)


@settings(max_examples=25)
@given(seed=st.integers(0, 10_000), who=st.integers(0, 7), which=st.integers(0, 5), bump=st.floats(0.0, 50.0))
def test_score_monotone_in_each_indicator(seed: int, who: int, which: int, bump: float) -> None:
    inputs = random_inputs(SCHEME, 8, seed)
    key = SCHEME.indicators[which].key
    target = f"W{who:04d}"
    cond = (pl.col("subject_id") == target) & (pl.col("indicator") == key)
    raised = inputs.indicators.with_columns(
        pl.when(cond).then(pl.col("num") + bump).otherwise(pl.col("num")).alias("num")
    ).with_columns((pl.col("num") / pl.col("den")).alias("value"))
    before = _row(score_subjects(inputs, SCHEME), target)["total"]
    after = _row(score_subjects(replace(inputs, indicators=raised), SCHEME), target)["total"]
    assert after >= before


@settings(max_examples=25)
@given(seed=st.integers(0, 10_000), perm_seed=st.integers(0, 10_000))
def test_score_permuting_workers_changes_nothing(seed: int, perm_seed: int) -> None:
    inputs = random_inputs(SCHEME, 12, seed)

    def shuffle(f: pl.DataFrame) -> pl.DataFrame:
        return f.sample(fraction=1.0, shuffle=True, seed=perm_seed) if f.height else f

    permuted = replace(inputs, **{k: shuffle(getattr(inputs, k)) for k in
                                  ("roster", "indicators", "skills", "satisfaction")})
    a = score_subjects(inputs, SCHEME).scores.sort("subject_id")
    b = score_subjects(permuted, SCHEME).scores.sort("subject_id").select(a.columns)
    assert a.equals(b)


@settings(max_examples=25)
@given(seed=st.integers(0, 10_000), weights=st.lists(st.integers(1, 100), min_size=3, max_size=3))
def test_score_dominance_under_random_weights(seed: int, weights: list[int]) -> None:
    total = sum(weights)
    w = [100.0 * x / total for x in weights]
    w[2] = 100.0 - w[0] - w[1]
    scheme = replace(SCHEME, pillars=tuple(replace(p, weight=wp) for p, wp in zip(SCHEME.pillars, w, strict=True)))
    inputs = random_inputs(scheme, 10, seed)
    rng = np.random.default_rng(seed)
    # W0001 is W0000 made worse on every input (dominated)
    a = inputs.indicators.filter(pl.col("subject_id") == "W0000")
    b = a.with_columns(pl.lit("W0001").alias("subject_id"),
                       (pl.col("num") * pl.Series(rng.uniform(0.5, 1.0, a.height))).floor().alias("num"))
    ind = pl.concat([inputs.indicators.filter(pl.col("subject_id") != "W0001"), b]).with_columns(
        (pl.col("num") / pl.col("den")).alias("value"))
    sk = inputs.skills.with_columns(
        pl.when(pl.col("subject_id") == "W0001").then(pl.col("skills").filter(pl.col("subject_id") == "W0000").first() - 5)
        .otherwise(pl.col("skills")).alias("skills"))
    sat = inputs.satisfaction.with_columns(
        pl.when(pl.col("subject_id") == "W0001").then(pl.col("shrunk").filter(pl.col("subject_id") == "W0000").first() - 1)
        .otherwise(pl.col("shrunk")).alias("shrunk"))
    r = score_subjects(replace(inputs, indicators=ind, skills=sk, satisfaction=sat), scheme)
    top, low = _row(r, "W0000"), _row(r, "W0001")
    for p in ("results", "skills", "satisfaction"):
        assert top[p] >= low[p]
    assert top["total"] >= low["total"]
    assert top["rank"] <= low["rank"]


@settings(max_examples=60)
@given(x=st.floats(0.0, 100.0, allow_nan=False))
def test_grade_bands_leave_no_score_without_grade(x: float) -> None:
    frame = pl.DataFrame({"t": [x]}).select(round_half_up(pl.col("t"), 1).alias("t"))
    grade = frame.select(grade_expr(SCHEME, pl.col("t"))).item()
    assert grade in {"excellent", "good", "pass", "fail"}


def test_quota_limits_top_grade() -> None:
    inputs = random_inputs(SCHEME, 10, 3)
    sat = inputs.satisfaction.with_columns(pl.lit(100.0).alias("shrunk"))
    ind = inputs.indicators.with_columns(pl.lit(1.0).alias("value"))
    sk = inputs.skills.with_columns((100.0 - pl.int_range(pl.len()).cast(pl.Float64)).alias("skills"))
    r = score_subjects(replace(inputs, satisfaction=sat, indicators=ind, skills=sk), SCHEME)
    grades = r.scores.sort("rank")["grade"].to_list()
    assert grades.count("excellent") == 2  # floor(0.2 × 10)
    assert set(r.scores.filter(pl.col("grade_reason") == "quota")["grade"]) == {"good"}
