"""The benchmark's pandas baseline computes the same totals as the engine (so the ratio is fair)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from bench.pandas_baseline import baseline_totals
from metrics.results import worker_scores
from metrics.runs import latest_run
from metrics.scheme import load_scheme
from tests.conftest import CITY_YEAR
from warehouse.db import open_db


def test_pandas_baseline_same_totals_on_small_city(city_path: Path) -> None:
    with open_db(city_path, read_only=True) as db:
        run = latest_run(db, str(CITY_YEAR))
        engine = worker_scores(db, run.run_id).select("worker_id", "total", "grade").sort("worker_id")
        base = baseline_totals(db, str(CITY_YEAR), load_scheme())
    base = pl.from_pandas(base.reset_index()).sort("worker_id")
    assert base["worker_id"].to_list() == engine["worker_id"].to_list()
    a = engine["total"].to_numpy().astype(float)
    b = base["total"].to_numpy().astype(float)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    assert np.allclose(a[~np.isnan(a)], b[~np.isnan(b)], atol=1e-9)
