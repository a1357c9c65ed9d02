"""Quality screens of responses (A12): flagged with a reason, never dropped.

Screens: answered faster than the questionnaire's `min_seconds` (web), the same answer
on every scale item (straight-lining), many responses from one device or one network
address, and answers keyed in by the grid's own worker. Flags go to
`survey_quality_flags` for supervisors to review; estimates still count the responses
(`surveys.estimate` reports how many are flagged per unit).
"""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from surveys.errors import SurveyError
from surveys.questionnaire import Questionnaire, load_questionnaire, questionnaire_for
from warehouse.db import Database, fetch_pl

SCREEN_SQL = """
WITH resp AS (
    SELECT * FROM survey_responses WHERE period_id = $period
),
too_fast AS (
    SELECT response_id, 'too_fast' AS flag,
           printf('completed in %.0f s (minimum %.0f s)', duration_seconds, $min_seconds) AS reason
    FROM resp
    WHERE channel = 'web' AND duration_seconds IS NOT NULL AND duration_seconds < $min_seconds
),
scale_answers AS (
    SELECT a.response_id, count(*) AS answered, count(DISTINCT a.answer_code) AS distinct_codes,
           min(a.answer_code) AS code
    FROM survey_answers a JOIN resp USING (response_id)
    WHERE list_contains($scale_items, a.item_key)
    GROUP BY a.response_id
),
straight AS (
    SELECT response_id, 'straight_lining' AS flag,
           printf('all %d scale items answered %s', answered, code) AS reason
    FROM scale_answers
    WHERE answered >= $min_straight AND distinct_codes = 1
),
device AS (
    SELECT response_id, 'duplicate_device' AS flag,
           printf('%d responses in this period from one device', count(*) OVER (PARTITION BY device_hash)) AS reason
    FROM resp WHERE device_hash IS NOT NULL
    QUALIFY count(*) OVER (PARTITION BY device_hash) > $max_same
),
address AS (
    SELECT response_id, 'duplicate_address' AS flag,
           printf('%d responses in this period from one network address', count(*) OVER (PARTITION BY address_hash)) AS reason
    FROM resp WHERE address_hash IS NOT NULL
    QUALIFY count(*) OVER (PARTITION BY address_hash) > $max_same
),
own_worker AS (
    SELECT r.response_id, 'entered_by_grid_worker' AS flag,
           printf('keyed in by %s, a worker of the grid surveyed', r.entered_by) AS reason
    FROM resp r
    WHERE r.entered_by IS NOT NULL
      AND EXISTS (SELECT 1 FROM workers w WHERE w.worker_id = r.entered_by AND w.grid_id = r.grid_id)
)
SELECT * FROM too_fast
UNION ALL SELECT * FROM straight
UNION ALL SELECT * FROM device
UNION ALL SELECT * FROM address
UNION ALL SELECT * FROM own_worker
ORDER BY response_id, flag
"""


def screen(
    db: Database,
    period_id: str,
    *,
    questionnaire: Questionnaire | None = None,
    max_same_source: int = 3,
    min_straight_items: int = 4,
    now: datetime | None = None,
) -> pl.DataFrame:
    """Run the quality screens for a period and store the flags (replacing the period's old flags).

    Args:
        db: open database (writable).
        period_id: period whose responses are screened.
        questionnaire: defaults to the version of the period's design.
        max_same_source: more responses than this from one device or address are flagged.
        min_straight_items: straight-lining needs at least this many scale items answered.
        now: clock (tests).

    Returns:
        The flags: response_id, flag, reason.
    """
    if questionnaire is None:
        version = db.scalar("SELECT questionnaire_version FROM survey_designs WHERE period_id = ?", [period_id])
        if version is None:
            raise SurveyError(f"period {period_id} has no survey sample")
        try:
            questionnaire = questionnaire_for(version)
        except SurveyError:
            questionnaire = load_questionnaire()
    stamp = (now or datetime.now(UTC)).replace(tzinfo=None)
    params = {
        "period": period_id,
        "min_seconds": questionnaire.min_seconds,
        "scale_items": list(questionnaire.scale_items),
        "min_straight": min_straight_items,
        "max_same": max_same_source,
    }
    with db.transaction() as cur:
        flags = fetch_pl(cur, SCREEN_SQL, params)
        cur.execute("DELETE FROM survey_quality_flags WHERE period_id = ?", [period_id])
        cur.register("_flags", flags)
        cur.execute(
            "INSERT INTO survey_quality_flags SELECT response_id, ?, flag, reason, ? FROM _flags",
            [period_id, stamp],
        )
        cur.unregister("_flags")
    return flags


def flags(db: Database, period_id: str) -> pl.DataFrame:
    """Stored flags of a period with the response's grid and channel (for supervisors)."""
    return db.query(
        """SELECT f.response_id, r.grid_id, r.channel, f.flag, f.reason, f.flagged_at
           FROM survey_quality_flags f JOIN survey_responses r USING (response_id)
           WHERE f.period_id = ? ORDER BY r.grid_id, f.response_id, f.flag""",
        [period_id],
    )
