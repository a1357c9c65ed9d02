"""Render `docs/cli.md` from the CLI's own `--help` texts (run: python -m dashboard.clidoc)."""

from __future__ import annotations

import os

import typer.main
from typer.testing import CliRunner

from dashboard.cli import app

HEADER = """# Command-line reference

Generated from `gridscore --help` by `python -m dashboard.clidoc > docs/cli.md`
(`make docs-cli`); a test fails when this page and the code disagree.
"""


def _help(args: list[str]) -> str:
    result = CliRunner().invoke(app, [*args, "--help"], env={"COLUMNS": "100", "TERM": "dumb", "NO_COLOR": "1"}, color=False)
    return "\n".join(line.rstrip() for line in result.output.splitlines()).strip()


def _children(path: list[str]) -> list[str]:
    command = typer.main.get_command(app)
    for name in path:
        command = command.commands[name]  # type: ignore[attr-defined]
    return sorted(getattr(command, "commands", {}))


def render() -> str:
    """The Markdown reference: the root help and one section per command and subcommand."""
    os.environ["COLUMNS"] = "100"
    parts = [HEADER, "```text\n" + _help([]) + "\n```\n"]
    for name in _children([]):
        parts.append(f"## gridscore {name}\n\n```text\n{_help([name])}\n```\n")
        for child in _children([name]):
            parts.append(f"### gridscore {name} {child}\n\n```text\n{_help([name, child])}\n```\n")
    return "\n".join(parts)


if __name__ == "__main__":
    print(render(), end="")
