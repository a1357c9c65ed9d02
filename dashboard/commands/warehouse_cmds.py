"""Warehouse commands: init, generate, ingest, template, backup, restore."""

from __future__ import annotations

import typer

from dashboard.commands.common import DbOption, JsonOption, out, print_json, user_errors

app = typer.Typer()


@app.command()
def init(db: DbOption = None, json: JsonOption = False) -> None:
    """Create the database (or bring its schema up to date)."""
    from warehouse.db import open_db
    from warehouse.migrations import schema_version

    with user_errors(), open_db(db) as database:
        version = schema_version(database)
        if json:
            print_json({"db": database.path, "schema_version": version})
        else:
            out.print(f"database {database.path} ready (schema version {version})")
