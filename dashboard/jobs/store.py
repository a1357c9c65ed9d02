"""The `jobs` table: insert, progress, finish, read, and the start-up sweep.

Only the server's job runner writes here; each write is one short statement,
serialised by one lock so two threads never race on a job's row.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from warehouse.db import Database

FINISHED = ("done", "failed", "cancelled", "interrupted")

_WRITE = threading.Lock()


def now() -> datetime:
    """The current UTC time without tzinfo (how the tables store time)."""
    return datetime.now(UTC).replace(tzinfo=None)


@dataclass(frozen=True)
class JobInfo:
    """One row of `jobs`, with params and result decoded."""

    job_id: int
    kind: str
    params: dict[str, Any]
    who: str
    writes: bool
    state: str
    progress_done: float
    progress_total: float | None
    progress_unit: str | None
    message: str | None
    result: Any
    result_file: str | None
    cancel_requested: bool
    submitted_at: datetime
    started_at: datetime | None
    ended_at: datetime | None

    @property
    def finished(self) -> bool:
        """The job will not change any more."""
        return self.state in FINISHED

    def to_json(self) -> dict[str, Any]:
        """JSON-ready view (times as ISO strings; the result file as a flag)."""
        def iso(t: datetime | None) -> str | None:
            return None if t is None else t.isoformat()

        return {
            "job_id": self.job_id, "kind": self.kind, "params": self.params, "who": self.who,
            "writes": self.writes, "state": self.state,
            "progress": {"done": self.progress_done, "total": self.progress_total, "unit": self.progress_unit},
            "message": self.message, "result": self.result, "has_file": self.result_file is not None,
            "cancel_requested": self.cancel_requested, "submitted_at": iso(self.submitted_at),
            "started_at": iso(self.started_at), "ended_at": iso(self.ended_at),
        }


COLUMNS = ("job_id, kind, params, who, writes, state, progress_done, progress_total, progress_unit, "
           "message, result, result_file, cancel_requested, submitted_at, started_at, ended_at")


def _info(row: tuple) -> JobInfo:
    values = list(row)
    values[2] = json.loads(values[2])
    values[10] = None if values[10] is None else json.loads(values[10])
    return JobInfo(*values)


def _execute(db: Database, sql: str, params: list) -> None:
    with _WRITE:
        cur = db.cursor()
        try:
            cur.execute(sql, params)
        finally:
            cur.close()


def insert(db: Database, *, kind: str, params: dict[str, Any], who: str, writes: bool) -> int:
    """Record a new queued job; return its number."""
    with _WRITE:
        cur = db.cursor()
        try:
            job_id = int(cur.execute("SELECT coalesce(max(job_id), 0) + 1 FROM jobs").fetchone()[0])
            cur.execute(
                "INSERT INTO jobs (job_id, kind, params, who, writes, state, submitted_at, message) "
                "VALUES (?, ?, ?, ?, ?, 'queued', ?, ?)",
                [job_id, kind, json.dumps(params, ensure_ascii=False), who, writes, now(), "waiting to start"],
            )
        finally:
            cur.close()
    return job_id


def mark_running(db: Database, job_id: int) -> None:
    """The job starts now."""
    _execute(db, "UPDATE jobs SET state = 'running', started_at = ?, message = 'started' WHERE job_id = ?",
             [now(), job_id])


def set_progress(db: Database, job_id: int, done: float, total: float | None, unit: str | None,
                 message: str | None) -> None:
    """Record how far the job is."""
    _execute(db, "UPDATE jobs SET progress_done = ?, progress_total = ?, progress_unit = ?, "
                 "message = coalesce(?, message) WHERE job_id = ?", [done, total, unit, message, job_id])


def request_cancel(db: Database, job_id: int) -> None:
    """Note that someone asked to cancel the job."""
    _execute(db, "UPDATE jobs SET cancel_requested = true WHERE job_id = ?", [job_id])


def finish(db: Database, job_id: int, *, state: str, message: str, result: Any = None,
           result_file: str | None = None) -> None:
    """Close the job: done (progress full), failed, cancelled or interrupted, with its outcome."""
    _execute(
        db,
        "UPDATE jobs SET state = ?, message = ?, result = ?, result_file = ?, ended_at = ?, "
        "progress_done = CASE WHEN ? = 'done' AND progress_total IS NOT NULL THEN progress_total "
        "ELSE progress_done END WHERE job_id = ?",
        [state, message, None if result is None else json.dumps(result, ensure_ascii=False, default=str),
         result_file, now(), state, job_id],
    )


def get(db: Database, job_id: int) -> JobInfo | None:
    """One job, or None."""
    cur = db.cursor()
    try:
        row = cur.execute(f"SELECT {COLUMNS} FROM jobs WHERE job_id = ?", [job_id]).fetchone()
    finally:
        cur.close()
    return None if row is None else _info(row)


def recent(db: Database, *, who: str | None = None, limit: int = 50) -> list[JobInfo]:
    """The newest jobs first (only `who`'s when given)."""
    cur = db.cursor()
    try:
        rows = cur.execute(
            f"SELECT {COLUMNS} FROM jobs WHERE ? IS NULL OR who = ? ORDER BY job_id DESC LIMIT ?",
            [who, who, limit],
        ).fetchall()
    finally:
        cur.close()
    return [_info(r) for r in rows]


def sweep_interrupted(db: Database) -> list[int]:
    """At start-up: jobs a previous server left running or queued are `interrupted`.

    A running job's writes were whole (one transaction or whole checkpoints), so
    the data holds all or none of its last unit; the job itself will not resume.
    """
    cur = db.cursor()
    try:
        ids = [r[0] for r in cur.execute(
            "SELECT job_id FROM jobs WHERE state IN ('running', 'queued') ORDER BY job_id").fetchall()]
    finally:
        cur.close()
    _execute(db, "UPDATE jobs SET state = 'interrupted', ended_at = ?, message = CASE state "
                 "WHEN 'running' THEN 'interrupted: the server stopped while it ran; its last unit of work "
                 "was rolled back — submit it again' "
                 "ELSE 'interrupted: the server stopped before it started — submit it again' END "
                 "WHERE state IN ('running', 'queued')", [now()])
    return ids
