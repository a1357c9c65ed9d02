"""Issue 15 finding 11: the published fields say what docs/methodology.md says they say.

A10 (`funnel_signal` only outside the 99.8 % limits, `funnel_alert` between 95 % and
99.8 %), the documented `grade_reason` forms, the reason codes (declared once in
`metrics.reasons`, each documented in the methodology), a worker of a suppressed grid
(`suppressed_small` / `suppressed_complementary`, never `no_survey`) and the † mark on a
satisfaction interval that passes 0 or 100.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import polars as pl

from metrics import reasons
from metrics.runs import score_period
from metrics.score import score_subjects
from surveys.estimate import estimate
from tests.metrics.factories import example_inputs, example_scheme
from warehouse.db import Database

METHODOLOGY = (Path(__file__).resolve().parents[2] / "docs" / "methodology.md").read_text()


def test_funnel_signal_is_only_outside_the_998_limits(city_db: Database) -> None:
    est = estimate(city_db, "2025", level="grid").filter(pl.col("p_satisfied").is_not_null())
    assert "funnel_alert" in est.columns
    p = pl.col("p_satisfied")
    outside_998 = (p > pl.col("funnel_high_998")) | (p < pl.col("funnel_low_998"))
    outside_95 = (p > pl.col("funnel_high_95")) | (p < pl.col("funnel_low_95"))
    checked = est.with_columns(outside_998.alias("o998"), outside_95.alias("o95"))
    assert set(checked["funnel_signal"].drop_nulls()) <= {"above_99.8", "below_99.8"}
    assert set(checked["funnel_alert"].drop_nulls()) <= {"above_95", "below_95"}
    assert (checked["funnel_signal"].is_not_null() == checked["o998"]).all()
    assert (checked["funnel_alert"].is_not_null() == (checked["o95"] & ~checked["o998"])).all()
    assert checked["o95"].any()  # the city has units to flag


def test_grade_reason_takes_the_documented_forms() -> None:
    inputs = example_inputs()
    vetoes = pl.concat([inputs.vetoes, pl.DataFrame({
        "subject_id": ["W2"], "veto_id": ["VT-2"], "category": ["falsified_records"], "severity": ["no_award"],
        "status": ["confirmed"], "evidence": ["x"]})])
    # W3 (94.0, band 优秀) capped at 合格 by a grade_cap veto; W1 failed by VT-1
    vetoes = pl.concat([vetoes, pl.DataFrame({
        "subject_id": ["W3"], "veto_id": ["VT-3"], "category": ["falsified_records"], "severity": ["grade_cap"],
        "status": ["confirmed"], "evidence": ["y"]})])
    rows = {r["subject_id"]: r for r in score_subjects(replace(inputs, vetoes=vetoes), example_scheme())
            .scores.iter_rows(named=True)}
    assert rows["W1"]["grade_reason"] == "veto VT-1" and rows["W1"]["grade"] == "fail"
    assert rows["W3"]["grade_reason"] == "veto cap VT-3" and rows["W3"]["grade"] == "pass"
    assert rows["W2"]["grade_reason"] == "band"  # 65.2 is already below the no_award cap
    for r in rows.values():
        assert reasons.declared(r["grade_reason"])
        assert re.fullmatch(r"band|quota|veto \S+|veto cap \S+", r["grade_reason"])


def test_every_declared_code_is_documented() -> None:
    for table in (reasons.INELIGIBLE_REASONS, reasons.MISSING_REASONS, reasons.GRADE_REASONS):
        for code in table:
            assert f"`{code}`" in METHODOLOGY.replace("<n>m`", "<n>m`"), code
    for code in ("funnel_alert", "above_99.8", "above_95", "30.4375", "`;`"):
        assert code in METHODOLOGY, code


def test_a_suppressed_grids_worker_says_so(city_db: Database) -> None:
    # leave one grid with 3 answers (< k = 5): it is blanked as small, and one more grid of its community
    grid = city_db.scalar("SELECT min(grid_id) FROM workers WHERE role = 'grid_worker' AND grid_id IS NOT NULL")
    with city_db.transaction() as cur:
        cur.execute("CREATE TEMP TABLE gone AS SELECT response_id FROM survey_responses "
                    "WHERE period_id = '2025' AND grid_id = ? ORDER BY response_id OFFSET 3", [grid])
        cur.execute("DELETE FROM survey_answers WHERE response_id IN (SELECT response_id FROM gone)")
        cur.execute("DELETE FROM survey_responses WHERE response_id IN (SELECT response_id FROM gone)")
    run = score_period(city_db, "2025", draws=20)
    scores = city_db.query(
        "SELECT w.worker_id, w.grid_id, s.satisfaction_reason, s.ineligible_reason FROM score_workers s "
        "JOIN workers w USING (worker_id) WHERE s.run_id = ?", [run.run_id])
    est = estimate(city_db, "2025", level="grid")
    hidden = est.filter(pl.col("suppressed") & (pl.col("respondents") > 0))
    assert grid in hidden["unit_id"].to_list() and hidden.height >= 2  # complementary suppression too
    mine = scores.filter(pl.col("grid_id").is_in(hidden["unit_id"].implode()))
    assert mine.height and "no_survey" not in mine["satisfaction_reason"].to_list()
    assert set(mine["satisfaction_reason"]) <= {"suppressed_small", "suppressed_complementary"}
    assert "suppressed_small" in set(mine.filter(pl.col("grid_id") == grid)["satisfaction_reason"])
    assert all("satisfaction_missing" in r for r in mine["ineligible_reason"].to_list())
