"""Scale-out commands: export-parquet, verify-export, score-parquet.

`export-parquet` writes the warehouse as partitioned Parquet with a manifest;
`score-parquet` scores a period straight from such a directory on DuckDB or Spark SQL
(`score --source DIR --engine spark` delegates here).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from dashboard.commands.common import (
    DbOption,
    JsonOption,
    fail,
    fraction_bar,
    out,
    print_frame,
    print_json,
    user_errors,
)

app = typer.Typer()

EngineOption = Annotated[
    str, typer.Option("--engine", help="duckdb (views over the files) | spark (indicator SQL on Spark SQL).")
]


@app.command("export-parquet")
def export_parquet(
    out_dir: Annotated[Path, typer.Option("--out", help="Target directory (empty or missing).")],
    overwrite: Annotated[bool, typer.Option("--overwrite", help="Replace an earlier export in --out.")] = False,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Export the warehouse as Parquet partitioned by year=/district= with a manifest (导出)."""
    from dashboard.commands.common import server_or_none, steps_bar
    from dashboard.jobs import tasks
    from warehouse.db import open_db

    params = {"out_dir": str(out_dir.resolve()), "overwrite": overwrite}
    client = server_or_none(db)
    with user_errors(), steps_bar(f"exporting to {out_dir}", enabled=not json) as steps:
        if client is not None:
            summary = client.run_job("export_parquet", params, steps)["result"]
        else:
            with open_db(db, read_only=True) as database:
                summary = tasks.export_parquet(database, **params, steps=steps)
    if json:
        print_json(summary)
        return
    import polars as pl

    print_frame(pl.DataFrame([{"table": t["table"], "rows": t["rows"], "partitions": t["partitions"],
                               "content_hash": t["content_hash"][:12]} for t in summary["tables"]]),
                title=f"export {summary['out']} (schema v{summary['schema_version']})")
    out.print(f"{summary['rows']:,} rows in {summary['files']} files ({summary['bytes'] / 1e6:.1f} MB) "
              f"in {summary['seconds']:.1f} s")


@app.command("verify-export")
def verify_export(
    source: Annotated[Path, typer.Option("--source", help="Export directory to check.")],
    json: JsonOption = False,
) -> None:
    """Re-read an export and check row counts and content hashes against its manifest."""
    from warehouse.export import verify_export as do_verify

    with user_errors():
        report = do_verify(source)
    if json:
        print_json({"ok": report.ok, "tables": report.tables, "rows": report.rows, "problems": report.problems})
    elif report.ok:
        out.print(f"export ok: {report.tables} tables, {report.rows:,} rows match the manifest")
    if not report.ok:
        if not json:
            for p in report.problems:
                out.print(f"[red]✗[/] {p}", highlight=False)
        fail(f"export has {len(report.problems)} problem(s)")


def score_from_source(*, source: Path, period: str, engine: str, scheme: Path | None, seed: int, draws: int,
                      scores_out: Path | None, json: bool) -> None:
    """Score `period` from an export directory and print the summary (shared with `score --source`)."""
    from metrics.engines import score_source, write_scores
    from metrics.scheme import load_scheme

    with user_errors():
        sch = load_scheme(scheme) if scheme is not None else None
        with fraction_bar(f"scoring {period} from {source} on {engine}", enabled=not json) as report:
            result = score_source(source, period, engine=engine, scheme=sch, seed=seed, draws=draws,  # type: ignore[arg-type]
                                  progress=report)
        paths = write_scores(result, scores_out) if scores_out is not None else []
    w = result.run.workers
    summary = {
        "engine": result.engine, "source": result.source, "period_id": result.period_id,
        "schema_version": result.schema_version, "input_fingerprint": result.run.fingerprint,
        "workers": w.height, "ranked": int(w["rank"].is_not_null().sum()), "vetoed": int(w["vetoed"].sum()),
        "units": result.run.units.height, "indicator_seconds": result.indicator_seconds,
        "seconds": result.seconds, "written": [str(p) for p in paths],
    }
    if json:
        print_json(summary)
        return
    out.print(
        f"{period} from {source} on {engine}: {summary['workers']} workers ({summary['ranked']} ranked, "
        f"{summary['vetoed']} vetoed), {summary['units']} units; indicators {result.indicator_seconds:.2f} s, "
        f"total {result.seconds:.2f} s; fingerprint {result.run.fingerprint[:12]} (not stored as a run)"
    )
    if paths:
        out.print(f"score tables written to {scores_out}")


@app.command("score-parquet")
def score_parquet(
    source: Annotated[Path, typer.Option("--source", help="Export directory written by export-parquet.")],
    period: Annotated[str, typer.Option("--period", help="Period to score, e.g. 2025 or 2025H1.")],
    engine: EngineOption = "duckdb",
    scheme: Annotated[Path | None, typer.Option("--scheme", help="Scheme TOML file (default: built-in).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the rank Monte Carlo.")] = 0,
    draws: Annotated[int, typer.Option("--draws", help="Monte Carlo draws (0 skips rank intervals).")] = 1000,
    scores_out: Annotated[Path | None, typer.Option("--scores-out", help="Write the score tables here as Parquet.")] = None,
    json: JsonOption = False,
) -> None:
    """Score a period straight from a Parquet export on DuckDB or Spark (nothing stored as a run)."""
    score_from_source(source=source, period=period, engine=engine, scheme=scheme, seed=seed, draws=draws,
                      scores_out=scores_out, json=json)
