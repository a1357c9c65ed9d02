"""Scoring inputs read from the database: reruns give the same bytes (B15)."""

from __future__ import annotations

import shutil
from pathlib import Path

from metrics.inputs import SKILLS_SQL
from warehouse.db import open_db


def test_skills_do_not_depend_on_the_storage_order_of_assessments(city_path: Path, tmp_path: Path) -> None:
    """Same assessments stored in another order → byte-identical skills, fractional scores too."""
    path = tmp_path / "city.duckdb"
    shutil.copyfile(city_path, path)
    with open_db(path) as db:
        with db.transaction() as cur:
            cur.execute("UPDATE skill_assessments SET score = score / 3 + 0.1")  # not exact in binary
        before = db.query(SKILLS_SQL, {"period_id": "2025"}).sort("subject_id")
        with db.transaction() as cur:
            cur.execute("CREATE TEMP TABLE shuffled AS SELECT * FROM skill_assessments")
            cur.execute("DELETE FROM skill_assessments")
            cur.execute("INSERT INTO skill_assessments SELECT * FROM shuffled ORDER BY hash(assessment_id) DESC")
        after = db.query(SKILLS_SQL, {"period_id": "2025"}).sort("subject_id")
    assert before.height >= 100 and before["skill_ratings"].max() > 1
    assert before.equals(after)
