"""`gridscore jobs`: list, show, follow and cancel the server's jobs (任务).

Through the server that holds the database; with no server running, `list`
and `show` read the `jobs` table from the file (the history of past runs).
"""

from __future__ import annotations

from typing import Annotated, Any

import polars as pl
import typer

from dashboard.commands.common import (
    DbOption,
    JsonOption,
    fail,
    out,
    print_frame,
    print_json,
    server_or_none,
    steps_bar,
    user_errors,
)

app = typer.Typer()
jobs_app = typer.Typer(help="Jobs run by the server (任务): list, show, follow, cancel.", no_args_is_help=True)
app.add_typer(jobs_app, name="jobs")

JobArg = Annotated[int, typer.Argument(help="Job number.")]


def _local_jobs(db: str | None, job_id: int | None = None, limit: int = 50) -> list[dict[str, Any]]:
    from dashboard.jobs import store
    from warehouse.db import open_db

    with open_db(db, read_only=True) as database:
        if job_id is not None:
            info = store.get(database, job_id)
            return [] if info is None else [info.to_json()]
        return [j.to_json() for j in store.recent(database, limit=limit)]


def _progress_text(job: dict[str, Any]) -> str:
    p = job["progress"]
    if not p["unit"]:
        return ""
    total = "?" if p["total"] is None else f"{p['total']:g}"
    return f"{p['done']:g}/{total} {p['unit']}"


@jobs_app.command("list")
def jobs_list(
    limit: Annotated[int, typer.Option("--limit", help="How many of the newest jobs.")] = 50,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """List jobs, newest first: state, progress and the message in plain words."""
    client = server_or_none(db)
    with user_errors():
        rows = client.get_json(f"/jobs?limit={limit}") if client else _local_jobs(db, limit=limit)
    if json:
        print_json(rows)
        return
    frame = pl.DataFrame(
        [{"job": j["job_id"], "kind": j["kind"], "who": j["who"], "state": j["state"],
          "progress": _progress_text(j), "message": j["message"], "submitted": j["submitted_at"]} for j in rows],
        schema={"job": pl.Int64, "kind": pl.String, "who": pl.String, "state": pl.String,
                "progress": pl.String, "message": pl.String, "submitted": pl.String},
    )
    print_frame(frame, title="jobs 任务", limit=limit)


def _one(db: str | None, job_id: int) -> dict[str, Any]:
    client = server_or_none(db)
    with user_errors():
        rows = [client.get_json(f"/jobs/{job_id}")] if client else _local_jobs(db, job_id)
    if not rows:
        fail(f"no job {job_id}")
    return rows[0]


def _print_job(job: dict[str, Any]) -> None:
    out.print(f"job {job['job_id']} {job['kind']} by {job['who']}: {job['state']} {_progress_text(job)} — "
              f"{job['message']}", highlight=False, soft_wrap=True)


@jobs_app.command("show")
def jobs_show(job_id: JobArg, db: DbOption = None, json: JsonOption = False) -> None:
    """Show one job: parameters, state, progress, result."""
    job = _one(db, job_id)
    if json:
        print_json(job)
    else:
        _print_job(job)


@jobs_app.command("follow")
def jobs_follow(job_id: JobArg, db: DbOption = None, json: JsonOption = False) -> None:
    """Follow a job with a progress bar until it ends; exit 1 unless it is done (Ctrl-C cancels it)."""
    client = server_or_none(db)
    if client is None:
        job = _one(db, job_id)
    else:
        with user_errors(), steps_bar(f"job {job_id}", enabled=not json) as steps:
            job = client.follow(job_id, steps)
    if json:
        print_json(job)
    else:
        _print_job(job)
    if job["state"] != "done":
        raise typer.Exit(1)


@jobs_app.command("cancel")
def jobs_cancel(job_id: JobArg, db: DbOption = None, json: JsonOption = False) -> None:
    """Cancel a job: a queued one at once, a running one at its next safe point (its open work rolls back)."""
    client = server_or_none(db)
    if client is None:
        fail("no gridscore server holds this database: there is no job running to cancel")
    with user_errors():
        job = client.post_json(f"/jobs/{job_id}/cancel", {})
    if json:
        print_json(job)
    else:
        _print_job(job)
