"""Migration 2: the survey tables (designs, strata, invitations, responses, answers, flags)."""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.schema import metadata
from warehouse.schema_surveys import SURVEY_TABLES

VERSION = 2
NAME = "surveys"


def upgrade(conn: sa.Connection) -> None:
    """Create the survey tables if missing."""
    metadata.create_all(conn, tables=SURVEY_TABLES, checkfirst=True)
