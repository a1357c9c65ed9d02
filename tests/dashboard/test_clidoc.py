"""docs/cli.md is the CLI's own --help; every command takes --db (where it opens a database) and --help."""

from __future__ import annotations

from pathlib import Path

import typer.main

from dashboard.cli import app
from dashboard.clidoc import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "cli.md"
NO_DB = {"template", "verify-export", "score-parquet", "user"}


def test_cli_doc_matches_help() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), "run `make docs-cli` to regenerate docs/cli.md"


def test_every_command_documents_db_and_help() -> None:
    root = typer.main.get_command(app)
    missing = []
    for name, command in root.commands.items():  # type: ignore[attr-defined]
        options = {opt for p in command.params for opt in getattr(p, "opts", [])}
        if name not in NO_DB and not getattr(command, "commands", None) and "--db" not in options:
            missing.append(name)
        assert command.help or command.short_help, f"{name} has no help text"
    assert missing == []
