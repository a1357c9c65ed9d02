"""`Idempotency-Key` on the API's POSTs: a retry of the same request gets the first answer.

A POST that carries the header claims `(caller, key)` in `api_idempotency` before
it runs and stores its answer (status, body, content type) after; a second POST
with the same key and the same method, path and body gets that stored answer
(header `Idempotent-Replayed: true`) and runs nothing. The same key with another
request is refused (409), and so is a retry while the first is still being
answered. An answer the server failed on (5xx) is not kept, so the retry runs.
"""

from __future__ import annotations

import hashlib

import duckdb
from flask import Response, g, request

from dashboard.api.errors import ApiError
from dashboard.auth import now_utc
from warehouse.db import Database

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
MAX_KEY = 200


def _request_hash() -> str:
    digest = hashlib.sha256()
    for part in (request.method, request.path, request.query_string.decode("latin-1")):
        digest.update(part.encode() + b"\0")
    digest.update(request.get_data(cache=True))
    return digest.hexdigest()


def before(db: Database, who: str) -> Response | None:
    """Replay the stored answer of a retried POST, or claim its key; None lets the route run."""
    key = request.headers.get(HEADER)
    if request.method != "POST" or key is None:
        return None
    key = key.strip()
    if not key or len(key) > MAX_KEY:
        raise ApiError("bad_request", f"{HEADER} must be 1–{MAX_KEY} characters")
    fingerprint = _request_hash()
    cur = db.cursor()
    try:
        row = cur.execute(
            "SELECT request_hash, status, response, content_type FROM api_idempotency "
            "WHERE principal = ? AND idem_key = ?", [who, key]).fetchone()
        if row is None:
            try:
                cur.execute(
                    "INSERT INTO api_idempotency (principal, idem_key, method, path, request_hash, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)", [who, key, request.method, request.path, fingerprint, now_utc()])
            except (duckdb.ConstraintException, duckdb.TransactionException):
                raise ApiError("conflict", f"a request with {HEADER} {key!r} is still being answered; "
                                           "retry in a moment") from None
            g.idempotency = (who, key)
            return None
    finally:
        cur.close()
    stored_hash, status, body, content_type = row
    if stored_hash != fingerprint:
        raise ApiError("conflict", f"{HEADER} {key!r} was used before for another request "
                                   "(another path or body): use a new key")
    if status is None:
        raise ApiError("conflict", f"a request with {HEADER} {key!r} is still being answered; retry in a moment")
    replay = Response(body or "", status=int(status), mimetype=content_type or "application/json")
    replay.headers[REPLAYED] = "true"
    return replay


def after(db: Database, response: Response) -> Response:
    """Store the answer of a claimed POST (not a 5xx: that claim is dropped, the retry runs)."""
    claim = g.pop("idempotency", None)
    if claim is None:
        return response
    cur = db.cursor()
    try:
        if response.status_code >= 500 or response.is_streamed:
            cur.execute("DELETE FROM api_idempotency WHERE principal = ? AND idem_key = ?", list(claim))
        else:
            cur.execute(
                "UPDATE api_idempotency SET status = ?, response = ?, content_type = ? "
                "WHERE principal = ? AND idem_key = ?",
                [response.status_code, response.get_data(as_text=True), response.mimetype, *claim])
    finally:
        cur.close()
    return response


def teardown(db: Database, exc: BaseException | None) -> None:
    """A claimed POST that ended without an answer (an unhandled error): drop the claim."""
    claim = g.pop("idempotency", None)
    if claim is None:
        return
    cur = db.cursor()
    try:
        cur.execute("DELETE FROM api_idempotency WHERE principal = ? AND idem_key = ?", list(claim))
    finally:
        cur.close()
