"""What the routes of `/api/v1` share: the server's config, who is calling, frames, jobs.

Kept apart from `routes.py` (which mounts the blueprint and the reads and actions)
so that every route module imports this one and none imports another.
"""

from __future__ import annotations

import getpass
import hmac
import io
from dataclasses import dataclass
from typing import Any

from flask import Response, request

from dashboard.api.errors import ApiError, json_response
from dashboard.apikeys import key_user
from dashboard.auth import User, log_event
from dashboard.jobs.kinds import JobError
from dashboard.jobs.runner import JobRunner
from warehouse.db import Database

ARROW = "application/vnd.apache.arrow.stream"


@dataclass(frozen=True)
class ApiConfig:
    """What the API needs from the server: the database, the runner and the local token."""

    db: Database
    runner: JobRunner
    local_token: str | None


def principal(config: ApiConfig) -> User:
    """The caller, from the bearer token (raises ApiError unauthorized)."""
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header.lower().startswith("bearer ") else ""
    if config.local_token and token and hmac.compare_digest(token, config.local_token):
        os_user = (request.headers.get("X-Gridscore-OS-User") or getpass.getuser()).strip()[:64]
        return User(os_user or "local", "admin", None)
    user = key_user(config.db, token) if token else None
    if user is not None:
        return user
    raise ApiError("unauthorized", "a valid API key is required (Authorization: Bearer gsk_…); "
                                   "unknown and revoked keys are refused")


def frame_response(frame: Any) -> Response:
    """A polars frame as Arrow IPC when asked for (the CLI), else JSON rows."""
    if ARROW in request.headers.get("Accept", ""):
        sink = io.BytesIO()
        frame.write_ipc_stream(sink)
        return Response(sink.getvalue(), mimetype=ARROW)
    return json_response(frame.to_dicts())


def job_or_404(config: ApiConfig, job_id: int, user: User) -> Any:
    """A job the caller may see (its own; an admin: any), else not_found."""
    from dashboard.jobs import store

    info = store.get(config.db, job_id)
    if info is None or (user.role != "admin" and info.who != user.name):
        raise ApiError("not_found", f"no job {job_id}")
    return info


def submit_job(config: ApiConfig, kind_name: str, params: dict[str, Any], *, user: User,
               wait: float = 0) -> Response:
    """Submit a job for the caller and answer with its status (202), after `wait` s at most."""
    try:
        info = config.runner.submit(kind_name, params, who=user.name)
    except JobError as exc:
        raise ApiError("bad_request", str(exc)) from None
    log_event(config.db, "job_submitted", user_name=user.name, client_ip=request.remote_addr,
              detail=f"job {info.job_id} {kind_name}")
    if wait > 0:
        info = config.runner.wait(info.job_id, timeout=wait) or info
    return json_response(info.to_json(), 202)
