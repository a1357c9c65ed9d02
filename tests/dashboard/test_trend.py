"""Trends run left to right, like with like (issue 15, finding 4): a trend compares periods of
the viewed period's kind (years with years, halves with halves), ordered by their end dates.

The dashboard city has a final 2025H1 run and a draft 2025 run; this module's copy adds the
periods 2024 (a year) and 2024H2 (a half), each scored, so both kinds have several points,
and surveys and scores 2025H2, so a worker has totals for a year and for a half.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date

import polars as pl
import pytest

from dashboard.auth import User
from dashboard.context import make_context
from dashboard.pages import worker
from dashboard.reports import build_report
from dashboard.viewmodel import trend, trend_figure
from metrics.runs import score_period, trend_runs
from tests.dashboard.conftest import DashCity
from warehouse.db import Database, open_db

ADMIN = User("admin", "admin", None)


@pytest.fixture(scope="module")
def trend_db(dash_city: DashCity, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    path = tmp_path_factory.mktemp("trend") / "dash.duckdb"
    shutil.copyfile(dash_city.path, path)
    db = open_db(path)
    with db.transaction() as cur:
        cur.executemany("INSERT INTO periods (period_id, kind, starts_on, ends_on) VALUES (?, ?, ?, ?)",
                        [["2024", "year", date(2024, 1, 1), date(2024, 12, 31)],
                         ["2024H2", "half", date(2024, 7, 1), date(2024, 12, 31)]])
    from surveys.synthetic import simulate

    simulate(db, period_id="2025H2", seed=3)
    score_period(db, "2025H2", draws=0)
    score_period(db, "2024H2", draws=0)
    score_period(db, "2024", draws=0)  # the newest run: ids and creation order both differ from time order
    try:
        yield db
    finally:
        db.close()


def test_trend_runs_compare_like_periods_by_end_date(trend_db: Database) -> None:
    assert trend_runs(trend_db, "2025")["period_id"].to_list() == ["2024", "2025"]
    assert trend_runs(trend_db, "2025H1")["period_id"].to_list() == ["2024H2", "2025H1"]
    assert trend_runs(trend_db, "2025H2")["period_id"].to_list() == ["2024H2", "2025H1", "2025H2"]
    assert trend_runs(trend_db, "2024")["period_id"].to_list() == ["2024"]  # nothing after the period
    assert trend_runs(trend_db, "1999").height == 0
    ends = trend_runs(trend_db, "2025H1")["ends_on"].to_list()
    assert ends == sorted(ends)


def test_overview_and_worker_trends_run_left_to_right_like_with_like(trend_db: Database) -> None:
    year = make_context(trend_db, ADMIN, period="2025", lang="zh")
    half = make_context(trend_db, ADMIN, period="2025H1", lang="zh")
    assert trend(year)["period_id"].to_list() == ["2024", "2025"]
    assert trend(half)["period_id"].to_list() == ["2024H2", "2025H1"]
    assert trend_figure(trend(year), "zh")["data"][0]["x"] == ["2024年度", "2025年度"]
    assert trend_figure(trend(half), "en")["data"][0]["x"] == ["2024 H2", "2025 H1"]
    worker_id = trend_db.scalar(  # a worker with a total for the year and for its second half
        "SELECT min(worker_id) FROM (SELECT s.worker_id FROM score_workers s JOIN score_runs r USING (run_id) "
        "WHERE r.period_id IN ('2025', '2025H2') AND s.total IS NOT NULL "
        "GROUP BY s.worker_id HAVING count(DISTINCT r.period_id) = 2)")
    assert worker_id is not None
    assert worker.worker_trend(year, worker_id)["period_id"].to_list() == ["2025"]
    second = make_context(trend_db, ADMIN, period="2025H2", lang="zh")
    assert worker.worker_trend(second, worker_id)["period_id"].to_list() == ["2025H2"]
    assert trend(second)["period_id"].to_list() == ["2024H2", "2025H1", "2025H2"]


def test_report_trend_compares_years_with_years(trend_db: Database) -> None:
    report = build_report(trend_db, period_id="2025")
    assert report.trend["period_id"].to_list() == ["2024", "2025"]
    assert report.trend.filter(pl.col("period_id") == "2025")["mean"].item() == pytest.approx(
        trend_db.scalar("SELECT avg(total) FROM score_workers WHERE run_id = ?", [report.run.run_id]))
