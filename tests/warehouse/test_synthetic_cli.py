"""The generate and demo commands (thin wrappers over warehouse.synthetic.generate)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dashboard.cli import app
from warehouse.db import open_db


@pytest.mark.slow
def test_demo_recreates_database_and_prints_summary(tmp_path: Path) -> None:
    path = tmp_path / "demo.duckdb"
    path.write_bytes(b"stale file from an earlier demo")
    result = CliRunner().invoke(app, ["demo", "--db", str(path), "--no-serve", "--json"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["db"] == str(path.resolve())
    assert payload["seed"] == 20251 and payload["year"] == 2025 and payload["size"] == "small"
    with open_db(path, read_only=True) as db:
        assert db.scalar("SELECT count(*) FROM work_records") == payload["counts"]["work_records"] > 0
    # a second generate into the populated database is refused with one line, exit 1
    again = CliRunner().invoke(app, ["generate", "--db", str(path)])
    assert again.exit_code == 1
    assert "generate into a fresh database" in again.output and "Traceback" not in again.output


def test_generate_rejects_unknown_size_without_creating_a_file(tmp_path: Path) -> None:
    path = tmp_path / "x.duckdb"
    result = CliRunner().invoke(app, ["generate", "--size", "town", "--db", str(path)])
    assert result.exit_code == 1
    assert "unknown size 'town'" in result.output
    assert not path.exists()
