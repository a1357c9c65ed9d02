"""Follow-up of non-respondents (A2): seeded subsample per grid, sizes, weights, the CLI."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import polars as pl
import pytest
from typer.testing import CliRunner

from dashboard.cli import app
from surveys.design import draw_sample
from surveys.dispositions import record_dispositions
from surveys.errors import DesignError
from surveys.followup import draw_followup, followup_sizes
from surveys.intake import submit
from warehouse.db import Database

ANSWERS = {"overall": "satisfied", "responsiveness": "satisfied", "attitude": "satisfied",
           "problem_solved": "satisfied", "visited": "yes"}


def _fieldwork(db: Database) -> pl.DataFrame:
    """Draw 2025, store answers for every third invitation, record a few other outcomes.

    Returns the invitations with their token and final disposition (NULL: pending).
    """
    tokens = draw_sample(db, "2025", seed=3).tokens.sort("invitation_id")
    answered = tokens["token"].gather_every(3).to_list()
    for i, token in enumerate(answered):
        submit(db, token, ANSWERS, submission_id=f"s{i}", channel="web")
    rest = tokens.filter(~pl.col("token").is_in(answered))
    codes = ["refusal", "non_contact", "ineligible", "partial"]
    recorded = rest.gather_every(2).with_columns(
        pl.Series("disposition", [codes[i % 4] for i in range((rest.height + 1) // 2)])
    )
    record_dispositions(db, recorded.select("token", "disposition"))
    return tokens.join(
        db.query("SELECT invitation_id, disposition FROM survey_invitations"), on="invitation_id"
    )


def test_followup_sizes_round_up_and_keep_zero() -> None:
    assert followup_sizes(np.array([0, 1, 3, 10, 11]), 0.3).tolist() == [0, 1, 1, 3, 4]
    assert followup_sizes(np.array([7]), 1.0).tolist() == [7]


@pytest.mark.slow
def test_followup_draws_only_nonrespondents_with_sizes_and_weights(register_db: Database) -> None:
    invitations = _fieldwork(register_db)
    drawn = draw_followup(register_db, "2025", seed=5, fraction=0.3)
    by_id = invitations.select("invitation_id", "grid_id", "disposition")
    joined = drawn.join(by_id, on="invitation_id", suffix="_db")
    assert joined.height == drawn.height > 0
    # only non-respondents: never a complete, never an ineligible household
    assert set(joined["disposition_db"].fill_null("pending")) <= {"refusal", "non_contact", "partial", "pending"}
    assert set(drawn["disposition"]) <= {"refusal", "non_contact", "partial", "unknown"}
    nonresp = (
        invitations.filter(~pl.col("disposition").fill_null("unknown").is_in(["complete", "ineligible"]))
        .group_by("grid_id").len().sort("grid_id")
    )
    strata = register_db.query("SELECT grid_id, population, invited FROM survey_strata ORDER BY grid_id")
    per_grid = drawn.group_by("grid_id").agg(
        pl.len().alias("m"), pl.col("nonrespondents").first(), pl.col("subsample_weight").first(),
        pl.col("weight").first(),
    ).sort("grid_id").join(strata, on="grid_id").join(nonresp, on="grid_id")
    assert per_grid.height == nonresp.height == strata.height
    for row in per_grid.iter_rows(named=True):
        assert row["nonrespondents"] == row["len"]
        assert row["m"] == int(np.ceil(0.3 * row["len"]))
        assert row["subsample_weight"] == pytest.approx(row["len"] / row["m"])
        assert row["weight"] == pytest.approx(row["population"] / row["invited"] * row["len"] / row["m"])
    # followed-up weights add back up to the non-respondents of each grid
    sums = drawn.group_by("grid_id").agg(pl.col("subsample_weight").sum(), pl.col("nonrespondents").first())
    assert sums["subsample_weight"].to_list() == pytest.approx(sums["nonrespondents"].cast(pl.Float64).to_list())
    assert drawn["invitation_id"].n_unique() == drawn.height


@pytest.mark.slow
def test_followup_is_reproducible_with_the_seed_and_random_across_seeds(register_db: Database) -> None:
    _fieldwork(register_db)
    first = draw_followup(register_db, "2025", seed=5, fraction=0.3)
    assert first.equals(draw_followup(register_db, "2025", seed=5, fraction=0.3))
    other = draw_followup(register_db, "2025", seed=6, fraction=0.3)
    assert other.height == first.height
    assert set(other["invitation_id"]) != set(first["invitation_id"])
    # a fraction of 1 follows up every non-respondent, a larger fraction keeps the smaller one's picks
    everyone = draw_followup(register_db, "2025", seed=5, fraction=1.0)
    assert everyone["subsample_weight"].unique().to_list() == [1.0]
    assert set(first["invitation_id"]) <= set(draw_followup(register_db, "2025", seed=5, fraction=0.6)["invitation_id"])


def test_followup_refuses_bad_fraction_and_undrawn_period(register_db: Database) -> None:
    with pytest.raises(DesignError, match="no drawn sample"):
        draw_followup(register_db, "2025", seed=1)
    draw_sample(register_db, "2025", seed=1)
    for fraction in (0.0, 1.5):
        with pytest.raises(DesignError, match="fraction"):
            draw_followup(register_db, "2025", seed=1, fraction=fraction)


def test_cli_followup_writes_the_list_with_contacts(register_template: Path, tmp_path: Path) -> None:
    db_path = tmp_path / "cli.duckdb"
    shutil.copyfile(register_template, db_path)
    runner = CliRunner()
    res = runner.invoke(app, ["followup", "--period", "2025", "--seed", "2", "--db", str(db_path)])
    assert res.exit_code == 1 and "no drawn sample" in res.output
    res = runner.invoke(app, ["sample", "--period", "2025", "--seed", "4", "--db", str(db_path), "--json"])
    assert res.exit_code == 0, res.output
    invited = json.loads(res.stdout)["invited"]
    out = tmp_path / "followup.csv"
    res = runner.invoke(app, ["followup", "--period", "2025", "--seed", "2", "--fraction", "0.5",
                              "--out", str(out), "--db", str(db_path), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    # nobody has answered yet: every invitation is pending, so half of each grid (rounded up) is drawn
    assert summary["seed"] == 2 and sum(g["followed_up"] for g in summary["grids"]) == summary["followed_up"]
    assert invited / 2 <= summary["followed_up"] <= invited / 2 + len(summary["grids"])
    listed = pl.read_csv(out)
    assert listed.height == summary["followed_up"]
    assert listed.columns == ["grid_id", "followup_rank", "contact_name", "phone", "address", "disposition", "weight"]
    assert listed["contact_name"].null_count() == 0 and set(listed["disposition"]) == {"unknown"}
