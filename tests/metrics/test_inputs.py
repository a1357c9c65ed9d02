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


def test_area_estimates_of_one_grid_is_the_grid_and_of_a_community_its_a7_figure(city_path) -> None:
    """A served area of one grid gives that grid's published figures; a whole community its A7 mean and SE."""
    import polars as pl

    from metrics.inputs import area_estimates, survey_estimates
    from surveys.estimate import TREE_SQL, estimate, estimate_frame
    from warehouse.db import open_db

    with open_db(city_path, read_only=True) as db:
        frame = estimate_frame(db, "2025", level="grid")
        grids = survey_estimates(db, "2025", level="grid", grids=frame)
        communities = estimate(db, "2025", level="community")
        areas = pl.concat([
            frame.select(pl.col("unit_id").alias("area_id"), "unit_id"),
            communities.select(pl.col("unit_id").alias("area_id"), "unit_id"),
        ])
        got = area_estimates(areas, grids, frame, db.query(TREE_SQL))
    hidden = frame.filter(pl.col("suppressed"))["unit_id"].to_list()
    one = grids.join(got, on="unit_id", suffix="_area")
    shown = one.filter(pl.col("shrunk").is_not_null())
    assert shown.height > 40
    for col in ("shrunk", "mean", "se", "scored_se", "reliability"):
        assert (shown[col] - shown[f"{col}_area"]).abs().max() < 1e-9, col
    assert (shown["respondents"] == shown["respondents_area"]).all()
    assert got.filter(pl.col("unit_id").is_in(hidden)).height == 0  # a blanked grid stays blank
    # a community none of whose grids is blanked: the community's own A7 mean and SE
    whole = communities.join(got, on="unit_id", suffix="_area").filter(pl.col("coverage") == 1.0)
    assert whole.height >= 1
    assert (whole["mean"] - whole["mean_area"]).abs().max() < 1e-9
    assert (whole["se"] - whole["se_area"]).abs().max() < 1e-9
    assert (whole["respondents"] == whole["respondents_area"]).all()
    # a community with a blanked grid rests on its published grids only
    partial = got.filter(pl.col("unit_id").is_in(list({g[:9] for g in hidden})))
    assert (partial["coverage"] < 1.0).all()
