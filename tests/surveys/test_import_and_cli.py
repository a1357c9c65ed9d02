"""Phone/paper import through `submit`, and the survey commands end to end."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import polars as pl
from typer.testing import CliRunner

from dashboard.cli import app
from surveys.design import draw_sample
from surveys.import_answers import import_answers
from warehouse.db import Database

ITEMS = ["overall", "responsiveness", "attitude", "problem_solved", "visited"]


def _answers_file(path: Path, tokens: list[str]) -> Path:
    pl.DataFrame({
        "令牌": [*tokens[:4], "0" * 32],
        "overall": ["满意", "不满意", None, "好", "满意"],
        "responsiveness": ["满意"] * 5, "attitude": ["非常满意"] * 5, "problem_solved": ["基本满意"] * 5,
        "visited": ["yes"] * 5, "结果": [None, None, "refusal", None, None],
    }).write_csv(path)
    return path


def test_import_answers_reports_each_row_and_is_rerunnable(register_db: Database, tmp_path: Path) -> None:
    tokens = draw_sample(register_db, "2025", seed=1).tokens["token"].to_list()
    path = _answers_file(tmp_path / "answers.csv", tokens)
    first = import_answers(register_db, path, channel="phone", entered_by="S9")
    assert first["status"].to_list() == ["accepted", "accepted", "disposition_recorded", "rejected", "rejected"]
    assert "overall" in first["reason"][3] and first["reason"][4] == "token unknown"
    again = import_answers(register_db, path, channel="phone")
    assert again["status"].to_list()[:2] == ["already_received", "already_received"]
    assert register_db.scalar("SELECT count(*) FROM survey_responses") == 2
    assert register_db.scalar("SELECT count(*) FROM survey_responses WHERE channel = 'phone' AND entered_by = 'S9'") == 2
    assert register_db.scalar("SELECT count(*) FROM survey_invitations WHERE disposition = 'refusal'") == 1


def test_cli_sample_import_estimate(register_template: Path, tmp_path: Path) -> None:
    db_path = tmp_path / "cli.duckdb"
    shutil.copyfile(register_template, db_path)
    runner = CliRunner()
    tokens_file = tmp_path / "tokens.xlsx"
    res = runner.invoke(app, ["sample", "--period", "2025", "--seed", "4", "--tokens-out", str(tokens_file),
                              "--db", str(db_path), "--json"])
    assert res.exit_code == 0, res.output
    summary = json.loads(res.stdout)
    assert summary["seed"] == 4 and summary["token_rows"] == summary["invited"] > 0
    tokens = pl.read_excel(tokens_file)["token"].to_list()
    answers = _answers_file(tmp_path / "answers.csv", tokens)
    res = runner.invoke(app, ["responses", "import", str(answers), "--db", str(db_path), "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["counts"] == {"accepted": 2, "disposition_recorded": 1, "rejected": 2}
    out = tmp_path / "est.csv"
    res = runner.invoke(app, ["estimate", "--period", "2025", "--level", "community", "--k-min", "1",
                              "--out", str(out), "--db", str(db_path), "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert sum(r["respondents"] for r in rows) == 2 and pl.read_csv(out).height == len(rows)
    res = runner.invoke(app, ["estimate", "--period", "2030", "--db", str(db_path)])
    assert res.exit_code == 1 and "no survey sample" in res.output
