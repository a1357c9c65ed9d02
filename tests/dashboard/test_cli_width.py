"""CLI tables fit an 80-column terminal without cutting values (issue 15 finding 12); --json keeps everything."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from rich.cells import cell_len

from tests.dashboard.conftest import DashCity
from tests.dashboard.liveserver import ROOT, cli_env
from warehouse.db import open_db


def narrow(*args: str) -> subprocess.CompletedProcess[str]:
    """`gridscore ARGS` as run in an 80-column terminal."""
    env = cli_env() | {"COLUMNS": "80", "LINES": "40"}
    env.pop("FORCE_COLOR", None)
    return subprocess.run([sys.executable, "-m", "dashboard.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300, cwd=ROOT)


def table_lines(text: str) -> list[str]:
    """The rows of the tables (box lines), not the notes."""
    return [line for line in text.splitlines() if line[:1] in "┃│┏┡└"]


def check_fits(text: str) -> None:
    assert text.strip()
    for line in text.splitlines():
        assert cell_len(line) <= 80, line
    for line in table_lines(text):
        assert "…" not in line, line  # a value (or header) was cut


@pytest.mark.slow
def test_runs_table_shows_whole_values_at_80_columns(dash_city: DashCity) -> None:
    db = str(dash_city.path)
    shown = narrow("runs", "--db", db)
    assert shown.returncode == 0, shown.stderr
    check_fits(shown.stdout)
    as_json = narrow("runs", "--db", db, "--json")
    runs = json.loads(as_json.stdout)
    with open_db(dash_city.path, read_only=True) as database:
        stored = database.query("SELECT run_id, created_at, input_fingerprint FROM score_runs")
    assert {r["run_id"] for r in runs} == set(stored["run_id"].to_list())
    assert {len(r["input_fingerprint"]) for r in runs} == {64}  # --json is not shortened
    for run in runs:
        assert run["run_id"] in shown.stdout
        assert run["created_at"][:16].replace("T", " ") in shown.stdout  # the whole date and time


@pytest.mark.slow
def test_estimate_table_fits_and_names_what_it_leaves_out(dash_city: DashCity) -> None:
    shown = narrow("estimate", "--period", "2025", "--level", "grid", "--db", str(dash_city.path))
    assert shown.returncode == 0, shown.stderr
    check_fits(shown.stdout)
    units = [row["unit_id"] for row in json.loads(narrow("estimate", "--period", "2025", "--db",
                                                         str(dash_city.path), "--json").stdout)]
    assert all(unit in shown.stdout for unit in units[:20])
    assert "not shown at this width" in shown.stdout and "--json" in shown.stdout
    assert " len " not in shown.stdout


def test_ingest_rejects_table_wraps_reasons_at_80_columns(dash_city: DashCity, tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    shutil.copyfile(dash_city.path, db)
    template = tmp_path / "wr.xlsx"
    assert narrow("template", "work_records", "--out", str(template)).returncode == 0
    book = openpyxl.load_workbook(template)
    sheet = book.worksheets[0]
    row = [c.value for c in sheet[2]]
    sheet.append(["R8000001", "W-NOBODY", *row[2:4], "2025-13-01 09:00:00", *row[5:]])
    book.save(template)
    shown = narrow("ingest", "work_records", str(template), "--db", str(db))
    assert shown.returncode == 0, shown.stderr
    check_fits(shown.stdout)
    # each column's text read down the table (a wrapped cell spans several lines beside the others)
    cells = [line.split("│")[1:-1] for line in table_lines(shown.stdout) if line.startswith("│")]
    columns = [" ".join(" ".join(row[i] for row in cells).split()) for i in range(len(cells[0]))]
    assert "W-NOBODY" in columns[2] and "2025-13-01 09:00:00" in columns[2]
    assert "unknown worker" in columns[3] and "not a date-time (YYYY-MM-DD HH:MM)" in columns[3]
    assert os.path.exists(db)
