"""The survey team's token and follow-up files: hostile contact details open as text."""

from __future__ import annotations

import csv
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from surveys.design import draw_sample
from surveys.followup import draw_followup
from surveys.tokens_file import write_followup_file, write_token_file
from tests.reliability.payloads import PAYLOADS
from warehouse.db import Database
from warehouse.safe_cells import TRIGGERS

HOSTILE = PAYLOADS + (" =1+1", "\n+SUM(1)", "＝1+1", "\t@A1")
LEADING = ("\t", "\r", "\n")


def _poison(db: Database) -> int:
    """Give every household a payload as name, phone and address; return how many."""
    ids = db.query("SELECT household_id FROM household_identities ORDER BY household_id")["household_id"].to_list()
    rows = [(HOSTILE[i % len(HOSTILE)], HOSTILE[(i + 1) % len(HOSTILE)], HOSTILE[(i + 2) % len(HOSTILE)], h)
            for i, h in enumerate(ids)]
    cur = db.cursor()
    try:
        cur.executemany("UPDATE household_identities SET contact_name = ?, phone = ?, address = ? "
                        "WHERE household_id = ?", rows)
    finally:
        cur.close()
    return len(ids)


def _cells(path: Path) -> list[str]:
    if path.suffix == ".csv":
        with path.open(encoding="utf-8", newline="") as f:
            rows = list(csv.reader(f))
        return [c for row in rows[1:] for c in row]
    book = openpyxl.load_workbook(path)
    return [c.value for s in book.worksheets for row in s.iter_rows(min_row=2) for c in row if isinstance(c.value, str)]


@pytest.mark.slow
def test_token_and_followup_files_neutralise_hostile_contacts(register_db: Database, tmp_path: Path) -> None:
    assert _poison(register_db) > len(HOSTILE)
    sample = draw_sample(register_db, "2025", seed=4)
    followup = draw_followup(register_db, "2025", seed=1, fraction=1.0)
    for suffix in ("csv", "xlsx"):
        for name, write, frame in (("tokens", write_token_file, sample.tokens),
                                   ("followup", write_followup_file, followup)):
            path = tmp_path / f"{name}.{suffix}"
            assert write(register_db, frame, path) == frame.height
            cells = _cells(path)
            quoted = [c for c in cells if c.startswith("'")]
            assert quoted, (name, suffix)  # the payloads are there, as text
            bad = [c for c in cells if c.lstrip(" \t\r\n\u3000").startswith(TRIGGERS) or c.startswith(LEADING)]
            assert not bad, (name, suffix, bad[:5])
    assert pl.read_csv(tmp_path / "tokens.csv")["token"].n_unique() == sample.tokens.height
