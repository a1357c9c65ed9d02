"""Partitioned Parquet export: layout, manifest, verification, and DuckDB scoring from it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest
from polars.testing import assert_frame_equal
from typer.testing import CliRunner

from dashboard.cli import app
from metrics.engines import score_source, write_scores
from metrics.errors import ScoringError
from metrics.runs import compute_period
from metrics.scheme import load_scheme
from warehouse.db import Database, open_db
from warehouse.errors import WarehouseError
from warehouse.export import (
    DIMENSIONS,
    FACTS,
    export_parquet,
    open_source,
    read_manifest,
    verify_export,
)

YEAR = "2025"


@pytest.fixture(scope="module")
def export_dir(city_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("export") / "city"
    with open_db(city_path, read_only=True) as db:
        export_parquet(db, out)
    return out


def test_export_parquet_partitions_facts_by_year_and_district(export_dir: Path, city_path: Path) -> None:
    manifest = read_manifest(export_dir)
    assert set(manifest["tables"]) == {*DIMENSIONS, *FACTS}
    with open_db(city_path, read_only=True) as db:
        districts = db.query("SELECT DISTINCT left(grid_id, 3) AS d FROM work_records")["d"].to_list()
        for table, info in manifest["tables"].items():
            assert info["rows"] == db.scalar(f"SELECT count(*) FROM {table}"), table
        assert manifest["schema_version"] == db.scalar("SELECT max(version) FROM schema_migrations")
    for d in districts:
        assert list((export_dir / "work_records" / f"year={YEAR}" / f"district={d}").glob("*.parquet"))
    assert (export_dir / "workers" / "data.parquet").exists()  # dimensions unpartitioned
    # partition columns are derived, not stored in the files
    cols = duckdb.sql(f"DESCRIBE SELECT * FROM read_parquet('{export_dir}/work_records/**/*.parquet', hive_partitioning = false)").pl()
    assert "district" not in cols["column_name"].to_list()


def test_export_parquet_leaves_out_personal_and_operational_tables(export_dir: Path) -> None:
    manifest = read_manifest(export_dir)
    for table in ("household_identities", "auth_users", "auth_sessions", "audit_log", "score_workers",
                  "synthetic_truth", "ingest_rejects"):
        assert table not in manifest["tables"]
        assert not (export_dir / table).exists()
    assert "token_hash" not in [c for c, _ in manifest["tables"]["survey_invitations"]["columns"]]


def test_source_views_equal_the_warehouse_tables(export_dir: Path, city_path: Path) -> None:
    src = open_source(export_dir)
    try:
        for table in ("work_records", "workers", "veto_events", "survey_answers"):
            cols = [c for c, _ in read_manifest(export_dir)["tables"][table]["columns"]]
            from_parquet = src.query(f"SELECT * FROM {table}")
            assert from_parquet.columns == cols
            with open_db(city_path, read_only=True) as db:
                original = db.query(f"SELECT {', '.join(cols)} FROM {table}")
            assert_frame_equal(from_parquet.sort(cols[0]), original.sort(cols[0]))
    finally:
        src.close()


@pytest.mark.slow
def test_verify_export_passes_then_detects_a_changed_partition(export_dir: Path, tmp_path: Path) -> None:
    assert verify_export(export_dir).ok
    copy = tmp_path / "copy"
    shutil.copytree(export_dir, copy)
    victim = next((copy / "work_records").rglob("*.parquet"))
    duckdb.execute(  # reopen a partition and change one column: same row count, other content
        f"COPY (SELECT * REPLACE (CASE WHEN status = 'closed' THEN 'open' ELSE status END AS status) "
        f"FROM read_parquet('{victim}')) TO '{victim}.tmp' (FORMAT parquet)")
    Path(f"{victim}.tmp").replace(victim)
    report = verify_export(copy)
    assert not report.ok
    assert report.problems == ("work_records: content hash differs from the manifest",)


def test_export_parquet_refuses_a_non_empty_directory_unless_overwriting(empty_db: Database, tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine")
    with pytest.raises(WarehouseError, match="not empty"):
        export_parquet(empty_db, out)
    with pytest.raises(WarehouseError, match="not a gridscore export"):
        export_parquet(empty_db, out, overwrite=True)
    (out / "notes.txt").unlink()
    first = export_parquet(empty_db, out)
    second = export_parquet(empty_db, out, overwrite=True)
    assert [t.content_hash for t in first.tables] == [t.content_hash for t in second.tables]


def test_empty_warehouse_exports_readable_empty_tables(empty_db: Database, tmp_path: Path) -> None:
    summary = export_parquet(empty_db, tmp_path / "e")
    assert summary.rows == 0
    src = open_source(tmp_path / "e")
    try:
        assert src.scalar("SELECT count(*) FROM work_records") == 0
        assert "opened_at" in src.query("SELECT * FROM work_records").columns
    finally:
        src.close()
    assert verify_export(tmp_path / "e").ok


def test_open_source_rejects_a_directory_without_manifest(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="not a gridscore Parquet export"):
        open_source(tmp_path)


def test_score_source_duckdb_equals_scoring_the_warehouse(export_dir: Path, city_path: Path, tmp_path: Path) -> None:
    scheme = load_scheme()
    with open_db(city_path, read_only=True) as db:
        direct = compute_period(db, YEAR, scheme, seed=3, draws=100)
    result = score_source(export_dir, YEAR, engine="duckdb", scheme=scheme, seed=3, draws=100)
    assert result.run.fingerprint == direct.fingerprint
    assert_frame_equal(result.run.workers, direct.workers)
    assert_frame_equal(result.run.indicators, direct.indicators)
    paths = write_scores(result, tmp_path / "scores")
    assert pl.read_parquet(paths[0]).height == direct.workers.height


def test_score_source_rejects_unknown_engine_and_period(export_dir: Path) -> None:
    with pytest.raises(ScoringError, match="unknown engine 'presto'"):
        score_source(export_dir, YEAR, engine="presto")  # type: ignore[arg-type]
    with pytest.raises(ScoringError, match="period '1999' does not exist"):
        score_source(export_dir, "1999", draws=0)


@pytest.mark.slow
def test_cli_export_verify_and_score_parquet(city_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "cli"
    runner = CliRunner()
    exported = runner.invoke(app, ["export-parquet", "--out", str(out), "--db", str(city_path), "--json"])
    assert exported.exit_code == 0, exported.output
    payload = json.loads(exported.stdout)
    assert payload["rows"] == sum(t["rows"] for t in payload["tables"]) > 0
    verified = runner.invoke(app, ["verify-export", "--source", str(out), "--json"])
    assert verified.exit_code == 0 and json.loads(verified.stdout)["ok"] is True
    scored = runner.invoke(app, ["score-parquet", "--source", str(out), "--period", YEAR, "--draws", "0", "--json"])
    assert scored.exit_code == 0, scored.output
    summary = json.loads(scored.stdout)
    assert summary["engine"] == "duckdb" and summary["workers"] > 0
    via_score = runner.invoke(app, ["score", "--period", YEAR, "--source", str(out), "--draws", "0", "--json"])
    assert via_score.exit_code == 0, via_score.output
    assert json.loads(via_score.stdout)["input_fingerprint"] == summary["input_fingerprint"]
    no_source = runner.invoke(app, ["score", "--period", YEAR, "--engine", "spark", "--db", str(city_path)])
    assert no_source.exit_code == 1 and "give --source DIR" in no_source.output
    again = runner.invoke(app, ["export-parquet", "--out", str(out), "--db", str(city_path)])
    assert again.exit_code == 1 and "not empty" in again.output and "Traceback" not in again.output
