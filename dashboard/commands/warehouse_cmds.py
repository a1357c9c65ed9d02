"""Warehouse commands: init, generate, backup, restore, demo.

The functions stay thin: parse options, call one warehouse function, print the
result (a table, or JSON with --json). Ingest and template live in their own module.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import typer

from dashboard.commands.common import (
    DbOption,
    JsonOption,
    console,
    fraction_bar,
    out,
    print_json,
    user_errors,
)

app = typer.Typer()

SizeOption = Annotated[
    str,
    typer.Option("--size", help="small (≈60 grids, demo/tests) | city (≈3,000 grids) | province (≈100,000 grids)."),
]
SeedOption = Annotated[int, typer.Option("--seed", help="Random seed; the same seed gives the same city.")]
YearOption = Annotated[int, typer.Option("--year", help="Calendar year to generate.")]

DEMO_SEED = 20251
DEMO_YEAR = 2025


def _print_counts(title: str, counts: dict[str, int]) -> None:
    from rich.table import Table

    table = Table(title=title)
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in counts.items():
        table.add_row(name, f"{rows:,}")
    out.print(table)


@app.command()
def init(db: DbOption = None, json: JsonOption = False) -> None:
    """Create the database (or bring its schema up to date) (初始化)."""
    from dashboard.live.client import refuse_if_served
    from warehouse.db import open_db
    from warehouse.migrations import schema_version

    with user_errors():
        refuse_if_served(db, "run `gridscore init` on it (the server keeps its schema up to date)")
    with user_errors(), open_db(db) as database:
        version = schema_version(database)
        if json:
            print_json({"db": database.path, "schema_version": version})
        else:
            out.print(f"database {database.path} ready (schema version {version})")


@app.command()
def generate(
    size: SizeOption = "small",
    seed: SeedOption = DEMO_SEED,
    year: YearOption = DEMO_YEAR,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Generate a synthetic city (生成模拟城市): org tree, workers, households, a year of records, into an empty database."""
    from dashboard.live.client import refuse_if_served
    from warehouse.db import open_db
    from warehouse.synthetic import generate as run

    with user_errors():
        chosen = _size(size)
        refuse_if_served(db, "generate a city into it")
    with user_errors(), open_db(db) as database:
        with fraction_bar(f"generating {size} city", enabled=not json) as bar:
            summary = run(database, size=chosen, seed=seed, year=year, progress=bar)
        database.checkpoint()
        if json:
            print_json({"db": database.path, **_summary_dict(summary)})
        else:
            _print_counts(f"{size} city, seed {seed}, year {year} ({summary.seconds:.1f} s)", summary.counts)
            out.print(f"database {database.path}")


def _size(size: str) -> Literal["small", "city", "province"]:
    from warehouse.errors import WarehouseError

    if size not in ("small", "city", "province"):
        raise WarehouseError(f"unknown size {size!r}; choose small, city or province")
    return size  # type: ignore[return-value]


def _summary_dict(summary) -> dict:
    return {
        "size": summary.size,
        "seed": summary.seed,
        "year": summary.year,
        "seconds": round(summary.seconds, 3),
        "counts": summary.counts,
    }


@app.command()
def backup(
    out_dir: Annotated[Path, typer.Option("--out", help="New (or empty) directory for the snapshot.")],
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Back up (备份) every table to Parquet plus manifest.json (schema version, row counts, content hashes).

    While a gridscore server holds the database, the server writes the snapshot
    (a job; the folder must be one it can write on this machine).
    """
    from dashboard.commands.common import server_or_none, steps_bar
    from dashboard.jobs import tasks
    from warehouse.db import open_db

    client = server_or_none(db)
    with user_errors(), steps_bar("backing up", enabled=not json) as steps:
        if client is not None:
            result = client.run_job("backup", {"out_dir": str(out_dir.resolve())}, steps)["result"]
        else:
            with open_db(db, read_only=True) as database:
                result = tasks.backup(database, out_dir=str(out_dir), steps=steps)
    counts = {t["table"]: t["rows"] for t in result["tables"]}
    if json:
        print_json({"out": str(out_dir), "schema_version": result["schema_version"], "tables": result["tables"]})
    else:
        _print_counts(f"backup of {result['db']} (schema version {result['schema_version']})", counts)
        out.print(f"snapshot written to {out_dir}")


@app.command()
def restore(
    snapshot: Annotated[Path, typer.Argument(help="Backup directory written by `gridscore backup`.")],
    db: Annotated[str, typer.Option("--db", help="New database file to create (must not exist).")],
    json: JsonOption = False,
) -> None:
    """Restore (恢复) a backup into a new database file, verifying every table's count and hash."""
    from dashboard.live.client import refuse_if_served
    from warehouse.backup import restore as run

    with user_errors():
        refuse_if_served(db, "restore into it")
    with user_errors(), fraction_bar("restoring", enabled=not json) as bar:
        manifest = run(snapshot, db, progress=bar)
    counts = {t.table: t.rows for t in manifest.tables}
    if json:
        print_json({"db": db, "schema_version": manifest.schema_version, "verified": True, "counts": counts})
    else:
        _print_counts(f"restored into {db} (all tables verified)", counts)


@app.command()
def demo(
    db: DbOption = None,
    host: Annotated[str, typer.Option("--host", help="Address the dashboard listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port of the dashboard.")] = 8050,
    no_serve: Annotated[bool, typer.Option("--no-serve", help="Build the database and stop (no dashboard).")] = False,
    json: JsonOption = False,
) -> None:
    """Build the demo (演示): a fresh database with the small synthetic city (seed 20251, years 2024–2025)."""
    from dashboard.demo import DEMO_HISTORY, build_demo
    from dashboard.live.client import refuse_if_served
    from warehouse.db import open_db, resolve_path
    from warehouse.synthetic import generate as run

    path = Path(resolve_path(db))
    with user_errors():
        refuse_if_served(str(path), "build the demo over it")
        for stale in (path, path.with_name(path.name + ".wal")):
            stale.unlink(missing_ok=True)
        with open_db(path) as database:
            with fraction_bar("generating the small city", enabled=not json) as bar:
                summary = run(database, size="small", seed=DEMO_SEED, year=DEMO_YEAR, history=DEMO_HISTORY,
                              progress=bar)

            with console.status("", spinner="dots") as status:
                demo_data = build_demo(
                    database,
                    seed=DEMO_SEED,
                    year=DEMO_YEAR,
                    step=None if json else lambda text: status.update(text),
                )
            database.checkpoint()
    result = {
        "db": str(path.resolve()),
        **_summary_dict(summary),
        "final_run_id": demo_data.final_run_id,
        "draft_run_id": demo_data.draft_run_id,
        "previous_run_id": demo_data.previous_run_id,
        "survey_responses": demo_data.responses,
        "url": f"http://{host}:{port}/",
        "accounts": [
            {"name": a.name, "password": a.password, "role": a.role, "scope": a.scope_unit_id}
            for a in demo_data.accounts
        ],
    }
    if json:
        print_json(result)
    else:
        _print_counts(f"demo city (seed {DEMO_SEED}, year {DEMO_YEAR})", summary.counts)
        out.print(f"populated database: {path.resolve()}")
        out.print(
            f"score runs: {demo_data.previous_run_id} ({DEMO_YEAR - 1}, final), "
            f"{demo_data.final_run_id} ({DEMO_YEAR}H1, final), "
            f"{demo_data.draft_run_id} ({DEMO_YEAR}, draft); survey responses: {demo_data.responses}"
        )
        for account in demo_data.accounts:
            scope = f", scope {account.scope_unit_id}" if account.scope_unit_id else ""
            out.print(f"demo account: {account.name} / {account.password} ({account.role}{scope})")
    if no_serve:
        return
    from dashboard.commands.serve_cmds import serve

    out.print(f"open http://{host}:{port}/ and sign in with a demo account (Ctrl-C stops)")
    serve(db=str(path), host=host, port=port)
