"""Migration 1: the core tables (org tree, people, households, facts, ingest log)."""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.schema import CORE_TABLES, metadata

VERSION = 1
NAME = "core"


def upgrade(conn: sa.Connection) -> None:
    """Create the core tables if missing."""
    metadata.create_all(conn, tables=CORE_TABLES, checkfirst=True)
