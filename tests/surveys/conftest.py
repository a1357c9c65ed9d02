"""Fixtures of the survey tests: a small hand-made register, built once and copied per test."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.surveys.factories import grid_ids, make_register
from warehouse.db import Database, open_db

GRIDS = {g: 120 + 15 * i for i, g in enumerate(grid_ids(8))}


@pytest.fixture(scope="session")
def register_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Master copy: 8 grids of 120–225 households, periods 2024/2025/2025H1, truths."""
    path = tmp_path_factory.mktemp("register") / "register.duckdb"
    with open_db(path) as db:
        make_register(db, GRIDS)
        db.checkpoint()
    return path


@pytest.fixture()
def register_db(register_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A private writable copy of the register template."""
    copy = tmp_path / "reg.duckdb"
    shutil.copyfile(register_template, copy)
    db = open_db(copy)
    try:
        yield db
    finally:
        db.close()
