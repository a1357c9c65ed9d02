"""Parquet snapshots of the whole database, and verified restores.

A backup directory holds one Parquet file per table and `manifest.json` with the
schema version, row counts and an order-independent content hash per table. The
hash is computed in DuckDB over whole tables: for every row `hash(row)`, then the
count, the XOR and the sum (mod 2^64) of those hashes, so it does not depend on row
order and is vectorised. `restore` loads a snapshot into a new database file and
refuses, with a one-line message and no file left behind, a backup whose manifest
is missing or altered, whose files are missing, truncated or altered, or whose
schema version differs from this gridscore's.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.db import Database, open_db
from warehouse.errors import BackupError

MANIFEST = "manifest.json"
FORMAT = "gridscore-backup/1"

Progress = Callable[[str, float], None]

FINGERPRINT_SQL = """
WITH row_hashes AS (
    SELECT hash(t) AS h FROM {source} AS t
)
SELECT
    count(*) AS rows,
    coalesce(bit_xor(h), 0) AS xor_hash,
    coalesce(sum(h::HUGEINT) % 18446744073709551616, 0)::UBIGINT AS sum_hash
FROM row_hashes
"""


@dataclass(frozen=True)
class TableFingerprint:
    """Row count and order-independent content hash of one table."""

    table: str
    rows: int
    hash: str


@dataclass(frozen=True)
class Manifest:
    """What a backup directory holds."""

    format: str
    schema_version: int
    created_at: str
    duckdb_version: str
    tables: tuple[TableFingerprint, ...]

    def to_json(self) -> str:
        """The manifest as pretty JSON."""
        payload = asdict(self)
        payload["tables"] = [asdict(t) for t in self.tables]
        return json.dumps(payload, ensure_ascii=False, indent=2) + "\n"


def fingerprint(cur: duckdb.DuckDBPyConnection, source: str, *, table: str) -> TableFingerprint:
    """Row count and content hash of `source` (a table name or a `read_parquet(...)` call)."""
    rows, xor_hash, sum_hash = cur.execute(FINGERPRINT_SQL.format(source=source)).fetchone()
    return TableFingerprint(table=table, rows=int(rows), hash=f"{int(sum_hash):016x}{int(xor_hash):016x}")


def list_tables(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """The base tables of the database, in a stable order (metadata order, then by name)."""
    from warehouse.schema import metadata

    present = {
        r[0]
        for r in cur.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' AND table_type = 'BASE TABLE'"
        ).fetchall()
    }
    ordered = [t.name for t in metadata.sorted_tables if t.name in present]
    return ordered + sorted(present - set(ordered))


def table_fingerprints(db: Database) -> dict[str, TableFingerprint]:
    """Fingerprint of every table of `db` (one consistent snapshot)."""
    cur = db.cursor()
    try:
        cur.execute("BEGIN TRANSACTION")
        result = {t: fingerprint(cur, _quote(t), table=t) for t in list_tables(cur)}
        cur.execute("COMMIT")
        return result
    finally:
        cur.close()


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(path: Path) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def backup(db: Database, out_dir: str | os.PathLike[str], *, progress: Progress | None = None) -> Manifest:
    """Write a Parquet snapshot of every table and `manifest.json` into `out_dir`.

    The snapshot is taken inside one transaction (a consistent view). Each file is
    read back and fingerprinted; it must match the live table, so a restore can
    verify it. The manifest is written last: a directory without one is partial.

    Raises:
        BackupError: `out_dir` exists and is not empty, or a file cannot be written.
    """
    report = progress or (lambda _stage, _fraction: None)
    out = Path(out_dir)
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"backup directory {out} is not empty; choose a new directory")
    out.mkdir(parents=True, exist_ok=True)
    cur = db.cursor()
    version = int(cur.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0])
    fingerprints: list[TableFingerprint] = []
    try:
        cur.execute("BEGIN TRANSACTION")
        tables = list_tables(cur)
        for i, table in enumerate(tables):
            path = out / f"{table}.parquet"
            cur.execute(
                f"COPY (SELECT * FROM {_quote(table)}) TO {_literal(path)} "
                "(FORMAT parquet, COMPRESSION zstd)"
            )
            live = fingerprint(cur, _quote(table), table=table)
            stored = fingerprint(cur, f"read_parquet({_literal(path)})", table=table)
            if stored != live:
                raise BackupError(f"table {table} does not survive a Parquet round trip; backup aborted")
            fingerprints.append(live)
            report("backup", (i + 1) / len(tables))
        cur.execute("COMMIT")
    except duckdb.Error as exc:
        raise BackupError(f"cannot write backup to {out}: {str(exc).splitlines()[0]}") from None
    finally:
        cur.close()
    manifest = Manifest(
        format=FORMAT,
        schema_version=version,
        created_at=datetime.now(UTC).replace(microsecond=0).isoformat(),
        duckdb_version=duckdb.__version__,
        tables=tuple(fingerprints),
    )
    (out / MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
    return manifest


def read_manifest(snapshot: str | os.PathLike[str]) -> Manifest:
    """Parse and check the shape of a backup's manifest.

    Raises:
        BackupError: no manifest, not JSON, or fields missing or of the wrong type.
    """
    path = Path(snapshot) / MANIFEST
    if not Path(snapshot).is_dir():
        raise BackupError(f"backup directory {snapshot} does not exist")
    if not path.exists():
        raise BackupError(f"{snapshot} is not a complete backup: {MANIFEST} is missing")
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        tables = tuple(
            TableFingerprint(table=str(t["table"]), rows=int(t["rows"]), hash=str(t["hash"]))
            for t in raw["tables"]
        )
        manifest = Manifest(
            format=str(raw["format"]),
            schema_version=int(raw["schema_version"]),
            created_at=str(raw["created_at"]),
            duckdb_version=str(raw["duckdb_version"]),
            tables=tables,
        )
    except (ValueError, KeyError, TypeError) as exc:
        raise BackupError(f"backup manifest {path} is damaged ({type(exc).__name__}: {exc})") from None
    if manifest.format != FORMAT:
        raise BackupError(f"backup manifest {path} has unknown format {manifest.format!r}")
    return manifest


def _precheck(snapshot: Path, manifest: Manifest, expected_tables: list[str], version: int) -> None:
    """Refuse before anything is written: version, table list, files and row counts."""
    if manifest.schema_version != version:
        raise BackupError(
            f"backup has schema version {manifest.schema_version} but this gridscore creates "
            f"version {version}; restore it with a matching gridscore"
        )
    listed = [t.table for t in manifest.tables]
    missing = sorted(set(expected_tables) - set(listed))
    if missing:
        raise BackupError(f"partial backup: table {missing[0]} is not in the manifest ({len(missing)} missing)")
    unknown = sorted(set(listed) - set(expected_tables))
    if unknown:
        raise BackupError(f"backup holds table {unknown[0]} that this schema does not have")
    con = duckdb.connect()
    try:
        for t in manifest.tables:
            path = snapshot / f"{t.table}.parquet"
            if not path.exists():
                raise BackupError(f"partial backup: file {path.name} is missing")
            try:
                rows = con.execute(f"SELECT count(*) FROM read_parquet({_literal(path)})").fetchone()[0]
            except duckdb.Error:
                raise BackupError(f"backup file {path.name} is damaged (not readable Parquet)") from None
            if rows != t.rows:
                raise BackupError(
                    f"backup file {path.name} has {rows} rows but the manifest says {t.rows}; "
                    "the backup is partial or altered"
                )
    finally:
        con.close()


def restore(
    snapshot: str | os.PathLike[str],
    db_path: str | os.PathLike[str],
    *,
    progress: Progress | None = None,
) -> Manifest:
    """Restore a backup directory into a new database file, verifying every table.

    The data is loaded into a temporary file inside one transaction; each table's
    count and content hash must equal the manifest's before the file is committed
    and renamed to `db_path`. On any refusal nothing is left at `db_path`.

    Raises:
        BackupError: `db_path` exists; the backup is missing, partial, altered or of
            another schema version (the message names the table or file).
    """
    from warehouse.migrations import all_migrations

    report = progress or (lambda _stage, _fraction: None)
    src = Path(snapshot)
    target = Path(db_path)
    if target.exists():
        raise BackupError(f"database {target} already exists; restore only into a new file")
    manifest = read_manifest(src)
    version = max(m.version for m in all_migrations())
    temp = target.with_name(f".{target.name}.restoring-{os.getpid()}")
    _remove(temp)
    try:
        with open_db(temp) as db:
            cur = db.cursor()
            _precheck(src, manifest, list_tables(cur), version)
            try:
                cur.execute("BEGIN TRANSACTION")
                cur.execute("DELETE FROM schema_migrations")
                for i, t in enumerate(manifest.tables):
                    path = src / f"{t.table}.parquet"
                    cur.execute(
                        f"INSERT INTO {_quote(t.table)} BY NAME SELECT * FROM read_parquet({_literal(path)})"
                    )
                    got = fingerprint(cur, _quote(t.table), table=t.table)
                    if got != t:
                        cause = (
                            "the backup was altered"
                            if manifest.duckdb_version == duckdb.__version__
                            else f"the backup was altered, or DuckDB {manifest.duckdb_version} (backup) "
                            f"and {duckdb.__version__} (here) hash rows differently"
                        )
                        raise BackupError(
                            f"backup file {path.name} does not match the manifest "
                            f"(rows {got.rows} vs {t.rows}, hash {got.hash[:12]}… vs {t.hash[:12]}…); {cause}"
                        )
                    report("restore", (i + 1) / len(manifest.tables))
                cur.execute("COMMIT")
            except duckdb.Error as exc:
                raise BackupError(
                    f"backup {src} cannot be loaded: {str(exc).splitlines()[0]}"
                ) from None
            finally:
                cur.close()
            db.checkpoint()
        temp.rename(target)
    except BaseException:
        _remove(temp)
        raise
    return manifest


def _remove(path: Path) -> None:
    for p in (path, path.with_name(path.name + ".wal")):
        if p.exists():
            p.unlink()
