"""`gridscore report`: the annual report (PDF, Excel, HTML) or a worker's score sheet."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from dashboard.commands.common import DbOption, JsonOption, fail, print_json, progress, user_errors

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

    The database is opened read-only, so a report can be written while the
    dashboard serves. With --worker, writes that worker's score sheet for
    appeals and sign-off instead (PDF only).
    """
    from dashboard.reports import (
        ReportError,
        build_report,
        render_html,
        render_pdf,
        render_worker_sheet,
        render_xlsx,
    )
    from dashboard.reports.charts import chart_images, prepare, shutdown
    from metrics.runs import latest_run
    from warehouse.db import open_db

    if fmt not in ("pdf", "xlsx", "html"):
        fail(f"--format must be pdf, xlsx or html (got {fmt!r})")
    if worker and fmt != "pdf":
        fail("a worker's score sheet is a PDF: use --format pdf with --worker")
    try:
        with user_errors(), open_db(db, read_only=True, migrate=False) as database:
            if worker:
                with progress("score sheet", 1, enabled=not as_json) as advance:
                    run_id = run or getattr(latest_run(database, period), "run_id", None)
                    if run_id is None:
                        fail(f"period {period!r} has no score run yet (run `gridscore score` first)")
                    path = render_worker_sheet(database, str(run_id), worker, out)
                    advance(1)
                result = {"kind": "worker_sheet", "worker": worker, "run_id": run_id, "path": str(path)}
            else:
                steps = 3 if fmt != "xlsx" else 2
                with progress(f"report ({fmt})", steps, enabled=not as_json) as advance:
                    if fmt != "xlsx":
                        prepare()  # Chromium starts and loads plotly.js while the run is read
                    rep = build_report(database, period_id=period, unit_id=unit, run_id=run, lang=lang)
                    advance(1)
                    if fmt == "xlsx":
                        path = render_xlsx(rep, out)
                    else:
                        charts = chart_images(rep.figures)
                        advance(1)
                        if fmt == "html":
                            out.parent.mkdir(parents=True, exist_ok=True)
                            out.write_text(render_html(rep, charts=charts), encoding="utf-8")
                            path = out
                        else:
                            path = render_pdf(rep, out, charts=charts)
                    advance(1)
                result = {"kind": "annual_report", "format": fmt, "period": period, "unit": rep.unit_id,
                          "run_id": rep.run.run_id, "status": rep.run.status, "workers": rep.workers.height,
                          "path": str(path)}
    except ReportError as exc:
        fail(str(exc))
    finally:
        shutdown()
    if as_json:
        print_json(result)
    else:
        typer.echo(f"wrote {result['path']}")
