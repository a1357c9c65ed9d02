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
    if ctx is not None:
        command = ctx.command_path.replace("python -m dashboard.cli", "gridscore")
    else:  # outside a click context (typer's own runner): the words of the command line
        words = [arg for arg in sys.argv[1:3] if not arg.startswith("-")]
        command = " ".join(["gridscore", *words])
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


WRAP_MIN = 16
"""Narrowest a free-text column is wrapped to (its longest word, if longer)."""


def _cell(value: Any) -> str:
    """A value as the table shows it (whole; dates to the minute, booleans as yes/no)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and value[10:11] == "T":
        return value[:16].replace("T", " ")  # an ISO time stamp from the server's JSON
    return str(value)


def fit_columns(headers: list[str], cells: list[list[str]], width: int, *,
                keep: int = 1) -> tuple[list[int | None], list[int]]:
    """Choose how a table fits `width` terminal columns without cutting a value.

    Every column is as wide as its widest value (and header). Free-text columns
    (values with spaces) may wrap at word boundaries down to `WRAP_MIN`; if the table is
    still too wide, columns are left out from the right (never the first `keep`).

    Returns:
        (per column: its width, or None when left out; the indexes left out).
    """
    from rich.cells import cell_len

    count = len(headers)
    natural = [max([cell_len(headers[i]), *(cell_len(row[i]) for row in cells)]) for i in range(count)]
    floor = list(natural)
    for i in range(count):
        if any(" " in row[i] for row in cells) and natural[i] > WRAP_MIN:
            longest = max(cell_len(word) for row in cells for word in row[i].split() or [""])
            floor[i] = max(WRAP_MIN, longest, cell_len(headers[i]))
    widths: list[int | None] = list(natural)
    shown = list(range(count))

    def total() -> int:
        return sum(widths[i] or 0 for i in shown) + 3 * len(shown) + 1  # borders and padding

    for i in sorted(shown, key=lambda j: natural[j] - floor[j], reverse=True):
        if total() <= width:
            break
        widths[i] = max(floor[i], natural[i] - (total() - width))
    hidden: list[int] = []
    while total() > width and len(shown) > keep:
        drop = shown.pop()
        widths[drop] = None
        hidden.insert(0, drop)
    return widths, hidden


def print_frame(frame: pl.DataFrame, *, title: str | None = None, limit: int = 50, keep: int = 1) -> None:
    """Print a polars frame as a rich table (first `limit` rows) that fits the terminal.

    No value is ever cut ("2025-…"): free text wraps at words, and columns that do
    not fit are left out from the right with a note naming them (`--json` has
    everything). Order the frame's columns by importance.
    """
    shown = frame.head(limit)
    headers = list(frame.columns)
    cells = [[_cell(v) for v in row] for row in shown.iter_rows()]
    widths, hidden = fit_columns(headers, cells, out.width, keep=keep)
    table = Table(title=title, show_lines=False)
    visible = [i for i, w in enumerate(widths) if w is not None]
    for i in visible:
        numeric = frame.schema[headers[i]].is_numeric()
        table.add_column(headers[i], width=widths[i], overflow="fold", justify="right" if numeric else "left")
    for row in cells:
        table.add_row(*[row[i] for i in visible])
    out.print(table)
    if hidden:
        out.print(f"… not shown at this width: {', '.join(headers[i] for i in hidden)} "
                  "(widen the terminal or use --json)")
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
def fraction_bar(description: str, *, enabled: bool = True) -> Iterator[Callable[[str, float], None]]:
    """A progress bar driven by `(stage, fraction_done)` callbacks (0–100 %), the callback
    `generate`, `restore`, `export_parquet` and `score_source` take. Silent when disabled."""
    with progress(description, total=100, enabled=enabled) as advance:
        done = [0.0]

        def update(_stage: str, fraction: float) -> None:
            target = round(100 * fraction)
            if target > done[0]:
                advance(target - done[0])
                done[0] = target

        yield update


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
