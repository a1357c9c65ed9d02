"""What every CLI command shares: the --db option, JSON output, one-line errors."""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, is_dataclass
from datetime import date, datetime
from typing import Annotated, Any

import click
import polars as pl
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from dashboard.jobs.tasks import Steps, no_steps
from dashboard.live.client import ServerClient, server_for
from metrics.errors import ScoringError
from surveys.errors import SurveyError
from warehouse.errors import DatabaseLockedError, WarehouseError

USER_ERRORS: tuple[type[Exception], ...] = (WarehouseError, SurveyError, ScoringError)

console = Console(stderr=True)
out = Console()

DbOption = Annotated[
    str | None,
    typer.Option("--db", help="Database file (default: $GRIDSCORE_DB or ./gridscore.duckdb)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON on stdout.")]


def fail(message: str, code: int = 1) -> None:
    """Print a one-line error on stderr and exit non-zero."""
    console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


@contextmanager
def user_errors() -> Iterator[None]:
    """Turn the layers' user errors into a one-line message and exit code 1."""
    try:
        yield
    except DatabaseLockedError as exc:
        fail(_locked_message(exc))
    except USER_ERRORS as exc:
        fail(str(exc))
    except FileNotFoundError as exc:
        fail(f"file not found: {exc.filename}")


_LOCKED_PATH = re.compile(r"^database (.+?) is in use by another process")


def _locked_message(exc: DatabaseLockedError) -> str:
    """The lock error, naming the gridscore server when it is one that holds the file."""
    found = _LOCKED_PATH.match(str(exc))
    try:
        client = server_for(found.group(1)) if found else None
    except WarehouseError:
        client = None
    if client is None:
        return str(exc)
    ctx = click.get_current_context(silent=True)
    command = ctx.command_path.replace("python -m dashboard.cli", "gridscore") if ctx else "this command"
    return (f"database {found.group(1)} is held by {client.describe()}; `{command}` does not run "
            "through the server yet: stop the server to run it")


def _default(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if is_dataclass(value) and not isinstance(value, type):
        return asdict(value)
    if isinstance(value, pl.DataFrame):
        return value.to_dicts()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def print_json(payload: Any) -> None:
    """Write `payload` as JSON on stdout (dataclasses, frames and dates allowed)."""
    sys.stdout.write(json.dumps(payload, default=_default, ensure_ascii=False, indent=2) + "\n")
    sys.stdout.flush()


def print_frame(frame: pl.DataFrame, *, title: str | None = None, limit: int = 50) -> None:
    """Print a polars frame as a rich table (first `limit` rows)."""
    table = Table(title=title, show_lines=False)
    for name in frame.columns:
        table.add_column(name)
    for row in frame.head(limit).iter_rows():
        table.add_row(*["" if v is None else str(v) for v in row])
    out.print(table)
    if frame.height > limit:
        out.print(f"… {frame.height - limit} more rows")


@contextmanager
def progress(description: str, total: float | None = None, *, enabled: bool = True) -> Iterator[Callable[[float], None]]:
    """A rich progress bar on stderr; yields `advance(n)`. Silent when disabled (e.g. --json)."""
    if not enabled:
        yield lambda _n=1: None
        return
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.completed:.0f}/{task.total:.0f}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n=1: bar.advance(task, n)


@contextmanager
def steps_bar(description: str, *, enabled: bool = True) -> Iterator[Steps]:
    """A progress bar fed by a task's `steps(done, total, unit)`, in-process or from a job.

    The same bar whether the work runs here or as a job on the server (the job's
    progress is polled and fed to it). Silent when disabled (e.g. --json).
    """
    if not enabled:
        yield no_steps
        return
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        TextColumn("{task.fields[count]}"),
        TimeElapsedColumn(),
        console=console,
        transient=True,
    ) as bar:
        task = bar.add_task(description, total=None, count="")

        def update(done: float, total: float | None, unit: str, message: str | None = None) -> None:
            count = f"{done:.0f}/{'?' if total is None else f'{total:.0f}'} {unit}"
            bar.update(task, completed=done, total=total, count=count)

        yield update


def server_or_none(db: str | None) -> ServerClient | None:
    """The running server that holds `db`, if any (one-line error if it cannot be used)."""
    with user_errors():
        return server_for(db)
