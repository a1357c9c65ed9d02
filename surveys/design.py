"""Sample design: per-grid sample sizes (A1), the seeded draw (A2) and token issuance.

The draw is stratified simple random sampling without replacement, stratum = grid.
Every household gets a random key that depends only on (seed, household_id) — the
SHA-256 of ``"<seed>:<household_id>"`` — and each grid takes its households with the
smallest keys. Ranking by a fixed key is a uniform random permutation within each
grid, so the first n are an SRSWOR; and because a household's key does not depend on
anyone else, changing the register of one grid changes only that grid's sample.

Tokens are 128-bit random values from `secrets`; only their SHA-256 is stored. The
plain tokens are returned once, in memory, for the survey team's token file.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Literal

import numpy as np
import polars as pl
from scipy import stats

from surveys.errors import DesignError
from surveys.questionnaire import Questionnaire, load_questionnaire, register
from warehouse.db import Database, fetch_pl

METHOD = "srswor_by_grid"


@dataclass(frozen=True)
class SampleOptions:
    """How to size the sample (A1) and which households to exclude (A2)."""

    margin_kind: Literal["mean", "proportion"] = "mean"
    margin: float = 8.0
    sd: float = 20.0
    p: float = 0.5
    confidence: float = 0.95
    response_rate: float = 0.6
    exclude_last_k: int = 0
    ttl_days: int = 90

    def check(self) -> None:
        """Raise DesignError naming the first option out of range."""
        if self.margin_kind not in ("mean", "proportion"):
            raise DesignError(f"margin kind must be 'mean' or 'proportion' (got {self.margin_kind!r})")
        if not self.margin > 0 or (self.margin_kind == "proportion" and self.margin >= 1):
            raise DesignError(f"margin must be > 0 (and < 1 for a proportion); got {self.margin}")
        if not 0 < self.response_rate <= 1:
            raise DesignError(f"response rate must be in (0, 1]; got {self.response_rate}")
        if not 0 < self.confidence < 1:
            raise DesignError(f"confidence must be in (0, 1); got {self.confidence}")
        if not self.sd > 0 or not 0 < self.p < 1:
            raise DesignError(f"sd must be > 0 and p in (0, 1); got sd={self.sd}, p={self.p}")
        if self.exclude_last_k < 0 or self.ttl_days <= 0:
            raise DesignError("exclude_last_k must be ≥ 0 and ttl_days > 0")


@dataclass(frozen=True)
class Sample:
    """A drawn sample: its design id, per-grid counts, and the plain tokens (in memory only)."""

    design_id: str
    period_id: str
    strata: pl.DataFrame
    tokens: pl.DataFrame


def completes_needed(population: np.ndarray, options: SampleOptions = SampleOptions()) -> np.ndarray:
    """A1: completes needed per grid for the target margin, with finite-population correction.

    n0 = (z·σ/e)² for a mean, z²·p(1−p)/e² for a proportion; n = N·n0/(N + n0 − 1),
    rounded up and never above N.

    Examples:
        >>> completes_needed(np.array([400]), SampleOptions(margin_kind="proportion", margin=0.10))
        array([78])
        >>> completes_needed(np.array([400]), SampleOptions(margin_kind="mean", margin=8, sd=20))
        array([23])
    """
    z = stats.norm.ppf(0.5 + options.confidence / 2)
    if options.margin_kind == "mean":
        n0 = (z * options.sd / options.margin) ** 2
    else:
        n0 = z**2 * options.p * (1 - options.p) / options.margin**2
    big_n = np.asarray(population, dtype=float)
    n = big_n * n0 / (big_n + n0 - 1)
    # round up, but forgive float noise (77.000000001 → 77)
    return np.minimum(np.ceil(np.round(n, 9)), big_n).astype(np.int64)


def invitations_needed(completes: np.ndarray, frame: np.ndarray, response_rate: float) -> np.ndarray:
    """Invitations = ceil(completes / expected response rate), capped at the frame size.

    Examples:
        >>> invitations_needed(np.array([23, 78]), np.array([400, 100]), 0.6)
        array([ 39, 100])
    """
    inv = np.ceil(np.round(np.asarray(completes) / response_rate, 9)).astype(np.int64)
    return np.minimum(inv, np.asarray(frame, dtype=np.int64))


def new_tokens(n: int) -> list[str]:
    """n single-use tokens: 128 random bits each from `secrets`, as 32 lowercase hex digits."""
    raw = secrets.token_bytes(16 * n).hex()
    return [raw[i : i + 32] for i in range(0, 32 * n, 32)]


def design_id_for(period_id: str, seed: int) -> str:
    """Design code of a period's sample drawn with `seed`."""
    return f"{period_id}-s{seed}"


FRAME_SQL = """
WITH target AS (
    SELECT period_id, kind, starts_on FROM periods WHERE period_id = $period
),
recent_periods AS (          -- the k periods of the same kind just before this one
    SELECT p.period_id
    FROM periods p, target t
    WHERE p.kind = t.kind AND p.starts_on < t.starts_on
    QUALIFY row_number() OVER (ORDER BY p.starts_on DESC) <= $k
),
recently_invited AS (
    SELECT DISTINCT i.household_id
    FROM survey_invitations i JOIN recent_periods r USING (period_id)
),
register AS (
    SELECT h.household_id, h.grid_id,
           CASE WHEN coalesce(h.tags, '') LIKE '%elderly%' THEN 'elderly' ELSE 'other' END
               AS weight_class,
           h.household_id IN (SELECT household_id FROM recently_invited) AS excluded
    FROM households h
    WHERE h.active
)
SELECT household_id, grid_id, weight_class, excluded,
       sha256(CAST($seed AS VARCHAR) || ':' || household_id) AS draw_key
FROM register
"""


def _frame(cur, period_id: str, seed: int, exclude_last_k: int) -> pl.DataFrame:
    return fetch_pl(cur, FRAME_SQL, {"period": period_id, "k": exclude_last_k, "seed": seed})


def plan_sample(frame: pl.DataFrame, options: SampleOptions) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Sizes per grid (A1) and the drawn households (A2) from a register frame.

    Args:
        frame: household_id, grid_id, weight_class, excluded, draw_key.
        options: sizing options.

    Returns:
        (strata, drawn): strata has grid_id, population, excluded, frame,
        completes_needed, invited; drawn has household_id, grid_id, weight_class,
        draw_rank for the households to invite.
    """
    strata = (
        frame.group_by("grid_id")
        .agg(
            pl.len().cast(pl.Int64).alias("population"),
            pl.col("excluded").sum().cast(pl.Int64).alias("excluded"),
        )
        .with_columns((pl.col("population") - pl.col("excluded")).alias("frame"))
        .sort("grid_id")
    )
    need = completes_needed(strata["population"].to_numpy(), options)
    inv = invitations_needed(need, strata["frame"].to_numpy(), options.response_rate)
    strata = strata.with_columns(
        pl.Series("completes_needed", need), pl.Series("invited", inv)
    )
    drawn = (
        frame.filter(~pl.col("excluded"))
        .with_columns(
            pl.col("draw_key").rank("ordinal").over("grid_id").cast(pl.Int64).alias("draw_rank")
        )
        .join(strata.select("grid_id", "invited"), on="grid_id")
        .filter(pl.col("draw_rank") <= pl.col("invited"))
        .select("household_id", "grid_id", "weight_class", "draw_rank")
        .sort("grid_id", "draw_rank")
    )
    return strata, drawn


def draw_sample(
    db: Database,
    period_id: str,
    *,
    seed: int,
    options: SampleOptions | None = None,
    questionnaire: Questionnaire | None = None,
    now: datetime | None = None,
) -> Sample:
    """Draw and record a period's sample and issue one single-use token per sampled household.

    Records the design (seed, method, sizing options, exclusions), the per-grid
    sizes and the invitations (token hashes only) in one transaction.

    Args:
        db: open database (writable).
        period_id: period to survey (must exist in `periods`).
        seed: seed of the draw; the same seed and register give the same sample.
        options: sizing and exclusion options (A1, A2).
        questionnaire: questionnaire version the invitations answer (default file).
        now: clock for created/expiry times (tests).

    Returns:
        The `Sample` with per-grid counts and the plain tokens (never stored).

    Raises:
        DesignError: unknown period, bad options, or the period already has this design.
    """
    options = options or SampleOptions()
    options.check()
    q = questionnaire or load_questionnaire()
    register(q)
    now = (now or datetime.now(UTC)).replace(tzinfo=None)
    expires = now + timedelta(days=options.ttl_days)
    design_id = design_id_for(period_id, seed)
    with db.transaction() as cur:
        if cur.execute("SELECT count(*) FROM periods WHERE period_id = ?", [period_id]).fetchall()[0][0] == 0:
            raise DesignError(f"period {period_id!r} does not exist")
        existing = cur.execute(
            "SELECT design_id FROM survey_designs WHERE period_id = ?", [period_id]
        ).fetchall()
        if existing:
            raise DesignError(
                f"period {period_id} already has a sample (design {existing[0][0]}); a drawn sample is never redrawn"
            )
        frame = _frame(cur, period_id, seed, options.exclude_last_k)
        if frame.is_empty():
            raise DesignError("the household register has no active households to sample")
        strata, drawn = plan_sample(frame, options)
        tokens = drawn.with_columns(
            pl.Series("token", new_tokens(drawn.height), dtype=pl.String),
            (pl.lit(design_id) + "-" + pl.col("household_id")).alias("invitation_id"),
        )
        cur.execute(
            "INSERT INTO survey_designs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                design_id, period_id, seed, METHOD, options.margin_kind, options.margin,
                options.sd, options.p, options.confidence, options.response_rate,
                options.exclude_last_k, q.version, expires, now,
            ],
        )
        cur.register("_strata", strata)
        cur.execute(
            """INSERT INTO survey_strata
               SELECT ?, grid_id, population, excluded, frame, completes_needed, invited FROM _strata""",
            [design_id],
        )
        cur.unregister("_strata")
        cur.register("_tokens", tokens)
        cur.execute(
            """INSERT INTO survey_invitations
               SELECT invitation_id, $design, $period, grid_id, household_id, weight_class,
                      draw_rank, sha256(token), $expires, NULL, NULL, NULL
               FROM _tokens""",
            {"design": design_id, "period": period_id, "expires": expires},
        )
        cur.unregister("_tokens")
    return Sample(
        design_id=design_id,
        period_id=period_id,
        strata=strata,
        tokens=tokens.select("invitation_id", "grid_id", "household_id", "token").with_columns(
            pl.lit(expires).alias("expires_at")
        ),
    )


def design_of(db: Database, period_id: str) -> dict | None:
    """The recorded design of a period as a dict of its columns (None if not drawn)."""
    frame = db.query("SELECT * FROM survey_designs WHERE period_id = ?", [period_id])
    return frame.row(0, named=True) if frame.height else None


def sample_counts(db: Database, period_id: str) -> pl.DataFrame:
    """Per-grid sizes of a period's design: population, excluded, frame, completes needed, invited."""
    return db.query(
        """SELECT s.grid_id, s.population, s.excluded, s.frame, s.completes_needed, s.invited
           FROM survey_strata s JOIN survey_designs d USING (design_id)
           WHERE d.period_id = ? ORDER BY s.grid_id""",
        [period_id],
    )
