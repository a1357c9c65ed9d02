"""The hash-chained audit log and its verification.

Every run, finalisation, veto action and appeal appends a row whose hash is
sha256(previous hash + canonical row). Runs also record a digest of their score tables,
so `verify` detects both an edited audit row (the chain breaks) and an edited score row
(the table digest no longer matches the last audited one).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import duckdb
import polars as pl

from warehouse.db import Database, fetch_pl

GENESIS = "0" * 64
RUN_TABLES = ("score_workers", "score_units", "score_indicators", "score_adjustments", "score_uncertainty")
RUN_TABLE_KEYS: dict[str, tuple[str, ...]] = {
    "score_workers": ("worker_id",),
    "score_units": ("level", "unit_id"),
    "score_indicators": ("level", "subject_id", "item"),
    "score_adjustments": ("level", "subject_id", "kind", "item", "event", "evidence_id"),
    "score_uncertainty": ("level", "subject_id"),
}


@dataclass(frozen=True)
class AuditReport:
    """Result of `verify`: ok when the chain and every run's tables check out."""

    ok: bool
    rows: int
    runs_checked: int
    problems: tuple[str, ...]


def first_row(cur: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> tuple | None:
    """First row of a query, reading the result to the end (DuckDB 2 needs results finished)."""
    rows = cur.execute(sql, params or []).fetchall()
    return rows[0] if rows else None


def canonical(value: Any) -> str:
    """Canonical JSON (sorted keys, no spaces, UTF-8 kept) used for hashing."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def row_hash(prev_hash: str, row: dict[str, Any]) -> str:
    """sha256(prev_hash + canonical row)."""
    return hashlib.sha256((prev_hash + canonical(row)).encode()).hexdigest()


def now() -> datetime:
    """Current UTC time, naive (as stored), to the microsecond."""
    return datetime.now(UTC).replace(tzinfo=None)


def table_digest(cur: duckdb.DuckDBPyConnection, table: str, run_id: str) -> str:
    """sha256 of one run's rows of a score table, in key order, run_id excluded."""
    order = ", ".join(RUN_TABLE_KEYS[table])
    frame = fetch_pl(cur, f"SELECT * EXCLUDE (run_id) FROM {table} WHERE run_id = ? ORDER BY {order}", [run_id])
    return hashlib.sha256(frame.write_csv().encode()).hexdigest()


def run_digests(cur: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, str]:
    """Digest of each score table of a run."""
    return {t: table_digest(cur, t, run_id) for t in RUN_TABLES}


def append(cur: duckdb.DuckDBPyConnection, *, actor: str, action: str, entity: str, entity_id: str,
           payload: dict[str, Any]) -> str:
    """Append one audit row (call inside the caller's transaction); returns its hash."""
    last = first_row(cur, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1")
    seq, prev = (0, GENESIS) if last is None else (last[0], last[1])
    at = now()
    row = {"seq": seq + 1, "logged_at": at.isoformat(), "actor": actor, "action": action,
           "entity": entity, "entity_id": entity_id, "payload": canonical(payload)}
    h = row_hash(prev, row)
    cur.execute(
        "INSERT INTO audit_log (seq, logged_at, actor, action, entity, entity_id, payload, prev_hash, hash) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [seq + 1, at, actor, action, entity, entity_id, row["payload"], prev, h],
    )
    return h


def log(db: Database) -> pl.DataFrame:
    """The audit log, oldest first."""
    return db.query("SELECT * FROM audit_log ORDER BY seq")


def verify(db: Database) -> AuditReport:
    """Check the hash chain and that every run's score tables match their last audited digests.

    Returns:
        AuditReport with one problem line per broken row or table (empty when ok).
    """
    problems: list[str] = []
    rows = log(db)
    prev = GENESIS
    expected_seq = 1
    latest_digest: dict[str, dict[str, str]] = {}
    for r in rows.iter_rows(named=True):
        if r["seq"] != expected_seq:
            problems.append(f"audit_log seq {expected_seq}: missing (chain jumps to {r['seq']})")
            expected_seq = r["seq"]
        row = {"seq": r["seq"], "logged_at": r["logged_at"].isoformat(), "actor": r["actor"],
               "action": r["action"], "entity": r["entity"], "entity_id": r["entity_id"], "payload": r["payload"]}
        if r["prev_hash"] != prev:
            problems.append(f"audit_log seq {r['seq']}: prev_hash does not match the previous row")
        if row_hash(r["prev_hash"], row) != r["hash"]:
            problems.append(f"audit_log seq {r['seq']}: hash does not match the row's content (row edited)")
        prev = r["hash"]
        expected_seq += 1
        try:
            payload = json.loads(r["payload"])
        except json.JSONDecodeError:
            problems.append(f"audit_log seq {r['seq']}: payload is not valid JSON")
            continue
        if r["entity"] == "score_run" and isinstance(payload, dict) and "digests" in payload:
            latest_digest[r["entity_id"]] = payload["digests"]
    cur = db.cursor()
    try:
        runs = [x[0] for x in cur.execute("SELECT run_id FROM score_runs ORDER BY run_id").fetchall()]
        for run_id in runs:
            if run_id not in latest_digest:
                problems.append(f"run {run_id}: no audit entry (run inserted outside gridscore)")
                continue
            now_digests = run_digests(cur, run_id)
            for table, digest in sorted(latest_digest[run_id].items()):
                if now_digests.get(table) != digest:
                    problems.append(f"run {run_id}: {table} differs from the audited digest (rows edited or deleted)")
        for run_id in sorted(set(latest_digest) - set(runs)):
            problems.append(f"run {run_id}: audited but missing from score_runs (deleted)")
    finally:
        cur.close()
    return AuditReport(ok=not problems, rows=rows.height, runs_checked=len(runs), problems=tuple(problems))
