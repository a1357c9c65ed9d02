"""Sample sizes (A1), the seeded draw (A2), exclusions, token issuance and the token file."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from surveys.design import (
    FRAME_SQL,
    SampleOptions,
    completes_needed,
    draw_sample,
    invitations_needed,
    plan_sample,
)
from surveys.errors import DesignError
from surveys.intake import hash_token
from surveys.tokens_file import write_token_file
from tests.surveys.conftest import GRIDS
from warehouse.db import Database, open_db


def test_completes_needed_matches_worked_examples() -> None:
    assert completes_needed(np.array([400]), SampleOptions(margin_kind="proportion", margin=0.10))[0] == 78
    assert completes_needed(np.array([400]), SampleOptions(margin=8, sd=20))[0] == 23
    # FPC: a tiny grid never needs more than its households
    assert completes_needed(np.array([5]), SampleOptions(margin=1))[0] == 5


def test_invitations_needed_divides_by_response_rate_and_caps() -> None:
    assert invitations_needed(np.array([23]), np.array([400]), 0.5)[0] == 46
    assert invitations_needed(np.array([23]), np.array([30]), 0.5)[0] == 30


def test_draw_sample_records_design_sizes_and_hashes_only(register_db: Database) -> None:
    sample = draw_sample(register_db, "2025", seed=11)
    design = register_db.query("SELECT * FROM survey_designs").row(0, named=True)
    assert design["seed"] == 11 and design["method"] == "srswor_by_grid"
    strata = register_db.query("SELECT * FROM survey_strata ORDER BY grid_id")
    assert strata["population"].to_list() == list(GRIDS.values())
    inv = register_db.query("SELECT grid_id, count(*) AS n FROM survey_invitations GROUP BY 1 ORDER BY 1")
    assert inv["n"].to_list() == strata["invited"].to_list()
    # tokens: 128 bits, all distinct, only their sha256 stored
    assert sample.tokens["token"].str.len_chars().unique().to_list() == [32]
    assert sample.tokens["token"].n_unique() == sample.tokens.height
    stored = set(register_db.query("SELECT token_hash FROM survey_invitations")["token_hash"])
    assert stored == {hash_token(t) for t in sample.tokens["token"]}
    text = " ".join(str(v) for row in register_db.query("SELECT * FROM survey_invitations").rows() for v in row)
    assert sample.tokens["token"][0] not in text


def test_draw_sample_refuses_second_draw_and_unknown_period(register_db: Database) -> None:
    draw_sample(register_db, "2025", seed=1)
    with pytest.raises(DesignError, match="already has a sample"):
        draw_sample(register_db, "2025", seed=2)
    with pytest.raises(DesignError, match="2031"):
        draw_sample(register_db, "2031", seed=2)


def _drawn(db: Database) -> pl.DataFrame:
    return db.query("SELECT grid_id, household_id FROM survey_invitations ORDER BY grid_id, household_id")


def _plan(db: Database, seed: int) -> pl.DataFrame:
    frame = db.query(FRAME_SQL, {"period": "2025", "k": 0, "seed": seed})
    return plan_sample(frame, SampleOptions())[1].select("grid_id", "household_id").sort("grid_id", "household_id")


def test_draw_sample_same_seed_same_register_same_sample(register_template: Path, tmp_path: Path) -> None:
    samples = []
    for name in ("a", "b"):
        shutil.copyfile(register_template, tmp_path / f"{name}.duckdb")
        with open_db(tmp_path / f"{name}.duckdb") as db:
            draw_sample(db, "2025", seed=99)
            samples.append(_drawn(db))
            assert _plan(db, 99).equals(samples[-1])  # the stored draw is the recomputable one
    assert samples[0].equals(samples[1])


def test_draw_sample_changed_register_changes_only_that_grid(register_db: Database) -> None:
    before = _plan(register_db, 5)
    grid = next(iter(GRIDS))
    register_db.conn.execute(
        """INSERT INTO households (household_id, grid_id, size, active)
           SELECT 'Hnew' || CAST(i AS VARCHAR), ?, 2, true FROM range(40) r(i)""", [grid])
    register_db.conn.execute(
        "UPDATE households SET active = false WHERE household_id IN "
        "(SELECT household_id FROM households WHERE grid_id = ? ORDER BY household_id LIMIT 5)", [grid])
    after = _plan(register_db, 5)
    assert not before.filter(pl.col("grid_id") == grid).equals(after.filter(pl.col("grid_id") == grid))
    assert before.filter(pl.col("grid_id") != grid).equals(after.filter(pl.col("grid_id") != grid))


UNIFORM_SQL = """
WITH keys AS (
    SELECT s.seed, h.household_id,
           row_number() OVER (PARTITION BY s.seed ORDER BY sha256(CAST(s.seed AS VARCHAR) || ':' || h.household_id))
               AS draw_rank
    FROM households h, range(400) s(seed)
    WHERE h.grid_id = $grid
)
SELECT household_id, count(*) FILTER (WHERE draw_rank <= $n) AS hits
FROM keys GROUP BY household_id
"""


def test_draw_sample_is_uniform_within_grid(register_db: Database) -> None:
    # over 400 seeds every household of a grid is drawn about n/N of the time (SRSWOR);
    # the SQL ranks by the same key as FRAME_SQL
    grid, big_n, n = next(iter(GRIDS)), next(iter(GRIDS.values())), 30
    hits = register_db.query(UNIFORM_SQL, {"grid": grid, "n": n})["hits"].to_numpy()
    expected = 400 * n / big_n
    assert len(hits) == big_n and abs(hits.mean() - expected) < 1e-9
    # binomial sd ≈ 6.1 here: no household far outside ± 4.5 sd
    assert hits.min() > expected - 28 and hits.max() < expected + 28


def test_draw_sample_excludes_households_of_last_k_periods(register_db: Database) -> None:
    draw_sample(register_db, "2024", seed=3)
    before = set(register_db.query("SELECT household_id FROM survey_invitations")["household_id"])
    draw_sample(register_db, "2025", seed=3, options=SampleOptions(exclude_last_k=1))
    now = set(register_db.query("SELECT household_id FROM survey_invitations WHERE period_id = '2025'")["household_id"])
    assert before and not (before & now)
    strata = register_db.query("SELECT excluded FROM survey_strata WHERE design_id = '2025-s3'")
    assert strata["excluded"].sum() == len(before)


def test_write_token_file_joins_contacts_without_household_id(register_db: Database, tmp_path: Path) -> None:
    sample = draw_sample(register_db, "2025", seed=4)
    for suffix in ("csv", "xlsx"):
        path = tmp_path / f"tokens.{suffix}"
        assert write_token_file(register_db, sample.tokens, path) == sample.tokens.height
        frame = pl.read_csv(path) if suffix == "csv" else pl.read_excel(path)
        assert frame.columns == ["token", "grid_id", "contact_name", "phone", "address", "expires_at"]
        assert frame["contact_name"].null_count() == 0
        assert set(frame["token"]) == set(sample.tokens["token"])
