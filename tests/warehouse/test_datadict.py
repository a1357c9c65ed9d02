"""The data dictionary: complete, commented, and the committed file up to date."""

from __future__ import annotations

from pathlib import Path

from warehouse.datadict import LEDGER_COLUMNS, LEDGER_TABLE, render, tables, undocumented
from warehouse.db import Database

DOC = Path(__file__).resolve().parents[2] / "docs" / "data-dictionary.md"


def test_datadict_every_table_and_column_has_a_comment() -> None:
    assert undocumented() == []


def test_datadict_committed_file_is_current() -> None:
    assert DOC.read_text(encoding="utf-8") == render(), (
        "docs/data-dictionary.md is stale: run `python -m warehouse.datadict > docs/data-dictionary.md`"
    )


def test_datadict_covers_every_table_in_the_database(empty_db: Database) -> None:
    in_db = set(
        empty_db.query("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'")[
            "table_name"
        ]
    )
    documented = {t.name for t in tables()} | {LEDGER_TABLE}
    assert in_db == documented
    ledger = empty_db.query(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ? ORDER BY ordinal_position",
        [LEDGER_TABLE],
    )["column_name"].to_list()
    assert tuple(ledger) == LEDGER_COLUMNS
    text = render()
    for table in documented:
        assert f"\n## {table}\n" in text
