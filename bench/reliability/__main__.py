"""Full reliability run: every suite at full size, figures printed as JSON lines.

`python -m bench.reliability [--only crash,concurrency,fuzz,access,load]`. Each suite
runs as its own process (crash, concurrency and load modules; the hypothesis and
access suites through pytest with the full-size environment). The figures are copied
into `docs/reliability.md` by hand with the machine's description.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SUITES: dict[str, tuple[list[str], dict[str, str]]] = {
    "crash": ([sys.executable, "-m", "bench.reliability.crash", "--trials", "100"], {}),
    "concurrency": ([sys.executable, "-m", "bench.reliability.concurrency", "--tokens", "10000",
                     "--clients", "200"], {}),
    "fuzz": ([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/reliability/test_fuzz.py",
              "tests/reliability/test_hostile.py"],
             {"GRIDSCORE_REL_EXAMPLES": "2500", "GRIDSCORE_REL_SIGNIN_CASES": "240"}),
    "access": ([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "tests/reliability/test_access.py"],
               {"GRIDSCORE_REL_GUESSES": "100000", "GRIDSCORE_REL_FULL": "1"}),
    "load": ([sys.executable, "-m", "bench.reliability.load", "--seconds", "60", "--clients", "64",
              "--supervisors", "20"], {}),
}


def main(argv: list[str] | None = None) -> int:
    """Run the chosen suites one after another; exit 1 if any failed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", default=",".join(SUITES))
    args = parser.parse_args(argv)
    failed = 0
    for name in args.only.split(","):
        cmd, env = SUITES[name]
        started = time.monotonic()
        proc = subprocess.run(cmd, cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True,
                              timeout=3 * 3600, check=False)
        tail = (proc.stdout.strip().splitlines() or [""])[-1]
        print(json.dumps({"suite": name, "exit": proc.returncode, "seconds": round(time.monotonic() - started),
                          "result": tail}), flush=True)
        failed += proc.returncode != 0
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
