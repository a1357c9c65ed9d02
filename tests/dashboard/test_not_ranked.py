"""Issue 15 finding 2: a worker who is scored, not ranked never looks graded.

For every worker of the scored test city that is not ranked (B9) and whose grade no veto
decided, the worker page shows "参评不排名" (or "未计总分，不排名") with the reasons in
words and no grade badge, the score sheet prints no grade, and the overview headline
says how many are graded and how many are not ranked, numbers that add up.
"""

from __future__ import annotations

import json
import re

import polars as pl
from dash._utils import to_json

from dashboard.auth import User
from dashboard.context import make_context
from dashboard.i18n import enum_label
from dashboard.pagekit import shown_grades
from dashboard.pages import overview, worker
from dashboard.reports.sheet import sheet_context
from metrics.explain import explain_worker
from metrics.reasons import split_reasons
from metrics.results import worker_scores
from metrics.runs import latest_run
from warehouse.db import Database
from warehouse.enums import GRADES

ADMIN = User("admin", "admin", None)


def _text(tree: object) -> str:
    return json.dumps(json.loads(to_json(tree)), ensure_ascii=False)


def _badges(tree: object) -> list[str]:
    """The texts of every grade badge on a rendered page."""
    found: list[str] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            props = node.get("props", {})
            if "grade-badge" in str(props.get("className", "")):
                found.append(str(props.get("children")))
            for v in props.values() if isinstance(props, dict) else ():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(to_json(tree)))
    return found


def test_not_ranked_workers_show_words_and_no_grade(dash_db: Database) -> None:
    run = latest_run(dash_db, "2025")
    scores = worker_scores(dash_db, run.run_id)
    unranked = scores.filter(~pl.col("eligible") & ~pl.col("grade_reason").str.starts_with("veto").fill_null(False)
                             & (pl.col("veto_severity") != "fail").fill_null(True))
    assert unranked.height > 0 and unranked.filter(pl.col("total").is_not_null()).height > 0
    ctx = make_context(dash_db, ADMIN, period="2025", lang="zh")
    grade_words = set(GRADES.values())
    for row in unranked.iter_rows(named=True):
        tree = worker.worker_detail(ctx, row["worker_id"])
        badges = _badges(tree)
        assert badges == ["参评不排名" if row["total"] is not None else "未计总分，不排名"], (row["worker_id"], badges)
        text = _text(tree)
        assert "不排名原因" in text
        for code in split_reasons(row["ineligible_reason"]):
            assert code not in text, (row["worker_id"], code)
        assert not grade_words & set(badges)
    # the ranked keep their grade badge, and a fail veto's 不合格 is an awarded grade (B7)
    ranked = scores.filter(pl.col("eligible")).row(0, named=True)
    assert _badges(worker.worker_detail(ctx, ranked["worker_id"])) == [enum_label("grade", ranked["grade"])]
    failed = scores.filter(pl.col("veto_severity") == "fail")["worker_id"].to_list()
    assert failed
    for vetoed in failed:
        assert _badges(worker.worker_detail(ctx, vetoed)) == ["不合格"], vetoed
    # the score sheet prints no grade for a scored, not ranked worker
    scored = unranked.filter(pl.col("total").is_not_null()).row(0, named=True)
    sheet = sheet_context(dash_db, run.run_id, scored["worker_id"], explain_worker(dash_db, run.run_id, scored["worker_id"]))
    assert sheet["grade"] == "参评不排名"


def test_overview_headline_says_graded_and_not_ranked(dash_db: Database) -> None:
    run = latest_run(dash_db, "2025")
    scores = shown_grades(worker_scores(dash_db, run.run_id))
    graded = scores.filter(pl.col("grade").is_not_null()).height
    ranked = int(scores["eligible"].sum())
    not_ranked = scores.height - ranked
    assert not_ranked > 0 and graded < scores.height
    text = _text(overview.view(make_context(dash_db, ADMIN, period="2025", lang="zh"), {}))
    ungraded = scores.height - graded
    assert f"评定等次 {graded} 人" in text and f"无等次 {ungraded} 人" in text
    shown = [int(n) for n in re.findall(r"(?:优秀|良好|合格|不合格) (\d+)", text)]
    assert sum(shown) == graded  # the grades shown cover exactly the graded workers
    assert graded + ungraded == scores.height  # the two figures shown add up to the workers assessed
    vetoed_unranked = scores.filter(pl.col("grade").is_not_null() & ~pl.col("eligible")).height
    if vetoed_unranked:
        assert f"不排名共 {not_ranked} 人（其中 {vetoed_unranked} 人因一票否决定为不合格）" in text
    else:
        assert not_ranked == ungraded and "不排名共" not in text
    en = _text(overview.view(make_context(dash_db, ADMIN, period="2025", lang="en"), {}))
    assert f"{graded} graded" in en and f"{ungraded} without a grade" in en
