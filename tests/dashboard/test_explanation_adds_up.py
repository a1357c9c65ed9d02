"""Issue 15 finding 1: every worker's explanation adds up on screen.

Deductions sit inside the results pillar (methodology B4/B5). For every worker of the
scored test city the waterfall the worker page draws, the score sheet and
`gridscore explain` show results before deductions → deductions → results points →
skills → satisfaction → (bonus, cap, rounding) → total; the drawn steps add up to the
total, and every deduction event's points reconcile with the item they reduce and with
the points the total lost.
"""

from __future__ import annotations

import polars as pl
import pytest

from dashboard.commands.metrics_cmds import steps_line
from dashboard.i18n import fmt_num
from dashboard.pagekit import with_points
from dashboard.pages import worker
from dashboard.reports.sheet import sheet_context
from metrics.explain import deduction_items, explain_worker, pillar_deductions
from metrics.results import adjustments, indicator_values, worker_scores
from metrics.runs import latest_run, run_scheme
from warehouse.db import Database, open_db


@pytest.fixture(scope="module")
def city(dash_city) -> Database:  # noqa: ANN001
    db = open_db(dash_city.path, read_only=True)
    yield db
    db.close()


def _run(db: Database) -> str:
    run = latest_run(db, "2025")
    assert run is not None
    return run.run_id


def _check_steps(steps: list[tuple[str, float, str]], total: float | None) -> None:
    """Relative steps add up to every total bar, and the last bar is the stored total."""
    running = 0.0
    for label, points, measure in steps:
        assert points == round(points, 1), f"{label}: {points} is not at display precision"
        if measure == "relative":
            running = round(running + points, 1)
        else:
            assert points == pytest.approx(running, abs=1e-9), f"{label} {points} ≠ running sum {running}"
    if total is None:  # a missing pillar: no total bar (a results subtotal may remain)
        assert steps[-1][0] != "总分"
    else:
        assert steps[-1][2] == "total" and steps[-1][1] == pytest.approx(total, abs=1e-9)


def test_every_workers_waterfall_and_events_add_up(city: Database) -> None:
    run_id = _run(city)
    scores = with_points(worker_scores(city, run_id))
    weights = {p.key: float(p.weight) for p in run_scheme(city, run_id).pillars}
    items = indicator_values(city, run_id)
    lines = adjustments(city, run_id)
    recon = deduction_items(items, lines, weights)
    assert recon.height == scores.height * 2  # two deduction items per worker in the default scheme
    with_deductions = 0
    for row in scores.iter_rows(named=True):
        wid = row["worker_id"]
        mine = recon.filter(pl.col("subject_id") == wid)
        steps = worker.waterfall_steps(row, "zh", pillar_deductions(mine))
        _check_steps(steps, row["total"])
        fig = worker.waterfall_figure(row, "zh", pillar_deductions(mine))["data"][0]
        assert fig["text"] == [fmt_num(y, "zh") for y in fig["y"]]  # the printed labels are the drawn steps
        if row["total"] is not None:
            drawn = sum(y for y, m in zip(fig["y"], fig["measure"], strict=True) if m == "relative")
            assert drawn == pytest.approx(row["total"], abs=1e-9), wid
        # the events reconcile with the item they reduce and with the total
        events = lines.filter((pl.col("subject_id") == wid) & (pl.col("kind") == "deduction"))
        stored = items.filter((pl.col("subject_id") == wid) & (pl.col("kind") == "deduction"))
        for r in mine.iter_rows(named=True):
            ev = events.filter(pl.col("item") == r["item"])
            assert r["events"] == ev.height and r["event_points"] == pytest.approx(float(ev["points"].sum()))
            item = stored.filter(pl.col("item") == r["item"]).row(0, named=True)
            assert item["num"] == pytest.approx(r["event_points"]) and item["den"] == r["full"]
            assert r["applied"] == pytest.approx(r["full"] if r["zeroed"] else min(r["event_points"], r["full"]))
            assert r["item_score"] == pytest.approx(100 * (r["full"] - r["applied"]) / r["full"])
        lost = sum(pillar_deductions(mine).values())
        assert lost == pytest.approx(row["deductions"] or 0.0, abs=0.006), wid  # stored to 2 decimals
        if lost >= 0.05 and row["results"] is not None:
            with_deductions += 1
            labels = [s[0] for s in steps]
            assert labels[:3] == ["工作实绩（扣分前）", "扣分", "工作实绩得分"], labels
            assert steps[1][1] == -round(lost, 1) or steps[1][1] == pytest.approx(-round(lost + 1e-9, 1))
            assert steps[2][1] == pytest.approx(round(row["results"] + 1e-9, 1))  # the results points
    assert with_deductions > 10  # the city has deductions to explain


@pytest.mark.slow
def test_explain_and_score_sheet_show_the_same_steps(city: Database) -> None:
    run_id = _run(city)
    scores = worker_scores(city, run_id)
    for wid in scores["worker_id"].to_list():
        e = explain_worker(city, run_id, wid)
        row = with_points(scores.filter(pl.col("worker_id") == wid)).row(0, named=True)
        page = worker.waterfall_steps(row, "zh", pillar_deductions(pl.DataFrame([vars(d) for d in e.deduction_items])))
        assert [(s.points, s.measure) for s in e.steps] == [(p, m) for _, p, m in page], wid
        if e.total is not None:
            assert steps_line(e).endswith(f"= total {e.total:.1f}")
    shown = scores.filter(pl.col("deductions") > 1).head(3)["worker_id"].to_list()
    assert shown
    for wid in shown:
        ctx = sheet_context(city, run_id, wid, explain_worker(city, run_id, wid))
        labels = [s["label"] for s in ctx["steps"]]
        assert labels[:3] == ["工作实绩（扣分前）", "扣分", "工作实绩得分"] and labels[-1] == "总分"
        assert ctx["deduction_items"][-1]["points_lost"] == "-" + fmt_num(-float(ctx["steps"][1]["points"]))
        assert [s["label"] for s in ctx["steps"][3:5]] == ["业务技能", "群众满意度"]
