"""Run every benchmark (python -m bench [names…]); each writes its own section of docs/performance.md.

Each benchmark runs in its own process (so one's memory does not count against the
next) and measures its baseline in the same run. `make bench` calls this.
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
    "bench_province",  # last: builds a ≈ 21 GB province-sized file on first use (≈ 40 min), then reuses it
]


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
        code = subprocess.call([sys.executable, "-m", f"bench.{name}"])
        print(f"== {name}: exit {code} after {time.perf_counter() - start:.0f} s", flush=True)
        failed += code != 0
    return failed


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
