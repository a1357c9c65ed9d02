"""Ingest and template commands: load CSV/Excel/Parquet files, write Excel templates.

Thin: parse options, call `warehouse.ingest.ingest_file` / `warehouse.templates.
write_template`, print the result. A file refused whole is a failure (exit 1 with
a one-line reason); rejected rows are not (exit 0, reported clearly).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from dashboard.commands.common import (
    DbOption,
    JsonOption,
    console,
    fail,
    out,
    print_frame,
    print_json,
    progress,
    user_errors,
)

if TYPE_CHECKING:
    from warehouse.ingest import IngestResult

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
    written); rejected rows are reported but are not a failure.
    """
    from warehouse.db import open_db
    from warehouse.errors import IngestError
    from warehouse.ingest import get_spec, ingest_file

    results: list[IngestResult | dict[str, str]] = []
    refused: list[str] = []
    with user_errors():
        get_spec(kind)
        database = open_db(db)
    try:
        with progress(f"ingest {kind}", total=len(files), enabled=not json) as advance:
            for path in files:
                try:
                    results.append(ingest_file(database, kind, path))
                except IngestError as exc:
                    refused.append(str(exc))
                    results.append({"file": str(path), "refused": str(exc)})
                    if len(files) > 1:
                        console.print(f"[bold red]refused:[/] {exc}", highlight=False, soft_wrap=True)
                advance(1)
    finally:
        database.close()
    if json:
        payload = [r if isinstance(r, dict) else r.summary() for r in results]
        print_json(payload[0] if len(files) == 1 else payload)
    else:
        for result in results:
            if not isinstance(result, dict):
                _print_result(result, limit=limit)
    if refused:
        if len(refused) > 1 or len(files) > 1:
            fail(f"{len(refused)} of {len(files)} file(s) refused whole; first: {refused[0]}")
        fail(refused[0])


def _print_result(result: IngestResult, *, limit: int) -> None:
    name = Path(result.file).name
    if result.already_loaded:
        out.print(f"{name}: already loaded (batch {result.batch_id[:12]}) — nothing changed; "
                  f"read {result.read}, accepted {result.accepted}, rejected {result.rejected}")
    else:
        unchanged = f" ({result.unchanged} already stored)" if result.unchanged else ""
        out.print(f"{name}: read {result.read}, accepted {result.accepted}{unchanged}, "
                  f"rejected {result.rejected} — batch {result.batch_id[:12]}")
    if result.rejected:
        out.print(f"[yellow]{result.rejected} row(s) rejected[/] (not loaded; fix and load again): "
                  f"see the table below or `ingest_rejects` in the database")
        print_frame(result.rejects, title=f"rejects 拒收 — {name}", limit=limit)


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
