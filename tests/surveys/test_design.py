"""Sample sizes (A1), the seeded draw (A2), exclusions, token issuance and the token file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from surveys.design import SampleOptions, completes_needed, draw_sample, invitations_needed
from surveys.errors import DesignError
from surveys.intake import hash_token
from surveys.tokens_file import write_token_file
from tests.surveys.conftest import GRIDS
from tests.surveys.factories import make_register
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


def test_draw_sample_same_seed_same_register_same_sample(tmp_path: Path) -> None:
    samples = []
    for name in ("a", "b"):
        with open_db(tmp_path / f"{name}.duckdb") as db:
            make_register(db, GRIDS)
            draw_sample(db, "2025", seed=99)
            samples.append(_drawn(db))
    assert samples[0].equals(samples[1])


def test_draw_sample_changed_register_changes_only_that_grid(tmp_path: Path) -> None:
    changed = dict(GRIDS)
    grid = next(iter(GRIDS))
    changed[grid] += 40
    out = []
    for name, sizes in (("a", GRIDS), ("b", changed)):
        with open_db(tmp_path / f"{name}.duckdb") as db:
            make_register(db, sizes)
            draw_sample(db, "2025", seed=5)
            out.append(_drawn(db))
    a, b = out
    assert not a.filter(pl.col("grid_id") == grid).equals(b.filter(pl.col("grid_id") == grid))
    assert a.filter(pl.col("grid_id") != grid).equals(b.filter(pl.col("grid_id") != grid))


def test_draw_sample_is_uniform_within_grid(tmp_path: Path) -> None:
    # inclusion frequency over many seeds ≈ n/N for every household (SRSWOR)
    with open_db(tmp_path / "u.duckdb") as db:
        make_register(db, {"D01S01C01G01": 40})
        from surveys.design import FRAME_SQL, plan_sample
        from warehouse.db import fetch_pl

        hits = []
        cur = db.cursor()
        for seed in range(300):
            frame = fetch_pl(cur, FRAME_SQL, {"period": "2025", "k": 0, "seed": seed})
            _, drawn = plan_sample(frame, SampleOptions(margin=25, response_rate=1.0))
            hits.append(drawn["household_id"])
        counts = pl.concat(hits).value_counts()["count"].to_numpy()
        n = len(hits[0])
    expected = 300 * n / 40
    assert len(counts) == 40 and abs(counts.mean() - expected) < 1e-9
    assert counts.min() > expected * 0.5 and counts.max() < expected * 1.5


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
