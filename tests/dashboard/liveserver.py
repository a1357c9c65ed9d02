"""A real `gridscore serve` process on loopback for the live tests (port 0: any free port).

Started with the test's own Python and source tree; ready when its credential
file names its process and `/healthz` answers. Stopped with SIGTERM (clean: the
credential file goes) or killed with SIGKILL (a crash).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from dashboard.live.credentials import path_for

ROOT = Path(__file__).resolve().parents[2]


def cli_env() -> dict[str, str]:
    """Environment of a gridscore subprocess: this source tree first on the path."""
    env = dict(os.environ)
    env["PYTHONPATH"] = str(ROOT) + os.pathsep + env.get("PYTHONPATH", "")
    env["COLUMNS"] = "200"
    env.pop("GRIDSCORE_DB", None)
    return env


def cli(*args: str, timeout: float = 300, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run `gridscore ARGS` in a subprocess (as a user would) and capture its output."""
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args], capture_output=True, text=True,
                          env=cli_env(), timeout=timeout, cwd=ROOT, input=stdin)


@dataclass
class LiveServer:
    """A running server: its process, URL and token (from the credential file)."""

    proc: subprocess.Popen[str]
    db: Path
    url: str
    token: str
    log: Path

    def request(self, method: str, path: str, body: object = None, *, token: str | None = "") -> tuple[int, bytes]:
        """One HTTP call (with the local token unless `token` is None or given)."""
        headers = {"Content-Type": "application/json"}
        bearer = self.token if token == "" else token
        if bearer is not None:
            headers["Authorization"] = f"Bearer {bearer}"
        data = None if body is None else json.dumps(body).encode()
        req = urllib.request.Request(self.url + path, data=data, method=method, headers=headers)
        try:
            with urllib.request.urlopen(req, timeout=30) as response:
                return response.status, response.read()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read()

    def job(self, job_id: int) -> dict:
        """A job's status JSON."""
        status, body = self.request("GET", f"/api/v1/jobs/{job_id}")
        assert status == 200, body
        return json.loads(body)

    def stop(self) -> int:
        """SIGTERM and wait; the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def kill9(self) -> None:
        """SIGKILL: the crash a power cut would be."""
        self.proc.kill()
        self.proc.wait(timeout=30)


def start_server(db: Path, log: Path, *, timeout: float = 90) -> LiveServer:
    """Start `gridscore serve --port 0` on `db`; return once it answers."""
    with log.open("w") as handle:
        proc = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "serve", "--db", str(db), "--port", "0",
                                 "--threads", "8"], stdout=handle, stderr=subprocess.STDOUT, text=True,
                                env=cli_env(), cwd=ROOT)
    cred_path = path_for(db)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited {proc.returncode}: {log.read_text()}")
        try:
            cred = json.loads(cred_path.read_text())
        except (FileNotFoundError, ValueError):
            time.sleep(0.1)
            continue
        if cred["pid"] != proc.pid:
            time.sleep(0.1)
            continue
        try:
            with urllib.request.urlopen(cred["url"] + "/healthz", timeout=5) as response:
                if response.status == 200:
                    return LiveServer(proc, db, cred["url"], cred["token"], log)
        except OSError:
            time.sleep(0.1)
    proc.kill()
    raise AssertionError(f"server did not start: {log.read_text()}")
