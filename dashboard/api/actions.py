"""Action routes of `/api/v1`: veto steps, audit verification, accounts, API keys, pushed rows.

Each is thin over the function the CLI calls: a veto step is the CLI's `veto` job,
`audit/verify` is `tasks.audit_verify`, accounts are `auth.add_user`, keys are
`dashboard.apikeys`, and pushed rows go through the ingest job's very own file
path (`warehouse.ingest.ingest_file`): the rows are written as a CSV file of the
kind and loaded like any file, with the same validation and the same rejects
(row = position in the list, 1-based; field; value; reason).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import polars as pl
from flask import Blueprint, Response, g, request

from dashboard.access import load_tree, require
from dashboard.api.errors import ApiError, json_response
from dashboard.api.models import (
    AccountIn,
    AccountOut,
    ApiKeyCreated,
    ApiKeyIn,
    ApiKeyList,
    ApiKeyRow,
    AuditReport,
    IngestFiles,
    IngestRows,
    JobStatus,
    VetoStep,
    WaitQuery,
)
from dashboard.api.spec import Response as Doc
from dashboard.api.spec import error_responses
from dashboard.auth import AuthError, User, log_event

if TYPE_CHECKING:
    from spectree import SpecTree

    from dashboard.api.common import ApiConfig

VETO_ACTIONS = ("confirm", "appeal", "uphold", "overturn")
PUSHED = "pushed"  # folder of the jobs folder where pushed rows are written as files


def rows_csv(rows: list[dict[str, Any]]) -> bytes:
    """JSON rows as the CSV file an office would upload: header = every key in order of first use.

    Text stays text, numbers and booleans are written as JSON writes them, nested
    values as their JSON text (which the kind's validation then rejects by type).
    The file is the ingest's input, never a spreadsheet for a person, so its cells
    are deliberately not passed through `warehouse.safe_cells`: the ingest must see
    exactly the values that were pushed (and rejects them as it would in a file).
    """
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))

    def cell(value: Any) -> str | None:
        if value is None:
            return None
        if isinstance(value, str):
            return value
        return json.dumps(value, ensure_ascii=False)

    frame = pl.DataFrame({c: [cell(row.get(c)) for row in rows] for c in columns},
                         schema=dict.fromkeys(columns, pl.String))
    return frame.write_csv().encode("utf-8")


def register(api: Blueprint, spec: SpecTree, config: ApiConfig) -> None:
    """Add the action routes to the blueprint."""
    from dashboard.api.common import submit_job

    actions_any = ",".join(VETO_ACTIONS)

    @api.post(f"/vetoes/<veto_id>/<any({actions_any}):action>")
    @spec.validate(json=VetoStep, query=WaitQuery,
                   resp=Doc(HTTP_202=JobStatus, **error_responses("forbidden", "not_found", "conflict")),
                   tags=["vetoes"])
    def veto_step(veto_id: str, action: str) -> Response:
        """Move a veto one step (confirm, appeal, uphold, overturn) as a job, audited; scope-checked."""
        user = _caller()
        subject = config.db.scalar("SELECT subject_id FROM veto_events WHERE veto_id = ?", [veto_id])
        if subject is None:
            raise ApiError("not_found", f"no veto {veto_id!r}")
        require(user, "veto_appeal" if action == "appeal" else "veto_decide", subject, tree=load_tree(config.db))
        body: VetoStep = request.context.json  # type: ignore[attr-defined]
        params = {"action": action, "veto_id": veto_id, "actor": body.actor or user.name, "evidence": body.evidence}
        return submit_job(config, "veto", params, user=user,
                          wait=request.context.query.wait)  # type: ignore[attr-defined]

    @api.get("/audit/verify")
    @spec.validate(resp=Doc(HTTP_200=AuditReport, **error_responses("forbidden")), tags=["audit"])
    def audit_verify() -> Response:
        """Check the audit hash chain and every run's score tables (the report, ok or not)."""
        from dashboard.jobs import tasks

        require(_caller(), "view", None)
        return json_response(tasks.audit_verify(config.db))

    @api.post("/accounts")
    @spec.validate(json=AccountIn, resp=Doc(HTTP_200=AccountOut, **error_responses("forbidden")),
                   tags=["accounts"])
    def save_account() -> Response:
        """Create a dashboard account (or reset its password, role and scope)."""
        from dashboard.auth import add_user

        user = _caller()
        require(user, "manage_users", None)
        body: AccountIn = request.context.json  # type: ignore[attr-defined]
        try:
            saved = add_user(config.db, body.name, body.password, role=body.role, scope_unit_id=body.scope_unit_id)
        except AuthError as exc:
            raise ApiError("bad_request", str(exc)) from None
        log_event(config.db, "account_saved", user_name=user.name, client_ip=request.remote_addr,
                  detail=f"{saved.name} {saved.role} {saved.scope_unit_id or ''}")
        return json_response({"name": saved.name, "role": saved.role, "scope_unit_id": saved.scope_unit_id})
    _register_keys(api, spec, config)
    _register_ingest(api, spec, config)


def _caller() -> User:
    """The authenticated caller of this request."""
    return g.api_user


def _register_keys(api: Blueprint, spec: SpecTree, config: ApiConfig) -> None:
    """The API key routes: list, create (the key shown once), revoke."""

    @api.get("/apikeys")
    @spec.validate(resp=Doc(HTTP_200=ApiKeyList, **error_responses("forbidden")), tags=["apikeys"])
    def list_apikeys() -> Response:
        """Every API key (never the secret): who it acts as, role, scope, last use, revoked."""
        from dashboard.apikeys import as_json, list_keys

        require(_caller(), "manage_users", None)
        return json_response([as_json(r) for r in list_keys(config.db).to_dicts()])

    @api.post("/apikeys")
    @spec.validate(json=ApiKeyIn, resp=Doc(HTTP_201=ApiKeyCreated, **error_responses("forbidden")),
                   tags=["apikeys"])
    def create_apikey() -> Response:
        """Make an API key for an account or an integration; the key is in this answer only."""
        from dataclasses import asdict

        from dashboard.apikeys import create_key

        user = _caller()
        require(user, "manage_users", None)
        body: ApiKeyIn = request.context.json  # type: ignore[attr-defined]
        try:
            made = create_key(config.db, body.name, created_by=user.name, user_name=body.user_name,
                              role=body.role, scope_unit_id=body.scope_unit_id)
        except AuthError as exc:
            raise ApiError("bad_request", str(exc)) from None
        log_event(config.db, "apikey_created", user_name=user.name, client_ip=request.remote_addr,
                  detail=f"{made.key_id} {made.name}")
        return json_response(asdict(made), 201)

    @api.post("/apikeys/<key_id>/revoke")
    @spec.validate(resp=Doc(HTTP_200=ApiKeyRow, **error_responses("forbidden", "not_found")), tags=["apikeys"])
    def revoke_apikey(key_id: str) -> Response:
        """Revoke an API key at once (its next call is refused)."""
        from dashboard.apikeys import as_json, revoke_key

        user = _caller()
        require(user, "manage_users", None)
        try:
            row = revoke_key(config.db, key_id, actor=user.name)
        except AuthError as exc:
            raise ApiError("not_found" if "no API key" in str(exc) else "bad_request", str(exc)) from None
        log_event(config.db, "apikey_revoked", user_name=user.name, client_ip=request.remote_addr, detail=key_id)
        return json_response(as_json(row))


def _register_ingest(api: Blueprint, spec: SpecTree, config: ApiConfig) -> None:
    """The routes that load data: rows pushed as JSON and uploaded files, both as ingest jobs."""
    from dashboard.api.common import submit_job

    @api.post("/ingest/<kind>/rows")
    @spec.validate(json=IngestRows, query=WaitQuery,
                   resp=Doc(HTTP_202=JobStatus, **error_responses("forbidden", "conflict")), tags=["ingest"])
    def ingest_rows(kind: str) -> Response:
        """Load rows pushed as JSON (an event platform's work records) through the file ingest, as a job.

        The answer is the ingest job (with `wait`, once it ended): its result lists,
        per row refused, the row (position in `rows`, 1-based), field, value and reason.
        """
        user = _caller()
        require(user, "manage_data", None)
        _known_kind(kind)
        body: IngestRows = request.context.json  # type: ignore[attr-defined]
        data = rows_csv(body.rows)
        folder = Path(config.runner.folder) / PUSHED
        folder.mkdir(parents=True, exist_ok=True)
        path = _write_once(folder / f"{kind}-{hashlib.sha256(data).hexdigest()[:16]}.csv", data)
        return submit_job(config, "ingest", {"kind": kind, "files": [str(path)]}, user=user,
                          wait=request.context.query.wait)  # type: ignore[attr-defined]

    @api.post("/ingest/<kind>/files")
    @spec.validate(form=IngestFiles, query=WaitQuery,
                   resp=Doc(HTTP_202=JobStatus, **error_responses("forbidden", "conflict")), tags=["ingest"])
    def ingest_files(kind: str) -> Response:
        """Load uploaded files of one kind (multipart, field `file`) as an ingest job: each file whole or refused.

        The job's result has one summary per file, with its rejects (row, column, value, reason).
        """
        user = _caller()
        require(user, "manage_data", None)
        _known_kind(kind)
        paths = []
        for upload in request.files.getlist("file"):
            name = Path(upload.filename or "upload.csv").name or "upload.csv"
            upload.stream.seek(0)  # the form validation may have read it
            data = upload.read()
            folder = Path(config.runner.folder) / PUSHED / hashlib.sha256(data).hexdigest()[:16]
            folder.mkdir(parents=True, exist_ok=True)
            paths.append(str(_write_once(folder / name, data)))
        return submit_job(config, "ingest", {"kind": kind, "files": paths}, user=user,
                          wait=request.context.query.wait)  # type: ignore[attr-defined]


def _known_kind(kind: str) -> None:
    from warehouse.errors import IngestError
    from warehouse.ingest import get_spec

    try:
        get_spec(kind)
    except IngestError as exc:
        raise ApiError("bad_request", str(exc)) from None


def _write_once(path: Path, data: bytes) -> Path:
    """Write `data` at `path` unless it is there (atomic: a partial file is never loaded)."""
    if not path.exists():
        part = path.with_name(path.name + ".part")
        part.write_bytes(data)
        part.replace(path)
    return path
