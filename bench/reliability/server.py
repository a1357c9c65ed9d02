"""A live gridscore server (create_app + waitress) in a child process on a free loopback port.

Tests and benchmarks go through the real HTTP stack: `live_server(db_path, ...)` starts
`python -m bench.reliability.server` with chosen rate limits, waits for `/healthz`,
yields the base URL and stops the process (SIGTERM, then SIGKILL) afterwards.
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LOOPBACK = "127.0.0.1"


def free_port() -> int:
    """A TCP port that is free on the loopback address right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((LOOPBACK, 0))
        return int(sock.getsockname()[1])


@contextmanager
def live_server(
    db_path: str | Path,
    *,
    survey_burst: int = 100_000,
    survey_per_minute: float = 6_000_000.0,
    signin_burst: int = 1_000,
    signin_per_minute: float = 60_000.0,
    threads: int = 8,
    startup_seconds: float = 90.0,
) -> Iterator[str]:
    """Serve `db_path` on 127.0.0.1 in a child process; yield its base URL."""
    port = free_port()
    cmd = [
        sys.executable, "-m", "bench.reliability.server", "--db", str(db_path), "--port", str(port),
        "--survey-burst", str(survey_burst), "--survey-per-minute", str(survey_per_minute),
        "--signin-burst", str(signin_burst), "--signin-per-minute", str(signin_per_minute),
        "--threads", str(threads),
    ]
    log = Path(str(db_path) + f".server-{port}.log")
    with log.open("wb") as sink:
        proc = subprocess.Popen(cmd, cwd=ROOT, stdout=sink, stderr=subprocess.STDOUT,
                                env={**os.environ, "PYTHONUNBUFFERED": "1"})
    base = f"http://{LOOPBACK}:{port}"
    try:
        deadline = time.monotonic() + startup_seconds
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}: {log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"server did not start in {startup_seconds}s: {log.read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


def server_log(db_path: str | Path) -> str:
    """Concatenated logs of the servers started on `db_path` (for 500 tracebacks)."""
    parent = Path(db_path).parent
    return "\n".join(p.read_text(errors="replace") for p in sorted(parent.glob(Path(db_path).name + ".server-*.log")))


def main(argv: list[str] | None = None) -> None:
    """Entry point of the child: build the app with the given limits and serve it."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--survey-burst", type=int, default=30)
    parser.add_argument("--survey-per-minute", type=float, default=30.0)
    parser.add_argument("--signin-burst", type=int, default=10)
    parser.add_argument("--signin-per-minute", type=float, default=10.0)
    parser.add_argument("--threads", type=int, default=8)
    args = parser.parse_args(argv)
    from waitress import serve

    from dashboard.app import create_app
    from dashboard.settings import Settings

    settings = Settings(
        db_path=args.db, survey_burst=args.survey_burst, survey_per_minute=args.survey_per_minute,
        signin_burst=args.signin_burst, signin_per_minute=args.signin_per_minute,
    )
    app = create_app(settings)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    serve(app.server, host=LOOPBACK, port=args.port, threads=args.threads, ident="gridscore",
          connection_limit=1000, backlog=2048, channel_timeout=60)


if __name__ == "__main__":
    main()
