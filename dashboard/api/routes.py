"""Routes of `/api/v1`: thin over the job runner and the domain's read functions.

Authentication: `Authorization: Bearer <token>`. Today the one token is the
local administrator's from the server's credential file (the CLI on this
machine); the caller's OS user (`X-Gridscore-OS-User`) is who the jobs and the
audit name. Per-account API keys come later through the same `principal` hook.
"""

from __future__ import annotations

import getpass
import hmac
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, g, request, send_file

from dashboard.access import AccessDenied, require
from dashboard.api.errors import ApiError, error_response, json_response
from dashboard.auth import User, log_event
from dashboard.jobs.kinds import KINDS, JobError
from dashboard.jobs.runner import JobRunner
from warehouse.db import Database

PREFIX = "/api/v1"
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
    raise ApiError("unauthorized", "an API token is required (Authorization: Bearer …)")


def _frame_response(frame: Any) -> Response:
    """A polars frame as Arrow IPC when asked for (the CLI), else JSON rows."""
    if ARROW in request.headers.get("Accept", ""):
        sink = io.BytesIO()
        frame.write_ipc_stream(sink)
        return Response(sink.getvalue(), mimetype=ARROW)
    return json_response(frame.to_dicts())


def _job_or_404(config: ApiConfig, job_id: int, user: User) -> Any:
    from dashboard.jobs import store

    info = store.get(config.db, job_id)
    if info is None or (user.role != "admin" and info.who != user.name):
        raise ApiError("not_found", f"no job {job_id}")
    return info


def blueprint(config: ApiConfig) -> Blueprint:
    """The `/api/v1` blueprint bound to one server's database and runner."""
    from dashboard.jobs import store

    api = Blueprint("api_v1", __name__, url_prefix=PREFIX)

    @api.before_request
    def _auth() -> None:
        g.api_user = principal(config)

    @api.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error_response(exc.code, exc.message)

    @api.errorhandler(AccessDenied)
    def _denied(exc: AccessDenied) -> Response:
        log_event(config.db, "denied", user_name=g.api_user.name, client_ip=request.remote_addr,
                  detail=f"api {exc.action} {exc.unit_id or ''}")
        return error_response("forbidden", str(exc.description))

    @api.errorhandler(404)
    def _missing(_exc: Exception) -> Response:
        return error_response("not_found", f"no route {request.path}")

    @api.get("/jobs")
    def _jobs() -> Response:
        user: User = g.api_user
        limit = min(max(request.args.get("limit", 50, type=int) or 50, 1), 500)
        rows = store.recent(config.db, who=None if user.role == "admin" else user.name, limit=limit)
        return json_response([r.to_json() for r in rows])

    @api.post("/jobs")
    def _submit() -> Response:
        user: User = g.api_user
        body = request.get_json(silent=True)
        if not isinstance(body, dict) or not isinstance(body.get("kind"), str):
            raise ApiError("bad_request", 'send JSON {"kind": "...", "params": {...}}')
        kind = KINDS.get(body["kind"])
        if kind is None:
            raise ApiError("bad_request", f"unknown job kind {body['kind']!r}; one of: {', '.join(sorted(KINDS))}")
        require(user, kind.action, None)
        params = body.get("params") or {}
        if not isinstance(params, dict):
            raise ApiError("bad_request", "params must be a JSON object")
        try:
            info = config.runner.submit(kind.name, params, who=user.name)
        except JobError as exc:
            raise ApiError("bad_request", str(exc)) from None
        log_event(config.db, "job_submitted", user_name=user.name, client_ip=request.remote_addr,
                  detail=f"job {info.job_id} {kind.name}")
        return json_response(info.to_json(), 202)

    @api.get("/jobs/<int:job_id>")
    def _status(job_id: int) -> Response:
        return json_response(_job_or_404(config, job_id, g.api_user).to_json())

    @api.post("/jobs/<int:job_id>/cancel")
    def _cancel(job_id: int) -> Response:
        user: User = g.api_user
        _job_or_404(config, job_id, user)
        info = config.runner.cancel(job_id)
        log_event(config.db, "job_cancel", user_name=user.name, client_ip=request.remote_addr,
                  detail=f"job {job_id}")
        return json_response(info.to_json() if info else {})

    @api.get("/jobs/<int:job_id>/file")
    def _file(job_id: int) -> Response:
        info = _job_or_404(config, job_id, g.api_user)
        if info.state != "done":
            raise ApiError("not_ready", f"job {job_id} is {info.state}")
        if not info.result_file or not Path(info.result_file).is_file():
            raise ApiError("not_found", f"job {job_id} has no file to download")
        return send_file(info.result_file, as_attachment=True, download_name=Path(info.result_file).name)

    @api.get("/runs")
    def _runs() -> Response:
        from metrics.runs import list_runs

        require(g.api_user, "view", None)
        return _frame_response(list_runs(config.db))

    return api


def register_api(server: Flask, config: ApiConfig) -> None:
    """Mount `/api/v1` on the dashboard's Flask server."""
    server.register_blueprint(blueprint(config))
