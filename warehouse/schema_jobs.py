"""The `jobs` table: long office work run by `gridscore serve` (ingest, score, report …).

The server is the one process that holds the database; the work it runs for the
CLI, the API and the dashboard is recorded here, one row per job, so that anyone
can follow it (progress), read its outcome (result JSON, a file for downloads)
and see what a crash interrupted. Only the server's job runner writes it.
"""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.schema import metadata

JOB_STATES = ("queued", "running", "done", "failed", "cancelled", "interrupted")

jobs = sa.Table(
    "jobs",
    metadata,
    sa.Column("job_id", sa.Integer, primary_key=True, autoincrement=False, comment="job number, 1, 2, … in order of submission"),
    sa.Column("kind", sa.String, nullable=False, comment="what the job does: ingest | score | report | …"),
    sa.Column("params", sa.String, nullable=False, comment="the job's parameters (JSON object)"),
    sa.Column("who", sa.String, nullable=False, comment="who submitted it (account, or the OS user of a local CLI)"),
    sa.Column("writes", sa.Boolean, nullable=False, comment="it writes to the database (runs one at a time, in order)"),
    sa.Column("state", sa.String, nullable=False, comment="queued | running | done | failed | cancelled | interrupted"),
    sa.Column("progress_done", sa.Double, nullable=False, server_default=sa.text("0"), comment="units of work done so far"),
    sa.Column("progress_total", sa.Double, comment="units of work in all (NULL: not known yet)"),
    sa.Column("progress_unit", sa.String, comment="what is counted: files, steps, percent …"),
    sa.Column("message", sa.String, comment="the current step or the outcome, in plain words"),
    sa.Column("result", sa.String, comment="the outcome (JSON) once done"),
    sa.Column("result_file", sa.String, comment="file written for download (report, export), if any"),
    sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false(), comment="someone asked to cancel it"),
    sa.Column("submitted_at", sa.DateTime, nullable=False, comment="when it was submitted (UTC)"),
    sa.Column("started_at", sa.DateTime, comment="when it started running (UTC)"),
    sa.Column("ended_at", sa.DateTime, comment="when it finished, failed, was cancelled or interrupted (UTC)"),
    comment="office work run by the server as jobs: state, progress, outcome",
)

JOBS_TABLES = [jobs]
