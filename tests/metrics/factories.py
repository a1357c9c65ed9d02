"""Factories for scoring tests: the hand-worked example of docs/methodology.md, random inputs."""

from __future__ import annotations

import numpy as np
import polars as pl

from metrics.scheme import Scheme, scheme_from_text
from metrics.score import ScoreInputs

EXAMPLE_SCHEME = """
[scheme]
key = "example"
version = "1"
name_zh = "示例方案"
cap = 100.0
decimals = 1

[pillars.results]
name_zh = "工作实绩"
weight = 40
source = "indicators"
min_coverage = 0.6

[pillars.skills]
name_zh = "业务技能"
weight = 10
source = "skill_assessments"
measurement_sd = 5.0

[pillars.satisfaction]
name_zh = "群众满意度"
weight = 50
source = "survey"

[[indicators]]
key = "mediation_success"
pillar = "results"
name_zh = "矛盾纠纷调解成功率"
numerator = { type = "dispute", status = "closed", outcome = "success" }
denominator = { type = "dispute", status = "closed" }
target = 0.95
floor = 0.60
weight = 60

[[indicators]]
key = "hotline_resolution"
pillar = "results"
name_zh = "热线工单解决率"
numerator = { type = "hotline", status = "closed", outcome = "success" }
denominator = { type = "hotline" }
target = 0.90
floor = 0.50
weight = 20

[[deductions]]
key = "supervision"
pillar = "results"
name_zh = "督查整改扣分"
full = 10
weight = 20
events = { inspection = "recorded", rectification_overdue = 2 }

[bonus]
cap = 5.0

[veto]
acting_statuses = ["confirmed", "appealed", "upheld"]
grade_cap = "pass"
no_award_cap = "good"

[veto.categories]
falsified_records = { name_zh = "弄虚作假", severity = "fail" }

[[grades]]
key = "excellent"
min = 90.0
max = 100.0

[[grades]]
key = "good"
min = 80.0
max = 90.0

[[grades]]
key = "pass"
min = 60.0
max = 80.0

[[grades]]
key = "fail"
min = 0.0
max = 60.0

[eligibility]
min_months_in_post = 6
survey_n_min = 10
min_reliability = 0.7
"""


def example_scheme() -> Scheme:
    """The compact scheme of the hand-worked example (results 40 / skills 10 / satisfaction 50)."""
    return scheme_from_text(EXAMPLE_SCHEME, where="example")


def _indicators(rows: list[tuple[str, str, float, float]]) -> pl.DataFrame:
    f = pl.DataFrame(rows, schema={"subject_id": pl.String, "indicator": pl.String, "num": pl.Float64,
                                   "den": pl.Float64}, orient="row")
    return f.with_columns(
        pl.when(pl.col("den") > 0).then(pl.col("num") / pl.col("den")).alias("value"),
        pl.when(pl.col("den") > 0).then(None).otherwise(pl.lit("no_workload")).alias("missing_reason"),
    )


def example_inputs() -> ScoreInputs:
    """Three workers: W1 vetoed, W2 hits the deduction floor, W3 ineligible (see docs/methodology.md)."""
    roster = pl.DataFrame({
        "subject_id": ["W1", "W2", "W3"],
        "role": ["grid_worker"] * 3,
        "households": [400, 350, 420],
        "months_in_post": [30.0, 18.0, 4.0],
    })
    indicators = _indicators([
        ("W1", "mediation_success", 19, 20), ("W1", "hotline_resolution", 45, 50),
        ("W2", "mediation_success", 81, 100), ("W2", "hotline_resolution", 40, 50),
        ("W3", "mediation_success", 20, 20), ("W3", "hotline_resolution", 0, 0),
    ])
    skills = pl.DataFrame({"subject_id": ["W1", "W2", "W3"], "skills": [85.0, 70.0, 90.0]})
    satisfaction = pl.DataFrame({
        "subject_id": ["W1", "W2", "W3"], "shrunk": [88.0, 75.5, 80.0], "mean": [89.5, 75.0, 84.0],
        "se": [3.0, 4.0, 6.0], "respondents": [40, 36, 8], "reliability": [0.85, 0.80, 0.60],
    })
    deductions = pl.DataFrame({
        "subject_id": ["W1", "W2", "W2", "W2"],
        "item": ["supervision"] * 4,
        "event": ["inspection", "inspection", "rectification_overdue", "rectification_overdue"],
        "evidence_id": ["IN-1", "IN-2", "IN-2", "IN-3"],
        "points": [2.0, 6.0, 2.0, 2.0],
        "zeroing": [False] * 4,
    })
    bonus = pl.DataFrame({
        "subject_id": ["W1", "W3", "W3"], "item": ["commendation", "commendation", "innovation"],
        "event": ["bonus"] * 3, "evidence_id": ["BN-1", "BN-2", "BN-3"], "points": [3.0, 4.0, 3.0],
    })
    vetoes = pl.DataFrame({
        "subject_id": ["W1"], "veto_id": ["VT-1"], "category": ["falsified_records"], "severity": ["fail"],
        "status": ["confirmed"], "evidence": ["走访台账弄虚作假"],
    })
    return ScoreInputs(roster, indicators, skills, satisfaction, deductions, bonus, vetoes)


def empty_vetoes() -> pl.DataFrame:
    """A veto frame with no rows."""
    return pl.DataFrame(schema={"subject_id": pl.String, "veto_id": pl.String, "category": pl.String,
                                "severity": pl.String, "status": pl.String, "evidence": pl.String})


def random_inputs(scheme: Scheme, n: int, seed: int) -> ScoreInputs:
    """n eligible workers with random indicator values, skills, satisfaction; no events."""
    rng = np.random.default_rng(seed)
    ids = [f"W{i:04d}" for i in range(n)]
    rows = []
    for ind in scheme.indicators:
        den = rng.integers(1, 200, size=n).astype(float)
        num = np.floor(den * rng.uniform(0.3, 1.0, size=n))
        rows.append(pl.DataFrame({"subject_id": ids, "indicator": ind.key, "num": num, "den": den}))
    ind = pl.concat(rows).with_columns((pl.col("num") / pl.col("den")).alias("value"),
                                       pl.lit(None, dtype=pl.String).alias("missing_reason"))
    return ScoreInputs(
        roster=pl.DataFrame({"subject_id": ids, "role": ["grid_worker"] * n, "households": [400] * n,
                             "months_in_post": [24.0] * n}),
        indicators=ind,
        skills=pl.DataFrame({"subject_id": ids, "skills": rng.uniform(40, 100, n)}),
        satisfaction=pl.DataFrame({"subject_id": ids, "shrunk": rng.uniform(40, 100, n),
                                   "mean": rng.uniform(40, 100, n), "se": rng.uniform(1, 5, n),
                                   "respondents": [30] * n, "reliability": [0.8] * n}),
        deductions=pl.DataFrame(schema={"subject_id": pl.String, "item": pl.String, "event": pl.String,
                                        "evidence_id": pl.String, "points": pl.Float64, "zeroing": pl.Boolean}),
        bonus=pl.DataFrame(schema={"subject_id": pl.String, "item": pl.String, "event": pl.String,
                                   "evidence_id": pl.String, "points": pl.Float64}),
        vetoes=empty_vetoes(),
    )
