"""`gridscore report`: the annual report (PDF, Excel, HTML) or a worker's score sheet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from dashboard.commands.common import (
    DbOption,
    JsonOption,
    fail,
    print_json,
    server_or_none,
    steps_bar,
    user_errors,
)

app = typer.Typer()

Format = Literal["pdf", "xlsx", "html"]


@app.command("report")
def report(
    period: Annotated[str, typer.Option("--period", help="Assessment period, e.g. 2025.")],
    out: Annotated[Path, typer.Option("--out", help="Output file.")],
    fmt: Annotated[str, typer.Option("--format", help="pdf, xlsx or html.")] = "pdf",
    unit: Annotated[str | None, typer.Option("--unit", help="Org unit or department (default: whole city).")] = None,
    run: Annotated[str | None, typer.Option("--run", help="Score run id (default: the period's latest run).")] = None,
    worker: Annotated[str | None, typer.Option("--worker", help="Write this worker's one-page score sheet (PDF).")] = None,
    lang: Annotated[str, typer.Option("--lang", help="Label language: zh or en.")] = "zh",
    db: DbOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write the annual assessment report (年度考核报告) of a period, read from the stored score run.

    With no server running, the database is opened read-only. While a gridscore
    server holds it, the report is written by the server as a job and saved at
    --out. With --worker, writes that worker's score sheet for appeals and
    sign-off instead (PDF only).
    """
    from dashboard.jobs import tasks
    from dashboard.reports import ReportError
    from dashboard.reports.browser import ReportsExtraMissing, configure
    from dashboard.reports.charts import shutdown
    from dashboard.settings import Settings
    from warehouse.db import open_db

    configure(Settings.from_env(db_path=db).chromium_path)
    if fmt not in ("pdf", "xlsx", "html"):
        fail(f"--format must be pdf, xlsx or html (got {fmt!r})")
    if worker and fmt != "pdf":
        fail("a worker's score sheet is a PDF: use --format pdf with --worker")
    client = server_or_none(db)
    label = "score sheet" if worker else f"report ({fmt})"
    try:
        with user_errors(), steps_bar(label, enabled=not as_json) as steps:
            if client is not None:
                params = {"period": period, "format": fmt, "unit": unit, "run": run, "worker": worker,
                          "lang": lang, "filename": out.name}
                job = client.run_job("report", params, steps)
                client.download(job["job_id"], out)
                result = {**job["result"], "path": str(out)}
            else:
                with open_db(db, read_only=True, migrate=False) as database:
                    result = tasks.report(database, period=period, out=out, fmt=fmt, unit=unit, run=run,
                                          worker=worker, lang=lang, steps=steps)
    except (ReportError, ReportsExtraMissing) as exc:
        fail(str(exc))
    finally:
        if client is None:
            shutdown()
    if as_json:
        print_json(result)
    else:
        typer.echo(f"wrote {result['path']}")
