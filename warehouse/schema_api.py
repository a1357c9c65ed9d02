"""Tables of the HTTP API `/api/v1`: API keys and the answers kept for `Idempotency-Key`.

An API key is shown once, when it is made; only the sha256 of it is stored, so a
copy of the database hands out no live keys. A key either acts as an account (its
role and scope are the account's, and a disabled account's keys stop working) or
belongs to an integration (an event platform, a reporting system) with its own
role and org scope. Revoked keys stay listed (who revoked them, when).

A POST with an `Idempotency-Key` header keeps its answer here, so a retry of the
same request by the same caller gets the first answer instead of running twice.
"""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.schema import metadata

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("key_id", sa.String, primary_key=True, comment="public id of the key (shown in lists and logs), e.g. k3f9a1c2d"),
    sa.Column("key_hash", sa.String, nullable=False, unique=True, comment="sha256 of the secret key (the key itself is never stored)"),
    sa.Column("name", sa.String, nullable=False, comment="what the key is for, e.g. event platform"),
    sa.Column("user_name", sa.String, comment="account the key acts as (NULL: an integration key with its own role and scope)"),
    sa.Column("role", sa.String, comment="role of an integration key: admin | assessor | supervisor | viewer (NULL: the account's)"),
    sa.Column("scope_unit_id", sa.String, comment="org unit whose subtree an integration key may reach (NULL: all, or the account's)"),
    sa.Column("created_by", sa.String, nullable=False, comment="who made the key"),
    sa.Column("created_at", sa.DateTime, nullable=False, comment="when the key was made (UTC)"),
    sa.Column("last_used_at", sa.DateTime, comment="last accepted call with the key (UTC, to the minute)"),
    sa.Column("revoked_at", sa.DateTime, comment="when the key was revoked (UTC; NULL: live)"),
    sa.Column("revoked_by", sa.String, comment="who revoked it"),
    comment="API keys of /api/v1: per account or per integration (role, org scope), stored hashed",
)

api_idempotency = sa.Table(
    "api_idempotency",
    metadata,
    sa.Column("principal", sa.String, primary_key=True, comment="who sent the request (account, key or local user)"),
    sa.Column("idem_key", sa.String, primary_key=True, comment="the request's Idempotency-Key header"),
    sa.Column("method", sa.String, nullable=False, comment="HTTP method (POST)"),
    sa.Column("path", sa.String, nullable=False, comment="request path"),
    sa.Column("request_hash", sa.String, nullable=False, comment="sha256 of method, path and body (a reuse with another request is refused)"),
    sa.Column("status", sa.Integer, comment="HTTP status of the first answer (NULL: still being answered)"),
    sa.Column("response", sa.String, comment="body of the first answer"),
    sa.Column("content_type", sa.String, comment="content type of the first answer"),
    sa.Column("created_at", sa.DateTime, nullable=False, comment="when the first request came (UTC)"),
    comment="first answers of POSTs sent with an Idempotency-Key: a retry gets the same answer",
)

API_TABLES = [api_keys, api_idempotency]
