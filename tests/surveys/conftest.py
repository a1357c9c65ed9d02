"""Fixtures of the survey tests: a small hand-made register in a fresh database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.surveys.factories import grid_ids, make_register
from warehouse.db import Database, open_db

GRIDS = {g: 120 + 15 * i for i, g in enumerate(grid_ids(8))}


@pytest.fixture()
def register_db(tmp_path: Path) -> Iterator[Database]:
    """A database with 8 grids of 120–225 households, periods 2024/2025/2025H1 and truths."""
    db = open_db(tmp_path / "reg.duckdb")
    make_register(db, GRIDS)
    try:
        yield db
    finally:
        db.close()
