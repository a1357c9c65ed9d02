"""`gridscore apikey add/list/revoke`: the API keys of `/api/v1` (per account or per integration).

Through the server that holds the database when one runs (as the other commands),
else on the file itself. A new key is printed once and stored only hashed.
"""

from __future__ import annotations

import getpass
from typing import Annotated, Any

import polars as pl
import typer

from dashboard.commands.common import (
    DbOption,
    JsonOption,
    out,
    print_frame,
    print_json,
    server_or_none,
    user_errors,
)

app = typer.Typer()
apikey_app = typer.Typer(help="API keys of /api/v1: add (shown once), list (with last use), revoke.",
                         no_args_is_help=True)
app.add_typer(apikey_app, name="apikey")

LIST_COLUMNS = ("key_id", "name", "user_name", "role", "scope_unit_id", "created_by", "created_at", "last_used_at",
                "state")


@apikey_app.command("add")
def apikey_add(
    name: Annotated[str, typer.Argument(help="What the key is for, e.g. 'event platform'.")],
    user: Annotated[str | None, typer.Option("--user", help="Account the key acts as (its role and scope).")] = None,
    role: Annotated[str | None, typer.Option("--role", help="Role of an integration key: admin | assessor | supervisor | viewer.")] = None,
    scope: Annotated[str | None, typer.Option("--scope", help="Org unit an integration key is limited to (required for supervisor).")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Make an API key for an account (--user) or an integration (--role [--scope]); printed this once."""
    from dataclasses import asdict

    client = server_or_none(db)
    body = {"name": name, "user_name": user, "role": role, "scope_unit_id": scope}
    with user_errors():
        if client is not None:
            made: dict[str, Any] = client.post_json("/apikeys", body)
        else:
            from dashboard.apikeys import create_key
            from warehouse.db import open_db

            with open_db(db) as database:
                made = asdict(create_key(database, name, created_by=getpass.getuser(), user_name=user, role=role,
                                         scope_unit_id=scope))
    if json:
        print_json(made)
        return
    who = f"account {made['user_name']}" if made["user_name"] else "integration"
    scope_text = f", scope {made['scope_unit_id']}" if made["scope_unit_id"] else ""
    out.print(f"API key {made['key_id']} ({made['name']}; {who}, {made['role']}{scope_text}):", highlight=False)
    out.print(made["key"], highlight=False, soft_wrap=True)
    out.print("shown this once: store it now (only its hash is kept)", highlight=False)


def _rows(db: str | None) -> list[dict[str, Any]]:
    client = server_or_none(db)
    with user_errors():
        if client is not None:
            return client.get_json("/apikeys")
        from dashboard.apikeys import as_json, list_keys
        from warehouse.db import open_db

        with open_db(db, read_only=True) as database:
            return [as_json(r) for r in list_keys(database).to_dicts()]


@apikey_app.command("list")
def apikey_list(db: DbOption = None, json: JsonOption = False) -> None:
    """List the API keys, newest first: who each acts as, role, scope, last use, state."""
    rows = _rows(db)
    if json:
        print_json(rows)
        return
    frame = pl.DataFrame([{c: r[c] for c in LIST_COLUMNS} for r in rows],
                         schema=dict.fromkeys(LIST_COLUMNS, pl.String))
    print_frame(frame, title="API keys")


@apikey_app.command("revoke")
def apikey_revoke(
    key_id: Annotated[str, typer.Argument(help="Key id as listed, e.g. k3f9a1c2d.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Revoke an API key: refused from its next call on."""
    client = server_or_none(db)
    with user_errors():
        if client is not None:
            row = client.post_json(f"/apikeys/{key_id}/revoke", {})
        else:
            from dashboard.apikeys import as_json, revoke_key
            from warehouse.db import open_db

            with open_db(db) as database:
                row = as_json(revoke_key(database, key_id, actor=getpass.getuser()))
    if json:
        print_json(row)
    else:
        out.print(f"API key {row['key_id']} ({row['name']}) revoked", highlight=False)
