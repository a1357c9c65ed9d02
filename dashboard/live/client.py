"""The CLI's way to a running server: find it, submit jobs, follow them, fetch results.

`server_for(db)` answers whether a gridscore server holds the database (its
credential file exists and its process runs); commands then call the server's
`/api/v1` instead of opening the file, and print the same output from the
same JSON results. Only the standard library is used (urllib).
"""

from __future__ import annotations

import getpass
import io
import json
import os
import shutil
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl

from dashboard.jobs.tasks import Steps, no_steps
from dashboard.live import credentials
from warehouse.db import resolve_path
from warehouse.errors import WarehouseError

POLL = 0.2  # seconds between status requests while following a job
ARROW = "application/vnd.apache.arrow.stream"


class ServerError(WarehouseError):
    """The server refused or failed a request; the message is one line for the user."""


# Set by `gridscore --server URL` (or GRIDSCORE_SERVER): every routed command then talks
# to that server with the API key in GRIDSCORE_API_KEY instead of looking for a local one.
_remote: str | None = None
# Top-level commands that run through a server; with --server the others are refused.
ROUTED = frozenset({"runs", "ingest", "score", "report", "backup", "audit", "finalise", "veto", "jobs", "explain",
                    "apikey", "user"})


def set_remote(url: str | None) -> None:
    """Use the gridscore server at `url` (None: the local one that holds --db, if any)."""
    global _remote
    _remote = url.rstrip("/") if url else None


@dataclass(frozen=True)
class ServerClient:
    """A server reached with a token: the local credential file's, or an API key for `--server`."""

    url: str
    token: str
    pid: int | None = None
    db: str | None = None
    remote: bool = False

    def describe(self) -> str:
        """How messages name the server: its URL and process."""
        return f"the gridscore server at {self.url}" + (f" (process {self.pid})" if self.pid else "")

    def _request(self, method: str, path: str, body: Any = None, *, accept: str = "application/json",
                 timeout: float = 60.0) -> urllib.request.addinfourl:
        data = None if body is None else json.dumps(body).encode("utf-8")
        req = urllib.request.Request(self.url + "/api/v1" + path, data=data, method=method, headers={
            "Authorization": f"Bearer {self.token}",
            "X-Gridscore-OS-User": getpass.getuser(),
            "Accept": accept,
            **({"Content-Type": "application/json"} if data is not None else {}),
        })
        try:
            return urllib.request.urlopen(req, timeout=timeout)  # noqa: S310 — our own server's URL
        except urllib.error.HTTPError as exc:
            raise ServerError(_error_text(exc)) from None
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise ServerError(f"{self.describe()} holds the database but does not answer: {reason}") from None

    def get_json(self, path: str) -> Any:
        """GET a JSON resource."""
        with self._request("GET", path) as response:
            return json.loads(response.read())

    def post_json(self, path: str, body: Any) -> Any:
        """POST JSON, return the JSON answer."""
        with self._request("POST", path, body) as response:
            return json.loads(response.read())

    def frame(self, path: str) -> pl.DataFrame:
        """GET a table as a polars frame (Arrow IPC: types kept exactly)."""
        with self._request("GET", path, accept=ARROW) as response:
            return pl.read_ipc_stream(io.BytesIO(response.read()))

    def download(self, job_id: int, dest: Path) -> Path:
        """Save a finished job's file at `dest`."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        with self._request("GET", f"/jobs/{job_id}/file", accept="*/*") as response, dest.open("wb") as handle:
            shutil.copyfileobj(response, handle)
        return dest

    def upload(self, path: str, files: list[Path]) -> dict[str, Any]:
        """POST files as multipart/form-data (field `file`); the JSON answer."""
        import secrets

        boundary = "gridscore-" + secrets.token_hex(12)
        parts: list[bytes] = []
        for file in files:
            name = file.name.replace('"', "_")
            parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="{name}"\r\n'
                         "Content-Type: application/octet-stream\r\n\r\n".encode())
            parts.append(file.read_bytes())
            parts.append(b"\r\n")
        parts.append(f"--{boundary}--\r\n".encode())
        req = urllib.request.Request(self.url + "/api/v1" + path, data=b"".join(parts), method="POST", headers={
            "Authorization": f"Bearer {self.token}", "Accept": "application/json",
            "Content-Type": f"multipart/form-data; boundary={boundary}"})
        try:
            with urllib.request.urlopen(req, timeout=600) as response:  # noqa: S310 — the server the user named
                return json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise ServerError(_error_text(exc)) from None
        except (urllib.error.URLError, OSError) as exc:
            raise ServerError(f"{self.describe()} does not answer: {getattr(exc, 'reason', exc)}") from None

    def submit(self, kind: str, params: dict[str, Any]) -> dict[str, Any]:
        """Submit a job; its status JSON."""
        return self.post_json("/jobs", {"kind": kind, "params": params})

    def follow(self, job_id: int, steps: Steps = no_steps) -> dict[str, Any]:
        """Poll a job until it ends, feeding its progress to `steps`; Ctrl-C asks to cancel it."""
        cancelled = False
        while True:
            try:
                job = self.get_json(f"/jobs/{job_id}")
                progress = job["progress"]
                if progress["unit"]:
                    steps(progress["done"], progress["total"], progress["unit"], job["message"])
                if job["state"] in ("done", "failed", "cancelled", "interrupted"):
                    return job
                time.sleep(POLL)
            except KeyboardInterrupt:
                if cancelled:
                    raise
                cancelled = True
                self.post_json(f"/jobs/{job_id}/cancel", {})

    def run_job(self, kind: str, params: dict[str, Any], steps: Steps = no_steps) -> dict[str, Any]:
        """Submit, follow and return the finished job (raises ServerError unless done)."""
        job = self.follow(self.submit(kind, params)["job_id"], steps)
        if job["state"] != "done":
            raise ServerError(job["message"] if job["state"] == "failed"
                              else f"job {job['job_id']} {job['state']}: {job['message']}")
        return job


def _error_text(exc: urllib.error.HTTPError) -> str:
    try:
        payload = json.loads(exc.read())
        return payload["error"]["message"]["en"]
    except (ValueError, KeyError, TypeError):
        return f"the server answered HTTP {exc.code}"


def remote_client() -> ServerClient | None:
    """The server named by `--server` / GRIDSCORE_SERVER, with the key in GRIDSCORE_API_KEY."""
    if _remote is None:
        return None
    key = os.environ.get("GRIDSCORE_API_KEY", "").strip()
    if not key:
        raise ServerError(f"--server {_remote}: set GRIDSCORE_API_KEY to an API key (gridscore apikey add)")
    return ServerClient(url=_remote, token=key, remote=True)


def server_for(db: str | None) -> ServerClient | None:
    """The server to run on: `--server`'s, else the one holding this database (credential file + live process)."""
    remote = remote_client()
    if remote is not None:
        return remote
    return local_server_for(db)


def local_server_for(db: str | None) -> ServerClient | None:
    """The local server holding this database (credential file + live process), or None."""
    path = resolve_path(db)
    if path == ":memory:":
        return None
    try:
        cred = credentials.read(path)
    except PermissionError:
        raise ServerError(f"database {path} is held by a gridscore server of another user "
                          f"({credentials.path_for(path)} is not readable by you)") from None
    if cred is None:
        return None
    return ServerClient(url=cred.url, token=cred.token, pid=cred.pid, db=cred.db)


def refuse_if_served(db: str | None, what: str) -> None:
    """Refuse a command that would replace or re-create a database a server holds."""
    client = local_server_for(db)
    if client is not None:
        raise ServerError(f"database {resolve_path(db)} is held by {client.describe()}; "
                          f"stop the server before you {what}")
