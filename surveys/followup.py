"""Follow-up of non-respondents (A2): a seeded random subsample per grid, with its weights.

Nobody picks which non-respondents get a second, more intensive contact: in each
grid a simple random subsample of the non-respondents is drawn (double sampling
for non-response, Hansen–Hurwitz). Non-respondents are the invited households
without a stored response that are not known to be ineligible: dispositions
partial, refusal, non_contact, unknown, and invitations still pending.

Like the main draw, each non-respondent gets a random key — the SHA-256 of
``"followup:<seed>:<invitation_id>"`` — and each grid takes the ones with the
smallest keys, so the same seed and dispositions give the same subsample and a
grid's subsample depends only on that grid's non-respondents.

Sizes and weights, in grid h with N_h households, n_h invited and nr_h
non-respondents: m_h = ceil(f·nr_h) are followed up (f the follow-up fraction);
each followed-up household stands for nr_h/m_h non-respondents
(`subsample_weight`), and its full weight is (N_h/n_h)·(nr_h/m_h) (`weight`),
against N_h/n_h for a household that answered at the first contact.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from surveys.errors import DesignError
from warehouse.db import Database, fetch_pl

NON_RESPONSE = ("partial", "refusal", "non_contact", "unknown")
"""Dispositions of a non-respondent (a pending invitation counts as unknown)."""

NONRESPONDENTS_SQL = """
WITH design AS (
    SELECT design_id FROM survey_designs WHERE period_id = $period
),
strata AS (                 -- N_h and n_h of the period's design
    SELECT s.grid_id, s.population, s.invited
    FROM survey_strata s JOIN design USING (design_id)
),
outcomes AS (
    SELECT i.invitation_id, i.grid_id, i.household_id, i.weight_class,
           coalesce(i.disposition, 'unknown') AS disposition
    FROM survey_invitations i JOIN design USING (design_id)
)
SELECT o.invitation_id, o.grid_id, o.household_id, o.weight_class, o.disposition,
       s.population, s.invited,
       sha256('followup:' || CAST($seed AS VARCHAR) || ':' || o.invitation_id) AS draw_key
FROM outcomes o JOIN strata s USING (grid_id)
WHERE list_contains($non_response, o.disposition)
"""


def followup_sizes(nonrespondents: np.ndarray, fraction: float) -> np.ndarray:
    """m_h = ceil(fraction · nr_h): non-respondents to follow up per grid (≥ 1 where nr_h ≥ 1).

    Examples:
        >>> followup_sizes(np.array([0, 1, 10, 11]), 0.3)
        array([0, 1, 3, 4])
    """
    return np.ceil(np.round(np.asarray(nonrespondents, dtype=float) * fraction, 9)).astype(np.int64)


def plan_followup(frame: pl.DataFrame, fraction: float) -> pl.DataFrame:
    """The follow-up subsample from a frame of non-respondents (see `NONRESPONDENTS_SQL`).

    Args:
        frame: invitation_id, grid_id, household_id, weight_class, disposition,
            population, invited, draw_key — one row per non-respondent.
        fraction: share of each grid's non-respondents to follow up, in (0, 1].

    Returns:
        One row per followed-up household, sorted by grid and rank: invitation_id,
        grid_id, household_id, weight_class, disposition, followup_rank,
        nonrespondents (nr_h), followed_up (m_h), subsample_weight (nr_h/m_h),
        weight ((N_h/n_h)·nr_h/m_h).
    """
    if not 0 < fraction <= 1:
        raise DesignError(f"follow-up fraction must be in (0, 1]; got {fraction}")
    sizes = frame.group_by("grid_id").agg(pl.len().cast(pl.Int64).alias("nonrespondents")).sort("grid_id")
    sizes = sizes.with_columns(
        pl.Series("followed_up", followup_sizes(sizes["nonrespondents"].to_numpy(), fraction))
    )
    return (
        frame.with_columns(
            pl.col("draw_key").rank("ordinal").over("grid_id").cast(pl.Int64).alias("followup_rank")
        )
        .join(sizes, on="grid_id")
        .filter(pl.col("followup_rank") <= pl.col("followed_up"))
        .with_columns(
            (pl.col("nonrespondents") / pl.col("followed_up")).alias("subsample_weight"),
        )
        .with_columns(
            (pl.col("population") / pl.col("invited") * pl.col("subsample_weight")).alias("weight"),
        )
        .select(
            "invitation_id", "grid_id", "household_id", "weight_class", "disposition",
            "followup_rank", "nonrespondents", "followed_up", "subsample_weight", "weight",
        )
        .sort("grid_id", "followup_rank")
    )


def draw_followup(db: Database, period_id: str, *, seed: int, fraction: float = 0.3) -> pl.DataFrame:
    """Draw the random follow-up subsample of a period's non-respondents, per grid.

    Reads the invitations and their dispositions as they are now; writes nothing.
    The same seed, fraction and dispositions give the same subsample.

    Args:
        db: open database.
        period_id: period whose sample was drawn (`gridscore sample`).
        seed: seed of the follow-up draw (state it with the list).
        fraction: share of each grid's non-respondents to follow up, in (0, 1].

    Returns:
        See `plan_followup`; empty when nobody is left to follow up.

    Raises:
        DesignError: the period has no drawn sample, or the fraction is out of range.
    """
    cur = db.cursor()
    try:
        if cur.execute("SELECT count(*) FROM survey_designs WHERE period_id = ?", [period_id]).fetchall()[0][0] == 0:
            raise DesignError(f"period {period_id!r} has no drawn sample (run `gridscore sample` first)")
        frame = fetch_pl(cur, NONRESPONDENTS_SQL, {"period": period_id, "seed": seed, "non_response": list(NON_RESPONSE)})
    finally:
        cur.close()
    return plan_followup(frame, fraction)
