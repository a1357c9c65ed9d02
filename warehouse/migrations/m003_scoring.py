"""Migration 3: the scoring tables (runs, scores, indicator values, vetoes, appeals, audit)."""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.schema import metadata
from warehouse.schema_scoring import SCORING_TABLES

VERSION = 3
NAME = "scoring"


def upgrade(conn: sa.Connection) -> None:
    """Create the scoring tables if missing."""
    metadata.create_all(conn, tables=SCORING_TABLES, checkfirst=True)
