"""Tables of the dashboard's sign-in: accounts, server-side sessions, sign-in log.

Passwords are stored only as argon2 hashes; sessions only as the sha256 of the
cookie value, so a copy of the database does not hand out live sessions.
"""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.schema import metadata

auth_users = sa.Table(
    "auth_users",
    metadata,
    sa.Column("user_name", sa.String, primary_key=True, comment="sign-in name"),
    sa.Column("password_hash", sa.String, nullable=False, comment="argon2id hash of the password"),
    sa.Column("role", sa.String, nullable=False, comment="admin | assessor | supervisor | viewer"),
    sa.Column("scope_unit_id", sa.String, comment="org unit whose subtree the user may see (NULL: all)"),
    sa.Column("disabled", sa.Boolean, nullable=False, server_default=sa.false(), comment="account switched off"),
    sa.Column("created_at", sa.DateTime, nullable=False, comment="when the account was created (UTC)"),
    sa.Column("password_changed_at", sa.DateTime, nullable=False, comment="when the password was last set (UTC)"),
    comment="dashboard accounts with role and org scope",
)

auth_sessions = sa.Table(
    "auth_sessions",
    metadata,
    sa.Column("session_hash", sa.String, primary_key=True, comment="sha256 of the session cookie value"),
    sa.Column("user_name", sa.String, nullable=False, comment="account signed in"),
    sa.Column("created_at", sa.DateTime, nullable=False, comment="sign-in time (UTC)"),
    sa.Column("expires_at", sa.DateTime, nullable=False, comment="absolute expiry (UTC)"),
    sa.Column("revoked_at", sa.DateTime, comment="sign-out or rotation time (NULL: live)"),
    comment="server-side sessions: a cookie is valid only while its row is live",
)

auth_events = sa.Table(
    "auth_events",
    metadata,
    sa.Column("event_at", sa.DateTime, nullable=False, comment="when (UTC)"),
    sa.Column("user_name", sa.String, comment="account name given"),
    sa.Column("event", sa.String, nullable=False, comment="sign_in | sign_in_failed | sign_out | rate_limited | denied"),
    sa.Column("client_ip", sa.String, comment="client address"),
    sa.Column("detail", sa.String, comment="short detail (action and unit for denials)"),
    comment="sign-in log and refused requests of the dashboard",
)

AUTH_TABLES = [auth_users, auth_sessions, auth_events]
