"""Ingest: every kind from every format, and each validation rule with exact counts and reasons."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from tests.factories import good_rows, seed_reference, write_table
from warehouse.db import Database
from warehouse.ingest import KINDS, get_spec, ingest_file
from warehouse.ingest.validate import TYPE_REASONS


def table_hashes(db: Database) -> dict[str, tuple[int, int]]:
    """(row count, order-independent content hash) of every base table."""
    names = db.query(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_type = 'BASE TABLE' ORDER BY table_name"
    )["table_name"].to_list()
    result = {}
    for name in names:
        count, digest = db.conn.sql(f'SELECT count(*), coalesce(sum(hash(t)), 0) FROM "{name}" t').fetchall()[0]
        result[name] = (int(count), int(digest))
    return result


def count(db: Database, table: str) -> int:
    return int(db.scalar(f"SELECT count(*) FROM {table}"))


@pytest.fixture()
def ref_db(empty_db: Database) -> Database:
    """An empty database with the tiny reference city of `tests.factories`."""
    seed_reference(empty_db)
    return empty_db


def rejects_of(result) -> list[tuple[int, str, str | None, str]]:
    return [tuple(r) for r in result.rejects.select("row_number", "column", "value", "reason").iter_rows()]


@pytest.mark.parametrize("ext", ["csv", "xlsx", "parquet"])
def test_ingest_file_loads_every_kind(ref_db: Database, tmp_path: Path, ext: str) -> None:
    for kind in KINDS:
        frame = good_rows(kind)
        table = get_spec(kind).table
        before = count(ref_db, table)
        result = ingest_file(ref_db, kind, write_table(frame, tmp_path / f"{kind}.{ext}"))
        assert (result.read, result.accepted, result.rejected) == (frame.height, frame.height, 0), (
            kind, result.rejects
        )
        assert result.inserted == frame.height
        assert count(ref_db, table) == before + frame.height
        stored = ref_db.scalar(f"SELECT count(*) FROM {table} WHERE batch_id = ?", [result.batch_id])
        assert stored == frame.height
    assert count(ref_db, "ingest_batches") == len(KINDS)


def test_ingest_file_maps_labels_and_types(ref_db: Database, tmp_path: Path) -> None:
    ingest_file(ref_db, "work_records", write_table(good_rows("work_records"), tmp_path / "w.csv"))
    row = ref_db.query(
        "SELECT type, status, outcome, warning_level, source, verified, opened_at "
        "FROM work_records WHERE record_id = 'R0002'"
    ).row(0)
    assert row[:6] == ("dispute", "closed", "partial", "yellow", "resident", False)
    assert str(row[6]) == "2025-03-02 10:00:00"
    ingest_file(ref_db, "households", write_table(good_rows("households"), tmp_path / "h.xlsx"))
    tags = ref_db.query(
        "SELECT household_id, tags, active FROM households WHERE household_id LIKE 'H00001%' ORDER BY 1"
    )
    assert tags.rows() == [
        ("H0000101", "elderly,low_income", True),
        ("H0000102", None, True),
        ("H0000103", "floating", True),
    ]


def test_ingest_file_rejects_each_work_record_rule(ref_db: Database, tmp_path: Path) -> None:
    base = good_rows("work_records").row(0, named=True)
    rows = [dict(base) for _ in range(9)]
    for i, row in enumerate(rows):
        row["record_id"] = f"X{i + 1}"
    rows[1]["opened_at"] = "yesterday"
    rows[2]["worker_id"] = "  "
    rows[3]["type"] = "party"
    rows[4]["worker_id"] = "W999999"
    rows[5]["grid_id"] = "D01S01C01G99"
    rows[6]["closed_at"] = "2025-02-28 09:00:00"
    rows[7]["record_id"] = "X1"
    rows[8]["verified"] = "maybe"
    path = write_table(pl.DataFrame(rows), tmp_path / "w.csv")

    result = ingest_file(ref_db, "work_records", path)

    assert (result.read, result.accepted, result.rejected) == (9, 1, 8)
    allowed = ", ".join(get_spec("work_records").column("type").enum)
    assert rejects_of(result) == [
        (2, "opened_at", "yesterday", TYPE_REASONS["datetime"]),
        (3, "worker_id", None, "required"),
        (4, "type", "party", f"not one of: {allowed}"),
        (5, "worker_id", "W999999", "unknown worker"),
        (6, "grid_id", "D01S01C01G99", "unknown grid"),
        (7, "closed_at", "2025-02-28 09:00:00", "closed_at before opened_at"),
        (8, "record_id", "X1", "duplicate key in file (first at row 1)"),
        (9, "verified", "maybe", "not yes/no (是/否, true/false)"),
    ]
    assert count(ref_db, "work_records") == 1
    stored = ref_db.query(
        "SELECT file_name, row_number, column_name, reason FROM ingest_rejects ORDER BY row_number"
    )
    assert stored.height == 8
    assert set(stored["file_name"]) == {"w.csv"}
    batch = ref_db.query("SELECT rows_read, rows_accepted, rows_rejected FROM ingest_batches").row(0)
    assert batch == (9, 1, 8)


def test_ingest_file_rejects_ranges(ref_db: Database, tmp_path: Path) -> None:
    households = pl.DataFrame({
        "household_id": ["H1", "H2", "H3", "H4", "H5"],
        "grid_id": ["D01S01C01G01"] * 5,
        "size": ["0", "21", "2.5", "20", "abc"],
        "tags": [None, None, None, "elderly,rich", None],
    })
    result = ingest_file(ref_db, "households", write_table(households, tmp_path / "h.csv"))
    assert (result.read, result.accepted, result.rejected) == (5, 0, 5)
    assert rejects_of(result) == [
        (1, "size", "0", "size must be between 1 and 20"),
        (2, "size", "21", "size must be between 1 and 20"),
        (3, "size", "2.5", "not a whole number"),
        (4, "tags", "elderly,rich",
         "unknown tag; allowed: elderly, floating, key_person, low_income, disabled"),
        (5, "size", "abc", "not a whole number"),
    ]

    skills = good_rows("skill_assessments").with_columns(
        pl.Series("score", ["11", "-1"]), pl.Series("max_score", ["10", "0"])
    )
    result = ingest_file(ref_db, "skill_assessments", write_table(skills, tmp_path / "s.csv"))
    assert rejects_of(result) == [
        (1, "score", "11.0", "score above max_score"),
        (2, "max_score", "0.0", "max_score must be > 0"),
        (2, "score", "-1.0", "score must be ≥ 0"),
    ]

    inspections = good_rows("inspections").with_columns(
        pl.Series("deduction", ["-1", "2"]), pl.Series("rectify_by", ["2025-04-30", "2025-04-01"])
    )
    result = ingest_file(ref_db, "inspections", write_table(inspections, tmp_path / "i.csv"))
    assert rejects_of(result) == [
        (1, "deduction", "-1.0", "deduction must be ≥ 0"),
        (2, "rectify_by", "2025-04-01", "rectify_by before inspected_on"),
    ]

    bonus = good_rows("bonus_events").with_columns(pl.Series("points", ["0", "1"]))
    result = ingest_file(ref_db, "bonus_events", write_table(bonus, tmp_path / "b.csv"))
    assert (result.accepted, rejects_of(result)) == (1, [(1, "points", "0.0", "points must be > 0")])

    periods = good_rows("periods").with_columns(pl.Series("ends_on", ["2024-12-31", "2025-06-30"]))
    result = ingest_file(ref_db, "periods", write_table(periods, tmp_path / "p.csv"))
    assert rejects_of(result) == [(1, "ends_on", "2024-12-31", "ends_on before starts_on")]


def test_ingest_file_checks_org_tree_levels(ref_db: Database, tmp_path: Path) -> None:
    units = pl.DataFrame({
        "unit_id": ["D02", "D02S01", "D02S01G01", "D03", "D09C01", "D09C01G01", "D02S01C01"],
        "name": ["二区", "街道", "错网格", "三区", "孤社区", "孤网格", "社区"],
        "level": ["district", "street", "grid", "district", "community", "grid", "community"],
        "parent_id": [None, "D02", "D02S01", "D01", "D09", "D09C01", "D02S01"],
    })
    result = ingest_file(ref_db, "org_units", write_table(units, tmp_path / "o.csv"))
    assert (result.read, result.accepted, result.rejected) == (7, 3, 4)
    assert rejects_of(result) == [
        (3, "parent_id", "D02S01", "parent of a grid must be a community"),
        (4, "parent_id", "D01", "a district has no parent"),
        (5, "parent_id", "D09", "unknown parent unit"),
        (6, "parent_id", "D09C01", "unknown parent unit"),
    ]
    stored = ref_db.query("SELECT unit_id FROM org_units WHERE unit_id LIKE 'D02%' ORDER BY 1")
    assert stored["unit_id"].to_list() == ["D02", "D02S01", "D02S01C01"]


def test_ingest_file_checks_veto_subject_by_scope(ref_db: Database, tmp_path: Path) -> None:
    vetoes = good_rows("veto_events").with_columns(
        pl.Series("subject_id", ["W404", "D01S01C01G01"]), pl.Series("scope", ["worker", "community"])
    )
    result = ingest_file(ref_db, "veto_events", write_table(vetoes, tmp_path / "v.csv"))
    assert rejects_of(result) == [
        (1, "subject_id", "W404", "unknown worker"),
        (2, "subject_id", "D01S01C01G01", "unknown community"),
    ]


def test_ingest_file_same_rows_other_file_are_unchanged(ref_db: Database, tmp_path: Path) -> None:
    frame = good_rows("work_records")
    first = ingest_file(ref_db, "work_records", write_table(frame, tmp_path / "a.csv"))
    second = ingest_file(ref_db, "work_records", write_table(frame, tmp_path / "b.parquet"))
    assert (first.inserted, second.inserted) == (3, 0)
    assert (second.read, second.accepted, second.rejected, second.already_loaded) == (3, 3, 0, False)
    assert count(ref_db, "work_records") == 3


def test_ingest_file_rejects_changed_row_with_existing_key(ref_db: Database, tmp_path: Path) -> None:
    frame = good_rows("work_records")
    ingest_file(ref_db, "work_records", write_table(frame, tmp_path / "a.csv"))
    changed = frame.with_columns(pl.Series("status", ["closed", "closed", "closed"]))
    result = ingest_file(ref_db, "work_records", write_table(changed, tmp_path / "b.csv"))
    assert (result.read, result.accepted, result.rejected, result.inserted) == (3, 2, 1, 0)
    assert rejects_of(result) == [(3, "record_id", "R0003", "key exists with different content")]
    assert ref_db.scalar("SELECT status FROM work_records WHERE record_id = 'R0003'") == "open"


def test_ingest_docs_reference_matches_specs() -> None:
    from warehouse.ingest.reference import reference_markdown

    doc = (Path(__file__).resolve().parents[2] / "docs" / "ingest.md").read_text(encoding="utf-8")
    assert reference_markdown() in doc, "regenerate the kinds section of docs/ingest.md"


def test_ingest_file_with_another_layers_spec(ref_db: Database, tmp_path: Path) -> None:
    from warehouse.ingest import ColumnSpec, ForeignKey, KindSpec, RowCheck

    ref_db.conn.execute(
        "CREATE TABLE paper_answers (answer_id VARCHAR, household_id VARCHAR, score INTEGER, batch_id VARCHAR)"
    )
    spec = KindSpec(
        kind="paper_answers", zh="纸质问卷", table="paper_answers", key=("answer_id",),
        columns=(ColumnSpec("answer_id", "答卷编号", required=True),
                 ColumnSpec("household_id", "户编码", required=True),
                 ColumnSpec("score", "得分", type="int", required=True)),
        foreign_keys=(ForeignKey("household_id", "households", "household_id", "unknown household"),),
        checks=(RowCheck("score", "score NOT BETWEEN 1 AND 5", "score must be 1–5"),),
    )
    path = tmp_path / "paper.csv"
    path.write_text("答卷编号,户编码,得分\nA1,H0000001,5\nA2,H404,3\nA3,H0000002,9\n", encoding="gb18030")
    result = ingest_file(ref_db, "paper_answers", path, spec=spec)
    assert (result.read, result.accepted, result.rejected) == (3, 1, 2)
    assert rejects_of(result) == [
        (2, "household_id", "H404", "unknown household"),
        (3, "score", "9", "score must be 1–5"),
    ]
