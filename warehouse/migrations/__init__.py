"""Recorded, frozen, versioned schema migrations (how to add one: docs/migrations.md).

A migration is a file `mNNN_<name>.py` in this package (version NNN, name from the file
name) holding its own SQL in `DDL` and, for data steps, an optional `upgrade(cur)` that
runs after the DDL. Migrations never read the live table definitions in
`warehouse/schema*.py`: once applied anywhere a migration is frozen text, and the sha256 of
its file is stored in `schema_migrations` and verified at every open. `m006_baseline` is
the frozen schema of version 6; everything after it is a later migration.

`migrate` checks the ledger against the code (no newer version, no unknown or changed
migration), re-records a create_all-era ledger once (`legacy`), then applies each pending
migration in its own transaction: DDL, `upgrade`, and the ledger row commit together or
not at all.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import duckdb

from warehouse.errors import MigrationError

if TYPE_CHECKING:
    from warehouse.db import Database

LEDGER_DDL = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name VARCHAR NOT NULL,
    checksum VARCHAR NOT NULL,
    applied_at TIMESTAMP NOT NULL
)
"""

FILE_NAME = re.compile(r"^m(\d{3,})_([a-z0-9_]+)\.py$")
"""A migration's file name: `m` + version (three digits or more) + `_` + name."""

BASELINE_VERSION = 6
"""The frozen baseline (`m006_baseline.py`): the schema every database starts from."""

HERE = Path(__file__).parent


@dataclass(frozen=True)
class Migration:
    """One schema step: version and name (from its file name), file checksum and module."""

    version: int
    name: str
    checksum: str
    module: ModuleType

    @property
    def label(self) -> str:
        """The file name without `.py`, e.g. `m006_baseline` (used in messages)."""
        return f"m{self.version:03d}_{self.name}"

    def apply(self, cur: duckdb.DuckDBPyConnection) -> None:
        """Run the migration's DDL, then its `upgrade(cur)` if it has one."""
        ddl = getattr(self.module, "DDL", "")
        if ddl.strip():
            cur.execute(ddl)
        upgrade = getattr(self.module, "upgrade", None)
        if upgrade is not None:
            upgrade(cur)


def checksum(path: Path) -> str:
    """sha256 prefix of a migration file (line endings normalised)."""
    return hashlib.sha256(path.read_bytes().replace(b"\r\n", b"\n")).hexdigest()[:16]


def all_migrations(directory: Path | None = None) -> list[Migration]:
    """The migrations in `directory` (default: this package), ordered by version.

    Raises:
        MigrationError: two files share a version, or a migration has neither `DDL`
            nor `upgrade`.
    """
    folder = directory or HERE
    found: list[Migration] = []
    for path in sorted(folder.glob("m*.py")):
        match = FILE_NAME.match(path.name)
        if match is None:
            continue
        if directory is None:
            module = importlib.import_module(f"{__name__}.{path.stem}")
        else:
            spec = importlib.util.spec_from_file_location(f"_migration_{abs(hash(path))}", path)
            assert spec is not None and spec.loader is not None
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
        if not hasattr(module, "DDL") and not hasattr(module, "upgrade"):
            raise MigrationError(f"migration {path.name} has neither DDL nor upgrade()")
        found.append(Migration(int(match.group(1)), match.group(2), checksum(path), module))
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"duplicate migration versions: {versions}")
    return found


def _has_ledger(cur: duckdb.DuckDBPyConnection) -> bool:
    return bool(
        cur.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE schema_name = 'main' "
            "AND table_name = 'schema_migrations'"
        ).fetchone()[0]
    )


def ledger(db: Database) -> list[tuple[int, str, str]]:
    """The recorded (version, name, checksum) rows, oldest first ([] without a ledger)."""
    cur = db.cursor()
    try:
        if not _has_ledger(cur):
            return []
        rows = cur.execute(
            "SELECT version, name, checksum FROM schema_migrations ORDER BY version"
        ).fetchall()
        return [(int(v), str(n), str(c)) for v, n, c in rows]
    finally:
        cur.close()


def applied_versions(db: Database) -> dict[int, str]:
    """Versions recorded in the database, with their names."""
    return {v: n for v, n, _ in ledger(db)}


def schema_version(db: Database) -> int:
    """Highest applied migration version (0 for an empty database)."""
    return max(applied_versions(db), default=0)


def verify(db: Database, code: list[Migration] | None = None) -> None:
    """Check the ledger against the shipped migrations; write nothing.

    A create_all-era ledger (`legacy`) passes: the next writable open re-records it.

    Raises:
        MigrationError: the database is newer than this code; a recorded migration is unknown here, has another name, or its
            file changed since it was applied (the message names the migration).
    """
    from warehouse.migrations import legacy

    code = all_migrations() if code is None else code
    rows = ledger(db)
    if not rows or legacy.is_legacy(rows):
        return
    newest = max((m.version for m in code), default=0)
    if rows[-1][0] > newest:
        raise MigrationError(
            f"database schema version {rows[-1][0]} is newer than this gridscore ({newest}); upgrade gridscore"
        )
    by_version = {m.version: m for m in code}
    for version, name, stored in rows:
        m = by_version.get(version)
        if m is None or m.name != name:
            raise MigrationError(
                f"database {db.path} records migration {version} {name!r}, which this gridscore "
                f"does not ship ({m.label + '.py' if m else 'no file with that version'}); "
                "open it with the gridscore that applied it"
            )
        if m.checksum != stored:
            raise MigrationError(
                f"migration {m.label}.py changed after it was applied to {db.path} "
                f"(checksum recorded {stored}, file now {m.checksum}); applied migrations are "
                "frozen: restore the file and put the change in a new migration (docs/migrations.md)"
            )


def migrate(
    db: Database, *, migrations: list[Migration] | None = None, target: int | None = None
) -> list[int]:
    """Verify the ledger, then apply pending migrations up to `target` (default: all).

    Returns the versions applied now. `migrations` replaces the shipped list (tests).

    Raises:
        MigrationError: as `verify`; a pending migration older than an
            applied one; a migration whose SQL fails (nothing of it is kept).
    """
    from warehouse.migrations import legacy

    code = all_migrations() if migrations is None else migrations
    db.conn.execute(LEDGER_DDL)
    legacy.rerecord(db, code, ledger(db), baseline_version=BASELINE_VERSION)
    verify(db, code)
    done = applied_versions(db)
    newest_done = max(done, default=0)
    applied: list[int] = []
    for m in code:
        if m.version in done or (target is not None and m.version > target):
            continue
        if m.version < newest_done:
            raise MigrationError(
                f"migration {m.label}.py is not applied but later migration {newest_done} is; "
                "a new migration needs a version above every existing one"
            )
        try:
            with db.transaction() as cur:
                m.apply(cur)
                cur.execute(
                    "INSERT INTO schema_migrations VALUES (?, ?, ?, ?)",
                    [m.version, m.name, m.checksum, datetime.now(UTC).replace(tzinfo=None)],
                )
        except duckdb.Error as exc:
            raise MigrationError(
                f"migration {m.label}.py failed on {db.path}, nothing of it was kept: "
                f"{str(exc).splitlines()[0]}"
            ) from None
        applied.append(m.version)
        newest_done = m.version
    return applied
