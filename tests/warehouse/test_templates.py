"""Excel templates: bilingual headers, dropdowns, example row; a filled-in template ingests cleanly."""

from __future__ import annotations

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


def test_write_template_example_row_ingests_cleanly(empty_db: Database, tmp_path: Path) -> None:
    seed_reference(empty_db)
    for kind in KINDS:
        path = write_template(kind, tmp_path / f"{kind}.xlsx")
        result = ingest_file(empty_db, kind, path)
        assert (result.read, result.accepted, result.rejected) == (1, 1, 0), (kind, result.rejects.to_dicts())


def test_write_template_filled_rows_ingest(empty_db: Database, tmp_path: Path) -> None:
    seed_reference(empty_db)
    path = write_template("periods", tmp_path / "periods.xlsx")
    book = openpyxl.load_workbook(path)
    sheet = book.worksheets[0]
    sheet.append(["2025Q3", "季度", "2025-07-01", "2025-09-30"])
    sheet.append(["2025Q4", "quarter", "2025-10-01", "2025-09-30"])
    book.save(path)
    result = ingest_file(empty_db, "periods", path)
    assert (result.read, result.accepted, result.rejected) == (3, 2, 1)
    assert result.rejects.rows() == [(3, "ends_on", "2025-09-30", "ends_on before starts_on")]


def test_write_template_unknown_kind(tmp_path: Path) -> None:
    with pytest.raises(IngestError, match="unknown kind"):
        write_template("people", tmp_path / "x.xlsx")
