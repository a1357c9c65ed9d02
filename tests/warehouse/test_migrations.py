"""Frozen migrations: upgrade from every older version, checksums, atomic steps, re-recording."""

from __future__ import annotations

import ast
import logging
import shutil
from pathlib import Path

import duckdb
import pytest
import sqlalchemy as sa
from duckdb_engine import ConnectionWrapper

from warehouse.datadict import tables as live_tables
from warehouse.db import Database, open_db
from warehouse.errors import MigrationError
from warehouse.migrations import (
    BASELINE_VERSION,
    HERE,
    LEDGER_DDL,
    Migration,
    all_migrations,
    ledger,
    migrate,
)
from warehouse.migrations.legacy import LEGACY_ROWS
from warehouse.migrations.shape import diff_shapes, read_shape
from warehouse.schema import metadata

VERSIONS = [m.version for m in all_migrations()]


def shape_of(db: Database):
    cur = db.cursor()
    try:
        return read_shape(cur)
    finally:
        cur.close()


def row_counts(db: Database) -> dict[str, int]:
    names = db.query("SELECT table_name FROM duckdb_tables() WHERE NOT internal")["table_name"]
    return {t: int(db.scalar(f'SELECT count(*) FROM "{t}"')) for t in names}


def fresh(tmp_path: Path):
    """Shape and ledger of a database created from nothing by today's code."""
    with open_db(tmp_path / "fresh.duckdb") as db:
        return shape_of(db), [(v, n, c) for v, n, c in ledger(db)]


def test_baseline_is_version_6_and_every_later_migration_follows_it() -> None:
    assert VERSIONS[0] == BASELINE_VERSION == 6
    assert all(m.version > BASELINE_VERSION for m in all_migrations()[1:])


def upgrade_differences(tmp_path: Path, code: list[Migration], start: int) -> list[str]:
    """Build a database up to `start` (with a stored row), apply the rest of `code`, and
    list how it differs from one built from nothing with `code` (shape, ledger, rows)."""
    path = tmp_path / f"at{start}.duckdb"
    with open_db(path, migrate=False) as db:
        migrate(db, migrations=code, target=start)
        assert max(v for v, _, _ in ledger(db)) == start
        db.conn.execute(
            "INSERT INTO periods (period_id, kind, starts_on, ends_on) "
            "VALUES ('2025', 'year', DATE '2025-01-01', DATE '2025-12-31')"
        )
        counts = row_counts(db)
        migrate(db, migrations=code)
        upgraded, rows, after = shape_of(db), ledger(db), row_counts(db)
    with open_db(tmp_path / f"fresh{start}.duckdb", migrate=False) as db:
        migrate(db, migrations=code)
        want, want_rows = shape_of(db), ledger(db)
    out = diff_shapes(upgraded, want, names=("upgraded", "fresh"))
    if rows != want_rows:
        out.append(f"ledger {rows} (upgraded) vs {want_rows} (fresh)")
    out += [f"table {t}: {n} rows before the upgrade, {after.get(t)} after"
            for t, n in counts.items() if t != "schema_migrations" and after.get(t) != n]
    return out


@pytest.mark.parametrize("start", VERSIONS)
def test_upgrade_from_every_older_version_equals_a_fresh_database(tmp_path: Path, start: int) -> None:
    """Every shipped version, opened by today's code, ends as a fresh database does."""
    assert upgrade_differences(tmp_path, all_migrations(), start) == []
    with open_db(tmp_path / f"at{start}.duckdb") as db:  # and open_db agrees there is nothing left
        assert migrate(db) == []


def test_upgrade_check_sees_a_migration_that_depends_on_the_data(tmp_path: Path) -> None:
    """The comparison is not vacuous: a step that acts only on existing rows is caught."""
    source = """\"\"\"Demo: adds a column only where periods exist (a bad migration).\"\"\"

DDL = ""


def upgrade(cur):
    if cur.execute("SELECT count(*) FROM periods").fetchone()[0]:
        cur.execute("ALTER TABLE periods ADD COLUMN note VARCHAR")
"""
    folder = later_migrations(tmp_path, source)
    code = all_migrations(folder)
    assert upgrade_differences(tmp_path / "ok", code, 900) == []  # no upgrade happened
    diffs = upgrade_differences(tmp_path, code, BASELINE_VERSION)
    assert diffs == ["column periods.note: only in upgraded"]


def test_frozen_schema_equals_what_the_live_definitions_create(tmp_path: Path) -> None:
    """The SQLAlchemy tables the code queries and documents match the migrations' DDL."""
    assert {t.name for t in live_tables()} == set(metadata.tables)  # every schema module loaded
    conn = duckdb.connect()
    engine = sa.create_engine(
        "duckdb://", creator=lambda: ConnectionWrapper(conn.cursor()), poolclass=sa.pool.NullPool
    )
    with engine.begin() as c:
        metadata.create_all(c)
    conn.execute(LEDGER_DDL)
    live = read_shape(conn)
    engine.dispose()
    conn.close()
    migrated, _ = fresh(tmp_path)
    assert diff_shapes(migrated, live, names=("migrations", "live definitions")) == []


def test_migrations_hold_their_own_sql() -> None:
    """No migration imports the live table definitions (or SQLAlchemy to run them)."""
    for m in all_migrations():
        tree = ast.parse(Path(m.module.__file__).read_text())
        imported = [
            n.module if isinstance(n, ast.ImportFrom) else a.name
            for n in ast.walk(tree)
            if isinstance(n, ast.Import | ast.ImportFrom)
            for a in (n.names if isinstance(n, ast.Import) else [n])
        ]
        bad = [i for i in imported if i and (i.startswith("warehouse.schema") or i.startswith("sqlalchemy"))]
        assert bad == [], f"{m.label} imports {bad}"


def test_tampered_checksum_is_refused_naming_the_migration(tmp_path: Path) -> None:
    path = tmp_path / "a.duckdb"
    with open_db(path) as db:
        db.conn.execute("UPDATE schema_migrations SET checksum = '0123456789abcdef' WHERE version = 6")
    message = r"migration m006_baseline\.py changed after it was applied .*checksum recorded 0123456789abcdef"
    with pytest.raises(MigrationError, match=message):
        open_db(path)
    with pytest.raises(MigrationError, match=message):
        open_db(path, read_only=True)


def later_migrations(tmp_path: Path, source: str) -> Path:
    """A copy of the shipped migrations plus `m900_demo.py` holding `source`."""
    folder = tmp_path / "migrations"
    folder.mkdir()
    for m in all_migrations():
        shutil.copy(HERE / f"{m.label}.py", folder)
    (folder / "m900_demo.py").write_text(source)
    return folder


DEMO = '''"""Demo: a later migration with its own DDL."""

DDL = """
CREATE TABLE demo_jobs (job_id VARCHAR PRIMARY KEY, state VARCHAR NOT NULL DEFAULT 'queued');
ALTER TABLE periods ADD COLUMN note VARCHAR;
"""
'''


def test_later_migration_applies_once_and_a_changed_file_is_refused(tmp_path: Path) -> None:
    folder = later_migrations(tmp_path, DEMO)
    path = tmp_path / "a.duckdb"
    with open_db(path) as db:
        db.conn.execute("INSERT INTO periods VALUES ('2025', 'year', DATE '2025-01-01', DATE '2025-12-31', NULL)")
        assert migrate(db, migrations=all_migrations(folder)) == [900]
        assert migrate(db, migrations=all_migrations(folder)) == []
        assert db.scalar("SELECT count(*) FROM periods WHERE note IS NULL") == 1
        assert [v for v, _, _ in ledger(db)] == [m.version for m in all_migrations()] + [900]
    (folder / "m900_demo.py").write_text(DEMO.replace("'queued'", "'waiting'"))
    with open_db(path, migrate=False) as db, pytest.raises(MigrationError, match=r"m900_demo\.py changed"):
        migrate(db, migrations=all_migrations(folder))
    newest = max(m.version for m in all_migrations())
    with pytest.raises(MigrationError, match=rf"schema version 900 is newer than this gridscore \({newest}\)"):
        open_db(path)


def test_failed_migration_keeps_neither_its_tables_nor_its_ledger_row(tmp_path: Path) -> None:
    """DDL, data step and ledger row share one transaction."""
    source = DEMO + '''

def upgrade(cur):
    cur.execute("INSERT INTO demo_jobs VALUES ('j1', 'queued')")
    cur.execute("SELECT * FROM no_such_table")
'''
    folder = later_migrations(tmp_path, source)
    with open_db(tmp_path / "a.duckdb") as db:
        with pytest.raises(MigrationError, match=r"m900_demo\.py failed .*nothing of it was kept.*no_such_table"):
            migrate(db, migrations=all_migrations(folder))
        tables = set(db.query("SELECT table_name FROM duckdb_tables()")["table_name"])
        assert "demo_jobs" not in tables
        assert "note" not in db.query("SELECT * FROM periods").columns
        assert [v for v, _, _ in ledger(db)] == [m.version for m in all_migrations()]


def make_legacy(path: Path, versions: range = range(1, 7)) -> None:
    """A database as the create_all era left it: baseline tables, six old ledger rows."""
    with open_db(path, migrate=False) as db:
        migrate(db, migrations=[m for m in all_migrations() if m.version <= 6])
        db.conn.execute("INSERT INTO periods VALUES ('2025', 'year', DATE '2025-01-01', DATE '2025-12-31', NULL)")
        db.conn.execute("DELETE FROM schema_migrations")
        for v in versions:
            db.conn.execute(
                "INSERT INTO schema_migrations VALUES (?, ?, ?, now()::TIMESTAMP)",
                [v, LEGACY_ROWS[v], f"old{v:013d}"],
            )


def test_create_all_era_database_opens_unchanged_and_is_re_recorded_once(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "old.duckdb"
    make_legacy(path)
    with open_db(path, migrate=False) as db:
        before = shape_of(db)
    with open_db(path, read_only=True) as db:  # a reader accepts it and writes nothing
        assert [v for v, _, _ in ledger(db)] == [1, 2, 3, 4, 5, 6]
    with caplog.at_level(logging.WARNING, logger="warehouse.migrations.legacy"), open_db(path) as db:
        assert db.scalar("SELECT count(*) FROM periods") == 1
        after, rows = shape_of(db), ledger(db)
    assert "re-recorded once" in caplog.text and "m006_baseline" in caplog.text
    want_shape, want_rows = fresh(tmp_path)
    assert rows == want_rows
    # nothing the old database had changed; migrations after the baseline only added (and
    # may re-document a column: m010 names the grid level in the score tables' comments)
    assert all(d.endswith("only in a") for d in diff_shapes(after, before, comments=False))
    assert diff_shapes(after, want_shape) == []
    caplog.clear()
    with caplog.at_level(logging.WARNING), open_db(path) as db:
        assert ledger(db) == want_rows
    assert "re-recorded" not in caplog.text


def test_create_all_era_database_that_differs_from_the_baseline_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    make_legacy(path)
    with open_db(path, migrate=False) as db:
        db.conn.execute("ALTER TABLE workers DROP COLUMN batch_id")
    with pytest.raises(MigrationError, match=r"differ from the frozen baseline: column workers\.batch_id: only in baseline"):
        open_db(path)
    with open_db(path, migrate=False) as db:
        assert [v for v, _, _ in ledger(db)] == [1, 2, 3, 4, 5, 6]


def test_create_all_era_database_before_version_6_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    make_legacy(path, range(1, 6))
    with pytest.raises(MigrationError, match=r"at schema version 5, from before the frozen baseline \(6\)"):
        open_db(path)


def test_render_prints_the_live_definition_in_the_frozen_form() -> None:
    """What `python -m warehouse.migrations.render` prints is what the baseline froze."""
    from warehouse.migrations.m006_baseline import DDL
    from warehouse.migrations.render import render

    text = render(["survey_salts", "auth_users"])
    assert text.startswith("CREATE TABLE survey_salts (")
    for statement in text.split(";\n"):
        assert statement.strip().rstrip(";") in DDL
