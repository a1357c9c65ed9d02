"""Ingest of whole files: encodings, headers, refused files, re-loading, read_tabular."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.factories import good_rows, seed_reference, write_table
from tests.warehouse.test_ingest import table_hashes
from warehouse.db import Database
from warehouse.errors import IngestError
from warehouse.ingest import get_spec, ingest_file, read_tabular


@pytest.fixture()
def ref_db(empty_db: Database) -> Database:
    seed_reference(empty_db)
    return empty_db


def chinese_headers(frame: pl.DataFrame, kind: str) -> pl.DataFrame:
    spec = get_spec(kind)
    return frame.rename({c: spec.column(c).zh for c in frame.columns})


def test_ingest_file_reads_gbk_csv_with_chinese_headers(ref_db: Database, tmp_path: Path) -> None:
    frame = chinese_headers(good_rows("work_records"), "work_records")
    path = write_table(frame, tmp_path / "gbk.csv", encoding="gbk")
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    result = ingest_file(ref_db, "work_records", path)
    assert (result.read, result.accepted, result.rejected) == (3, 3, 0)
    assert ref_db.scalar("SELECT type FROM work_records WHERE record_id = 'R0002'") == "dispute"


def test_ingest_file_reads_utf8_bom_and_loose_headers(ref_db: Database, tmp_path: Path) -> None:
    frame = good_rows("periods").rename({"period_id": " Period ID ", "kind": "周期类型", "starts_on": "STARTS_ON",
                                         "ends_on": "*结束日期 / ends_on"})
    path = tmp_path / "bom.csv"
    path.write_bytes(b"\xef\xbb\xbf" + frame.write_csv().encode("utf-8"))
    result = ingest_file(ref_db, "periods", path)
    assert (result.read, result.accepted, result.rejected) == (2, 2, 0)


def test_ingest_file_skips_blank_rows_keeping_row_numbers(ref_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "blank.csv"
    path.write_text(
        "period_id,kind,starts_on,ends_on\n2025Q1,quarter,2025-01-01,2025-03-31\n,,,\n"
        "2025Q2,quarter,2025-04-01,2025-03-01\n",
        encoding="utf-8",
    )
    result = ingest_file(ref_db, "periods", path)
    assert (result.read, result.accepted, result.rejected) == (2, 1, 1)
    assert result.rejects["row_number"].to_list() == [3]


def test_ingest_file_refuses_truncated_xlsx(ref_db: Database, tmp_path: Path) -> None:
    whole = write_table(good_rows("work_records"), tmp_path / "whole.xlsx")
    data = whole.read_bytes()
    cut = tmp_path / "cut.xlsx"
    cut.write_bytes(data[: len(data) // 2])
    before = table_hashes(ref_db)
    with pytest.raises(IngestError, match=r"cut\.xlsx: not an Excel \.xlsx workbook"):
        ingest_file(ref_db, "work_records", cut)
    assert table_hashes(ref_db) == before


def test_ingest_file_refuses_text_posing_as_xlsx_and_empty_files(ref_db: Database, tmp_path: Path) -> None:
    fake = tmp_path / "fake.xlsx"
    fake.write_text("record_id,worker_id\nR1,W000001\n", encoding="utf-8")
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    header_only = tmp_path / "header.csv"
    header_only.write_text("period_id,kind,starts_on,ends_on\n", encoding="utf-8")
    other = tmp_path / "x.json"
    other.write_text("{}", encoding="utf-8")
    before = table_hashes(ref_db)
    with pytest.raises(IngestError, match="not an Excel"):
        ingest_file(ref_db, "work_records", fake)
    with pytest.raises(IngestError, match="empty.csv: file is empty"):
        ingest_file(ref_db, "periods", empty)
    with pytest.raises(IngestError, match="header.csv: no data rows"):
        ingest_file(ref_db, "periods", header_only)
    with pytest.raises(IngestError, match="unsupported file type .json"):
        ingest_file(ref_db, "periods", other)
    assert table_hashes(ref_db) == before


def test_ingest_file_refuses_missing_required_column(ref_db: Database, tmp_path: Path) -> None:
    frame = good_rows("work_records").drop("grid_id", "status")
    path = write_table(frame, tmp_path / "w.parquet")
    before = table_hashes(ref_db)
    with pytest.raises(IngestError) as caught:
        ingest_file(ref_db, "work_records", path)
    assert str(caught.value) == (
        "w.parquet: missing required column(s) grid_id (网格编码), status (状态) for work_records"
    )
    assert table_hashes(ref_db) == before


def test_ingest_file_refuses_unknown_kind_and_missing_file(ref_db: Database, tmp_path: Path) -> None:
    path = write_table(good_rows("periods"), tmp_path / "p.csv")
    with pytest.raises(IngestError, match="unknown kind 'residents'; known kinds: org_units"):
        ingest_file(ref_db, "residents", path)
    with pytest.raises(IngestError, match="file not found"):
        ingest_file(ref_db, "periods", tmp_path / "nope.csv")


def test_ingest_file_second_load_of_same_file_changes_nothing(ref_db: Database, tmp_path: Path) -> None:
    frame = good_rows("work_records").with_columns(
        pl.Series("worker_id", ["W000001", "W404", "W000001"])
    )
    path = write_table(frame, tmp_path / "w.xlsx")
    first = ingest_file(ref_db, "work_records", path)
    after_first = table_hashes(ref_db)
    second = ingest_file(ref_db, "work_records", path)
    assert table_hashes(ref_db) == after_first
    assert (first.already_loaded, second.already_loaded) == (False, True)
    assert second.batch_id == first.batch_id
    assert (second.read, second.accepted, second.rejected) == (3, 2, 1)
    assert second.rejects.to_dicts() == first.rejects.to_dicts()


def test_ingest_file_same_bytes_other_kind_is_another_batch(ref_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("household_id\nH0000003\n", encoding="utf-8")
    a = ingest_file(ref_db, "household_identities", path)
    assert a.accepted == 1
    with pytest.raises(IngestError, match="missing required column"):
        ingest_file(ref_db, "households", path)


def test_read_tabular_returns_text_with_row_numbers(tmp_path: Path) -> None:
    spec = get_spec("periods")
    frame = pl.DataFrame({"周期编码": ["2025Q1", " "], "kind": ["quarter", None],
                          "starts_on": ["2025-01-01", None], "ends_on": [" 2025-03-31 ", None],
                          "extra": ["x", "y"]})
    path = write_table(frame, tmp_path / "p.csv", encoding="gb18030")
    result = read_tabular(path, spec)
    assert result.columns == ["row_number", "period_id", "kind", "starts_on", "ends_on"]
    assert result.rows() == [(1, "2025Q1", "quarter", "2025-01-01", "2025-03-31")]
    assert all(dtype == pl.String for dtype in result.schema.values() if dtype != pl.Int64)


def test_ingest_file_reads_typed_excel_and_parquet_cells(ref_db: Database, tmp_path: Path) -> None:
    from datetime import date, datetime

    households = pl.DataFrame({
        "household_id": ["H0000201", "H0000202"],
        "grid_id": ["D01S01C01G01", "D01S01C01G02"],
        "size": [3, 2],
        "registered_on": [date(2021, 3, 1), date(2022, 4, 5)],
        "active": [True, False],
    })
    records = good_rows("work_records").head(1).with_columns(
        pl.lit(datetime(2025, 3, 1, 9, 0)).alias("opened_at"),
        pl.lit(datetime(2025, 3, 1, 9, 30)).alias("closed_at"),
        pl.lit(None, dtype=pl.Datetime).alias("due_at"),
        pl.lit(True).alias("verified"),
    )
    for ext in ("xlsx", "parquet"):
        result = ingest_file(ref_db, "households", write_table(households, tmp_path / f"h.{ext}"))
        assert (result.read, result.accepted, result.rejected) == (2, 2, 0), result.rejects
        result = ingest_file(ref_db, "work_records", write_table(records, tmp_path / f"w.{ext}"))
        assert (result.read, result.accepted, result.rejected) == (1, 1, 0), result.rejects
    stored = ref_db.query(
        "SELECT size, registered_on, active FROM households WHERE household_id = 'H0000202'"
    ).row(0)
    assert stored == (2, date(2022, 4, 5), False)
    assert ref_db.query("SELECT opened_at, verified FROM work_records").row(0) == (
        datetime(2025, 3, 1, 9, 0), True
    )
