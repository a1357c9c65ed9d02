"""Ingest one file: read, validate in bulk, store good rows + batch + rejects atomically.

The batch id is sha256(kind, file bytes): the same file loaded again is reported
as already loaded and changes nothing. Rows whose natural key is already stored
with identical content (the same rows in another file) are counted as accepted
but not inserted again; a row whose key is stored with *different* content is
rejected ("key exists with different content"): ingest never overwrites.
"""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import polars as pl

from warehouse.db import Database, fetch_pl
from warehouse.errors import IngestError
from warehouse.ingest.read import RawFile, file_format, read_raw
from warehouse.ingest.specs import KindSpec, get_spec
from warehouse.ingest.validate import BAD, SRC, TYPED, collect_rejects, empty_rejects, run_checks


@dataclass(frozen=True)
class IngestResult:
    """What happened to one file.

    Attributes:
        kind: entity kind.
        file: the file's path as given.
        batch_id: sha256 of kind and file bytes.
        read: data rows read (blank rows skipped).
        accepted: good rows (inserted, or already stored with the same content).
        rejected: rows refused (each has ≥ 1 entry in `rejects`); accepted + rejected = read.
        already_loaded: this exact file was loaded before (nothing changed now).
        rejects: one row per (row_number, column, value, reason).
        inserted: rows newly stored by this load.
        examples_skipped: template example rows dropped before reading (never loaded,
            not counted in `read`).
    """

    kind: str
    file: str
    batch_id: str
    read: int
    accepted: int
    rejected: int
    already_loaded: bool
    rejects: pl.DataFrame = field(default_factory=empty_rejects, compare=False)
    inserted: int = 0
    examples_skipped: int = 0

    @property
    def unchanged(self) -> int:
        """Accepted rows that were already stored with the same content."""
        return self.accepted - self.inserted

    def summary(self) -> dict[str, object]:
        """JSON-ready summary: read/accepted/rejected and the reject rows."""
        return {
            "kind": self.kind,
            "file": self.file,
            "batch_id": self.batch_id,
            "read": self.read,
            "accepted": self.accepted,
            "rejected": self.rejected,
            "inserted": self.inserted,
            "already_loaded": self.already_loaded,
            "examples_skipped": self.examples_skipped,
            "rejects": self.rejects.to_dicts(),
        }


def file_hashes(kind: str, path: Path) -> tuple[str, str]:
    """(batch_id, file_hash): sha256 of kind + NUL + bytes, and of the bytes alone."""
    batch = hashlib.sha256(kind.encode() + b"\0")
    plain = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 22), b""):
            batch.update(chunk)
            plain.update(chunk)
    return batch.hexdigest(), plain.hexdigest()


def _read_and_hash(kind: str, path: Path, spec: KindSpec) -> tuple[RawFile | IngestError, str, str]:
    """Read the file and hash it at the same time: (file read or why not, batch_id, file_hash).

    Hashing (two sha256 passes, single-threaded) runs in a thread while the file is
    parsed (polars, which releases the GIL), instead of before it. The read error is
    returned, not raised, so that a file loaded before is still reported as such.
    """
    with ThreadPoolExecutor(max_workers=1) as pool:
        hashing = pool.submit(file_hashes, kind, path)
        try:
            raw: RawFile | IngestError = read_raw(path, spec)
        except IngestError as exc:
            raw = exc
        batch_id, file_hash = hashing.result()
    return raw, batch_id, file_hash


def _previous(db: Database, kind: str, path: Path, batch_id: str) -> IngestResult | None:
    row = db.query(
        "SELECT rows_read, rows_accepted, rows_rejected FROM ingest_batches WHERE batch_id = ?",
        [batch_id],
    )
    if row.height == 0:
        return None
    rejects = db.query(
        "SELECT CAST(row_number AS BIGINT) AS row_number, column_name AS column, value, reason "
        "FROM ingest_rejects WHERE batch_id = ? ORDER BY row_number",
        [batch_id],
    )
    return IngestResult(
        kind=kind, file=str(path), batch_id=batch_id,
        read=int(row["rows_read"][0]), accepted=int(row["rows_accepted"][0]),
        rejected=int(row["rows_rejected"][0]), already_loaded=True,
        rejects=rejects if rejects.height else empty_rejects(), inserted=0,
    )


def ingest_file(
    db: Database, kind: str, path: str | Path, *, spec: KindSpec | None = None
) -> IngestResult:
    """Validate and load one CSV/Excel/Parquet file of `kind` into its table.

    Good rows, the `ingest_batches` row and the `ingest_rejects` rows are written in
    one transaction; a bad row never blocks the good ones. A file that cannot be
    read as a table of this kind is refused whole and nothing is written.

    Args:
        db: the open database (writable).
        kind: one of `warehouse.ingest.KINDS` (or the name of `spec`).
        path: the file (.csv, .xlsx/.xls, .parquet).
        spec: another layer's own kind (e.g. paper survey answers); its table must
            exist and have a `batch_id` column. Default: the registered spec of `kind`.

    Returns:
        The counts and the rejects; `already_loaded` when this exact file of this
        kind was loaded before.

    Raises:
        IngestError: unknown kind, missing or unreadable file, wrong encoding,
            missing required column, no data rows.
    """
    spec = spec or get_spec(kind)
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"file not found: {path}")
    file_format(path)
    raw, batch_id, file_hash = _read_and_hash(kind, path, spec)
    previous = _previous(db, kind, path, batch_id)
    if previous is not None:
        return previous
    if isinstance(raw, IngestError):
        raise raw
    frame = raw.frame
    schema = dict(frame.schema)
    with db.transaction() as cur:
        cur.register(SRC, frame)
        plan = run_checks(cur, spec, schema, strip=raw.format != "parquet")
        read = frame.height
        rejected = int(cur.execute(f"SELECT count(*) FROM {BAD}").fetchall()[0][0])
        rejects = collect_rejects(cur, plan.rules) if rejected else empty_rejects()
        inserted = int(cur.execute(plan.insert_sql, {"batch_id": batch_id}).fetchall()[0][0])
        if rejects.height:
            cur.register("_ing_rejects", rejects)
            cur.execute(
                "INSERT INTO ingest_rejects (batch_id, file_name, row_number, column_name, value, reason) "
                "SELECT ?, ?, row_number, \"column\", value, reason FROM _ing_rejects",
                [batch_id, path.name],
            )
            cur.unregister("_ing_rejects")
        cur.execute(
            "INSERT INTO ingest_batches (batch_id, kind, file_name, file_hash, rows_read, "
            "rows_accepted, rows_rejected, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [batch_id, kind, path.name, file_hash, read, read - rejected, rejected,
             datetime.now()],
        )
        cur.execute(f"DROP TABLE IF EXISTS {BAD}")
        cur.execute(f"DROP TABLE IF EXISTS {TYPED}")
    return IngestResult(
        kind=kind, file=str(path), batch_id=batch_id, read=read, accepted=read - rejected,
        rejected=rejected, already_loaded=False, rejects=rejects, inserted=inserted,
        examples_skipped=len(raw.examples),
    )


def stored_rejects(db: Database, batch_id: str) -> pl.DataFrame:
    """The rejects stored for a batch (row_number, column, value, reason)."""
    return fetch_pl(
        db.conn,
        "SELECT row_number, column_name AS column, value, reason FROM ingest_rejects "
        "WHERE batch_id = ? ORDER BY row_number",
        [batch_id],
    )
