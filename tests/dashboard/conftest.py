"""Fixtures of the dashboard tests: the small city, scored, with accounts and open tokens.

`dash_city` is built once per session from the shared `city_path`: a final run for
2025H1 and a draft run for 2025 (so every page has content), a fresh survey sample
for 2025Q4 whose plain tokens are kept for the form tests, and one account per role.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from dashboard.auth import User, add_user
from tests.accounts import ACCOUNTS, IN_SCOPE, OUT_OF_SCOPE, PASSWORD  # noqa: F401 (re-exported)
from warehouse.db import Database, open_db


@dataclass(frozen=True)
class DashCity:
    """Paths and facts of the dashboard test city."""

    path: Path
    tokens: list[str]
    workers_in: list[str]
    workers_out: list[str]


def users() -> dict[str, User]:
    """One `User` per test account."""
    return {n: User(n, role, scope) for n, (role, scope) in ACCOUNTS.items()}


@pytest.fixture(scope="session")
def dash_city(city_path: Path, tmp_path_factory: pytest.TempPathFactory) -> DashCity:
    """The scored small city with accounts and 2025Q4 tokens (do not write to it)."""
    from metrics.runs import finalise, score_period
    from surveys.design import draw_sample

    path = tmp_path_factory.mktemp("dash") / "dash.duckdb"
    shutil.copyfile(city_path, path)
    with open_db(path) as db:
        half = score_period(db, "2025H1", draws=50)
        finalise(db, half.run_id, actor="test")
        score_period(db, "2025", draws=50)
        sample = draw_sample(db, "2025Q4", seed=7)
        for name, (role, scope) in ACCOUNTS.items():
            add_user(db, name, PASSWORD, role=role, scope_unit_id=scope)
        workers = db.query("SELECT worker_id, grid_id FROM workers WHERE grid_id IS NOT NULL ORDER BY worker_id")
        db.checkpoint()
    tokens = sample.tokens["token"].to_list()
    (path.parent / "tokens.json").write_text(json.dumps(tokens))
    ins = [w for w, g in workers.iter_rows() if g.startswith(IN_SCOPE)]
    outs = [w for w, g in workers.iter_rows() if g.startswith(OUT_OF_SCOPE)]
    return DashCity(path=path, tokens=tokens, workers_in=ins, workers_out=outs)


@pytest.fixture(scope="module")
def dash_db(dash_city: DashCity, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A module-private writable copy of the dashboard city."""
    copy = tmp_path_factory.mktemp("dashmod") / "dash.duckdb"
    shutil.copyfile(dash_city.path, copy)
    db = open_db(copy)
    try:
        yield db
    finally:
        db.close()
