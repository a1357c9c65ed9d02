"""Stale scores on the pages: a veto confirmed on a draft period puts the banner on every
page; the rescore job (the real runner) clears it and the worker is vetoed; a final run
is never rescored and its banner names the correction path."""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.context import make_context
from dashboard.data import clear_caches
from dashboard.jobs.runner import JobRunner
from dashboard.shell import render_shell
from dashboard.stale_banner import on_rescore
from metrics.runs import latest_run
from metrics.vetoes import transition
from tests.dashboard.conftest import users
from warehouse.db import Database

ADMIN = users()["admin"]


def _text(component) -> str:
    """All text of a component tree."""
    if component is None or isinstance(component, (int, float)):
        return "" if component is None else str(component)
    if isinstance(component, str):
        return component
    if isinstance(component, (list, tuple)):
        return " ".join(_text(c) for c in component)
    return _text(getattr(component, "children", None))


def _new_veto(db: Database, period: str) -> tuple[str, str]:
    worker = db.scalar("SELECT worker_id FROM score_workers WHERE run_id = ? AND NOT coalesce(vetoed, false) "
                       "ORDER BY worker_id LIMIT 1", [latest_run(db, period).run_id])
    veto_id = f"VT-STALE-{period}"
    with db.transaction() as cur:
        cur.execute("INSERT INTO veto_events (veto_id, category, scope, subject_id, period_id, evidence, severity, status) "
                    "VALUES (?, 'safety_incident', 'worker', ?, ?, 'test', 'fail', 'proposed')", [veto_id, worker, period])
    return veto_id, worker


@pytest.fixture()
def runner(dash_db: Database, tmp_path: Path):
    jobs = JobRunner(dash_db, tmp_path / "jobs")
    jobs.start()
    try:
        yield jobs
    finally:
        jobs.stop()


def _shell_text(db: Database, period: str, lang: str = "zh", path: str = "/rankings") -> str:
    clear_caches()
    ctx = make_context(db, ADMIN, period=period, lang=lang)
    return _text(render_shell(ctx, path, {"period": period, "lang": lang}))


def test_stale_veto_on_draft_banner_then_rescore_job_vetoes(dash_db: Database, runner: JobRunner) -> None:
    run = latest_run(dash_db, "2025")
    assert run.status == "draft"
    assert "评分已过期" not in _shell_text(dash_db, "2025")
    veto_id, worker = _new_veto(dash_db, "2025")
    transition(dash_db, veto_id, action="confirm", actor="assessor", evidence="incident report 7")
    for path in ("/", "/rankings", "/worker", "/unit", "/vetoes", "/finalise"):
        assert "评分已过期：自批次" in _shell_text(dash_db, "2025", path=path) and "1 项变更" in _shell_text(dash_db, "2025")
    assert "Scores out of date: 1 changes since batch" in _shell_text(dash_db, "2025", "en")
    message = on_rescore(dash_db, ADMIN, "?period=2025", runner)
    job_id = int(message.split("任务 ")[1].split("，")[0])
    done = runner.wait(job_id, timeout=120)
    assert done.state == "done", done.message
    row = dash_db.query("SELECT vetoed, grade, rank FROM score_workers WHERE run_id = ? AND worker_id = ?",
                        [run.run_id, worker]).row(0)
    assert row == (True, "fail", None)
    assert "评分已过期" not in _shell_text(dash_db, "2025")


def test_stale_final_run_is_not_rescored_and_says_correction(dash_db: Database, runner: JobRunner) -> None:
    run = latest_run(dash_db, "2025H1")
    assert run.status == "final"
    veto_id, worker = _new_veto(dash_db, "2025H1")
    transition(dash_db, veto_id, action="confirm", actor="assessor", evidence="incident report 8")
    text = _shell_text(dash_db, "2025H1")
    assert "评分已过期" in text and f"运行 {run.run_id} 已定稿" in text
    assert on_rescore(dash_db, ADMIN, "?period=2025H1", runner) == "只有草稿运行可以重新评分。"
    job = runner.submit("rescore", {"run": run.run_id, "actor": "admin"}, who="admin")
    assert runner.wait(job.job_id).state == "failed"
    assert dash_db.scalar("SELECT vetoed FROM score_workers WHERE run_id = ? AND worker_id = ?",
                          [run.run_id, worker]) in (False, None)
