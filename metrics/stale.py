"""Stale scores: what changed in a period's inputs since its run last read them.

A run's mark is the time of its last `run_created` or `run_rescored` audit row (the
moment its score tables were written from the inputs read just before). Every input
row that came in later arrives through an ingest batch (ingest never overwrites a
stored row), and every veto decision is a dated `veto_actions` row, so "what changed"
is a count of the period's rows of batches loaded after the mark plus the decisions on
the period's vetoes after it: small indexed reads, no rescan of the scores.
A draft run that is stale is re-scored (`metrics.runs.rescore`); a final run is never
changed, its correction goes through the appeals path.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from metrics.errors import ScoringError
from warehouse.db import Database

CHANGES_SQL = """
WITH mark AS (               -- when the run last read its inputs
    SELECT max(logged_at) AS mark_time FROM audit_log
    WHERE entity = 'score_run' AND entity_id = $run_id AND action IN ('run_created', 'run_rescored')
),
period AS (
    SELECT period_id, starts_on, ends_on FROM periods WHERE period_id = $period_id
),
sub_periods AS (             -- the period itself and every period inside it
    SELECT s.period_id FROM periods s, period p
    WHERE s.starts_on >= p.starts_on AND s.ends_on <= p.ends_on
),
overlapping AS (             -- an annual exam counts for the halves of its year too
    SELECT s.period_id FROM periods s, period p
    WHERE s.starts_on <= p.ends_on AND s.ends_on >= p.starts_on
),
seen_batch AS (              -- the last batch loaded before the mark (what "since batch X" names)
    SELECT b.batch_id, b.file_name FROM ingest_batches b, mark
    WHERE b.loaded_at <= mark.mark_time ORDER BY b.loaded_at DESC, b.batch_id DESC LIMIT 1
),
later_batches AS (           -- batches loaded after the mark
    SELECT b.batch_id FROM ingest_batches b, mark WHERE b.loaded_at > mark.mark_time
),
work AS (
    SELECT 'work_records' AS table_name, count(*) AS n FROM work_records r, period p
    WHERE r.batch_id IN (SELECT batch_id FROM later_batches)
      AND r.opened_at >= p.starts_on AND r.opened_at < p.ends_on + INTERVAL 1 DAY
),
skills AS (
    SELECT 'skill_assessments', count(*) FROM skill_assessments a JOIN overlapping USING (period_id)
    WHERE a.batch_id IN (SELECT batch_id FROM later_batches)
),
inspection AS (
    SELECT 'inspections', count(*) FROM inspections i, period p
    WHERE i.batch_id IN (SELECT batch_id FROM later_batches)
      AND (i.inspected_on BETWEEN p.starts_on AND p.ends_on OR i.rectify_by BETWEEN p.starts_on AND p.ends_on)
),
complaint AS (
    SELECT 'complaints', count(*) FROM complaints c, period p
    WHERE c.batch_id IN (SELECT batch_id FROM later_batches) AND c.received_on BETWEEN p.starts_on AND p.ends_on
),
bonus AS (
    SELECT 'bonus_events', count(*) FROM bonus_events b JOIN sub_periods USING (period_id)
    WHERE b.batch_id IN (SELECT batch_id FROM later_batches)
),
veto AS (
    SELECT 'veto_events', count(*) FROM veto_events v JOIN sub_periods USING (period_id)
    WHERE v.batch_id IN (SELECT batch_id FROM later_batches)
),
decision AS (                -- confirm, appeal, uphold, overturn of the period's vetoes
    SELECT 'veto_actions', count(*) FROM veto_actions a
    JOIN veto_events v USING (veto_id) JOIN sub_periods USING (period_id), mark
    WHERE a.acted_at > mark.mark_time
)
SELECT t.table_name, t.n, (SELECT mark_time FROM mark) AS mark_at,
       (SELECT batch_id FROM seen_batch) AS since_batch, (SELECT file_name FROM seen_batch) AS since_file
FROM (SELECT * FROM work UNION ALL SELECT * FROM skills UNION ALL SELECT * FROM inspection
      UNION ALL SELECT * FROM complaint UNION ALL SELECT * FROM bonus UNION ALL SELECT * FROM veto
      UNION ALL SELECT * FROM decision) t
ORDER BY t.table_name
"""


@dataclass(frozen=True)
class Staleness:
    """What changed in a run's period since the run read its inputs.

    `since_batch` is the last ingest batch the run saw (None: none before it);
    `per_table` counts changed rows by input table (only tables with changes).
    """

    run_id: str
    period_id: str
    status: str
    is_stale: bool
    changes: int
    per_table: dict[str, int]
    since_batch: str | None
    since_file: str | None
    marked_at: datetime | None

    @property
    def since_label(self) -> str:
        """A short name of the last batch the run saw (8 hex digits), or the run id."""
        return self.since_batch[:8] if self.since_batch else self.run_id


def changes_since(db: Database, run_id: str) -> Staleness:
    """Count the changes to a run's period inputs after the run last read them.

    Raises:
        ScoringError: no such run.
    """
    row = db.query("SELECT period_id, status FROM score_runs WHERE run_id = ?", [run_id])
    if row.height == 0:
        raise ScoringError(f"score run {run_id!r} does not exist")
    period_id, status = row.row(0)
    frame = db.query(CHANGES_SQL, {"run_id": run_id, "period_id": period_id})
    per_table = {name: int(n) for name, n in zip(frame["table_name"], frame["n"], strict=True) if n}
    first = frame.row(0, named=True) if frame.height else {}
    total = sum(per_table.values())
    return Staleness(run_id=run_id, period_id=period_id, status=status, is_stale=total > 0, changes=total,
                     per_table=per_table, since_batch=first.get("since_batch"), since_file=first.get("since_file"),
                     marked_at=first.get("mark_at"))
