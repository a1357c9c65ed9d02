"""Final dispositions of sampled households and response rates RR1 / RR3 (A3, AAPOR).

Every invitation ends with one outcome code. "complete" is set only by intake (a
stored response); the survey team records the others from the token file
(`record_dispositions`). An invitation still pending at estimation time counts as
"unknown" (eligibility unknown, no contact recorded).

AAPOR Standard Definitions, with I complete, P partial, R refusal, NC non-contact,
U unknown eligibility, and ineligible households out of the denominator:

* RR1 = I / (I + P + R + NC + U)
* RR3 = I / (I + P + R + NC + e·U), e = (I + P + R + NC) / (I + P + R + NC + ineligible),
  the share of households of known eligibility that were eligible.
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from surveys.errors import SurveyError
from surveys.intake import hash_token
from warehouse.db import Database

DISPOSITIONS: dict[str, str] = {
    "complete": "完成",
    "partial": "部分完成",
    "refusal": "拒访",
    "non_contact": "未接触到",
    "ineligible": "不符合条件",
    "unknown": "情况不明",
}
RECORDABLE = ("partial", "refusal", "non_contact", "ineligible", "unknown")


def record_dispositions(db: Database, outcomes: pl.DataFrame, *, now: datetime | None = None) -> pl.DataFrame:
    """Record non-complete outcomes for tokens (from the survey team's call sheet).

    A token whose response is stored stays "complete" whatever is recorded later.

    Args:
        db: open database (writable).
        outcomes: token, disposition (one of partial, refusal, non_contact,
            ineligible, unknown).
        now: clock (tests).

    Returns:
        One row per input row: token, disposition, result ("recorded",
        "unknown_token", "already_complete").

    Raises:
        SurveyError: a disposition code is not one of the recordable codes.
    """
    bad = outcomes.filter(~pl.col("disposition").is_in(list(RECORDABLE)))
    if bad.height:
        raise SurveyError(
            f"disposition must be one of {', '.join(RECORDABLE)} (got {bad['disposition'][0]!r})"
        )
    day = (now or datetime.now(UTC)).replace(tzinfo=None, hour=0, minute=0, second=0, microsecond=0)
    frame = outcomes.select("token", "disposition").with_columns(
        pl.col("token").map_elements(hash_token, return_dtype=pl.String).alias("token_hash"),
        pl.int_range(pl.len()).alias("row"),
    )
    with db.transaction() as cur:
        cur.register("_outcomes", frame)
        result = cur.sql(
            """SELECT o.row, o.token, o.disposition,
                      CASE WHEN i.invitation_id IS NULL THEN 'unknown_token'
                           WHEN i.disposition = 'complete' THEN 'already_complete'
                           ELSE 'recorded' END AS result
               FROM _outcomes o LEFT JOIN survey_invitations i USING (token_hash)
               ORDER BY o.row"""
        ).pl()
        cur.execute(
            """UPDATE survey_invitations
               SET disposition = o.disposition, disposition_at = ?
               FROM _outcomes o
               WHERE survey_invitations.token_hash = o.token_hash
                 AND coalesce(survey_invitations.disposition, '') <> 'complete'""",
            [day],
        )
        cur.unregister("_outcomes")
    return result.drop("row")


DISPOSITION_COUNTS_SQL = """
WITH inv AS (
    SELECT grid_id, weight_class, coalesce(disposition, 'unknown') AS disposition
    FROM survey_invitations WHERE period_id = $period
)
SELECT grid_id, weight_class,
       count(*)                                           AS invited,
       count(*) FILTER (WHERE disposition = 'complete')    AS n_complete,
       count(*) FILTER (WHERE disposition = 'partial')     AS n_partial,
       count(*) FILTER (WHERE disposition = 'refusal')     AS n_refusal,
       count(*) FILTER (WHERE disposition = 'non_contact') AS n_non_contact,
       count(*) FILTER (WHERE disposition = 'ineligible')  AS n_ineligible,
       count(*) FILTER (WHERE disposition = 'unknown')     AS n_unknown
FROM inv GROUP BY grid_id, weight_class
"""

COUNT_COLUMNS = ["invited", "n_complete", "n_partial", "n_refusal", "n_non_contact", "n_ineligible", "n_unknown"]


def disposition_counts(db: Database, period_id: str, *, by_class: bool = False) -> pl.DataFrame:
    """Outcome counts per grid (and weighting class if `by_class`) for a period's sample."""
    frame = db.query(DISPOSITION_COUNTS_SQL, {"period": period_id})
    keys = ["grid_id", "weight_class"] if by_class else ["grid_id"]
    return frame.group_by(keys).agg(pl.col(COUNT_COLUMNS).sum().cast(pl.Int64)).sort(keys)


def with_response_rates(counts: pl.DataFrame) -> pl.DataFrame:
    """Add e, RR1 and RR3 to a frame of outcome counts (any level: sums aggregate exactly).

    Examples:
        >>> f = pl.DataFrame({"invited": [10], "n_complete": [5], "n_partial": [1],
        ...     "n_refusal": [1], "n_non_contact": [1], "n_ineligible": [1], "n_unknown": [1]})
        >>> with_response_rates(f).select(pl.col("rr1", "rr3").round(4)).row(0)
        (0.5556, 0.5625)
    """
    known = pl.col("n_complete") + pl.col("n_partial") + pl.col("n_refusal") + pl.col("n_non_contact")
    e = pl.when(known + pl.col("n_ineligible") > 0).then(known / (known + pl.col("n_ineligible"))).otherwise(1.0)
    den1 = known + pl.col("n_unknown")
    return counts.with_columns(e.alias("eligibility_rate")).with_columns(
        pl.when(den1 > 0).then(pl.col("n_complete") / den1).alias("rr1"),
        pl.when(known + pl.col("eligibility_rate") * pl.col("n_unknown") > 0)
        .then(pl.col("n_complete") / (known + pl.col("eligibility_rate") * pl.col("n_unknown")))
        .alias("rr3"),
    )


def response_rates(db: Database, period_id: str) -> pl.DataFrame:
    """Per grid: invited, outcome counts, eligibility rate e, RR1 and RR3."""
    return with_response_rates(disposition_counts(db, period_id))
