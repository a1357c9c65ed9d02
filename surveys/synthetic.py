"""Synthetic survey data for the demo, tests and benchmarks.

`simulate` draws the real sample of a period (`surveys.design.draw_sample`), gives
every invitation a disposition, and for the completes simulates answers whose
satisfaction follows the grid worker's latent quality in `synthetic_truth` (this
module is the only survey code allowed to read that table). Responses go through
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
from surveys.intake import submit_many
from surveys.quality import screen
from surveys.questionnaire import load_questionnaire
from warehouse.db import Database

OUTCOMES = ("complete", "partial", "refusal", "non_contact", "ineligible", "unknown")
OUTCOME_P = (0.64, 0.04, 0.11, 0.13, 0.03, 0.05)
# thresholds on the latent satisfaction u: above 0.9 very satisfied, … below −2.0 very dissatisfied
CUTS = (-2.0, -1.1, -0.15, 0.9)
CODES = ("very_dissatisfied", "dissatisfied", "fairly_satisfied", "satisfied", "very_satisfied")
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


@dataclass(frozen=True)
class SimulationSummary:
    """What `simulate` wrote."""

    design_id: str
    invited: int
    completes: int
    outcomes: dict[str, int] = field(default_factory=dict)
    flagged: int = 0


def _codes(u: np.ndarray) -> np.ndarray:
    return np.asarray(CODES)[np.searchsorted(np.asarray(CUTS), u)]


def simulate(
    db: Database,
    *,
    period_id: str,
    seed: int,
    options: SampleOptions | None = None,
    now: datetime | None = None,
) -> SimulationSummary:
    """Draw a period's sample and simulate its fieldwork through the real intake path.

    Args:
        db: open database with a household register and `synthetic_truth`.
        period_id: period to survey.
        seed: seed of the draw and of the simulated answers.
        options: sample-size options (default `SampleOptions()`).
        now: clock for intake times (tests).

    Returns:
        Counts of invitations, completes, outcomes and quality flags.
    """
    sample = draw_sample(db, period_id, seed=seed, options=options, now=now)
    q = load_questionnaire()
    rng = np.random.default_rng([seed, 7])
    inv = sample.tokens.sort("invitation_id")
    truth = db.query(TRUTH_SQL)
    inv = inv.join(truth, on="grid_id", how="left").with_columns(pl.col("quality").fill_null(0.0))
    n = inv.height
    outcome = np.asarray(OUTCOMES)[rng.choice(len(OUTCOMES), size=n, p=OUTCOME_P)]
    inv = inv.with_columns(pl.Series("outcome", outcome))
    done = inv.filter(pl.col("outcome") == "complete")
    m = done.height
    quality = done["quality"].to_numpy()
    # a resident's latent satisfaction: the worker's quality plus the household's own view
    u = 0.2 + 0.6 * quality + rng.normal(0.0, 1.0, m)
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
