"""The survey team's token file: the one place where identity meets tokens.

`write_token_file` joins the plain tokens of a fresh sample to the contact details
in `household_identities`; `write_followup_file` does the same for the households
drawn for a non-response follow-up (`surveys.followup`). `_contacts` is the only function in gridscore's survey
and scoring code that reads that table (a test enforces it).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from surveys.errors import SurveyError
from warehouse.db import Database, fetch_pl
from warehouse.safe_cells import write_csv, write_xlsx

COLUMNS = ["token", "grid_id", "contact_name", "phone", "address", "expires_at"]
FOLLOWUP_COLUMNS = ["grid_id", "followup_rank", "contact_name", "phone", "address", "disposition", "weight"]


def _contacts(db: Database, household_ids: pl.DataFrame) -> pl.DataFrame:
    """Contact details of the given households (the only reader of household_identities)."""
    cur = db.cursor()
    try:
        cur.register("_wanted", household_ids.select("household_id"))
        return fetch_pl(
            cur,
            """SELECT w.household_id, i.contact_name, i.phone, i.address
               FROM _wanted w LEFT JOIN household_identities i USING (household_id)""",
        )
    finally:
        cur.close()


def token_file_frame(db: Database, tokens: pl.DataFrame) -> pl.DataFrame:
    """Tokens with grid and contact details, sorted by grid (no household id in the output)."""
    contacts = _contacts(db, tokens)
    return (
        tokens.join(contacts, on="household_id", how="left")
        .sort("grid_id", "token")
        .select(COLUMNS)
    )


def write_token_file(db: Database, tokens: pl.DataFrame, path: str | Path) -> int:
    """Write the survey team's token file (.csv or .xlsx); return the number of rows.

    Args:
        db: database holding `household_identities`.
        tokens: `Sample.tokens` (invitation_id, grid_id, household_id, token, expires_at).
        path: output file; the suffix picks the format.

    Raises:
        SurveyError: unsupported suffix.
    """
    frame = token_file_frame(db, tokens)
    _write(frame, Path(path), worksheet="tokens", what="token file")
    return frame.height


def write_followup_file(db: Database, followup: pl.DataFrame, path: str | Path) -> int:
    """Write the survey team's follow-up list (.csv or .xlsx); return the number of rows.

    One row per household to contact again, with its contact details (match them
    to the token file to find its token), disposition so far and weight.

    Args:
        db: database holding `household_identities`.
        followup: `surveys.followup.draw_followup` output.
        path: output file; the suffix picks the format.

    Raises:
        SurveyError: unsupported suffix.
    """
    frame = followup.join(_contacts(db, followup), on="household_id", how="left").select(FOLLOWUP_COLUMNS)
    _write(frame, Path(path), worksheet="followup", what="follow-up file")
    return frame.height


def _write(frame: pl.DataFrame, out: Path, *, worksheet: str, what: str) -> None:
    """Write `frame` as .csv or .xlsx by the suffix of `out` (text neutralised: no formulas)."""
    suffix = out.suffix.lower()
    if suffix == ".csv":
        write_csv(frame, out)
    elif suffix == ".xlsx":
        write_xlsx(frame, out, worksheet=worksheet)
    else:
        raise SurveyError(f"{what} must end in .csv or .xlsx (got {out.name})")
