"""Properties of ingest: accepted + rejected = read for any mangled rows; refused files write nothing."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.factories import good_rows, seed_reference, write_table
from tests.warehouse.test_ingest import table_hashes
from warehouse.db import Database, open_db
from warehouse.errors import IngestError
from warehouse.ingest import get_spec, ingest_file

KIND = "work_records"
COLUMNS = get_spec(KIND).names

TRICKY = st.sampled_from([
    "", " ", "NULL", "null", "0", "-1", "1e309", "nan", "2025-13-01", "2025-02-30 10:00",
    "2024-12-31 23:59:59", "2026-01-01", "是", "否", "visit", "VISIT", "入户走访", "黄色",
    "W000001", "W999999", "D01S01C01G01", "D01S01C01", "H0000001", "R0001", "R0002",
    "a,b", '"quoted"', "line\nbreak", "　全角空格　", "٣", "🙂",
    "2025年3月6日", "2025年3月6日 9:30", "2025/3/6", "2025.3.6", "20250306", "45726.375", "60",
    "２０２５年３月６日", "２", "20251399",
])
CELL = st.one_of(TRICKY, st.text(st.characters(blacklist_categories=("Cs", "Cc")), max_size=12))


@pytest.fixture(scope="module")
def prop_db() -> Iterator[tuple[Database, Path]]:
    """One seeded database for all examples (each example removes what it wrote)."""
    with tempfile.TemporaryDirectory() as tmp:
        db = open_db(Path(tmp) / "prop.duckdb")
        seed_reference(db)
        try:
            yield db, Path(tmp)
        finally:
            db.close()


def _undo(db: Database, batch_id: str) -> None:
    cur = db.cursor()
    for table in ("work_records", "ingest_rejects", "ingest_batches"):
        cur.execute(f"DELETE FROM {table} WHERE batch_id = ?", [batch_id])
    cur.close()


@st.composite
def mangled_rows(draw: st.DrawFn) -> pl.DataFrame:
    base = good_rows(KIND)
    n = draw(st.integers(min_value=1, max_value=12))
    rows = []
    for _ in range(n):
        row = dict(base.row(draw(st.integers(0, base.height - 1)), named=True))
        for column in draw(st.lists(st.sampled_from(COLUMNS), max_size=4)):
            row[column] = draw(CELL)
        rows.append(row)
    return pl.DataFrame(rows, schema={c: pl.String for c in COLUMNS})


@pytest.mark.slow
@settings(max_examples=20)
@given(frame=mangled_rows(), ext=st.sampled_from(["csv", "xlsx", "parquet"]))
def test_ingest_file_accepted_plus_rejected_is_read(
    prop_db: tuple[Database, Path], frame: pl.DataFrame, ext: str
) -> None:
    db, tmp = prop_db
    path = write_table(frame, tmp / f"mangled.{ext}")
    before = int(db.scalar("SELECT count(*) FROM work_records"))
    before_hashes = table_hashes(db)
    try:
        result = ingest_file(db, KIND, path)
    except IngestError as exc:
        # a readable file is refused only when every row is blank
        assert "no data rows" in str(exc)
        assert table_hashes(db) == before_hashes
        return
    try:
        assert result.accepted + result.rejected == result.read
        assert 1 <= result.read <= frame.height
        assert result.rejects["row_number"].n_unique() == result.rejected
        assert int(db.scalar("SELECT count(*) FROM work_records")) == before + result.inserted
        assert result.inserted <= result.accepted
        stored = db.scalar("SELECT count(*) FROM ingest_rejects WHERE batch_id = ?", [result.batch_id])
        assert stored == result.rejects.height
    finally:
        _undo(db, result.batch_id)


REFUSALS = st.sampled_from(["truncate", "drop_column", "binary", "header_only"])


@settings(max_examples=15)
@given(frame=mangled_rows(), how=REFUSALS, ext=st.sampled_from(["csv", "xlsx", "parquet"]),
       cut=st.floats(min_value=0.05, max_value=0.95))
@pytest.mark.slow
def test_ingest_file_refused_file_leaves_database_unchanged(
    prop_db: tuple[Database, Path], frame: pl.DataFrame, how: str, ext: str, cut: float
) -> None:
    db, tmp = prop_db
    path = tmp / f"refused.{ext}"
    if how == "drop_column":
        write_table(frame.drop("record_id", "opened_at"), path)
    elif how == "header_only":
        write_table(frame.clear(), path)
    else:
        write_table(frame, path)
        data = path.read_bytes()
        if how == "truncate" and ext != "csv":
            path.write_bytes(data[: int(len(data) * cut)])
        elif how == "binary" or ext == "csv":
            path.write_bytes(b"\x00\x01PK\x03" + data[: int(len(data) * cut)])
    before = table_hashes(db)
    with pytest.raises(IngestError):
        ingest_file(db, KIND, path)
    assert table_hashes(db) == before
