"""Run every benchmark (python -m bench [names…]); each writes its own section of docs/performance.md.

Each benchmark runs in its own process (so one's memory does not count against the
next) and measures its baseline in the same run. `make bench` calls this.

`bench_fairness` runs here in a reduced form (`ARGS`: fewer replications, prints its
table, writes no docs) so `make bench` stays within minutes; the docs table comes from
the full command written in docs/methodology.md, Part C.
"""

from __future__ import annotations

import subprocess
import sys
import time

ALL = [
    "bench_generate",
    "bench_ingest",
    "bench_surveys",
    "bench_scoring",
    "bench_dashboard",
    "bench_reports",
    "bench_scaleout",
    "bench_fairness",
    "bench_province",  # last: builds a ≈ 21 GB province-sized file on first use (≈ 40 min), then reuses it
]

ARGS: dict[str, list[str]] = {
    # ≈ 1 min: 40 small-city and 10 city replications, two scenarios (the full run: docs/methodology.md)
    "bench_fairness": ["--reps-small", "40", "--reps-city", "10", "--scenarios", "none,documented"],
}


def main(argv: list[str]) -> int:
    """Run the named benchmarks (default: all) in order; return the number that failed."""
    names = argv or ALL
    unknown = sorted(set(names) - set(ALL))
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; choose from {', '.join(ALL)}", file=sys.stderr)
        return 2
    failed = 0
    for name in names:
        start = time.perf_counter()
        print(f"== {name}", flush=True)
        code = subprocess.call([sys.executable, "-m", f"bench.{name}", *ARGS.get(name, [])])
        print(f"== {name}: exit {code} after {time.perf_counter() - start:.0f} s", flush=True)
        failed += code != 0
    return failed


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
