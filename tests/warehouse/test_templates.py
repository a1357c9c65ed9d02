"""Excel templates: bilingual headers, dropdowns, example row; a filled-in template ingests cleanly."""

from __future__ import annotations

import csv
from datetime import datetime
from pathlib import Path

import openpyxl
import pytest

from tests.factories import seed_reference
from warehouse.db import Database
from warehouse.errors import IngestError
from warehouse.ingest import KINDS, get_spec, ingest_file
from warehouse.templates import header_text, write_template


def test_write_template_has_bilingual_headers_dropdowns_and_notes(tmp_path: Path) -> None:
    path = write_template("work_records", tmp_path / "wr.xlsx")
    book = openpyxl.load_workbook(path)
    data, notes = book.worksheets
    spec = get_spec("work_records")
    headers = [cell.value for cell in data[1]]
    assert headers == [header_text(c) for c in spec.columns]
    assert headers[0] == "*记录编号 / record_id"
    assert headers[5] == "办理时限 / due_at"
    assert data.freeze_panes == "A2"
    assert [cell.value for cell in data[2]][:4] == ["R0000001", "W000001", "D01S01C01G01", "矛盾纠纷调解"]
    lists = {str(dv.sqref).split(":")[0]: dv.formula1 for dv in data.data_validations.dataValidation}
    assert lists["D2"] == '"入户走访,矛盾纠纷调解,矛盾纠纷排查,隐患上报,代办服务,信访代访,热线工单,重点人员帮教,应急演练,居民议事会"'
    assert set(lists) == {"D2", "H2", "I2", "J2", "K2"}
    assert data.column_dimensions["A"].width >= 12
    assert notes.title == "说明 Columns"
    assert notes.cell(2, 2).value == "record_id"
    assert "visit 入户走访" in notes.cell(5, 5).value


def _stored(db: Database) -> dict[str, int]:
    return {kind: int(db.scalar(f"SELECT count(*) FROM {get_spec(kind).table}")) for kind in KINDS} | {
        "batches": int(db.scalar("SELECT count(*) FROM ingest_batches"))}


def _as_excel_csv(xlsx: Path, kind: str) -> Path:
    """The data sheet saved as CSV the way Excel/WPS re-type it (2025-03-01 → 2025/3/1, 10 → 10.0)."""
    book = openpyxl.load_workbook(xlsx)
    rows = [[cell.value or "" for cell in row] for row in book.worksheets[0].iter_rows()]
    spec = get_spec(kind)
    for index, col in enumerate(spec.columns):
        value = rows[1][index]
        if col.type in ("date", "datetime") and value:
            moment = datetime.fromisoformat(value)
            rows[1][index] = f"{moment.year}/{moment.month}/{moment.day}" + (
                f" {moment.hour}:{moment.minute:02d}" if col.type == "datetime" else "")
        elif col.type in ("int", "float") and value:
            rows[1][index] = f"{float(value):.1f}"
    path = xlsx.with_suffix(".csv")
    with path.open("w", encoding="utf-8-sig", newline="") as handle:
        csv.writer(handle).writerows(rows)
    return path


@pytest.mark.parametrize("form", ["xlsx", "csv"])
def test_unchanged_template_is_refused_and_loads_nothing(empty_db: Database, tmp_path: Path, form: str) -> None:
    """Issue 15 finding 13: the example row of every template is never loaded, in XLSX or as saved to CSV."""
    seed_reference(empty_db)
    before = _stored(empty_db)
    for kind in KINDS:
        path = write_template(kind, tmp_path / f"{kind}.xlsx")
        if form == "csv":
            path = _as_excel_csv(path, kind)
        with pytest.raises(IngestError, match="示例行.*example row"):
            ingest_file(empty_db, kind, path)
    assert _stored(empty_db) == before


def test_template_example_values_are_valid(empty_db: Database, tmp_path: Path) -> None:
    """The example shows valid values: the same row with its own key ingests cleanly."""
    seed_reference(empty_db)
    for kind in KINDS:
        path = write_template(kind, tmp_path / f"{kind}.xlsx")
        book = openpyxl.load_workbook(path)
        spec = get_spec(kind)
        cell = book.worksheets[0].cell(2, spec.names.index(spec.key[0]) + 1)
        cell.value = f"{cell.value}9"
        book.save(path)
        result = ingest_file(empty_db, kind, path)
        assert (result.read, result.accepted, result.rejected, result.examples_skipped) == (1, 1, 0, 0), \
            (kind, result.rejects.to_dicts())


def test_example_row_next_to_real_rows_is_skipped_for_a_real_worker(city_db: Database, tmp_path: Path) -> None:
    """On a city where the example's worker W000001 exists, only the user's own row is loaded."""
    assert city_db.scalar("SELECT count(*) FROM workers WHERE worker_id = 'W000001'") == 1
    path = write_template("work_records", tmp_path / "wr.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    own = [c.value for c in sheet[2]]
    own[0] = "R9999999"
    sheet.append(own)
    book.save(path)
    result = ingest_file(city_db, "work_records", path)
    assert (result.read, result.accepted, result.examples_skipped) == (1, 1, 1)
    assert result.summary()["examples_skipped"] == 1
    stored = city_db.query("SELECT record_id FROM work_records WHERE record_id IN ('R0000001', 'R9999999')")
    assert stored["record_id"].to_list() == ["R9999999"]


def test_write_template_filled_rows_ingest(empty_db: Database, tmp_path: Path) -> None:
    seed_reference(empty_db)
    path = write_template("periods", tmp_path / "periods.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    sheet.append(["2025Q3", "季度", "2025-07-01", "2025-09-30"])
    sheet.append(["2025Q4", "quarter", "2025-10-01", "2025-09-30"])
    book.save(path)
    result = ingest_file(empty_db, "periods", path)
    assert (result.read, result.accepted, result.rejected, result.examples_skipped) == (2, 1, 1, 1)
    assert result.rejects.rows() == [(3, "ends_on", "2025-09-30", "ends_on before starts_on")]


def test_write_template_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="unknown kind"):
        write_template("people", tmp_path / "x.xlsx")
