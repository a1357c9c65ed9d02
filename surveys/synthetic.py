"""Synthetic survey data for the demo, tests and benchmarks.

`simulate` draws the real sample of a period (`surveys.design.draw_sample`), gives
every invitation a disposition, and for the completes takes the answer their
household would give in the simulated population (`surveys.truth`: the grid
worker's latent quality in `synthetic_truth` plus the resident-mix effect of the
household's register characteristics, and one it does not hold in the
"unregistered" scenario). This module is the only survey code allowed to read that
table; `population` gives the population's truth per grid and period (true mean,
worker's effect), which `simulate` records in `synthetic_grid_truth` for tests and
the fairness harness (scoring never reads it). Responses go through
`surveys.intake.submit_many`, the bulk form of `submit`, so the stored rows are the
ones the real intake writes; the other outcomes are recorded with
`record_dispositions`, and the quality screens run at the end.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import numpy as np
import polars as pl

from surveys.design import SampleOptions, draw_sample
from surveys.dispositions import record_dispositions
from surveys.errors import SurveyError
from surveys.intake import submit_many
from surveys.quality import screen
from surveys.questionnaire import load_questionnaire
from surveys.truth import SCENARIOS, answer_codes, grid_truth, household_mix, population_answers
from warehouse.db import Database

OUTCOMES = ("complete", "partial", "refusal", "non_contact", "ineligible", "unknown")
OUTCOME_P = (0.64, 0.04, 0.11, 0.13, 0.03, 0.05)
COMMENTS = (
    "网格员很负责，经常来走访。",
    "希望小区停车问题能尽快解决。",
    "反映的问题处理有点慢。",
    "Thank you for the help with my paperwork.",
)

TRUTH_SQL = """
SELECT w.grid_id, avg(t.quality) AS quality
FROM workers w JOIN synthetic_truth t USING (worker_id)
WHERE w.role = 'grid_worker' AND w.grid_id IS NOT NULL
GROUP BY w.grid_id
"""

REGISTER_SQL = """
SELECT household_id, grid_id, size, tags FROM households WHERE active
"""
POPULATION_SEED = 0  # the population is a property of the city, not of a survey's seed


@dataclass(frozen=True)
class SimulationSummary:
    """What `simulate` wrote."""

    design_id: str
    invited: int
    completes: int
    outcomes: dict[str, int] = field(default_factory=dict)
    flagged: int = 0


def _codes(u: np.ndarray) -> np.ndarray:
    return answer_codes(u)


def population(
    db: Database, period_id: str, *, scenario: str = "documented", seed: int = POPULATION_SEED
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The simulated population of a period: every household's latent answer and the grid truth.

    Args:
        db: database with a household register and `synthetic_truth`.
        period_id: period.
        scenario: resident-mix scenario, a key of `surveys.truth.SCENARIOS`.
        seed: population seed (default: the one `simulate` uses).

    Returns:
        (households, grids): `surveys.truth.population_answers` and `grid_truth` frames.

    Raises:
        SurveyError: unknown scenario.
    """
    if scenario not in SCENARIOS:
        raise SurveyError(f"unknown resident-mix scenario {scenario!r}; choose one of {', '.join(SCENARIOS)}")
    mix = household_mix(db.query(REGISTER_SQL), SCENARIOS[scenario], seed=seed)
    people = population_answers(mix, db.query(TRUTH_SQL), period_id=period_id, seed=seed)
    return people, grid_truth(people, load_questionnaire().scale)


def record_truth(db: Database, period_id: str, grids: pl.DataFrame, *, scenario: str) -> int:
    """Replace the period's rows of `synthetic_grid_truth` with `grids` (from `population`)."""
    rows = grids.select(
        "grid_id", pl.lit(period_id).alias("period_id"), pl.lit(scenario).alias("scenario"),
        pl.col("population").cast(pl.Int32), pl.col("quality").alias("worker_quality"),
        "true_mean", "expected_mean", "adjusted_mean", "worker_effect", "mix_effect",
    )
    with db.transaction() as cur:
        cur.execute("DELETE FROM synthetic_grid_truth WHERE period_id = ?", [period_id])
        cur.register("_grid_truth", rows.to_arrow())
        cur.execute("INSERT INTO synthetic_grid_truth BY NAME SELECT * FROM _grid_truth")
        cur.unregister("_grid_truth")
    return rows.height


def simulate(
    db: Database,
    *,
    period_id: str,
    seed: int,
    options: SampleOptions | None = None,
    now: datetime | None = None,
    scenario: str = "documented",
) -> SimulationSummary:
    """Draw a period's sample and simulate its fieldwork through the real intake path.

    Args:
        db: open database with a household register and `synthetic_truth`.
        period_id: period to survey.
        seed: seed of the draw and of the simulated answers.
        options: sample-size options (default `SampleOptions()`).
        now: clock for intake times (tests).
        scenario: resident-mix scenario (`surveys.truth.SCENARIOS`); the population's
            answers do not depend on `seed`, only on the city, period and scenario.

    Returns:
        Counts of invitations, completes, outcomes and quality flags.
    """
    people, grids = population(db, period_id, scenario=scenario)
    sample = draw_sample(db, period_id, seed=seed, options=options, now=now)
    record_truth(db, period_id, grids, scenario=scenario)
    q = load_questionnaire()
    rng = np.random.default_rng([seed, 7])
    inv = sample.tokens.sort("invitation_id").join(
        people.select("household_id", "quality", "u"), on="household_id", how="left"
    ).with_columns(pl.col("quality").fill_null(0.0), pl.col("u").fill_null(0.2))
    n = inv.height
    outcome = np.asarray(OUTCOMES)[rng.choice(len(OUTCOMES), size=n, p=OUTCOME_P)]
    inv = inv.with_columns(pl.Series("outcome", outcome))
    done = inv.filter(pl.col("outcome") == "complete")
    m = done.height
    quality = done["quality"].to_numpy()
    # the household's latent satisfaction in the population (worker, resident mix, own view)
    u = done["u"].to_numpy()
    items = {"overall": _codes(u)}
    for key in ("responsiveness", "attitude", "problem_solved"):
        items[key] = _codes(u + rng.normal(0.0, 0.9, m))
    visited_p = 1 / (1 + np.exp(-(0.8 + quality)))
    items["visited"] = np.where(rng.random(m) < visited_p, "yes", np.where(rng.random(m) < 0.7, "no", "not_sure"))
    items["comment"] = np.where(rng.random(m) < 0.06, np.asarray(COMMENTS)[rng.integers(0, len(COMMENTS), m)], None)
    channel = np.asarray(["web", "phone", "paper"])[rng.choice(3, size=m, p=(0.6, 0.3, 0.1))]
    duration = np.where(channel == "web", np.round(rng.lognormal(np.log(95.0), 0.5, m), 1), np.nan)
    fast = (channel == "web") & (rng.random(m) < 0.03)
    duration = np.where(fast, np.round(rng.uniform(5, q.min_seconds, m), 1), duration)
    # devices and addresses: one per web respondent, a few shared (family phone, shared Wi-Fi)
    device_no = np.where(rng.random(m) < 0.02, rng.integers(0, 20, m), np.arange(m) + 100)
    subs = pl.DataFrame(
        {
            "token": done["token"],
            "submission_id": [f"sim-{sample.design_id}-{i:07d}" for i in range(m)],
            "channel": channel,
            "duration_seconds": duration,
            "device": pl.Series(np.char.add("device-", device_no.astype(str))),
            "address": pl.Series(np.char.add("addr-", (device_no // 2).astype(str))),
            "entered_by": pl.Series(np.where(channel == "web", "", "survey-team")),
        }
    ).with_columns(
        pl.col("duration_seconds").fill_nan(None),
        pl.when(pl.col("channel") == "web").then(pl.col("device", "address")),
        pl.when(pl.col("entered_by") != "").then(pl.col("entered_by")).alias("entered_by"),
    )
    wide = pl.DataFrame({"token": done["token"], **{k: pl.Series(k, v.tolist(), dtype=pl.String) for k, v in items.items()}})
    answers = wide.unpivot(index="token", variable_name="item_key", value_name="value").drop_nulls("value")
    stored = submit_many(db, subs, answers, now=now) if m else 0
    others = inv.filter(pl.col("outcome") != "complete").select("token", pl.col("outcome").alias("disposition"))
    if others.height:
        record_dispositions(db, others, now=now)
    flagged = screen(db, period_id, now=now)
    counts = inv.group_by("outcome").len()
    return SimulationSummary(
        design_id=sample.design_id,
        invited=n,
        completes=stored,
        outcomes=dict(zip(counts["outcome"].to_list(), counts["len"].to_list(), strict=True)),
        flagged=flagged["response_id"].n_unique(),
    )
