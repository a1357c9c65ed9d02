"""The job runner and `/api/v1` mounted on the dashboard's Flask server.

Apart from `live.server` (which starts `gridscore serve` and so imports the app):
`app.create_app` mounts the jobs from here without an import circle.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Flask

from dashboard.api.routes import ApiConfig, register_api
from dashboard.jobs.runner import JobRunner
from dashboard.settings import Settings
from warehouse.db import Database

EXTENSION = "gridscore_jobs"


def jobs_folder(db_path: str) -> Path:
    """Where jobs keep their files (reports to download): `<db>.jobs/` next to the database."""
    if db_path == ":memory:":
        return Path(tempfile.mkdtemp(prefix="gridscore-jobs-"))
    db = Path(db_path).resolve()
    return db.with_name(db.name + ".jobs")


def attach_jobs(server: Flask, db: Database, settings: Settings, *, local_token: str | None) -> JobRunner:
    """Start the job runner of this server and mount `/api/v1`."""
    runner = JobRunner(db, jobs_folder(db.path if db.path else settings.db_path))
    runner.start()
    server.extensions[EXTENSION] = runner
    register_api(server, ApiConfig(db=db, runner=runner, local_token=local_token))
    return runner
