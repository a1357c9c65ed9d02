"""Dates and numbers as offices type them (issue 22.3): every accepted form parses back to its value.

The parsing expressions are the ones ingest runs (`warehouse.ingest.validate`), evaluated
by DuckDB on a whole column at once; the end-to-end test loads a workbook of office forms.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import duckdb
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import good_rows, seed_reference, write_table
from warehouse.db import Database
from warehouse.ingest import get_spec, ingest_file
from warehouse.ingest.specs import ColumnSpec
from warehouse.ingest.validate import TYPE_REASONS, _text_typed

FULL = str.maketrans("0123456789:", "０１２３４５６７８９：")


def excel_serial(moment: datetime) -> float:
    """Excel's date number of `moment` (1900 system, counting the fictitious 1900-02-29)."""
    days = (moment - datetime(1899, 12, 30)).total_seconds() / 86400
    return days - 1 if moment < datetime(1900, 3, 1) else days


DATE_FORMS = {
    "iso": lambda d: d.isoformat(),
    "slash": lambda d: f"{d.year}/{d.month}/{d.day}",
    "dot": lambda d: f"{d.year}.{d.month}.{d.day}",
    "zh": lambda d: f"{d.year}年{d.month}月{d.day}日",
    "compact": lambda d: d.strftime("%Y%m%d"),
    "serial": lambda d: str(int(excel_serial(datetime(d.year, d.month, d.day)))),
    "zh_full_width": lambda d: f"{d.year}年{d.month}月{d.day}日".translate(FULL),
}
DATETIME_FORMS = {
    "iso": lambda t: t.strftime("%Y-%m-%d %H:%M"),
    "iso_t": lambda t: t.strftime("%Y-%m-%dT%H:%M:%S"),
    "slash": lambda t: f"{t.year}/{t.month}/{t.day} {t.hour}:{t.minute:02d}",
    "dot": lambda t: f"{t.year}.{t.month}.{t.day} {t.hour}:{t.minute:02d}",
    "zh": lambda t: f"{t.year}年{t.month}月{t.day}日 {t.hour}:{t.minute:02d}",
    "zh_full_width": lambda t: f"{t.year}年{t.month}月{t.day}日\u3000{t.hour}:{t.minute:02d}".translate(FULL),
    "serial": lambda t: repr(excel_serial(t)),
}
DATES = st.dates(min_value=date(1900, 1, 1), max_value=date(9999, 12, 31))
MOMENTS = st.datetimes(min_value=datetime(1900, 3, 1), max_value=datetime(2999, 12, 31)).map(
    lambda t: t.replace(second=0, microsecond=0))


CON = duckdb.connect()  # one in-memory connection: opening one per example was 60% of the test's time
EXPRS = {kind: _text_typed(ColumnSpec("c", "列", type=kind), '"v"') for kind in ("date", "datetime", "int", "float")}


def parse(kind: str, texts: list[str]) -> list[object]:
    """Parse a column of texts with ingest's expression for a `kind` column (one query)."""
    CON.register("texts", pl.DataFrame({"v": texts}, schema={"v": pl.String}))
    return [r[0] for r in CON.execute(f"SELECT {EXPRS[kind]} FROM texts").fetchall()]


@settings(max_examples=60, deadline=None)
@given(st.lists(DATES, min_size=1, max_size=8))
def test_every_date_form_parses_back_to_its_date(days: list[date]) -> None:
    for name, form in DATE_FORMS.items():
        assert parse("date", [form(d) for d in days]) == days, name


@settings(max_examples=60, deadline=None)
@given(st.lists(MOMENTS, min_size=1, max_size=8))
def test_every_datetime_form_parses_back_to_its_moment(moments: list[datetime]) -> None:
    for name, form in DATETIME_FORMS.items():
        assert parse("datetime", [form(t) for t in moments]) == moments, name
    midnight = [datetime(t.year, t.month, t.day) for t in moments]
    for name, form in DATE_FORMS.items():
        assert parse("datetime", [form(t.date()) for t in moments]) == midnight, name


def test_excel_serial_numbers_follow_excels_1900_calendar() -> None:
    # 1 = 1900-01-01, 59 = 1900-02-28, 60 = Excel's non-existent 1900-02-29, 61 = 1900-03-01
    assert parse("date", ["1", "59", "60", "61", "45722", "0", "2958465", "2958466"]) == [
        date(1900, 1, 1), date(1900, 2, 28), None, date(1900, 3, 1), date(2025, 3, 6), None,
        date(9999, 12, 31), None]
    assert parse("datetime", ["45726.375"]) == [datetime(2025, 3, 10, 9, 0)]
    assert parse("date", ["45726.375"]) == [None]  # a time in a date column is not cut off silently


def test_other_texts_stay_rejects() -> None:
    bad = ["yesterday", "2025-13-01", "2025年13月1日", "2025.2.30", "20251399", "3/6/2025", "٣", "1e3"]
    assert parse("date", bad) == [None] * len(bad)
    assert parse("datetime", [*bad, "2025年3月6日 25:00"]) == [None] * (len(bad) + 1)


def test_full_width_numbers() -> None:
    assert parse("int", ["３", "１２.０", "3.5"]) == [3, 12, None]
    assert parse("float", ["２.５", "x"]) == [2.5, None]


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_office_dates_ingest_and_bad_ones_name_the_forms(empty_db: Database, tmp_path: Path, ext: str) -> None:
    seed_reference(empty_db)
    base = good_rows("work_records").row(0, named=True)
    typed = ["2025年3月6日 9:30", "2025/3/6 9:30", "2025.3.6 09:30", "45722.395833333336",
             "２０２５年３月６日 ９：３０", "2025年3月6日"]
    base.update(closed_at=None, due_at=None, status="open", outcome=None)
    rows = [dict(base, record_id=f"X{i}", opened_at=t) for i, t in enumerate([*typed, "6 March"])]
    result = ingest_file(empty_db, "work_records", write_table(pl.DataFrame(rows), tmp_path / f"w.{ext}"))
    assert (result.read, result.accepted, result.rejected) == (7, 6, 1)
    reject = result.rejects.row(0, named=True)
    assert (reject["row_number"], reject["value"]) == (7, "6 March")
    assert reject["reason"] == TYPE_REASONS["datetime"]
    for form in ("2025年3月6日 9:30", "2025/3/6 9:30", "20250306", "Excel 日期序号", "an Excel date number"):
        assert form in reject["reason"]
    stored = empty_db.query("SELECT opened_at FROM work_records ORDER BY record_id")["opened_at"].to_list()
    assert stored == [datetime(2025, 3, 6, 9, 30)] * 5 + [datetime(2025, 3, 6)]
    assert get_spec("work_records").column("opened_at").type == "datetime"
