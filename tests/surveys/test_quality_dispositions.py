"""Quality screens (A12), dispositions and response rates (A3), suppression (A11), the simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from surveys.design import draw_sample
from surveys.dispositions import record_dispositions, response_rates
from surveys.errors import SurveyError
from surveys.estimate import estimate
from surveys.intake import submit
from surveys.quality import flags, screen
from warehouse.db import Database

ROOT = Path(__file__).resolve().parents[2]
SAME = {"overall": "satisfied", "responsiveness": "satisfied", "attitude": "satisfied",
        "problem_solved": "satisfied", "visited": "yes"}
MIXED = {**SAME, "attitude": "very_satisfied"}


def test_screen_flags_with_reasons_and_never_drops(register_db: Database) -> None:
    sample = draw_sample(register_db, "2025", seed=1)
    grid = sample.tokens["grid_id"][0]
    tokens = sample.tokens.filter(pl.col("grid_id") == grid)["token"].to_list()
    now = datetime.now(UTC)
    submit(register_db, tokens[0], MIXED, submission_id="fast", channel="web", started_at=now - timedelta(seconds=5))
    submit(register_db, tokens[1], SAME, submission_id="straight", channel="web",
           started_at=now - timedelta(seconds=90))
    for i in range(2, 6):
        submit(register_db, tokens[i], MIXED, submission_id=f"dev{i}", channel="web", device="phone-1",
               started_at=now - timedelta(seconds=90))
    worker = register_db.scalar("SELECT worker_id FROM workers WHERE grid_id = ?", [grid])
    submit(register_db, tokens[6], MIXED, submission_id="own", channel="paper", entered_by=worker)
    found = screen(register_db, "2025")
    by_flag = found.group_by("flag").len().sort("flag")
    assert dict(by_flag.iter_rows()) == {"duplicate_device": 4, "entered_by_grid_worker": 1,
                                         "straight_lining": 1, "too_fast": 1}
    assert "completed in 5 s" in found.filter(pl.col("flag") == "too_fast")["reason"][0]
    assert screen(register_db, "2025").height == found.height  # re-running replaces, not duplicates
    assert flags(register_db, "2025").height == found.height
    est = estimate(register_db, "2025", level="grid").filter(pl.col("unit_id") == grid).row(0, named=True)
    assert est["respondents"] == 7 and est["flagged_responses"] == 7


def test_record_dispositions_never_overrides_complete(register_db: Database) -> None:
    tokens = draw_sample(register_db, "2025", seed=1).tokens
    first = tokens.filter(pl.col("grid_id") == tokens["grid_id"][0])["token"].to_list()
    submit(register_db, first[0], MIXED, submission_id="a", channel="web")
    out = record_dispositions(register_db, pl.DataFrame({
        "token": [first[0], first[1], first[2], first[3], "nope"],
        "disposition": ["refusal", "refusal", "non_contact", "ineligible", "refusal"]}))
    assert out["result"].to_list() == ["already_complete", "recorded", "recorded", "recorded", "unknown_token"]
    rates = response_rates(register_db, "2025").filter(pl.col("grid_id") == tokens["grid_id"][0]).row(0, named=True)
    invited = rates["invited"]
    assert (rates["n_complete"], rates["n_refusal"], rates["n_non_contact"], rates["n_ineligible"]) == (1, 1, 1, 1)
    assert rates["n_unknown"] == invited - 4
    assert rates["rr1"] == pytest.approx(1 / (invited - 1))
    e = 3 / 4
    assert rates["rr3"] == pytest.approx(1 / (3 + e * (invited - 4)))
    with pytest.raises(SurveyError, match="disposition"):
        record_dispositions(register_db, pl.DataFrame({"token": [first[4]], "disposition": ["complete"]}))


def _community_with_one_small_grid(db: Database) -> tuple[str, list[str]]:
    """Answers in one community: its first grid 3 (< k), the others 6, 7, 8 …; return (community, grids)."""
    sample = draw_sample(db, "2025", seed=1)
    community = sample.tokens.with_columns(pl.col("grid_id").str.slice(0, 9).alias("c"))
    c0 = community["c"][0]
    grids = sorted(community.filter(pl.col("c") == c0)["grid_id"].unique())
    n = 0
    for g_index, grid in enumerate(grids):
        count = 3 if g_index == 0 else 5 + g_index
        answers = {**MIXED, "overall": "very_satisfied"} if g_index == 0 else MIXED  # the small grid differs
        for tok in community.filter(pl.col("grid_id") == grid)["token"].to_list()[:count]:
            submit(db, tok, answers, submission_id=f"s{n}", channel="web")
            n += 1
    return c0, grids


def test_estimate_complementary_suppression_hides_a_second_grid_not_the_community(register_db: Database) -> None:
    c0, grids = _community_with_one_small_grid(register_db)
    assert len(grids) >= 3
    g = estimate(register_db, "2025", level="grid").filter(pl.col("unit_id").is_in(grids)).sort("unit_id")
    why = dict(zip(g["unit_id"], g["suppressed_reason"], strict=True))
    assert why[grids[0]].startswith("fewer than")
    assert why[grids[1]].startswith("complementary")  # next-smallest (6 respondents)
    assert all(why[x] is None for x in grids[2:])
    assert g.filter(pl.col("suppressed"))["mean"].null_count() == 2
    c = estimate(register_db, "2025", level="community").filter(pl.col("unit_id") == c0).row(0, named=True)
    assert not c["suppressed"] and c["mean"] is not None


def test_estimate_differencing_published_figures_no_longer_isolates_the_small_grid(register_db: Database) -> None:
    """Community total minus the published grids leaves a mix of ≥ 2 grids with ≥ k respondents."""
    c0, grids = _community_with_one_small_grid(register_db)
    g = estimate(register_db, "2025", level="grid").filter(pl.col("unit_id").is_in(grids))
    truth = estimate(register_db, "2025", level="grid", k_min=1).filter(pl.col("unit_id") == grids[0])["mean"][0]
    c = estimate(register_db, "2025", level="community").filter(pl.col("unit_id") == c0).row(0, named=True)
    shown = g.filter(~pl.col("suppressed") & (pl.col("respondents") > 0))
    hidden = g.filter(pl.col("suppressed") & (pl.col("respondents") > 0))
    residual = c["mean"] * (shown["population"].sum() + hidden["population"].sum()) - (
        shown["population"] * shown["mean"]).sum()
    derived = residual / hidden["population"].sum()  # the best a reader can do: the hidden grids' mean
    assert hidden.height == 2 and hidden["respondents"].sum() >= 5
    assert abs(derived - truth) > 1.0
    # under the old rule (only the small grid hidden) the same arithmetic gives it exactly
    only_small = hidden.filter(pl.col("unit_id") == grids[0])["population"].sum()
    other = hidden.filter(pl.col("unit_id") != grids[0])
    truth_other = estimate(register_db, "2025", level="grid", k_min=1).filter(
        pl.col("unit_id") == other["unit_id"][0])["mean"][0]
    assert (residual - other["population"][0] * truth_other) / only_small == pytest.approx(truth)


def test_only_the_simulator_reads_synthetic_truth() -> None:
    readers = [f.name for f in (ROOT / "surveys").rglob("*.py") if "synthetic_truth" in f.read_text(encoding="utf-8")]
    assert readers == ["synthetic.py"]
    metrics = [str(f) for f in (ROOT / "metrics").rglob("*.py") if "synthetic_truth" in f.read_text(encoding="utf-8")]
    assert metrics == []


def test_simulated_city_has_complete_survey_records(city_path) -> None:
    from warehouse.db import open_db

    with open_db(city_path, read_only=True) as db:
        invited = db.scalar("SELECT count(*) FROM survey_invitations WHERE period_id = '2025'")
        pending = db.scalar("SELECT count(*) FROM survey_invitations WHERE disposition IS NULL")
        complete = db.scalar("SELECT count(*) FROM survey_invitations WHERE disposition = 'complete'")
        responses = db.scalar("SELECT count(*) FROM survey_responses WHERE period_id = '2025'")
        grids = db.scalar("SELECT count(*) FROM org_units WHERE level = 'grid'")
        sampled = db.scalar("SELECT count(*) FROM survey_strata")
    assert invited > 0 and pending == 0 and complete == responses > 0 and sampled == grids
