"""Migration 4: dashboard accounts, sessions and sign-in log."""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.schema import metadata
from warehouse.schema_auth import AUTH_TABLES

VERSION = 4
NAME = "auth"


def upgrade(conn: sa.Connection) -> None:
    """Create the auth tables if missing."""
    metadata.create_all(conn, tables=AUTH_TABLES, checkfirst=True)
