"""The synthetic city: determinism by seed and plausibility of what it generates."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from warehouse.backup import table_fingerprints
from warehouse.db import Database, open_db
from warehouse.enums import WORK_TYPES
from warehouse.errors import WarehouseError
from warehouse.synthetic import GENERATED_TABLES, generate

SEED = 7
YEAR = 2024


def _generated(db: Database) -> dict[str, tuple[int, str]]:
    prints = table_fingerprints(db)
    return {t: (prints[t].rows, prints[t].hash) for t in GENERATED_TABLES}


@pytest.fixture(scope="module")
def twin_fingerprints() -> tuple[dict, dict, dict]:
    """Generated-table fingerprints of seed SEED twice and of seed SEED + 1."""
    result = []
    for seed in (SEED, SEED, SEED + 1):
        with open_db(":memory:") as db:
            generate(db, size="small", seed=seed, year=YEAR)
            result.append(_generated(db))
    return result[0], result[1], result[2]


@pytest.fixture(scope="module")
def city(city_path: Path) -> Iterator[Database]:
    """The session's small city, read-only."""
    db = open_db(city_path, read_only=True)
    try:
        yield db
    finally:
        db.close()


def test_generate_same_seed_gives_identical_tables(twin_fingerprints) -> None:
    first, second, _ = twin_fingerprints
    assert first == second
    assert all(rows > 0 for rows, _ in first.values())


def test_generate_different_seed_gives_different_tables(twin_fingerprints) -> None:
    first, _, other = twin_fingerprints
    changed = [t for t in GENERATED_TABLES if first[t] != other[t]]
    # periods are fixed by the year; everything drawn at random must differ
    assert set(changed) >= set(GENERATED_TABLES) - {"periods"}


def test_generate_refuses_a_database_that_holds_a_city(city_db: Database) -> None:
    with pytest.raises(WarehouseError, match="generate into a fresh database"):
        generate(city_db, size="small", seed=1, year=YEAR)


def test_generate_refuses_unknown_size(empty_db: Database) -> None:
    with pytest.raises(WarehouseError, match="unknown size"):
        generate(empty_db, size="town", seed=1, year=YEAR)  # type: ignore[arg-type]


def test_generate_small_city_shape(city: Database) -> None:
    levels = dict(city.query("SELECT level, count(*) AS n FROM org_units GROUP BY level").iter_rows())
    assert levels == {"district": 1, "street": 3, "community": 10, "grid": 60}
    periods = set(city.query("SELECT period_id FROM periods")["period_id"])
    assert {"2025", "2025H1", "2025H2", "2025Q1", "2025Q2", "2025Q3", "2025Q4"} <= periods
    ids = city.query("SELECT unit_id, level FROM org_units")
    pattern = {"district": r"D\d{2}", "street": r"D\d{2}S\d{2}", "community": r"D\d{2}S\d{2}C\d{2}", "grid": r"D\d{2}S\d{2}C\d{2}G\d{2}"}
    for unit_id, level in ids.iter_rows():
        assert re.fullmatch(pattern[level], unit_id), unit_id
    assert city.scalar("SELECT count(*) FROM workers WHERE NOT regexp_full_match(worker_id, 'W\\d{6}')") == 0
    assert city.scalar("SELECT count(*) FROM households WHERE NOT regexp_full_match(household_id, 'H\\d{7}')") == 0
    assert city.scalar("SELECT count(*) FROM departments WHERE dept_id NOT LIKE 'DEP%'") == 0


def test_generate_grids_hold_300_to_500_households(city: Database) -> None:
    sizes = city.query(
        "SELECT g.unit_id, count(h.household_id) AS n FROM org_units g "
        "LEFT JOIN households h ON h.grid_id = g.unit_id WHERE g.level = 'grid' GROUP BY g.unit_id"
    )
    assert sizes.height == 60
    assert sizes["n"].min() >= 300 and sizes["n"].max() <= 500
    assert city.scalar("SELECT count(*) FROM households h ANTI JOIN household_identities i USING (household_id)") == 0


def test_generate_every_grid_has_exactly_one_grid_worker(city: Database) -> None:
    per_grid = city.query(
        "SELECT g.unit_id, count(w.worker_id) AS n FROM org_units g LEFT JOIN workers w "
        "ON w.grid_id = g.unit_id AND w.role = 'grid_worker' WHERE g.level = 'grid' GROUP BY g.unit_id"
    )
    assert per_grid["n"].to_list() == [1] * 60
    roles = set(city.query("SELECT DISTINCT role FROM workers")["role"])
    assert {"grid_worker", "grid_police", "coordinator", "community_staff", "department_staff"} <= roles
    assert city.scalar("SELECT count(*) FROM workers WHERE dept_id NOT IN (SELECT dept_id FROM departments)") == 0
    assert city.scalar("SELECT count(*) FROM workers w ANTI JOIN synthetic_truth USING (worker_id)") == 0


def test_generate_every_worker_has_records_and_keys_resolve(city: Database) -> None:
    assert city.scalar("SELECT count(*) FROM workers ANTI JOIN work_records USING (worker_id)") == 0
    assert city.scalar("SELECT count(*) FROM work_records ANTI JOIN workers USING (worker_id)") == 0
    assert city.scalar(
        "SELECT count(*) FROM work_records r ANTI JOIN org_units g ON g.unit_id = r.grid_id AND g.level = 'grid'"
    ) == 0
    assert city.scalar(
        "SELECT count(*) FROM work_records r WHERE household_id IS NOT NULL "
        "AND household_id NOT IN (SELECT household_id FROM households)"
    ) == 0
    assert city.scalar("SELECT count(*) - count(DISTINCT record_id) FROM work_records") == 0
    # a record's household lives in the record's grid (household numbering across chunks)
    assert city.scalar(
        "SELECT count(*) FROM work_records r JOIN households h USING (household_id) WHERE r.grid_id <> h.grid_id"
    ) == 0


def test_generate_records_are_consistent(city: Database) -> None:
    assert city.scalar("SELECT count(*) FROM work_records WHERE closed_at < opened_at") == 0
    assert city.scalar("SELECT count(*) FROM work_records WHERE status = 'open' AND closed_at IS NOT NULL") == 0
    assert city.scalar("SELECT count(*) FROM work_records WHERE status = 'closed' AND closed_at IS NULL") == 0
    assert city.scalar("SELECT count(*) FROM work_records WHERE outcome IS NOT NULL AND status <> 'closed'") == 0
    assert city.scalar("SELECT count(*) FROM work_records WHERE warning_level IS NOT NULL AND type <> 'dispute'") == 0
    assert city.scalar("SELECT count(*) FROM work_records WHERE year(opened_at) <> 2025") == 0
    # records start when the worker took up the post
    assert city.scalar(
        "SELECT count(*) FROM work_records r JOIN workers w USING (worker_id) WHERE r.opened_at < w.in_post_from"
    ) == 0


def test_generate_every_work_type_and_status_present(city: Database) -> None:
    types = set(city.query("SELECT DISTINCT type FROM work_records")["type"])
    assert types == set(WORK_TYPES)
    statuses = set(city.query("SELECT DISTINCT status FROM work_records")["status"])
    assert statuses == {"open", "closed", "cancelled"}
    levels = set(city.query("SELECT DISTINCT warning_level FROM work_records WHERE type = 'dispute'")["warning_level"])
    assert levels == {"red", "yellow", "blue"}
    overdue_open = city.scalar(
        "SELECT count(*) FROM work_records WHERE status = 'open' AND due_at < TIMESTAMP '2025-12-31'"
    )
    closed_late = city.scalar("SELECT count(*) FROM work_records WHERE closed_at > due_at")
    assert overdue_open > 0 and closed_late > 0
    assert city.scalar("SELECT count(*) FROM work_records WHERE verified = false") > 0


def test_generate_events_present_and_valid(city: Database) -> None:
    vetoes = set(city.query("SELECT DISTINCT status FROM veto_events")["status"])
    assert {"confirmed", "proposed", "overturned"} <= vetoes
    assert city.scalar("SELECT count(*) FROM veto_events WHERE status = 'overturned'") >= 1
    assert city.scalar("SELECT count(*) FROM skill_assessments WHERE score < 0 OR score > max_score") == 0
    raters = city.query(
        "SELECT worker_id, item, count(DISTINCT rater) AS n FROM skill_assessments "
        "WHERE rater <> 'exam' GROUP BY ALL"
    )
    assert raters["n"].unique().to_list() == [3]
    assert city.scalar("SELECT count(*) FROM inspections WHERE deduction > 0") > 0
    assert city.scalar("SELECT count(*) FROM inspections WHERE rectify_by < inspected_on OR rectified_at < inspected_on") == 0
    assert city.scalar("SELECT count(*) FROM inspections WHERE deduction > 0 AND rectified_at > rectify_by") > 0
    assert city.scalar("SELECT count(*) FROM complaints WHERE valid") > 0
    assert city.scalar("SELECT count(*) FROM bonus_events WHERE points <= 0") == 0
    assert city.scalar("SELECT count(*) FROM bonus_events") > 0


def test_generate_some_workers_in_post_under_six_months(city: Database) -> None:
    recent = city.scalar("SELECT count(*) FROM workers WHERE in_post_from > DATE '2025-07-01'")
    assert 0 < recent < city.scalar("SELECT count(*) FROM workers") / 5


def test_generate_volumes_are_seasonal(city: Database) -> None:
    by_month = dict(
        city.query(
            "SELECT month(opened_at) AS m, count(*) AS n FROM work_records WHERE type = 'visit' GROUP BY m"
        ).iter_rows()
    )
    assert by_month[2] < 0.8 * by_month[3]  # Spring Festival dip
    hazards = dict(
        city.query(
            "SELECT month(opened_at) AS m, count(*) AS n FROM work_records WHERE type = 'hazard_report' GROUP BY m"
        ).iter_rows()
    )
    assert hazards[7] > hazards[4]  # flood season


QUALITY_INDICATORS = """
WITH gw AS (
    SELECT w.worker_id, w.grid_id, t.quality FROM workers w JOIN synthetic_truth t USING (worker_id)
    WHERE w.role = 'grid_worker'
),
coverage AS (
    SELECT h.grid_id, count(DISTINCT r.household_id) / count(DISTINCT h.household_id) AS visit_coverage
    FROM households h LEFT JOIN work_records r ON r.household_id = h.household_id AND r.type = 'visit'
    GROUP BY h.grid_id
),
timely AS (
    SELECT worker_id,
           avg(CASE WHEN closed_at <= due_at THEN 1 ELSE 0 END) AS on_time,
           avg(CASE WHEN type = 'dispute' AND outcome = 'success' THEN 1.0
                    WHEN type = 'dispute' THEN 0.0 END) AS dispute_success
    FROM work_records WHERE status = 'closed' AND due_at IS NOT NULL GROUP BY worker_id
)
SELECT gw.quality, coverage.visit_coverage, timely.on_time, timely.dispute_success
FROM gw JOIN coverage USING (grid_id) JOIN timely USING (worker_id)
"""


def test_generate_quality_drives_indicators(city: Database) -> None:
    frame = city.query(QUALITY_INDICATORS)
    assert frame.height == 60
    for indicator in ("visit_coverage", "on_time", "dispute_success"):
        rho = frame.select(pl.corr("quality", indicator, method="spearman")).item()
        assert rho > 0.3, (indicator, rho)
