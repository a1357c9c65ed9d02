"""Migration 12: API keys and the kept answers of idempotent POSTs (issue 16, the HTTP API).

`api_keys` holds the keys of `/api/v1` (per account, or per integration with its
own role and org scope), only as sha256 hashes; `api_idempotency` keeps the first
answer of a POST sent with an `Idempotency-Key`. Frozen: rendered once from
`warehouse/schema_api.py` with `python -m warehouse.migrations.render api_keys api_idempotency`.
"""

DDL = """
CREATE TABLE api_keys (
    key_id VARCHAR NOT NULL,
    key_hash VARCHAR NOT NULL,
    name VARCHAR NOT NULL,
    user_name VARCHAR,
    role VARCHAR,
    scope_unit_id VARCHAR,
    created_by VARCHAR NOT NULL,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    last_used_at TIMESTAMP WITHOUT TIME ZONE,
    revoked_at TIMESTAMP WITHOUT TIME ZONE,
    revoked_by VARCHAR,
    PRIMARY KEY (key_id),
    UNIQUE (key_hash)
);
COMMENT ON TABLE api_keys IS 'API keys of /api/v1: per account or per integration (role, org scope), stored hashed';
COMMENT ON COLUMN api_keys.key_id IS 'public id of the key (shown in lists and logs), e.g. k3f9a1c2d';
COMMENT ON COLUMN api_keys.key_hash IS 'sha256 of the secret key (the key itself is never stored)';
COMMENT ON COLUMN api_keys.name IS 'what the key is for, e.g. event platform';
COMMENT ON COLUMN api_keys.user_name IS 'account the key acts as (NULL: an integration key with its own role and scope)';
COMMENT ON COLUMN api_keys.role IS 'role of an integration key: admin | assessor | supervisor | viewer (NULL: the account''s)';
COMMENT ON COLUMN api_keys.scope_unit_id IS 'org unit whose subtree an integration key may reach (NULL: all, or the account''s)';
COMMENT ON COLUMN api_keys.created_by IS 'who made the key';
COMMENT ON COLUMN api_keys.created_at IS 'when the key was made (UTC)';
COMMENT ON COLUMN api_keys.last_used_at IS 'last accepted call with the key (UTC, to the minute)';
COMMENT ON COLUMN api_keys.revoked_at IS 'when the key was revoked (UTC; NULL: live)';
COMMENT ON COLUMN api_keys.revoked_by IS 'who revoked it';
CREATE TABLE api_idempotency (
    principal VARCHAR NOT NULL,
    idem_key VARCHAR NOT NULL,
    method VARCHAR NOT NULL,
    path VARCHAR NOT NULL,
    request_hash VARCHAR NOT NULL,
    status INTEGER,
    response VARCHAR,
    content_type VARCHAR,
    created_at TIMESTAMP WITHOUT TIME ZONE NOT NULL,
    PRIMARY KEY (principal, idem_key)
);
COMMENT ON TABLE api_idempotency IS 'first answers of POSTs sent with an Idempotency-Key: a retry gets the same answer';
COMMENT ON COLUMN api_idempotency.principal IS 'who sent the request (account, key or local user)';
COMMENT ON COLUMN api_idempotency.idem_key IS 'the request''s Idempotency-Key header';
COMMENT ON COLUMN api_idempotency.method IS 'HTTP method (POST)';
COMMENT ON COLUMN api_idempotency.path IS 'request path';
COMMENT ON COLUMN api_idempotency.request_hash IS 'sha256 of method, path and body (a reuse with another request is refused)';
COMMENT ON COLUMN api_idempotency.status IS 'HTTP status of the first answer (NULL: still being answered)';
COMMENT ON COLUMN api_idempotency.response IS 'body of the first answer';
COMMENT ON COLUMN api_idempotency.content_type IS 'content type of the first answer';
COMMENT ON COLUMN api_idempotency.created_at IS 'when the first request came (UTC)';
"""
