"""Fixtures of the reliability suites: the small city with open survey tokens and accounts.

`rel_city` copies the session's `city_path` once, draws a 2025Q4 sample (its plain
tokens are kept) and adds one account per role; tests take a private copy with
`rel_copy` because the live server and the crash harness hold the file exclusively.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.accounts import ACCOUNTS, IN_SCOPE, OUT_OF_SCOPE, PASSWORD  # noqa: F401 (re-exported)
from warehouse.db import open_db


@dataclass(frozen=True)
class RelCity:
    """The master file of the reliability city and its open 2025Q4 tokens."""

    path: Path
    tokens: tuple[str, ...]


@pytest.fixture(scope="session")
def rel_city(city_path: Path, tmp_path_factory: pytest.TempPathFactory) -> RelCity:
    """The small city with a 2025Q4 sample and accounts (do not write to it)."""
    from dashboard.auth import add_user
    from surveys.design import draw_sample

    path = tmp_path_factory.mktemp("rel") / "rel.duckdb"
    shutil.copyfile(city_path, path)
    with open_db(path) as db:
        sample = draw_sample(db, "2025Q4", seed=17)
        for name, (role, scope) in ACCOUNTS.items():
            add_user(db, name, PASSWORD, role=role, scope_unit_id=scope)
        db.checkpoint()
    return RelCity(path=path, tokens=tuple(sample.tokens["token"].to_list()))


@pytest.fixture()
def rel_copy(rel_city: RelCity, tmp_path: Path) -> Path:
    """A private copy of the reliability city (path only; nothing holds it open)."""
    copy = tmp_path / "rel.duckdb"
    shutil.copyfile(rel_city.path, copy)
    return copy
