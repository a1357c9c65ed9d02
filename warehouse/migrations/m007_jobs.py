"""Migration 7: the `jobs` table of the server's job runner (issue 16).

Frozen DDL: this migration creates the table as it was on the day it shipped;
later changes are new migrations. `warehouse/schema_jobs.py` declares the same
table for the data dictionary.
"""

from __future__ import annotations

import sqlalchemy as sa

VERSION = 7
NAME = "jobs"

DDL = """
CREATE TABLE IF NOT EXISTS jobs (
    job_id INTEGER PRIMARY KEY,
    kind VARCHAR NOT NULL,
    params VARCHAR NOT NULL,
    who VARCHAR NOT NULL,
    writes BOOLEAN NOT NULL,
    state VARCHAR NOT NULL,
    progress_done DOUBLE NOT NULL DEFAULT 0,
    progress_total DOUBLE,
    progress_unit VARCHAR,
    message VARCHAR,
    result VARCHAR,
    result_file VARCHAR,
    cancel_requested BOOLEAN NOT NULL DEFAULT false,
    submitted_at TIMESTAMP NOT NULL,
    started_at TIMESTAMP,
    ended_at TIMESTAMP
)
"""


def upgrade(conn: sa.Connection) -> None:
    """Create `jobs`."""
    conn.exec_driver_sql(DDL)
