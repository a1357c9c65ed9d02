"""The warehouse's exception root: every user-facing failure of this layer is one."""

from __future__ import annotations


class WarehouseError(Exception):
    """Root of warehouse errors; the message is written for the user (one line)."""


class DatabaseLockedError(WarehouseError):
    """Another process holds the database file for writing."""


class ReadOnlyError(WarehouseError):
    """A write was attempted on a database opened read-only."""


class IngestError(WarehouseError):
    """A file cannot be ingested at all (unparseable, wrong kind, missing column)."""


class BackupError(WarehouseError):
    """A backup cannot be written or a snapshot cannot be restored."""


class MigrationError(WarehouseError):
    """The schema ledger and the shipped migrations disagree, or a migration failed."""
