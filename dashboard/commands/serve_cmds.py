"""`gridscore serve` (the dashboard and survey form) and `gridscore user add`."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from dashboard.commands.common import DbOption, JsonOption, fail, out, print_json, user_errors

app = typer.Typer()
user_app = typer.Typer(help="Dashboard accounts (sign-in names, roles, org scope).", no_args_is_help=True)
app.add_typer(user_app, name="user")


@app.command("serve")
def serve(
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="Address to listen on (loopback by default).")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="TCP port (0: any free port, printed at start).")] = 8050,
    threads: Annotated[int, typer.Option("--threads", help="Worker threads of the one server process.")] = 16,
) -> None:
    """Serve the dashboard, the survey form, the office's jobs and /api/v1 (waitress, one process).

    While it serves, the server is the one process holding the database: other
    gridscore commands on this machine run through it (credential file
    `<db>.server.json`, owner-only, removed at stop).
    """
    from dashboard.live.server import run
    from dashboard.settings import Settings

    def announce(bound: int) -> None:
        out.print(f"gridscore dashboard on http://{host}:{bound}/  (survey form: /s/<token>; API: /api/v1)")

    with user_errors():
        settings = Settings.from_env(db_path=db)
        run(settings, host=host, port=port, threads=threads, announce=announce)


@user_app.command("add")
def user_add(
    name: Annotated[str, typer.Argument(help="Sign-in name.")],
    role: Annotated[str, typer.Option("--role", help="admin | assessor | supervisor | viewer.")],
    scope: Annotated[str | None, typer.Option("--scope", help="Org unit id whose subtree the user sees (required for supervisor).")] = None,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="Read the password from standard input (first line).")] = False,
    db: DbOption = None,
    json_out: JsonOption = False,
) -> None:
    """Create a dashboard account (or reset its password, role and scope); through the server when one runs."""
    from dashboard.auth import User, add_user
    from dashboard.commands.common import server_or_none
    from warehouse.db import open_db

    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    client = server_or_none(db)
    with user_errors():
        if client is not None:
            saved = client.post_json("/accounts", {"name": name, "password": password, "role": role,
                                                   "scope_unit_id": scope})
            user = User(saved["name"], saved["role"], saved["scope_unit_id"])
        else:
            with open_db(db) as database:
                user = add_user(database, name, password, role=role, scope_unit_id=scope)
    if json_out:
        print_json(user)
    elif user.scope_unit_id:
        out.print(f"user {user.name} ({user.role}, scope {user.scope_unit_id}) saved")
    else:
        out.print(f"user {user.name} ({user.role}) saved")


__all__ = ["app", "fail"]
