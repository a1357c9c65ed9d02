"""Benchmark: a province-sized year scored (time and peak RSS), built once and cached.

`python -m bench.bench_province` (also run by `python -m bench`). Reuses, or builds on
first use, the scoring city (seed 20251) and a province-sized warehouse made of
`--copies` relabelled copies of it (`bench_scoring.build_province_copies`: 33 copies are
99,000 grids, 202,851 workers, 630 M work records, ≈ 21 GB, ≈ 40 min to build on the
2-core machine; the generator's own "province" size takes hours here). Each stage runs
in a fresh child process; the section written is "## Province benchmark", next to the
hand-written analysis in "## Scoring at province scale".
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

from bench.bench_generate import write_section
from bench.bench_scoring import (
    SEED,
    build_city,
    build_province_copies,
    province_run,
    province_section,
)

CACHE = Path(os.environ.get("GRIDSCORE_BENCH_CACHE", Path(tempfile.gettempdir()) / "gridscore-bench"))
HEADING = "## Province benchmark"


def cached_city() -> Path:
    """The scoring city for SEED, generated and survey-simulated on first use."""
    path = CACHE / f"scoring-city-s{SEED}.duckdb"
    if not path.exists():
        CACHE.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".building")
        partial.unlink(missing_ok=True)
        print(f"generating the city into {path} …", flush=True)
        build_city(partial)
        partial.rename(path)
    return path


def cached_province(copies: int) -> Path:
    """The province-sized warehouse of `copies` city copies, built on first use (renamed when complete)."""
    path = CACHE / f"scoring-province{copies}-s{SEED}.duckdb"
    if not path.exists():
        city = cached_city()
        partial = path.with_suffix(".building")
        partial.unlink(missing_ok=True)
        print(f"building {copies} relabelled copies of the city into {path} …", flush=True)
        build_province_copies(city, partial, copies)
        partial.rename(path)
    return path


def main(argv: list[str] | None = None) -> None:
    """Parse options, build or reuse the data, measure each stage, print and (optionally) write the section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=33, help="city copies (33 ≈ a province of 100 k grids)")
    parser.add_argument("--stages", default="scan,engine,full", help="stages to measure (scan,engine,full)")
    parser.add_argument("--runs", type=int, default=1, help="runs per stage (median reported)")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    args = parser.parse_args(argv)
    path = cached_province(args.copies)
    results = {stage: [province_run(path, stage) for _ in range(args.runs)] for stage in args.stages.split(",")}
    command = f"python -m bench.bench_province --copies {args.copies} --stages {args.stages} --runs {args.runs}"
    note = (f"The data are {args.copies} relabelled copies of the benchmark city (row counts and group sizes "
            "of a province, repeated values); see \"Scoring at province scale\" for the analysis.")
    text = province_section(results, path, command, note)
    text = HEADING + text[text.index("\n"):]
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
