"""The office's long work, one function per command: the CLI calls them in-process,
the server's job runner calls the very same functions as jobs (no second copy).

Each task takes the open database, its parameters and `steps(done, total, unit,
message=None)`, which it calls between whole units of work. In a job that call is
the safe point where a cancel is honoured; in the CLI it moves the progress bar.
Each returns a JSON-ready result, the one the CLI prints (or prints with --json).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

from warehouse.db import Database


class Steps(Protocol):
    """Progress callback of a task: absolute counts; may raise to stop the task."""

    def __call__(self, done: float, total: float | None, unit: str, message: str | None = None) -> None: ...


def no_steps(done: float, total: float | None, unit: str, message: str | None = None) -> None:
    """A `Steps` that ignores progress."""


def ingest(db: Database, kind: str, files: list[str], steps: Steps = no_steps) -> list[dict[str, Any]]:
    """Load files of one kind, each in its own transaction (a whole unit of work).

    Returns one summary per file (`IngestResult.summary()`), or `{"file", "refused"}`
    for a file refused whole (nothing of it written).
    """
    from warehouse.errors import IngestError
    from warehouse.ingest import get_spec, ingest_file

    get_spec(kind)
    results: list[dict[str, Any]] = []
    for index, path in enumerate(files):
        steps(index, len(files), "files", f"loading {Path(path).name}")
        try:
            results.append(ingest_file(db, kind, path).summary())
        except IngestError as exc:
            results.append({"file": str(path), "refused": str(exc)})
    steps(len(files), len(files), "files", "loaded")
    return results


def report(db: Database, *, period: str, out: Path, fmt: str = "pdf", unit: str | None = None,
           run: str | None = None, worker: str | None = None, lang: str = "zh",
           steps: Steps = no_steps) -> dict[str, Any]:
    """Write the annual report (pdf/xlsx/html) of a period, or a worker's score sheet (pdf).

    Raises:
        ReportError: bad format, no run, unknown worker or unit.
    """
    from dashboard.reports import (
        ReportError,
        build_report,
        render_html,
        render_pdf,
        render_worker_sheet,
        render_xlsx,
    )
    from dashboard.reports.charts import chart_images, prepare
    from metrics.runs import latest_run

    if fmt not in ("pdf", "xlsx", "html"):
        raise ReportError(f"--format must be pdf, xlsx or html (got {fmt!r})")
    if worker and fmt != "pdf":
        raise ReportError("a worker's score sheet is a PDF: use --format pdf with --worker")
    if worker:
        steps(0, 1, "steps", "score sheet")
        run_id = run or getattr(latest_run(db, period), "run_id", None)
        if run_id is None:
            raise ReportError(f"period {period!r} has no score run yet (run `gridscore score` first)")
        path = render_worker_sheet(db, str(run_id), worker, out)
        steps(1, 1, "steps", "score sheet written")
        return {"kind": "worker_sheet", "worker": worker, "run_id": run_id, "path": str(path)}
    total = 3 if fmt != "xlsx" else 2
    steps(0, total, "steps", "reading the run")
    if fmt != "xlsx":
        prepare()  # Chromium starts and loads plotly.js while the run is read
    rep = build_report(db, period_id=period, unit_id=unit, run_id=run, lang=lang)
    steps(1, total, "steps", "drawing")
    if fmt == "xlsx":
        path = render_xlsx(rep, out)
    else:
        charts = chart_images(rep.figures)
        steps(2, total, "steps", "printing")
        if fmt == "html":
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(render_html(rep, charts=charts), encoding="utf-8")
            path = out
        else:
            path = render_pdf(rep, out, charts=charts)
    steps(total, total, "steps", "written")
    return {"kind": "annual_report", "format": fmt, "period": period, "unit": rep.unit_id,
            "run_id": rep.run.run_id, "status": rep.run.status, "workers": rep.workers.height,
            "path": str(path)}


def score(db: Database, *, period: str, scheme_path: str | None = None, seed: int = 0, draws: int = 1000,
          actor: str = "cli", steps: Steps = no_steps) -> dict[str, Any]:
    """Score a period into a new draft run (computation first, then one transaction)."""
    from dataclasses import asdict

    from metrics.runs import remember_scheme_text, score_period
    from metrics.scheme import load_scheme

    sch = None
    if scheme_path is not None:
        sch = load_scheme(Path(scheme_path))
        remember_scheme_text(sch, Path(scheme_path).read_text(encoding="utf-8"))

    def report_stage(stage: str, fraction: float) -> None:
        steps(round(100 * fraction, 1), 100, "percent", stage)

    summary = score_period(db, period, scheme=sch, seed=seed, draws=draws, actor=actor, progress=report_stage)
    return asdict(summary)


def backup(db: Database, *, out_dir: str, steps: Steps = no_steps) -> dict[str, Any]:
    """Snapshot every table to Parquet + manifest.json in `out_dir` (one read transaction)."""
    from dataclasses import asdict

    from warehouse.backup import backup as run

    def report_stage(stage: str, fraction: float) -> None:
        steps(round(100 * fraction, 1), 100, "percent", stage)

    manifest = run(db, out_dir, progress=report_stage)
    return {"db": db.path, "out": out_dir, "schema_version": manifest.schema_version,
            "tables": [asdict(t) for t in manifest.tables]}


def audit_verify(db: Database, steps: Steps = no_steps) -> dict[str, Any]:
    """Check the audit hash chain and every run's score tables (the report, ok or not)."""
    from dataclasses import asdict

    from metrics.audit import verify

    steps(0, 1, "steps", "verifying the audit chain")
    report = asdict(verify(db))
    report["problems"] = list(report["problems"])
    return report


def finalise(db: Database, *, run: str, actor: str, steps: Steps = no_steps) -> dict[str, Any]:
    """Lock a draft run (audited)."""
    from dataclasses import asdict

    from metrics.runs import finalise as do_finalise

    steps(0, 1, "steps", f"finalising {run}")
    info = asdict(do_finalise(db, run, actor=actor))
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in info.items()}


def veto(db: Database, *, action: str, veto_id: str, actor: str, evidence: str,
         steps: Steps = no_steps) -> dict[str, Any]:
    """Move a veto one step along its workflow (confirm, appeal, uphold, overturn; audited)."""
    from dataclasses import asdict

    from metrics.vetoes import transition

    steps(0, 1, "steps", f"veto {veto_id}: {action}")
    step = asdict(transition(db, veto_id, action=action, actor=actor, evidence=evidence))  # type: ignore[arg-type]
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in step.items()}
