"""Issue 15 finding 11: a satisfaction interval that passes 0 or 100 is marked and explained (A4)."""

from __future__ import annotations

import polars as pl

from dashboard.i18n import INTERVAL_MARK, fmt_interval, t
from dashboard.reports import tables as T
from dashboard.reports.html import table


def test_interval_past_100_is_marked_not_cut() -> None:
    assert fmt_interval(30.6, 105.4, "zh") == "[30.6, 105.4]" + INTERVAL_MARK  # methodology A4's example
    assert fmt_interval(-2.0, 40.0, "en").endswith(INTERVAL_MARK)
    assert fmt_interval(60.0, 80.0, "zh") == "[60.0, 80.0]"
    assert "A4" in t("note.interval", "zh") and "95%" in t("note.interval", "en")


def test_report_satisfaction_table_marks_the_interval() -> None:
    frame = pl.DataFrame({"name": ["甲网格", "乙网格"], "invited": [9, 40], "respondents": [5, 30], "rr1": [0.55, 0.75],
                          "mean": [68.0, 70.0], "ci_low": [30.6, 65.0], "ci_high": [105.4, 75.0], "suppressed": [False, False]})
    cells = [dict(row) for row in table(T.SATISFACTION, frame, "zh").rows]
    text = str(cells)
    assert "30.6–105.4" + INTERVAL_MARK in text and "65.0–75.0" + INTERVAL_MARK not in text
