"""The `gridscore ingest` and `gridscore template` commands (exit codes, JSON, one-line errors)."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from dashboard.cli import app
from tests.factories import good_rows, seed_reference, write_table
from warehouse.db import open_db

runner = CliRunner()


def seeded(tmp_path: Path) -> str:
    path = tmp_path / "cli.duckdb"
    with open_db(path) as db:
        seed_reference(db)
    return str(path)


def test_ingest_command_json_counts_and_rejects(tmp_path: Path) -> None:
    db = seeded(tmp_path)
    frame = good_rows("work_records").with_columns(pl.Series("grid_id", ["D01S01C01G01", "G?", "D01S01C01G01"]))
    path = write_table(frame, tmp_path / "w.csv")
    result = runner.invoke(app, ["ingest", "work_records", str(path), "--db", db, "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert (payload["read"], payload["accepted"], payload["rejected"]) == (3, 2, 1)
    assert payload["rejects"] == [{"row_number": 2, "column": "grid_id", "value": "G?", "reason": "unknown grid"}]


def test_ingest_command_several_files_and_table_output(tmp_path: Path) -> None:
    db = seeded(tmp_path)
    a = write_table(good_rows("periods"), tmp_path / "a.csv")
    b = write_table(good_rows("periods").with_columns(pl.lit("year").alias("kind")), tmp_path / "b.xlsx")
    result = runner.invoke(app, ["ingest", "periods", str(a), str(b), "--db", db])
    assert result.exit_code == 0, result.output
    assert "a.csv: read 2, accepted 2, rejected 0" in result.stdout
    assert "2 row(s) rejected" in result.stdout
    assert "key exists with different content" in result.stdout
    again = runner.invoke(app, ["ingest", "periods", str(a), "--db", db, "--json"])
    assert json.loads(again.stdout)["already_loaded"] is True


def test_ingest_command_refused_file_exits_1_with_one_line(tmp_path: Path) -> None:
    db = seeded(tmp_path)
    path = write_table(good_rows("work_records").drop("worker_id"), tmp_path / "w.csv")
    result = runner.invoke(app, ["ingest", "work_records", str(path), "--db", db])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    assert result.stderr.strip() == (
        "error: w.csv: missing required column(s) worker_id (人员编码) for work_records"
    )


def test_ingest_command_unknown_kind_exits_1(tmp_path: Path) -> None:
    db = seeded(tmp_path)
    path = write_table(good_rows("periods"), tmp_path / "p.csv")
    result = runner.invoke(app, ["ingest", "people", str(path), "--db", db])
    assert result.exit_code == 1
    assert "unknown kind 'people'" in result.stderr


def test_template_command_writes_xlsx(tmp_path: Path) -> None:
    out = tmp_path / "t.xlsx"
    result = runner.invoke(app, ["template", "households", "--out", str(out), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"kind": "households", "file": str(out)}
    assert out.read_bytes()[:2] == b"PK"
    bad = runner.invoke(app, ["template", "households", "--out", str(tmp_path / "t.csv")])
    assert bad.exit_code == 1
