"""Recorded, versioned schema migrations.

Each migration is a module `mNNN_<name>.py` in this package with `VERSION`, `NAME`
and `upgrade(db)`. `migrate` applies the pending ones in order, each in its own
transaction, and records it in `schema_migrations`. Creation is idempotent
(`checkfirst`), so re-running on a current database changes nothing.
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import pkgutil
from dataclasses import dataclass
from datetime import UTC, datetime
from types import ModuleType
from typing import TYPE_CHECKING

from warehouse.errors import WarehouseError

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


@dataclass(frozen=True)
class Migration:
    """One schema step: its version, name, source checksum and module."""

    version: int
    name: str
    checksum: str
    module: ModuleType


def all_migrations() -> list[Migration]:
    """The migrations shipped with this code, ordered by version (versions unique)."""
    found: list[Migration] = []
    for info in pkgutil.iter_modules(__path__):
        if not info.name.startswith("m"):
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        source = inspect.getsource(module).encode()
        found.append(
            Migration(module.VERSION, module.NAME, hashlib.sha256(source).hexdigest()[:16], module)
        )
    found.sort(key=lambda m: m.version)
    versions = [m.version for m in found]
    if len(set(versions)) != len(versions):
        raise WarehouseError(f"duplicate migration versions: {versions}")
    return found


def applied_versions(db: Database) -> dict[int, str]:
    """Versions recorded in the database, with their names."""
    db.conn.execute(LEDGER_DDL)
    rows = db.conn.execute("SELECT version, name FROM schema_migrations").fetchall()
    return dict(rows)


def schema_version(db: Database) -> int:
    """Highest applied migration version (0 for an empty database)."""
    return max(applied_versions(db), default=0)


def migrate(db: Database) -> list[int]:
    """Apply pending migrations; return the versions applied now."""
    done = applied_versions(db)
    code = all_migrations()
    newest = max((m.version for m in code), default=0)
    if done and max(done) > newest:
        raise WarehouseError(
            f"database schema version {max(done)} is newer than this gridscore ({newest}); upgrade gridscore"
        )
    applied: list[int] = []
    for m in code:
        if m.version in done:
            continue
        with db.engine.begin() as conn:
            m.module.upgrade(conn)
        db.conn.execute(
            "INSERT INTO schema_migrations VALUES (?, ?, ?, ?)",
            [m.version, m.name, m.checksum, datetime.now(UTC).replace(tzinfo=None)],
        )
        applied.append(m.version)
    return applied
