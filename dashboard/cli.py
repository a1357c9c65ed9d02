"""The `gridscore` command line: one Typer app, command groups registered by area."""

from __future__ import annotations

import typer

from dashboard.commands import (
    ingest_cmds,
    jobs_cmds,
    metrics_cmds,
    report_cmds,
    scaleout_cmds,
    serve_cmds,
    surveys_cmds,
    warehouse_cmds,
)

app = typer.Typer(
    name="gridscore",
    help="gridscore: grid-governance assessment (网格化管理考核) — warehouse, surveys, scores, dashboard.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)



@app.callback()
def _root() -> None:
    """gridscore: grid-governance assessment (网格化管理考核)."""


for group in (warehouse_cmds, serve_cmds, metrics_cmds, ingest_cmds, surveys_cmds, scaleout_cmds, report_cmds,
              jobs_cmds):
    app.registered_commands.extend(group.app.registered_commands)
    app.registered_groups.extend(group.app.registered_groups)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
