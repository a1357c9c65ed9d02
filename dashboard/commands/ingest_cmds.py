"""Ingest and template commands: load CSV/Excel/Parquet files, write Excel templates.

Thin: parse options, call `warehouse.ingest.ingest_file` / `warehouse.templates.
write_template`, print the result. A file refused whole is a failure (exit 1 with
a one-line reason); rejected rows are not (exit 0, reported clearly).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import polars as pl
import typer

from dashboard.commands.common import (
    DbOption,
    JsonOption,
    console,
    fail,
    out,
    print_frame,
    print_json,
    server_or_none,
    steps_bar,
    user_errors,
)

app = typer.Typer()

KIND_HELP = (
    "Entity kind: org_units, departments, workers, households, household_identities, periods, "
    "work_records, skill_assessments, inspections, complaints, bonus_events, veto_events."
)


@app.command()
def ingest(
    kind: Annotated[str, typer.Argument(help=KIND_HELP)],
    files: Annotated[list[Path], typer.Argument(help="CSV (UTF-8 or GBK), Excel .xlsx or Parquet files.")],
    db: DbOption = None,
    json: JsonOption = False,
    limit: Annotated[int, typer.Option("--limit", help="Reject rows to print per file.")] = 50,
) -> None:
    """Validate and load files of one kind (导入数据); bad rows go to the rejects table.

    Each file is loaded in one transaction; loading the same file again changes
    nothing. Exit code 1 if a file cannot be read at all (nothing of it is
    written); rejected rows are reported but are not a failure. While a gridscore
    server holds the database, the files are loaded by it as a job.
    """
    from dashboard.jobs import tasks
    from warehouse.db import open_db
    from warehouse.ingest import get_spec

    given = [str(p) for p in files]
    client = server_or_none(db)
    with user_errors(), steps_bar(f"ingest {kind}", enabled=not json) as steps:
        if client is not None and client.remote:  # the files are here, the server elsewhere: upload them
            for path in files:
                if not path.is_file():
                    raise FileNotFoundError(2, "No such file", str(path))
            submitted = client.upload(f"/ingest/{kind}/files", files)
            job = client.follow(submitted["job_id"], steps)
            if job["state"] != "done":
                fail(job["message"])
            results = job["result"]
            for result, name in zip(results, given, strict=True):
                result["file"] = name
        elif client is not None:
            job = client.run_job("ingest", {"kind": kind, "files": [str(p.resolve()) for p in files]}, steps)
            results = job["result"]
            for result, name in zip(results, given, strict=True):
                result["file"] = name  # as the user wrote it, like the in-process run
        else:
            get_spec(kind)  # an unknown kind is refused before any file is created
            with open_db(db) as database:
                results = tasks.ingest(database, kind, given, steps)
    refused = [r["refused"] for r in results if "refused" in r]
    if json:
        print_json(results[0] if len(files) == 1 else results)
    else:
        if len(files) > 1:
            for reason in refused:
                console.print(f"[bold red]refused:[/] {reason}", highlight=False, soft_wrap=True)
        for result in results:
            if "refused" not in result:
                _print_result(result, limit=limit)
    if refused:
        if len(refused) > 1 or len(files) > 1:
            fail(f"{len(refused)} of {len(files)} file(s) refused whole; first: {refused[0]}")
        fail(refused[0])


def _print_result(result: dict[str, Any], *, limit: int) -> None:
    name = Path(result["file"]).name
    batch = result["batch_id"][:12]
    if result["already_loaded"]:
        out.print(f"{name}: already loaded (batch {batch}) — nothing changed; "
                  f"read {result['read']}, accepted {result['accepted']}, rejected {result['rejected']}")
    else:
        unchanged = result["accepted"] - result["inserted"]
        note = f" ({unchanged} already stored)" if unchanged else ""
        out.print(f"{name}: read {result['read']}, accepted {result['accepted']}{note}, "
                  f"rejected {result['rejected']} — batch {batch}")
        if result.get("examples_skipped"):
            out.print(f"{name}: skipped the template's example row (示例行，未导入) — "
                      f"{result['examples_skipped']} row(s) not loaded")
    if result["rejected"]:
        out.print(f"[yellow]{result['rejected']} row(s) rejected[/] (not loaded; fix and load again): "
                  f"see the table below or `ingest_rejects` in the database")
        print_frame(pl.DataFrame(result["rejects"]), title=f"rejects 拒收 — {name}", limit=limit)


@app.command()
def template(
    kind: Annotated[str, typer.Argument(help=KIND_HELP)],
    out_path: Annotated[Path, typer.Option("--out", help="Excel file to write (.xlsx).")],
    json: JsonOption = False,
) -> None:
    """Write an Excel input template (导入模板) with bilingual headers, dropdowns and an example row."""
    from warehouse.templates import write_template

    if out_path.suffix.lower() != ".xlsx":
        fail(f"--out must be an .xlsx file, got {out_path.name}")
    with user_errors():
        path = write_template(kind, out_path)
    if json:
        print_json({"kind": kind, "file": str(path)})
    else:
        out.print(f"template for {kind} written to {path}")
