"""The `gridscore` command line: one Typer app, command groups registered by area."""

from __future__ import annotations

from typing import Annotated

import typer

from dashboard.commands import (
    apikey_cmds,
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
def _root(
    ctx: typer.Context,
    server: Annotated[str | None, typer.Option(
        "--server", envvar="GRIDSCORE_SERVER", metavar="URL",
        help="Run on the gridscore server at URL (API key in GRIDSCORE_API_KEY) instead of a local database.")] = None,
) -> None:
    """gridscore: grid-governance assessment (网格化管理考核)."""
    from dashboard.commands.common import fail
    from dashboard.live.client import ROUTED, set_remote

    set_remote(server)
    if server and ctx.invoked_subcommand not in ROUTED:
        fail(f"`gridscore {ctx.invoked_subcommand}` does not run through a remote server (--server); "
             f"run it on the server's machine. Commands that do: {', '.join(sorted(ROUTED))}")


for group in (warehouse_cmds, serve_cmds, metrics_cmds, ingest_cmds, surveys_cmds, scaleout_cmds, report_cmds,
              jobs_cmds, apikey_cmds):
    app.registered_commands.extend(group.app.registered_commands)
    app.registered_groups.extend(group.app.registered_groups)


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    main()
