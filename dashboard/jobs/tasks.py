"""The office's long work, one function per command: the CLI calls them in-process,
the server's job runner calls the very same functions as jobs (no second copy).

Each task takes the open database, its parameters and `steps(done, total, unit,
message=None)`, which it calls between whole units of work. In a job that call is
the safe point where a cancel is honoured; in the CLI it moves the progress bar.
Each returns a JSON-ready result, the one the CLI prints (or prints with --json).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import polars as pl

from surveys.suppression import K_MIN
from warehouse.db import Database

if TYPE_CHECKING:
    from metrics.explain import Explanation


class Steps(Protocol):
    """Progress callback of a task: absolute counts; may raise to stop the task."""

    def __call__(self, done: float, total: float | None, unit: str, message: str | None = None) -> None: ...


def no_steps(done: float, total: float | None, unit: str, message: str | None = None) -> None:
    """A `Steps` that ignores progress."""


def table_json(frame: pl.DataFrame) -> dict[str, Any]:
    """A frame as JSON-ready `columns` (name → dtype name) and `rows`, for a job's result."""
    return {"columns": {name: str(dtype) for name, dtype in frame.schema.items()}, "rows": frame.to_dicts()}


def table_frame(table: dict[str, Any]) -> pl.DataFrame:
    """The frame of `table_json` again: same columns, order and (simple) dtypes, even when empty.

    Values that came through JSON as text (dates, times) are parsed back by the cast.
    """
    schema = {name: getattr(pl, dtype.split("(", 1)[0], pl.String) for name, dtype in table["columns"].items()}
    loose = pl.DataFrame(table["rows"], schema={name: pl.String if dt.is_temporal() else dt
                                               for name, dt in schema.items()}, strict=False)
    return loose.with_columns(pl.col(n).str.to_datetime() if dt == pl.Datetime else
                              pl.col(n).str.to_date() if dt == pl.Date else pl.col(n)
                              for n, dt in schema.items())


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


def sample(db: Database, *, period: str, seed: int, margin: float = 8.0, kind: str = "mean", sd: float = 20.0,
           response_rate: float = 0.6, exclude_last: int = 0, ttl_days: int = 90, tokens_out: str | None = None,
           steps: Steps = no_steps) -> dict[str, Any]:
    """Draw a period's sample of households per grid and issue tokens (one transaction).

    The token file, when asked for, is written on the machine that runs the task
    (the server's, for a job); it is the only copy of the plain tokens.
    """
    from surveys.design import SampleOptions, draw_sample
    from surveys.tokens_file import write_token_file

    options = SampleOptions(margin_kind=kind, margin=margin, sd=sd, response_rate=response_rate,  # type: ignore[arg-type]
                            exclude_last_k=exclude_last, ttl_days=ttl_days)
    steps(0, 2, "steps", f"drawing the sample of {period}")
    drawn = draw_sample(db, period, seed=seed, options=options)
    steps(1, 2, "steps", "writing the token file" if tokens_out else "drawn")
    written = write_token_file(db, drawn.tokens, Path(tokens_out)) if tokens_out else 0
    steps(2, 2, "steps", "done")
    return {
        "design_id": drawn.design_id, "period": period, "seed": seed,
        "grids": drawn.strata.height, "invited": int(drawn.strata["invited"].sum()),
        "completes_needed": int(drawn.strata["completes_needed"].sum()),
        "token_file": tokens_out, "token_rows": written, "strata": table_json(drawn.strata),
    }


def followup(db: Database, *, period: str, seed: int, fraction: float = 0.3, out_file: str | None = None,
             steps: Steps = no_steps) -> dict[str, Any]:
    """Draw a follow-up subsample of each grid's non-respondents (read-only; the list is a file)."""
    from surveys.followup import draw_followup
    from surveys.tokens_file import write_followup_file

    steps(0, 1, "steps", f"drawing the follow-up of {period}")
    drawn = draw_followup(db, period, seed=seed, fraction=fraction)
    written = write_followup_file(db, drawn, Path(out_file)) if out_file else 0
    per_grid = (
        drawn.group_by("grid_id")
        .agg(pl.col("nonrespondents").first(), pl.len().alias("followed_up"), pl.col("weight").first())
        .sort("grid_id")
    )
    steps(1, 1, "steps", "done")
    return {"period": period, "seed": seed, "fraction": fraction, "followed_up": drawn.height,
            "file": out_file, "file_rows": written, "grids": table_json(per_grid)}


def estimate(db: Database, *, period: str, level: str = "grid", k_min: int = K_MIN, exact: bool = False,
             out_file: str | None = None, steps: Steps = no_steps) -> dict[str, Any]:
    """Satisfaction estimates per unit (read-only); optionally all columns to a file.

    Raises:
        SurveyError: an unknown level or period, or an output name that is not .csv/.xlsx/.parquet.
    """
    from surveys.errors import SurveyError
    from surveys.estimate import estimate as run_estimate
    from warehouse.safe_cells import write_csv, write_xlsx

    steps(0, 1, "steps", f"estimating {period} by {level}")
    if out_file is not None and Path(out_file).suffix.lower() not in (".csv", ".xlsx", ".parquet"):
        raise SurveyError(f"--out must end in .csv, .xlsx or .parquet (got {Path(out_file).name})")
    frame = run_estimate(db, period, level=level, k_min=k_min, exact=exact)  # type: ignore[arg-type]
    if out_file is not None:
        target = Path(out_file)
        suffix = target.suffix.lower()
        if suffix == ".csv":
            write_csv(frame, target)
        elif suffix == ".xlsx":
            write_xlsx(frame, target, worksheet="estimates")
        else:
            frame.write_parquet(target)
    steps(1, 1, "steps", "done")
    return {"period": period, "level": level, "file": out_file, **table_json(frame)}


def responses_import(db: Database, *, file: str, channel: str = "paper", entered_by: str | None = None,
                     steps: Steps = no_steps) -> dict[str, Any]:
    """Import phone/paper answers through the web form's rules; one status row per input row."""
    from surveys.import_answers import import_answers

    steps(0, 1, "steps", f"importing {Path(file).name}")
    results = import_answers(db, Path(file), channel=channel, entered_by=entered_by)  # type: ignore[arg-type]
    counts = results.group_by("status").len().sort("status")
    steps(1, 1, "steps", "imported")
    return {"file": file, "counts": dict(counts.iter_rows()), **table_json(results)}


def rescore(db: Database, *, run: str, actor: str = "cli", steps: Steps = no_steps) -> dict[str, Any]:
    """Recompute a draft run in place from the period's current inputs (a final run refuses).

    The dashboard's cached frames of the run are dropped, so the pages show the new scores.
    """
    from dataclasses import asdict

    from dashboard.data import clear_caches
    from metrics.runs import rescore as do_rescore

    def report_stage(stage: str, fraction: float) -> None:
        steps(round(100 * fraction, 1), 100, "percent", stage)

    summary = do_rescore(db, run, actor=actor, progress=report_stage)
    clear_caches()
    return asdict(summary)


def appeal(db: Database, *, run: str, worker: str, field: str, after: str, reason: str, actor: str,
           steps: Steps = no_steps) -> dict[str, Any]:
    """Correct a worker's total or grade in a final run (who, when, why, before, after; audited)."""
    from metrics.runs import appeal as do_appeal

    steps(0, 1, "steps", f"appeal of {worker} in {run}")
    row = do_appeal(db, run, worker, field=field, after=after, reason=reason, actor=actor)
    return {k: v.isoformat() if hasattr(v, "isoformat") else v for k, v in row.to_dicts()[0].items()}


def export_parquet(db: Database, *, out_dir: str, overwrite: bool = False, steps: Steps = no_steps) -> dict[str, Any]:
    """Export the warehouse as Parquet partitioned by year=/district= with a manifest (one read)."""
    from dataclasses import asdict

    from warehouse.export import export_parquet as run

    def report_stage(stage: str, fraction: float) -> None:
        steps(round(100 * fraction, 1), 100, "percent", stage)

    return asdict(run(db, out_dir, overwrite=overwrite, progress=report_stage))


def explain(db: Database, *, worker: str, run: str | None = None, period: str | None = None,
            steps: Steps = no_steps) -> Explanation:
    """A worker's explanation in a run (default: the latest run of `period`, or of any period).

    Raises:
        ScoringError: no score run yet, unknown run or worker.
    """
    from metrics.errors import ScoringError
    from metrics.explain import explain_worker
    from metrics.runs import latest_run, list_runs

    run_id = run
    if run_id is None:
        if period is not None:
            info = latest_run(db, period)
            run_id = info.run_id if info else None
        else:
            all_runs = list_runs(db)
            run_id = all_runs["run_id"][0] if all_runs.height else None
    if run_id is None:
        raise ScoringError("no score run yet; run `gridscore score --period P` first")
    steps(0, 1, "steps", f"explaining {worker} in {run_id}")
    return explain_worker(db, run_id, worker)
