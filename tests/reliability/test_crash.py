"""Crash safety: a writer SIGKILLed at random points loses nothing it acknowledged.

Reduced form of `bench/reliability/crash.py` (10 trials here, 100+ in the full run).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.reliability.crash import check, run_trials
from tests.reliability.conftest import RelCity
from warehouse.db import open_db

pytestmark = pytest.mark.slow  # reliability: real servers, crash and fuzz trials


def test_crash_sigkill_trials_keep_every_acknowledged_write(rel_city: RelCity, rel_copy: Path,
                                                            tmp_path: Path) -> None:
    work = tmp_path / "work"
    report = run_trials(rel_copy, work, list(rel_city.tokens), trials=10, seed=20251,
                        max_delay=1.0, per_trial=60)
    summary = report.summary()
    assert summary["trials"] == 10
    assert summary["acknowledged_submissions"] > 0  # the harness really did work before the kills
    assert report.failures == [], [str(f) for f in report.failures]
    assert summary["missing_submissions"] == summary["half_in_batches"] == summary["open_failures"] == 0
    with open_db(rel_copy) as db:  # and what was acknowledged is exactly what is stored
        stored = db.scalar("SELECT count(*) FROM survey_responses WHERE submission_id LIKE 'T%-%'")
    assert stored >= summary["acknowledged_submissions"]


def test_crash_check_detects_a_lost_submission_and_a_half_batch(rel_copy: Path, tmp_path: Path) -> None:
    """The checker itself can fail: an acknowledged id that is absent, a batch missing rows."""
    from bench.reliability.crash import complaints_csv
    from warehouse.ingest import ingest_file

    with open_db(rel_copy) as db:
        workers = db.query("SELECT worker_id FROM workers LIMIT 3")["worker_id"].to_list()
        ids = [f"CX{n:03d}" for n in range(5)]
        complaints_csv(tmp_path / "half.csv", ids, workers)
        ingest_file(db, "complaints", tmp_path / "half.csv")
        db.scalar("DELETE FROM complaints WHERE complaint_id = 'CX003'")
    (tmp_path / "acked-0.log").write_text("sometoken\tT0-never-stored\n")
    (tmp_path / "ingest-0.log").write_text(json.dumps({"file": "half.csv", "ids": ids}) + "\n")
    report = check(str(rel_copy), tmp_path, 0, 0.0)
    assert report.missing == ["T0-never-stored"]
    assert len(report.half_in) == 1 and "4/5" in report.half_in[0]
    assert not report.ok
