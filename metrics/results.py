"""Read a run's scores for the dashboard and reports: workers and units, with names.

Ranked subjects come first (by rank), then the unranked (ineligible), then the vetoed,
each with its reason (B7, B9).
"""

from __future__ import annotations

from typing import Literal

import polars as pl

from metrics.errors import ScoringError
from warehouse.db import Database

WORKER_SQL = """
WITH s AS (
    SELECT * FROM score_workers WHERE run_id = $run_id
),
u AS (
    SELECT * EXCLUDE (level, run_id, subject_id) , subject_id AS worker_id
    FROM score_uncertainty WHERE run_id = $run_id AND level = 'worker'
)
SELECT s.run_id, s.worker_id, w.name, s.role, s.grid_id, g.name AS grid_name,
       s.community_id, c.name AS community_name, s.street_id, st.name AS street_name,
       s.dept_id, d.name AS dept_name, s.households, s.months_in_post,
       s.* EXCLUDE (run_id, worker_id, role, grid_id, community_id, street_id, dept_id, households,
                    months_in_post),
       u.* EXCLUDE (worker_id)
FROM s
LEFT JOIN workers w ON w.worker_id = s.worker_id
LEFT JOIN org_units g ON g.unit_id = s.grid_id
LEFT JOIN org_units c ON c.unit_id = s.community_id
LEFT JOIN org_units st ON st.unit_id = s.street_id
LEFT JOIN departments d ON d.dept_id = s.dept_id
LEFT JOIN u ON u.worker_id = s.worker_id
ORDER BY (s.rank IS NULL), coalesce(s.vetoed, false), s.role, s.rank, s.total DESC NULLS LAST, s.worker_id
"""

UNIT_SQL = """
WITH s AS (
    SELECT * FROM score_units WHERE run_id = $run_id AND level = $level
),
u AS (                       -- rank intervals and grade probabilities (absent in runs without draws)
    SELECT * EXCLUDE (run_id, level, subject_id), subject_id AS unit_id
    FROM score_uncertainty WHERE run_id = $run_id AND level = $level
),
names AS (
    SELECT dept_id AS unit_id, name FROM departments WHERE $level = 'department'
    UNION ALL
    SELECT unit_id, name FROM org_units WHERE $level <> 'department'
)
SELECT s.run_id, s.level, s.unit_id, n.name, s.* EXCLUDE (run_id, level, unit_id), u.* EXCLUDE (unit_id)
FROM s LEFT JOIN names n ON n.unit_id = s.unit_id
LEFT JOIN u ON u.unit_id = s.unit_id
ORDER BY (s.rank IS NULL), coalesce(s.vetoed, false), s.rank, s.total DESC NULLS LAST, s.unit_id
"""


def _check_run(db: Database, run_id: str) -> None:
    if not db.scalar("SELECT count(*) FROM score_runs WHERE run_id = ?", [run_id]):
        raise ScoringError(f"score run {run_id!r} does not exist")


def worker_scores(db: Database, run_id: str) -> pl.DataFrame:
    """Worker scores of a run with names, placement, pillars, points, grade, rank and intervals.

    Columns: run_id, worker_id, name, role, grid/community/street ids and names, dept,
    households, months_in_post, results/skills/satisfaction (0–100) with coverage, reason
    and points, satisfaction_raw/se/n/reliability, base, deductions, deduction_floor_hit,
    bonus, total, grade, grade_reason, rank, ranked_among, eligible, ineligible_reason,
    vetoed, veto_severity, veto_reason, veto_ids, rank_median, rank_low, rank_high,
    p_top_k, p_grade_<grade>.

    Raises:
        ScoringError: no such run.
    """
    _check_run(db, run_id)
    return db.query(WORKER_SQL, {"run_id": run_id})


UNIT_LEVELS = ("department", "community", "street", "grid")


def unit_scores(db: Database, run_id: str, *, level: Literal["department", "community", "street", "grid"]
                ) -> pl.DataFrame:
    """Unit scores of a run at one level (rates Σnum/Σden of members, B10), with names.

    Like `worker_scores`, each unit carries its Monte Carlo rank interval within the
    level: rank_median, rank_low, rank_high, p_top_k, p_grade_<grade> (B11).

    Raises:
        ScoringError: no such run or unknown level.
    """
    if level not in UNIT_LEVELS:
        raise ScoringError(f"unknown level {level!r} ({', '.join(UNIT_LEVELS)})")
    _check_run(db, run_id)
    return db.query(UNIT_SQL, {"run_id": run_id, "level": level})


def indicator_values(db: Database, run_id: str, *, level: str = "worker", subject_id: str | None = None) -> pl.DataFrame:
    """Indicator rows of a run (num, den, value, target, normalised, weight, points)."""
    _check_run(db, run_id)
    cond = "AND subject_id = $subject" if subject_id is not None else ""
    params: dict = {"run_id": run_id, "level": level}
    if subject_id is not None:
        params["subject"] = subject_id
    return db.query(
        f"SELECT * FROM score_indicators WHERE run_id = $run_id AND level = $level {cond} "
        "ORDER BY subject_id, pillar, item", params)


def adjustments(db: Database, run_id: str, *, level: str = "worker", subject_id: str | None = None) -> pl.DataFrame:
    """Deduction and bonus lines of a run with their evidence ids."""
    _check_run(db, run_id)
    cond = "AND subject_id = $subject" if subject_id is not None else ""
    params: dict = {"run_id": run_id, "level": level}
    if subject_id is not None:
        params["subject"] = subject_id
    return db.query(
        f"SELECT * FROM score_adjustments WHERE run_id = $run_id AND level = $level {cond} "
        "ORDER BY subject_id, kind, item, event, evidence_id", params)
