"""The one-time re-recording of a create_all-era ledger as the frozen baseline.

Databases made before the baseline hold six ledger rows (versions 1-6: core, surveys,
scoring, auth, synthetic, survey_salts) whose checksums are of files that no longer
exist. Their tables are exactly the baseline's when the database reached version 6, so
the first writable open checks that (tables, columns, types, constraints; comments are
not compared) and, in one transaction, replaces the six rows with the baseline's row.
Nothing else in the database changes. It logs a warning that says so; a database that
differs from the baseline, or stopped before version 6, is refused with the reason.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import duckdb

from warehouse.errors import MigrationError
from warehouse.migrations.shape import diff_shapes, read_shape

if TYPE_CHECKING:
    from warehouse.db import Database
    from warehouse.migrations import Migration

log = logging.getLogger(__name__)

LEGACY_ROWS = {1: "core", 2: "surveys", 3: "scoring", 4: "auth", 5: "synthetic", 6: "survey_salts"}
"""The create_all-era migrations (version: name), replaced by `m006_baseline`."""


def is_legacy(rows: list[tuple[int, str, str]]) -> bool:
    """Whether a ledger (version, name, checksum rows) is from before the baseline."""
    return bool(rows) and all(LEGACY_ROWS.get(v) == n for v, n, _ in rows)


def baseline_shape(baseline: Migration):
    """The shape a fresh database gets from the baseline alone (built in memory)."""
    conn = duckdb.connect()
    try:
        baseline.apply(conn)
        return read_shape(conn)
    finally:
        conn.close()


def rerecord(db: Database, code: list[Migration], rows: list[tuple[int, str, str]], *,
             baseline_version: int) -> bool:
    """Re-record a create_all-era ledger as the baseline; return whether it did.

    `rows` is the ledger as read (`migrations.ledger`); the caller passes it and the
    baseline version in, so this module does not import its package (an import circle).

    Raises:
        MigrationError: the ledger stops before version 6, or the tables differ from
            the baseline (the first differences are named).
    """
    if not is_legacy(rows):
        return False
    top = rows[-1][0]
    if top < baseline_version:
        raise MigrationError(
            f"database {db.path} is at schema version {top}, from before the frozen baseline "
            f"({baseline_version}); bring it to version {baseline_version} with a gridscore from "
            "before the baseline, or re-create it (`gridscore init`) and ingest again"
        )
    baseline = next(m for m in code if m.version == baseline_version)
    cur = db.cursor()
    try:
        diffs = diff_shapes(
            read_shape(cur), baseline_shape(baseline), names=("database", "baseline"), comments=False
        )
    finally:
        cur.close()
    diffs = [d for d in diffs if "schema_migrations" not in d]
    if diffs:
        shown = "; ".join(diffs[:5]) + (f"; … {len(diffs) - 5} more" if len(diffs) > 5 else "")
        raise MigrationError(
            f"database {db.path} records schema version {baseline_version} (create_all era) but "
            f"its tables differ from the frozen baseline: {shown}; restore it from a backup "
            "into a new file or re-create it"
        )
    with db.transaction() as tx:
        tx.execute("DELETE FROM schema_migrations WHERE version <= ?", [baseline_version])
        tx.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, ?, ?)",
            [baseline.version, baseline.name, baseline.checksum, datetime.now(UTC).replace(tzinfo=None)],
        )
    log.warning(
        "database %s: schema ledger re-recorded once: create_all-era migrations 1-6 are now "
        "the frozen baseline %s (tables unchanged)", db.path, baseline.label,
    )
    return True
