"""Routes of `/api/v1`: the blueprint, who is calling, the error shape, and the jobs.

Authentication: `Authorization: Bearer <token>`, either an API key (`gsk_…`,
`dashboard.apikeys`: an account's or an integration's, with a role and org scope)
or the local administrator's token from the server's credential file (the CLI on
this machine; the caller's OS user, `X-Gridscore-OS-User`, is who the jobs and
the audit name). Every route then checks `require(user, action, unit)`, the same
as the dashboard. The reads (`reads.py`) and the actions (`actions.py`) hang on
the same blueprint; `spec.py` turns the routes' models into the OpenAPI document.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from flask import Blueprint, Flask, Response, g, request, send_file, stream_with_context
from werkzeug.exceptions import HTTPException

from dashboard.access import AccessDenied, require
from dashboard.api import actions, idempotency, reads
from dashboard.api.common import ApiConfig, frame_response, job_or_404, principal, submit_job
from dashboard.api.errors import ApiError, error_response, json_response
from dashboard.api.models import JobsQuery, JobStatus, JobSubmit, RunList, WaitQuery
from dashboard.api.spec import Response as Doc
from dashboard.api.spec import error_responses, make_spec
from dashboard.auth import User, log_event
from dashboard.jobs.kinds import KINDS

if TYPE_CHECKING:
    from spectree import SpecTree

log = logging.getLogger("gridscore.api")

PREFIX = "/api/v1"
PUBLIC_ENDPOINTS = {"api_v1.openapi"}
UPLOAD_ENDPOINTS = {"api_v1.ingest_files"}
UPLOAD_LIMIT = 512 * 1024 * 1024  # bytes of one upload request (a year of a city's work records as CSV)
EVENT_POLL = 0.25  # seconds between looks at a followed job


def blueprint(config: ApiConfig) -> Blueprint:
    """The `/api/v1` blueprint bound to one server's database and runner."""
    api = Blueprint("api_v1", __name__, url_prefix=PREFIX)
    spec = make_spec()

    @api.before_request
    def _auth() -> Response | None:
        if request.endpoint in PUBLIC_ENDPOINTS:
            return None
        if request.endpoint in UPLOAD_ENDPOINTS:
            request.max_content_length = UPLOAD_LIMIT  # files, not the 2 MB of a JSON body
        g.api_user = principal(config)
        return idempotency.before(config.db, g.api_user.name)

    @api.after_request
    def _keep(response: Response) -> Response:
        return idempotency.after(config.db, response)

    @api.teardown_request
    def _drop(exc: BaseException | None) -> None:
        idempotency.teardown(config.db, exc)

    @api.errorhandler(ApiError)
    def _api_error(exc: ApiError) -> Response:
        return error_response(exc.code, exc.message)

    @api.errorhandler(AccessDenied)
    def _denied(exc: AccessDenied) -> Response:
        user = getattr(g, "api_user", None)
        log_event(config.db, "denied", user_name=user.name if user else None, client_ip=request.remote_addr,
                  detail=f"api {exc.action} {exc.unit_id or ''}")
        return error_response("forbidden", str(exc.description))

    @api.errorhandler(Exception)
    def _other(exc: Exception) -> Response:
        # Any other refusal or fault still answers in the one error shape (never an HTML page).
        if isinstance(exc, HTTPException):
            if exc.code == 404:
                return error_response("not_found", f"no route {request.path}")
            if exc.code == 405:
                return error_response("bad_request", f"{request.method} is not allowed on {request.path}")
            if exc.code == 413:
                return error_response("bad_request", "the request body is too large (JSON at most 2 MB: send rows in parts; "
                                                     "files at most 512 MB a request)")
            if exc.code is not None and exc.code < 500:
                return error_response("bad_request", exc.description or exc.name)
        log.exception("API request %s %s failed", request.method, request.path)
        return error_response("internal", f"internal error ({type(exc).__name__}); the server log has the details")

    @api.get("/openapi.json", endpoint="openapi")
    def _openapi() -> Response:
        """The OpenAPI document of this API (generated from the routes' models; no key needed)."""
        return json_response(spec.spec)

    _register_jobs(api, spec, config)
    reads.register(api, spec, config)
    actions.register(api, spec, config)

    @api.route("/<path:rest>", methods=["GET", "POST", "PUT", "PATCH", "DELETE"])
    def _no_route(rest: str) -> Response:
        # Without this, an unknown /api/v1 path would fall through to the dashboard's pages.
        raise ApiError("not_found", f"no route {request.method} {PREFIX}/{rest} (see {PREFIX}/openapi.json)")

    return api


def _register_jobs(api: Blueprint, spec: SpecTree, config: ApiConfig) -> None:
    """The job routes (list, submit, status, cancel, file, events) and the runs list."""

    @api.get("/jobs")
    @spec.validate(query=JobsQuery, resp=Doc(HTTP_200=list[JobStatus], **error_responses()), tags=["jobs"])
    def list_jobs() -> Response:
        """The newest jobs (the caller's own; an admin: everyone's)."""
        from dashboard.jobs import store

        user: User = g.api_user
        limit = request.context.query.limit  # type: ignore[attr-defined]
        rows = store.recent(config.db, who=None if user.role == "admin" else user.name, limit=limit)
        return json_response([r.to_json() for r in rows])

    @api.post("/jobs")
    @spec.validate(json=JobSubmit, query=WaitQuery,
                   resp=Doc(HTTP_202=JobStatus, **error_responses("forbidden", "conflict")), tags=["jobs"])
    def submit() -> Response:
        """Submit a job of any kind (ingest, score, report, backup, audit_verify, finalise, veto)."""
        user: User = g.api_user
        body = request.context.json.root  # type: ignore[attr-defined]
        require(user, KINDS[body.kind].action, None)
        return submit_job(config, body.kind, body.params.model_dump(), user=user,
                          wait=request.context.query.wait)  # type: ignore[attr-defined]

    @api.get("/jobs/<int:job_id>")
    @spec.validate(query=WaitQuery, resp=Doc(HTTP_200=JobStatus, **error_responses("not_found")), tags=["jobs"])
    def job_status(job_id: int) -> Response:
        """A job's state, progress, message and result (`wait`: until it ends, at most that long)."""
        info = job_or_404(config, job_id, g.api_user)
        wait = request.context.query.wait  # type: ignore[attr-defined]
        if wait > 0 and not info.finished:
            info = config.runner.wait(job_id, timeout=wait) or info
        return json_response(info.to_json())

    @api.post("/jobs/<int:job_id>/cancel")
    @spec.validate(resp=Doc(HTTP_200=JobStatus, **error_responses("not_found", "conflict")), tags=["jobs"])
    def cancel_job(job_id: int) -> Response:
        """Cancel a job: a queued one at once, a running one at its next safe point."""
        user: User = g.api_user
        _ = job_or_404(config, job_id, user)
        info = config.runner.cancel(job_id)
        log_event(config.db, "job_cancel", user_name=user.name, client_ip=request.remote_addr,
                  detail=f"job {job_id}")
        return json_response(info.to_json() if info else {})

    @api.get("/jobs/<int:job_id>/file")
    @spec.validate(resp=Doc("HTTP_200", **error_responses("not_found", "not_ready")), tags=["jobs"])
    def job_file(job_id: int) -> Response:
        """Download a finished job's file (a report, a score sheet)."""
        info = job_or_404(config, job_id, g.api_user)
        if info.state != "done":
            raise ApiError("not_ready", f"job {job_id} is {info.state}")
        if not info.result_file or not Path(info.result_file).is_file():
            raise ApiError("not_found", f"job {job_id} has no file to download")
        return send_file(info.result_file, as_attachment=True, download_name=Path(info.result_file).name)

    @api.get("/jobs/<int:job_id>/events")
    @spec.validate(resp=Doc("HTTP_200", **error_responses("not_found")), tags=["jobs"])
    def job_events(job_id: int) -> Response:
        """A job's progress as server-sent events (`progress` on each change, then `end`)."""
        _ = job_or_404(config, job_id, g.api_user)
        return Response(stream_with_context(_events(config, job_id)), mimetype="text/event-stream",
                        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"})

    @api.get("/runs")
    @spec.validate(resp=Doc(HTTP_200=RunList, **error_responses("forbidden")), tags=["runs"])
    def runs() -> Response:
        """Score runs, newest first (Arrow IPC with `Accept: application/vnd.apache.arrow.stream`)."""
        from dashboard.context import make_context
        from metrics.runs import list_runs

        make_context(config.db, g.api_user)
        return frame_response(list_runs(config.db))


def _events(config: ApiConfig, job_id: int) -> Iterator[str]:
    """Server-sent events of one job until it ends: `progress` whenever it changes, then `end`."""
    from dashboard.jobs import store

    last: str | None = None
    while True:
        info = store.get(config.db, job_id)
        if info is None:
            return
        payload = json.dumps(info.to_json(), ensure_ascii=False, default=str)
        if payload != last:
            last = payload
            yield f"event: {'end' if info.finished else 'progress'}\ndata: {payload}\n\n"
        if info.finished:
            return
        time.sleep(EVENT_POLL)


def register_api(server: Flask, config: ApiConfig) -> None:
    """Mount `/api/v1` on the dashboard's Flask server."""
    server.register_blueprint(blueprint(config))
