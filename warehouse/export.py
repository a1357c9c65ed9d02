"""Partitioned Parquet export of the warehouse, and DuckDB views that read it back.

A city fits one DuckDB file; a province or a national roll-up is easier to move, share
and score on a cluster as a directory of Parquet files. `export_parquet` writes:

- every fact table as `DIR/<table>/year=YYYY/district=Dnn/*.parquet` (hive partitions:
  year of the event or period, district from the grid/unit/worker the row belongs to);
- the dimension tables (org tree, departments, workers and their areas, households, periods, sample
  designs) as one unpartitioned `DIR/<table>/data.parquet` each;
- `DIR/manifest.json`: schema version, and per table its columns, row count,
  partitioning and an order-independent content hash.

Personal and operational tables (household identities, sign-in, audit log, ingest
logs, score outputs, synthetic truth) are never exported. The partition columns are
derived (they are not columns of the tables), so readers drop them again:
`source_views` creates one view per table with exactly the warehouse columns, and the
metrics code runs unchanged on those views (`gridscore score-parquet --source DIR`).
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from warehouse.db import Database
from warehouse.errors import WarehouseError

MANIFEST = "manifest.json"
FORMAT = "gridscore-parquet/1"
PARTITION_COLUMNS = ("year", "district")
NO_DISTRICT = "none"

# district code (D01, D02, …) from a grid/unit id such as D01S02C03G04; dept ids (DEP…)
# do not match
_DISTRICT = "nullif(regexp_extract({col}, '^(D[0-9]+)', 1), '')"

WORKER_DISTRICT = f"""
CREATE OR REPLACE TEMP VIEW _export_worker_district AS
SELECT w.worker_id, {_DISTRICT.format(col="coalesce(w.grid_id, d.unit_id)")} AS district
FROM workers w LEFT JOIN departments d ON d.dept_id = w.dept_id
"""
DEPT_DISTRICT = f"""
CREATE OR REPLACE TEMP VIEW _export_dept_district AS
SELECT dept_id, {_DISTRICT.format(col="unit_id")} AS district FROM departments
"""


@dataclass(frozen=True)
class FactSpec:
    """How one fact table is partitioned: SQL for its year and district, plus joins."""

    year: str
    district: str
    joins: str = ""


_WD = "LEFT JOIN _export_worker_district wd ON wd.worker_id = t.worker_id"
_UNIT_OR_WORKER = f"coalesce({_DISTRICT.format(col='t.unit_id')}, wd.district)"
_PERIOD_YEAR = "left(t.period_id, 4)"

FACTS: dict[str, FactSpec] = {
    "work_records": FactSpec("strftime(t.opened_at, '%Y')", _DISTRICT.format(col="t.grid_id")),
    "skill_assessments": FactSpec(_PERIOD_YEAR, "wd.district", _WD),
    "inspections": FactSpec("strftime(t.inspected_on, '%Y')", _UNIT_OR_WORKER, _WD),
    "complaints": FactSpec("strftime(t.received_on, '%Y')", _UNIT_OR_WORKER, _WD),
    "bonus_events": FactSpec(_PERIOD_YEAR, _UNIT_OR_WORKER, _WD),
    "veto_events": FactSpec(
        _PERIOD_YEAR,
        f"coalesce({_DISTRICT.format(col='t.subject_id')}, wd.district, dd.district)",
        "LEFT JOIN _export_worker_district wd ON wd.worker_id = t.subject_id "
        "LEFT JOIN _export_dept_district dd ON dd.dept_id = t.subject_id",
    ),
    "survey_invitations": FactSpec(_PERIOD_YEAR, _DISTRICT.format(col="t.grid_id")),
    "survey_responses": FactSpec(_PERIOD_YEAR, _DISTRICT.format(col="t.grid_id")),
    "survey_answers": FactSpec(
        "left(r.period_id, 4)", _DISTRICT.format(col="r.grid_id"),
        "JOIN survey_responses r ON r.response_id = t.response_id",
    ),
    "survey_quality_flags": FactSpec(
        _PERIOD_YEAR, _DISTRICT.format(col="r.grid_id"),
        "LEFT JOIN survey_responses r ON r.response_id = t.response_id",
    ),
}
DIMENSIONS: tuple[str, ...] = (
    "org_units", "departments", "workers", "worker_areas", "households", "periods", "survey_designs",
    "survey_strata",
)
# columns never exported (a hash of a single-use token is of no use to scoring)
DROPPED_COLUMNS: dict[str, tuple[str, ...]] = {"survey_invitations": ("token_hash",)}

Progress = Callable[[str, float], None]


@dataclass(frozen=True)
class TableExport:
    """One exported table as recorded in the manifest."""

    table: str
    rows: int
    partitioned: bool
    partitions: int
    content_hash: str
    columns: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ExportSummary:
    """What `export_parquet` wrote."""

    out: str
    schema_version: int
    tables: tuple[TableExport, ...]
    rows: int
    files: int
    bytes: int
    seconds: float


def _q(path: Path | str) -> str:
    return "'" + str(path).replace("'", "''") + "'"


def _existing_tables(cur: duckdb.DuckDBPyConnection) -> set[str]:
    rows = cur.execute("SELECT table_name FROM information_schema.tables WHERE table_schema = 'main'").fetchall()
    return {r[0] for r in rows}


def _columns(cur: duckdb.DuckDBPyConnection, relation: str) -> tuple[tuple[str, str], ...]:
    rows = cur.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    return tuple((r[0], r[1]) for r in rows)


def content_hash(cur: duckdb.DuckDBPyConnection, relation: str, columns: tuple[str, ...]) -> str:
    """Order-independent sha256 of a relation's rows (same rows → same hash, any engine file layout).

    Each row's text (a struct cast to VARCHAR) is md5-hashed; the 64-bit halves are summed
    (order-independent) and the count, columns and sum are hashed again.
    """
    cols = ", ".join(f'"{c}"' for c in columns)
    n, total = cur.execute(
        f"SELECT count(*), coalesce(sum(md5_number_lower(CAST(struct_pack({cols}) AS VARCHAR))::HUGEINT), 0)"
        f" FROM (SELECT {cols} FROM {relation})"
    ).fetchone()
    return hashlib.sha256(f"{n}|{','.join(columns)}|{total}".encode()).hexdigest()


def _schema_version(cur: duckdb.DuckDBPyConnection) -> int:
    if "schema_migrations" not in _existing_tables(cur):
        return 0
    return int(cur.execute("SELECT coalesce(max(version), 0) FROM schema_migrations").fetchone()[0])


def _export_table(cur: duckdb.DuckDBPyConnection, table: str, out: Path) -> TableExport:
    dropped = DROPPED_COLUMNS.get(table, ())
    all_cols = _columns(cur, table)
    columns = tuple((c, t) for c, t in all_cols if c not in dropped)
    names = tuple(c for c, _ in columns)
    select_cols = ", ".join(f't."{c}"' for c in names)
    target = out / table
    spec = FACTS.get(table)
    if spec is None:
        target.mkdir(parents=True)
        cur.execute(f"COPY (SELECT {select_cols} FROM {table} t) TO {_q(target / 'data.parquet')} (FORMAT parquet)")
        partitions = 1
    else:
        query = (
            f"SELECT {select_cols}, coalesce(CAST({spec.year} AS VARCHAR), '0') AS year, "
            f"coalesce({spec.district}, '{NO_DISTRICT}') AS district FROM {table} t {spec.joins}"
        )
        n = cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
        if n:
            cur.execute(f"COPY ({query}) TO {_q(target)} (FORMAT parquet, PARTITION_BY (year, district))")
        else:  # an empty table still needs a file, so readers learn its columns
            empty = target / "year=0" / f"district={NO_DISTRICT}"
            empty.mkdir(parents=True)
            cur.execute(f"COPY (SELECT {select_cols} FROM {table} t LIMIT 0) TO {_q(empty / 'data.parquet')} "
                        "(FORMAT parquet)")
        partitions = sum(1 for p in target.glob("year=*/district=*") if p.is_dir())
    rows = cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    return TableExport(table=table, rows=int(rows), partitioned=spec is not None, partitions=partitions,
                       content_hash=content_hash(cur, f"{table} t", names), columns=columns)


def export_parquet(db: Database, out: str | Path, *, overwrite: bool = False,
                   progress: Progress | None = None) -> ExportSummary:
    """Write the warehouse facts and dimensions as partitioned Parquet with a manifest.

    Args:
        db: the warehouse (read-only is enough).
        out: target directory; must be empty or missing unless `overwrite`.
        overwrite: replace an earlier export in `out` (only its table folders and manifest).
        progress: optional callback (table, fraction done).

    Returns:
        ExportSummary with per-table row counts and content hashes.

    Raises:
        WarehouseError: `out` is not empty (and not overwriting) or a needed table is missing.
    """
    import time

    started = time.perf_counter()
    out = Path(out)
    report = progress or (lambda _t, _f: None)
    if out.exists() and any(out.iterdir()):
        if not overwrite:
            raise WarehouseError(f"export directory {out} is not empty (use --overwrite to replace an export)")
        if not (out / MANIFEST).exists():
            raise WarehouseError(f"export directory {out} holds files that are not a gridscore export; refusing to"
                                 " overwrite")
        for name in json.loads((out / MANIFEST).read_text(encoding="utf-8")).get("tables", {}):
            shutil.rmtree(out / name, ignore_errors=True)
        (out / MANIFEST).unlink()
    out.mkdir(parents=True, exist_ok=True)
    cur = db.cursor()
    try:
        present = _existing_tables(cur)
        wanted = [*DIMENSIONS, *FACTS]
        missing = [t for t in ("work_records", "workers", "org_units", "periods") if t not in present]
        if missing:
            raise WarehouseError(f"database has no table {missing[0]!r}; run `gridscore init` first")
        tables = [t for t in wanted if t in present]
        cur.execute(WORKER_DISTRICT)
        cur.execute(DEPT_DISTRICT)
        exported = []
        for i, table in enumerate(tables):
            report(table, i / len(tables))
            exported.append(_export_table(cur, table, out))
        version = _schema_version(cur)
    finally:
        cur.close()
    report("manifest", 1.0)
    files = [p for p in out.rglob("*.parquet")]
    manifest = {
        "format": FORMAT,
        "schema_version": version,
        "exported_at": datetime.now(UTC).replace(microsecond=0).isoformat(),
        "partition_columns": list(PARTITION_COLUMNS),
        "tables": {
            t.table: {"rows": t.rows, "partitioned": t.partitioned, "partitions": t.partitions,
                      "content_hash": t.content_hash, "columns": [list(c) for c in t.columns]}
            for t in exported
        },
    }
    (out / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return ExportSummary(
        out=str(out), schema_version=version, tables=tuple(exported), rows=sum(t.rows for t in exported),
        files=len(files), bytes=sum(p.stat().st_size for p in files),
        seconds=round(time.perf_counter() - started, 3),
    )


def read_manifest(source: str | Path) -> dict:
    """The manifest of an export directory.

    Raises:
        WarehouseError: no manifest, or not a gridscore export.
    """
    path = Path(source) / MANIFEST
    if not path.exists():
        raise WarehouseError(f"{source} is not a gridscore Parquet export (no {MANIFEST})")
    manifest = json.loads(path.read_text(encoding="utf-8"))
    if manifest.get("format") != FORMAT:
        raise WarehouseError(f"{path}: unknown export format {manifest.get('format')!r} (expected {FORMAT})")
    return manifest


def table_glob(source: str | Path, table: str) -> str:
    """Glob of a table's Parquet files inside an export directory."""
    return str(Path(source) / table / "**" / "*.parquet")


def source_views(conn: duckdb.DuckDBPyConnection, source: str | Path) -> dict:
    """Create one view per exported table on `conn`, with exactly the warehouse columns.

    Fact views read the hive-partitioned files and drop the derived `year`/`district`
    columns, so `SELECT *` over a view matches the original table. Returns the manifest.
    """
    manifest = read_manifest(source)
    for table, info in manifest["tables"].items():
        glob = _q(table_glob(source, table))
        if info["partitioned"]:
            cols = ", ".join(f'"{c}"' for c, _ in info["columns"])
            conn.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT {cols} FROM "
                         f"read_parquet({glob}, hive_partitioning = true)")
        else:
            conn.execute(f"CREATE OR REPLACE VIEW {table} AS SELECT * FROM read_parquet({glob})")
    return manifest


def open_source(source: str | Path) -> Database:
    """A fresh in-memory DuckDB whose tables are views over an export directory.

    The metrics code takes a `Database`; handed this one it reads the Parquet files
    instead of a warehouse file (nothing is written to `source`).

    Raises:
        WarehouseError: `source` is not a gridscore export.
    """
    conn = duckdb.connect(":memory:")
    try:
        source_views(conn, source)
    except BaseException:
        conn.close()
        raise
    return Database(path=str(source), read_only=True, conn=conn)


@dataclass(frozen=True)
class VerifyReport:
    """Result of `verify_export`: problems found (empty when every table matches)."""

    tables: int
    rows: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        """True when row counts and content hashes all match the manifest."""
        return not self.problems


def verify_export(source: str | Path) -> VerifyReport:
    """Re-read every table of an export and compare row counts and content hashes to the manifest."""
    db = open_source(source)
    problems = []
    rows = 0
    try:
        manifest = read_manifest(source)
        cur = db.cursor()
        for table, info in manifest["tables"].items():
            names = tuple(c for c, _ in info["columns"])
            n = cur.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            rows += n
            if n != info["rows"]:
                problems.append(f"{table}: {n} rows, manifest says {info['rows']}")
            elif content_hash(cur, table, names) != info["content_hash"]:
                problems.append(f"{table}: content hash differs from the manifest")
        cur.close()
    finally:
        db.close()
    return VerifyReport(tables=len(manifest["tables"]), rows=rows, problems=tuple(problems))
