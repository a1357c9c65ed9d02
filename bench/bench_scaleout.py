"""Benchmark: the indicator step of a city year on DuckDB and on Spark local, from Parquet.

Measured in one process, median of `--runs` (first Spark run reported separately: it
includes JIT warm-up and file listing):

1. export — `warehouse.export.export_parquet` of the city (once);
2. baseline — `wide_indicators` on the DuckDB warehouse file itself (native tables);
3. DuckDB over Parquet — the same query on views over the export (`open_source`);
4. Spark local — session start (once), then the SQLGlot-transpiled query on Spark SQL
   over the same files, `local[N]` with N = nproc, result collected to polars.

The DuckDB and Spark indicator frames are checked to be identical before anything is
written. Writes the `## Scale-out` section of docs/performance.md.

    python -m bench.bench_scaleout [--db city.duckdb] [--runs 3] [--no-write]

Without `--db` a city (seed 20251, year 2025) is generated into a temporary file first.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench.bench_generate import write_section

HEADING = "## Scale-out"
SEED = 20251
YEAR = 2025
PERIOD = str(YEAR)


def timed(fn: Callable[[], object], runs: int, label: str) -> tuple[list[float], object]:
    """All seconds over `runs` calls and the last result (each time printed)."""
    times, out = [], None
    for i in range(runs):
        t = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t)
        print(f"{label} run {i + 1}: {times[-1]:.2f} s", flush=True)
    return times, out


def machine() -> str:
    """nproc, memory, versions and load of this machine."""
    import duckdb
    import pyspark

    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return (f"{os.cpu_count()} CPUs (nproc), {mem_gb:.0f} GB RAM, {platform.machine()}, Python "
            f"{platform.python_version()}, DuckDB {duckdb.__version__}, PySpark {pyspark.__version__} "
            f"(OpenJDK 17); 1-minute load average {os.getloadavg()[0]:.1f} when the runs finished")


def measure(db_path: Path, runs: int, work: Path) -> dict:
    """Every measurement on the warehouse at `db_path`, exporting into `work`."""
    from polars.testing import assert_frame_equal

    from metrics.engines.spark import local_session, register_source, wide_indicators_spark
    from metrics.indicators import wide_indicators
    from metrics.scheme import load_scheme
    from warehouse.db import open_db
    from warehouse.export import export_parquet, open_source

    scheme = load_scheme()
    out = work / "export"
    with open_db(db_path, read_only=True) as db:
        records = db.scalar("SELECT count(*) FROM work_records")
        workers = db.scalar("SELECT count(*) FROM workers")
        t = time.perf_counter()
        summary = export_parquet(db, out)
        export_s = time.perf_counter() - t
        print(f"export: {export_s:.1f} s, {summary.bytes / 1e6:.0f} MB in {summary.files} files", flush=True)
        native, _ = timed(lambda: wide_indicators(db, PERIOD, scheme), runs, "duckdb (warehouse file)")
    src = open_source(out)
    try:
        duck, duck_wide = timed(lambda: wide_indicators(src, PERIOD, scheme), runs, "duckdb (parquet)")
    finally:
        src.close()
    cores = os.cpu_count() or 2
    t = time.perf_counter()
    spark = local_session(master=f"local[{cores}]", driver_memory="4g", shuffle_partitions=2 * cores)
    start_s = time.perf_counter() - t
    print(f"spark session: {start_s:.1f} s", flush=True)
    try:
        register_source(spark, out)
        spark_times, spark_wide = timed(lambda: wide_indicators_spark(spark, PERIOD, scheme), runs + 1,
                                        "spark local (parquet)")
    finally:
        spark.stop()
    assert_frame_equal(spark_wide, duck_wide, check_exact=True)  # the figures are for the same answer
    return {"records": records, "workers": workers, "export": export_s, "bytes": summary.bytes,
            "files": summary.files, "native": native, "duck": duck, "spark_start": start_s,
            "spark_cold": spark_times[0], "spark": spark_times[1:], "cores": cores}


def section(r: dict, command: str) -> str:
    """The Markdown section for docs/performance.md."""
    base = statistics.median(r["native"])
    duck = statistics.median(r["duck"])
    spark = statistics.median(r["spark"])

    def fmt(ts: list[float]) -> str:
        return ", ".join(f"{t:.2f}" for t in ts)

    return "\n".join([
        HEADING,
        "",
        f"Command: `{command}` (city: seed {SEED}, year {YEAR}, {r['workers']:,} workers, "
        f"{r['records']:,} work records; indicator step = `wide_indicators` for period {PERIOD}, the one "
        "query over work_records, result one row per worker).",
        f"Machine: {machine()}.",
        "",
        "| step | median | runs (s) | × baseline |",
        "| --- | ---: | --- | ---: |",
        f"| DuckDB on the warehouse file (baseline) | {base:.2f} s | {fmt(r['native'])} | 1.0× |",
        f"| DuckDB on the Parquet export (views) | {duck:.2f} s | {fmt(r['duck'])} | {duck / base:.1f}× |",
        f"| Spark local[{r['cores']}] on the Parquet export, warm | {spark:.2f} s | {fmt(r['spark'])} "
        f"| {spark / base:.1f}× |",
        f"| Spark, first query (JIT, file listing) | {r['spark_cold']:.2f} s | | {r['spark_cold'] / base:.1f}× |",
        f"| Spark session start (JVM, once) | {r['spark_start']:.2f} s | | |",
        f"| export-parquet of the whole warehouse (once) | {r['export']:.1f} s | "
        f"{r['bytes'] / 1e6:,.0f} MB, {r['files']} files | |",
        "",
        "The Spark and DuckDB indicator frames were identical (checked before writing). On one "
        "machine DuckDB wins by a wide margin: Spark pays for the JVM, task scheduling and "
        "shuffles that only pay off when the data no longer fits one machine's disk or memory, "
        "or when many executors scan partitions in parallel. See docs/scale-out.md for when to move.",
        "The machine is shared with other jobs during the session: a load average far above nproc "
        "inflates every absolute time here several-fold (the export most, being CPU-bound on hashing "
        "and compression); the ratios within one run are the informative part.",
        "",
    ])


def main(argv: list[str] | None = None) -> None:
    """Parse options, run the measurements, print and (optionally) write the section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", type=Path, help="existing city database (default: generate one)")
    parser.add_argument("--runs", type=int, default=3, help="runs per engine (median reported)")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gridscore-scaleout-") as tmp:
        work = Path(tmp)
        path = args.db
        if path is None:
            from warehouse.db import open_db
            from warehouse.synthetic import generate

            path = work / "city.duckdb"
            print("generating the city …", flush=True)
            with open_db(path) as db:
                generate(db, size="city", seed=SEED, year=YEAR)
                db.checkpoint()
        results = measure(path, args.runs, work)
    command = "python -m bench.bench_scaleout" + (" --db city.duckdb" if args.db else "") + f" --runs {args.runs}"
    text = section(results, command)
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
