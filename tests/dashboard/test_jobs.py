"""The job runner in-process on a real database: order of writing jobs, cancel of a
queued job, failures in plain words, parameter checks, and the start-up sweep."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.jobs import store
from dashboard.jobs.kinds import JobError
from dashboard.jobs.runner import JobRunner
from warehouse.db import Database


@pytest.fixture()
def runner(city_db: Database, tmp_path: Path):
    jobs = JobRunner(city_db, tmp_path / "jobs")
    jobs.start()
    try:
        yield jobs
    finally:
        jobs.stop()


def test_writing_jobs_run_one_at_a_time_in_order(runner: JobRunner, city_db: Database) -> None:
    before = city_db.scalar("SELECT count(*) FROM score_runs")
    first = runner.submit("score", {"period": "2025", "draws": 200}, who="alice")
    second = runner.submit("score", {"period": "2025", "draws": 10, "seed": 3}, who="bob")
    a, b = runner.wait(first.job_id), runner.wait(second.job_id)
    assert a.state == b.state == "done", (a.message, b.message)
    assert b.started_at >= a.ended_at  # the second waited for the first
    assert city_db.scalar("SELECT count(*) FROM score_runs") == before + 2
    assert a.result["run_id"] != b.result["run_id"] and b.result["workers"] > 0
    assert a.progress_done == a.progress_total == 100 and a.progress_unit == "percent"
    assert [j.job_id for j in store.recent(city_db, who="bob")] == [second.job_id]


def test_cancel_a_queued_job_and_a_failure_in_plain_words(runner: JobRunner, city_db: Database,
                                                          tmp_path: Path) -> None:
    busy = runner.submit("score", {"period": "2025", "draws": 2000}, who="alice")
    queued = runner.submit("score", {"period": "2025", "draws": 10}, who="alice")
    runner.cancel(queued.job_id)
    done = runner.wait(queued.job_id)
    assert done.state == "cancelled" and done.cancel_requested and done.started_at is None
    assert runner.wait(busy.job_id).state == "done"
    failed = runner.wait(runner.submit("report", {"period": "1999"}, who="alice").job_id)
    assert failed.state == "failed" and "1999" in failed.message and "Traceback" not in failed.message
    assert not (tmp_path / "jobs" / str(failed.job_id)).exists()  # no file: its folder is gone


def test_parameters_are_checked_before_anything_is_recorded(runner: JobRunner, city_db: Database) -> None:
    count = city_db.scalar("SELECT count(*) FROM jobs")
    with pytest.raises(JobError, match="parameter draws"):
        runner.submit("score", {"period": "2025", "draws": -5}, who="x")
    with pytest.raises(JobError, match="parameter files"):
        runner.submit("ingest", {"kind": "work_records", "files": []}, who="x")
    with pytest.raises(JobError, match="unknown job kind 'nope'"):
        runner.submit("nope", {}, who="x")
    assert city_db.scalar("SELECT count(*) FROM jobs") == count


def test_start_up_marks_what_a_stopped_server_left_as_interrupted(city_db: Database, tmp_path: Path) -> None:
    running = store.insert(city_db, kind="score", params={"period": "2025"}, who="a", writes=True)
    store.mark_running(city_db, running)
    waiting = store.insert(city_db, kind="score", params={"period": "2025"}, who="a", writes=True)
    finished = store.insert(city_db, kind="score", params={"period": "2025"}, who="a", writes=True)
    store.finish(city_db, finished, state="done", message="ok")
    jobs = JobRunner(city_db, tmp_path / "jobs")
    try:
        assert jobs.start() == [running, waiting]
    finally:
        jobs.stop()
    states = {j.job_id: (j.state, j.message) for j in store.recent(city_db)}
    assert states[running][0] == states[waiting][0] == "interrupted"
    assert "while it ran" in states[running][1] and "before it started" in states[waiting][1]
    assert states[finished] == ("done", "ok")


def test_a_table_comes_back_from_a_job_result_with_its_types_even_empty_or_all_null() -> None:
    import json
    from datetime import date, datetime

    import polars as pl

    from dashboard.jobs.tasks import table_frame, table_json

    frame = pl.DataFrame({"unit": ["G1", "G2"], "rel": [None, None], "n": [3, 4],
                          "day": [date(2025, 1, 2), None], "at": [datetime(2025, 1, 2, 3, 4), None]},
                         schema_overrides={"rel": pl.Float64})
    again = table_frame(json.loads(json.dumps(table_json(frame), default=str)))  # as the jobs table stores it
    assert again.schema == frame.schema and again.equals(frame)
    empty = table_frame(table_json(frame.clear()))
    assert empty.schema == frame.schema and empty.height == 0
    assert again.with_columns(pl.col("rel").round(2))["rel"].null_count() == 2
