"""Migration 5: the synthetic generator's hidden truth table."""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.schema import metadata
from warehouse.schema_synthetic import SYNTHETIC_TABLES

VERSION = 5
NAME = "synthetic"


def upgrade(conn: sa.Connection) -> None:
    """Create `synthetic_truth` if missing."""
    metadata.create_all(conn, tables=SYNTHETIC_TABLES, checkfirst=True)
