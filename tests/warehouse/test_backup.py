"""Backup (Parquet + manifest) and verified restore: round trip and refusals."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from dashboard.cli import app
from warehouse.backup import MANIFEST, backup, read_manifest, restore, table_fingerprints
from warehouse.db import open_db
from warehouse.errors import BackupError


@pytest.fixture(scope="module")
def snapshot(city_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of the session's small city."""
    out = tmp_path_factory.mktemp("backup") / "snap"
    with open_db(city_path, read_only=True) as db:
        backup(db, out)
    return out


@pytest.fixture()
def copy(snapshot: Path, tmp_path: Path) -> Path:
    """A private copy of the snapshot to damage."""
    target = tmp_path / "snap"
    shutil.copytree(snapshot, target)
    return target


def test_backup_writes_every_table_and_manifest(snapshot: Path, city_path: Path) -> None:
    manifest = read_manifest(snapshot)
    with open_db(city_path, read_only=True) as db:
        live = table_fingerprints(db)
    assert {t.table for t in manifest.tables} == set(live)
    assert {t.table: t for t in manifest.tables} == live
    assert manifest.schema_version >= 5
    for t in manifest.tables:
        assert (snapshot / f"{t.table}.parquet").exists()
    assert {t.table: t.rows for t in manifest.tables}["work_records"] > 100_000


@pytest.mark.slow
def test_backup_restore_round_trip_is_identical(snapshot: Path, city_path: Path, tmp_path: Path) -> None:
    target = tmp_path / "restored.duckdb"
    restore(snapshot, target)
    with open_db(city_path, read_only=True) as db:
        before = table_fingerprints(db)
    with open_db(target, read_only=True) as db:
        after = table_fingerprints(db)
    assert after == before
    assert list(tmp_path.glob(".*restoring*")) == []


def test_backup_refuses_non_empty_directory(snapshot: Path, city_path: Path) -> None:
    with open_db(city_path, read_only=True) as db, pytest.raises(BackupError, match="not empty"):
        backup(db, snapshot)


def _refused(snap: Path, target: Path, match: str) -> None:
    with pytest.raises(BackupError, match=match) as info:
        restore(snap, target)
    assert "\n" not in str(info.value)
    assert not target.exists()
    assert list(target.parent.glob(f".{target.name}*")) == []


def test_restore_refuses_tampered_content(copy: Path, tmp_path: Path) -> None:
    # same row count, one value changed: only the hash can tell
    path = copy / "periods.parquet"
    con = duckdb.connect()
    con.execute(
        f"COPY (SELECT * REPLACE (CASE WHEN kind = 'year' THEN ends_on - 1 ELSE ends_on END AS ends_on) "
        f"FROM read_parquet('{path}')) TO '{path}.new' (FORMAT parquet)"
    )
    con.close()
    Path(f"{path}.new").replace(path)
    _refused(copy, tmp_path / "new.duckdb", "periods.parquet does not match the manifest")


def test_restore_refuses_missing_file(copy: Path, tmp_path: Path) -> None:
    (copy / "workers.parquet").unlink()
    _refused(copy, tmp_path / "new.duckdb", "partial backup: file workers.parquet is missing")


def test_restore_refuses_truncated_file(copy: Path, tmp_path: Path) -> None:
    path = copy / "work_records.parquet"
    con = duckdb.connect()
    con.execute(f"COPY (SELECT * FROM read_parquet('{path}') LIMIT 1000) TO '{path}.new' (FORMAT parquet)")
    con.close()
    Path(f"{path}.new").replace(path)
    _refused(copy, tmp_path / "new.duckdb", "work_records.parquet has 1000 rows but the manifest says")


def test_restore_refuses_garbage_file(copy: Path, tmp_path: Path) -> None:
    (copy / "households.parquet").write_bytes(b"not parquet at all")
    _refused(copy, tmp_path / "new.duckdb", "households.parquet is damaged")


def test_restore_refuses_missing_manifest_and_table(copy: Path, tmp_path: Path) -> None:
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest["tables"] = [t for t in manifest["tables"] if t["table"] != "veto_events"]
    (copy / MANIFEST).write_text(json.dumps(manifest))
    _refused(copy, tmp_path / "new.duckdb", "partial backup: table veto_events is not in the manifest")
    (copy / MANIFEST).unlink()
    _refused(copy, tmp_path / "new.duckdb", "manifest.json is missing")


def test_restore_refuses_other_schema_version(copy: Path, tmp_path: Path) -> None:
    manifest = json.loads((copy / MANIFEST).read_text())
    manifest["schema_version"] = 1
    (copy / MANIFEST).write_text(json.dumps(manifest))
    _refused(copy, tmp_path / "new.duckdb", "schema version 1")


def test_restore_refuses_existing_target(snapshot: Path, tmp_path: Path) -> None:
    target = tmp_path / "exists.duckdb"
    target.write_bytes(b"keep me")
    with pytest.raises(BackupError, match="already exists"):
        restore(snapshot, target)
    assert target.read_bytes() == b"keep me"


def test_restore_cli_refusal_is_one_line_and_exit_1(copy: Path, tmp_path: Path) -> None:
    (copy / "workers.parquet").unlink()
    target = tmp_path / "cli.duckdb"
    result = CliRunner().invoke(app, ["restore", str(copy), "--db", str(target)])
    assert result.exit_code == 1
    text = result.output.strip()
    assert "partial backup: file workers.parquet is missing" in text
    assert "Traceback" not in text
    assert not target.exists()
