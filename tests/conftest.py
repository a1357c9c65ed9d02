"""Shared fixtures: one seeded small synthetic city, built once per test session.

`city_path` is the read-only master copy; tests that write take `city_db`, a fresh
copy opened for writing. Each layer adds its step to `build_city` (surveys draw
samples and simulate responses; metrics score the year), so every layer's tests
see the same city the demo shows.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from warehouse.db import Database, open_db

CITY_SEED = 20251
CITY_YEAR = 2025

os.environ.setdefault("HYPOTHESIS_PROFILE", "ci")
try:
    from hypothesis import HealthCheck, settings

    settings.register_profile(
        "ci", deadline=None, max_examples=60, suppress_health_check=[HealthCheck.too_slow]
    )
    settings.load_profile(os.environ["HYPOTHESIS_PROFILE"])
except ImportError:  # pragma: no cover
    pass


def build_city(path: Path) -> None:
    """Generate the small city into `path` with every layer's data."""
    from metrics.runs import score_period
    from surveys.synthetic import simulate
    from warehouse.synthetic import generate

    with open_db(path) as db:
        generate(db, size="small", seed=CITY_SEED, year=CITY_YEAR)
        simulate(db, period_id=f"{CITY_YEAR}", seed=CITY_SEED)
        score_period(db, f"{CITY_YEAR}", seed=CITY_SEED)
        db.checkpoint()


@pytest.fixture(scope="session")
def city_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Path of the session's master small city (do not write to it)."""
    path = tmp_path_factory.mktemp("city") / "city.duckdb"
    build_city(path)
    return path


@pytest.fixture()
def city_db(city_path: Path, tmp_path: Path) -> Iterator[Database]:
    """A private, writable copy of the small city."""
    copy = tmp_path / "city.duckdb"
    shutil.copyfile(city_path, copy)
    db = open_db(copy)
    try:
        yield db
    finally:
        db.close()


@pytest.fixture()
def empty_db(tmp_path: Path) -> Iterator[Database]:
    """A fresh database with the current schema and no data."""
    db = open_db(tmp_path / "empty.duckdb")
    try:
        yield db
    finally:
        db.close()
