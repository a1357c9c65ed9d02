"""Scoring from a Parquet export (`warehouse.export`) on DuckDB or Spark SQL.

Both engines read the same export directory. The indicator step — the one query over
`work_records`, the table that grows with time and area — runs on the chosen engine;
everything after it (skills, adjustments, satisfaction estimates, the polars/scipy
scoring, Monte Carlo) runs unchanged through `metrics.runs.compute_period` on DuckDB
views over the export, because those inputs are small (one row per worker or grid).

A source score is not stored as a run: runs, finalisation and appeals live in the
warehouse file. `write_scores` writes the computed tables as Parquet next to nothing
else, for a province roll-up or a check against the warehouse run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal

import polars as pl

from metrics.errors import ScoringError
from metrics.runs import ComputedRun, compute_period
from metrics.scheme import Scheme, load_scheme
from warehouse.export import open_source

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[str, ...] = ("duckdb", "spark")
Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class SourceScore:
    """A period scored from an export directory."""

    engine: str
    source: str
    period_id: str
    schema_version: int
    wide: pl.DataFrame
    run: ComputedRun
    indicator_seconds: float
    seconds: float


def score_source(source: str | Path, period_id: str, *, engine: Engine = "duckdb", scheme: Scheme | None = None,
                 seed: int = 0, draws: int = 1000, spark: SparkSession | None = None,
                 progress: Progress | None = None) -> SourceScore:
    """Score a period straight from a Parquet export directory.

    Args:
        source: directory written by `warehouse.export.export_parquet`.
        period_id: period to score (e.g. "2025").
        engine: "duckdb" (views over the files) or "spark" (indicator SQL on Spark SQL).
        scheme: the scheme (default: `metrics/schemes/default.toml`).
        seed: Monte Carlo seed. draws: Monte Carlo draws (0 skips rank intervals).
        spark: an existing Spark session (cluster); default the active session, else a local
            one (`local[2]`), stopped afterwards.
        progress: optional callback (stage, fraction done).

    Raises:
        ScoringError: unknown engine or period, or PySpark missing for the Spark engine.
        WarehouseError: `source` is not an export directory.
    """
    if engine not in ENGINES:
        raise ScoringError(f"unknown engine {engine!r} (use one of: {', '.join(ENGINES)})")
    started = time.perf_counter()
    report = progress or (lambda _s, _f: None)
    scheme = scheme or load_scheme()
    db = open_source(source)
    try:
        version = _schema_version(source)
        if not db.scalar("SELECT count(*) FROM periods WHERE period_id = ?", [period_id]):
            raise ScoringError(f"period {period_id!r} does not exist")  # before starting any engine
        t0 = time.perf_counter()
        if engine == "spark":
            from metrics.engines.spark import (
                active_session,
                local_session,
                register_source,
                wide_indicators_spark,
            )

            report("spark session", 0.0)
            session = spark or active_session()
            owned = session is None
            session = session or local_session()
            try:
                register_source(session, source)
                report("indicators on spark", 0.1)
                wide = wide_indicators_spark(session, period_id, scheme)
            finally:
                if owned:  # a session we started ourselves
                    session.stop()
        else:
            from metrics.indicators import wide_indicators

            report("indicators on duckdb", 0.1)
            wide = wide_indicators(db, period_id, scheme)
        indicator_seconds = time.perf_counter() - t0

        def inner(stage: str, fraction: float) -> None:
            report(stage, 0.4 + 0.6 * fraction)

        run = compute_period(db, period_id, scheme, seed=seed, draws=draws, progress=inner, wide=wide)
    finally:
        db.close()
    return SourceScore(engine=engine, source=str(source), period_id=period_id, schema_version=version, wide=wide,
                       run=run,
                       indicator_seconds=round(indicator_seconds, 3),
                       seconds=round(time.perf_counter() - started, 3))


def _schema_version(source: str | Path) -> int:
    from warehouse.export import read_manifest

    return int(read_manifest(source)["schema_version"])


RUN_FRAMES = ("workers", "units", "indicators", "adjustments", "uncertainty")


def write_scores(result: SourceScore, out: str | Path) -> list[Path]:
    """Write the computed score tables as `<out>/<table>.parquet`; return the paths."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    paths = []
    for name in RUN_FRAMES:
        frame = getattr(result.run, name)
        path = out / f"{name}.parquet"
        frame.write_parquet(path)
        paths.append(path)
    return paths
