"""Survey commands: sample, estimate, responses import.

Thin: parse options, call one surveys function, print a table or JSON.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import polars as pl
import typer

from dashboard.commands.common import (
    DbOption,
    JsonOption,
    out,
    print_frame,
    print_json,
    server_or_none,
    steps_bar,
    user_errors,
)
from dashboard.jobs.tasks import table_frame
from surveys.suppression import K_MIN

app = typer.Typer()
responses_app = typer.Typer(help="Survey responses (phone / paper answers).", no_args_is_help=True)
app.add_typer(responses_app, name="responses")

PeriodOption = Annotated[str, typer.Option("--period", help="Period code, e.g. 2025 or 2025H1.")]


@app.command()
def sample(
    period: PeriodOption,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the draw (default: random, recorded).")] = None,
    margin: Annotated[float, typer.Option("--margin", help="Target 95 % half-width: score points (mean) or a fraction (proportion).")] = 8.0,
    kind: Annotated[str, typer.Option("--kind", help="What the margin refers to: mean | proportion.")] = "mean",
    sd: Annotated[float, typer.Option("--sd", help="Assumed SD of the 0–100 score (mean).")] = 20.0,
    response_rate: Annotated[float, typer.Option("--response-rate", help="Expected response rate (invitations = completes / rate).")] = 0.6,
    exclude_last: Annotated[int, typer.Option("--exclude-last", help="Exclude households invited in the last k periods of the same kind.")] = 0,
    ttl_days: Annotated[int, typer.Option("--ttl-days", help="Days until the tokens expire.")] = 90,
    tokens_out: Annotated[Path | None, typer.Option("--tokens-out", help="Write the survey team's token file (.csv or .xlsx): tokens with contact details.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Draw a period's random sample of households per grid and issue single-use tokens (抽样)."""
    import secrets

    from dashboard.jobs import tasks
    from warehouse.db import open_db

    if seed is None:
        seed = secrets.randbelow(2**31)
    params = {"period": period, "seed": seed, "margin": margin, "kind": kind, "sd": sd,
              "response_rate": response_rate, "exclude_last": exclude_last, "ttl_days": ttl_days,
              "tokens_out": None if tokens_out is None else str(tokens_out.resolve())}
    client = server_or_none(db)
    with user_errors(), steps_bar("drawing sample", enabled=not json) as steps:
        if client is not None:
            summary = client.run_job("sample", params, steps)["result"]
        else:
            with open_db(db) as database:
                summary = tasks.sample(database, **params, steps=steps)
    strata = table_frame(summary.pop("strata"))
    written = summary["token_rows"]
    if json:
        print_json({**summary, "strata": strata})
        return
    print_frame(strata, title=f"sample {summary['design_id']} (seed {seed})", limit=30)
    out.print(f"{summary['invited']:,} households invited in {summary['grids']:,} grids"
              + (f"; token file {tokens_out} ({written:,} rows) — keep it with the survey team only" if tokens_out else
                 "; no token file written (use --tokens-out), the tokens cannot be recovered later"))


@app.command()
def followup(
    period: PeriodOption,
    seed: Annotated[int | None, typer.Option("--seed", help="Seed of the follow-up draw (default: random, printed).")] = None,
    fraction: Annotated[float, typer.Option("--fraction", help="Share of each grid's non-respondents to follow up, in (0, 1].")] = 0.3,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write the survey team's follow-up list (.csv or .xlsx): contacts, disposition, weight.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Draw a random follow-up subsample of each grid's non-respondents, with weights (无应答追访抽样)."""
    import secrets

    from dashboard.jobs import tasks
    from warehouse.db import open_db

    if seed is None:
        seed = secrets.randbelow(2**31)
    params = {"period": period, "seed": seed, "fraction": fraction,
              "out_file": None if out_file is None else str(out_file.resolve())}
    client = server_or_none(db)
    with user_errors(), steps_bar("drawing follow-up", enabled=not json) as steps:
        if client is not None:
            result = client.run_job("followup", params, steps)["result"]
        else:
            with open_db(db, read_only=True) as database:
                result = tasks.followup(database, **params, steps=steps)
    per_grid = table_frame(result["grids"])
    followed_up = result["followed_up"]
    written = result["file_rows"]
    if json:
        print_json({"period": period, "seed": seed, "fraction": fraction, "followed_up": followed_up,
                    "file": str(out_file) if out_file else None, "grids": per_grid})
        return
    print_frame(per_grid.with_columns(pl.col("weight").round(2)),
                title=f"follow-up {period} (seed {seed}, fraction {fraction})", limit=30)
    out.print(f"{followed_up:,} non-respondents to follow up in {per_grid.height:,} grids"
              + (f"; list {out_file} ({written:,} rows) — keep it with the survey team only" if out_file else
                 "; no list written (use --out)"))


@app.command()
def estimate(
    period: PeriodOption,
    level: Annotated[str, typer.Option("--level", help="grid | community | street | district.")] = "grid",
    k_min: Annotated[int, typer.Option("--k-min", help="Suppress units with fewer respondents than this.")] = K_MIN,
    exact: Annotated[bool, typer.Option("--exact", help="Grid level: exact hypergeometric interval for the share satisfied instead of Wilson.")] = False,
    out_file: Annotated[Path | None, typer.Option("--out", help="Write all columns to a .csv, .xlsx or .parquet file.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Satisfaction per unit with SE, 95 % intervals, response rates, reliability and shrinkage (满意度测算)."""
    from dashboard.jobs import tasks
    from warehouse.db import open_db

    params = {"period": period, "level": level, "k_min": k_min, "exact": exact,
              "out_file": None if out_file is None else str(out_file.resolve())}
    client = server_or_none(db)
    with user_errors():
        if client is not None:
            result = client.run_job("estimate", params)["result"]
        else:
            with open_db(db, read_only=True) as database:
                result = tasks.estimate(database, **params)
    frame = table_frame(result)
    if json:
        print_json(frame)
        return
    if frame.height == 0:
        out.print(f"no {level} estimates for {period}")
        return
    # most telling first: what does not fit the terminal is left out, named (--out/--json have all)
    shown = frame.select("unit_id", pl.col("respondents").alias("n"), "mean", "ci_low", "ci_high", "se",
                         "suppressed", "shrunk", "rr3", pl.col("p_satisfied").alias("p_sat"),
                         pl.col("reliability").alias("rel"))
    print_frame(shown.with_columns([shown[c].round(1) for c in ("mean", "ci_low", "ci_high", "shrunk")]
                                   + [shown["se"].round(2)]
                                   + [shown[c].round(3) for c in ("p_sat", "rr3", "rel")]),
                title=f"satisfaction {period} by {level}")
    if out_file is not None:
        out.print(f"wrote {frame.height:,} rows to {out_file}")


@responses_app.command("import")
def responses_import(
    file: Annotated[Path, typer.Argument(help="CSV or Excel file: token, answers per item, optional channel / disposition.")],
    channel: Annotated[str, typer.Option("--channel", help="Channel of rows that do not name one: phone | paper.")] = "paper",
    entered_by: Annotated[str | None, typer.Option("--entered-by", help="Staff member who keyed the answers in.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Import phone / paper answers through the same rules as the web form (录入电话/纸质问卷)."""
    from dashboard.jobs import tasks
    from warehouse.db import open_db

    params = {"file": str(file.resolve()), "channel": channel, "entered_by": entered_by}
    client = server_or_none(db)
    with user_errors(), steps_bar("importing answers", enabled=not json) as steps:
        if client is not None:
            result = client.run_job("responses_import", params, steps)["result"]
        else:
            with open_db(db) as database:
                result = tasks.responses_import(database, **params, steps=steps)
    results = table_frame(result)
    counts = results.group_by("status").len("rows").sort("status")
    if json:
        print_json({"file": str(file), "counts": dict(counts.iter_rows()), "rows": results})
        return
    print_frame(counts, title=f"{file.name}: {results.height} rows")
    rejected = results.filter(results["status"] == "rejected")
    if rejected.height:
        print_frame(rejected, title="rejected rows", limit=50)
