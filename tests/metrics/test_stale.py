"""Stale scores: a run counts the changes to its period's inputs since it read them."""

from __future__ import annotations

import pytest

from metrics.errors import ScoringError
from metrics.runs import latest_run, rescore
from metrics.stale import changes_since
from metrics.vetoes import transition
from tests.conftest import CITY_YEAR
from warehouse.db import Database

PERIOD = f"{CITY_YEAR}"


def _proposed_veto(db: Database) -> tuple[str, str]:
    """A proposed worker veto of the period (added when the city has none)."""
    row = db.query("SELECT veto_id, subject_id FROM veto_events WHERE status = 'proposed' AND scope = 'worker' "
                   "AND period_id = ? ORDER BY veto_id LIMIT 1", [PERIOD])
    if row.height:
        return row.row(0)
    worker = db.scalar("SELECT worker_id FROM workers ORDER BY worker_id LIMIT 1")
    with db.transaction() as cur:
        cur.execute("INSERT INTO veto_events (veto_id, category, scope, subject_id, period_id, evidence, severity, status) "
                    "VALUES ('VT-T1', 'safety_incident', 'worker', ?, ?, 'test', 'fail', 'proposed')", [worker, PERIOD])
    return "VT-T1", worker


def test_stale_fresh_run_has_no_changes(city_db: Database) -> None:
    run = latest_run(city_db, PERIOD)
    s = changes_since(city_db, run.run_id)
    assert (s.is_stale, s.changes, s.per_table) == (False, 0, {})
    assert s.marked_at is not None


def test_stale_veto_decision_counts_and_rescore_clears(city_db: Database) -> None:
    run = latest_run(city_db, PERIOD)
    veto_id, worker = _proposed_veto(city_db)
    transition(city_db, veto_id, action="confirm", actor="tester", evidence="report 12")
    s = changes_since(city_db, run.run_id)
    assert s.is_stale and s.changes == 1 and s.per_table == {"veto_actions": 1}
    rescore(city_db, run.run_id, actor="tester", progress=None)
    after = changes_since(city_db, run.run_id)
    assert not after.is_stale
    vetoed = city_db.scalar("SELECT vetoed FROM score_workers WHERE run_id = ? AND worker_id = ?",
                            [run.run_id, worker])
    assert vetoed is True


def test_stale_ingested_rows_of_the_period_count(city_db: Database, tmp_path) -> None:
    from warehouse.ingest import ingest_file

    run = latest_run(city_db, PERIOD)
    base = city_db.query("SELECT * EXCLUDE (batch_id) FROM complaints WHERE year(received_on) = ? LIMIT 3",
                         [CITY_YEAR])
    fresh = base.with_columns(base["complaint_id"] + "-NEW")
    path = tmp_path / "complaints.csv"
    fresh.write_csv(path)
    ingest_file(city_db, "complaints", path)
    s = changes_since(city_db, run.run_id)
    assert s.per_table == {"complaints": 3} and s.changes == 3
    assert s.since_batch is None or len(s.since_label) == 8


def test_stale_unknown_run_is_refused(city_db: Database) -> None:
    with pytest.raises(ScoringError, match="does not exist"):
        changes_since(city_db, "1999-001")
