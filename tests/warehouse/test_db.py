"""Opening the database: migrations, read-only mode, lock errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from warehouse.db import open_db, resolve_path
from warehouse.errors import DatabaseLockedError, WarehouseError
from warehouse.migrations import all_migrations, schema_version
from warehouse.schema import metadata


def test_open_db_creates_every_table(tmp_path: Path) -> None:
    with open_db(tmp_path / "a.duckdb") as db:
        tables = set(db.query("SELECT table_name FROM information_schema.tables")["table_name"])
        assert set(metadata.tables) <= tables
        assert schema_version(db) == max(m.version for m in all_migrations())


def test_migrations_are_recorded_once_and_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "a.duckdb"
    with open_db(path) as db:
        db.conn.execute("INSERT INTO periods VALUES ('2025', 'year', DATE '2025-01-01', DATE '2025-12-31', NULL)")
        first = db.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
    with open_db(path) as db:
        again = db.query("SELECT version, name, checksum FROM schema_migrations ORDER BY version")
        assert again.equals(first)
        assert db.scalar("SELECT count(*) FROM periods") == 1
    assert first["version"].to_list() == [m.version for m in all_migrations()]


def test_newer_database_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "a.duckdb"
    with open_db(path) as db:
        db.conn.execute("INSERT INTO schema_migrations VALUES (9999, 'future', 'x', now()::TIMESTAMP)")
    with pytest.raises(WarehouseError, match="newer than this gridscore"):
        open_db(path)


def test_read_only_refuses_writes_and_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "a.duckdb"
    with pytest.raises(WarehouseError, match="does not exist"):
        open_db(path, read_only=True)
    open_db(path).close()
    with open_db(path, read_only=True) as db:
        assert db.scalar("SELECT count(*) FROM workers") == 0
        with pytest.raises(Exception, match="read-only"):
            db.conn.execute("INSERT INTO periods VALUES ('2025', 'year', DATE '2025-01-01', DATE '2025-12-31', NULL)")


def test_second_process_gets_a_clear_lock_error(tmp_path: Path) -> None:
    path = tmp_path / "a.duckdb"
    # the holder keeps the database open until its stdin is closed (no timer)
    holder = subprocess.Popen(
        [sys.executable, "-c", f"import sys; from warehouse.db import open_db; db = open_db({str(path)!r}); "
                               "print('ready', flush=True); sys.stdin.read()"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdin is not None and holder.stdout is not None
    try:
        assert holder.stdout.readline().strip() == "ready"
        with pytest.raises(DatabaseLockedError, match=rf"in use by another process \(process {holder.pid}\)"):
            open_db(path)
    finally:
        holder.stdin.close()
        try:
            holder.wait(timeout=30)
        except subprocess.TimeoutExpired:
            holder.kill()
            holder.wait()
        holder.stdout.close()


def test_resolve_path_prefers_argument_then_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRIDSCORE_DB", "/tmp/from-env.duckdb")
    assert resolve_path("x.duckdb") == "x.duckdb"
    assert resolve_path(None) == "/tmp/from-env.duckdb"
    monkeypatch.delenv("GRIDSCORE_DB")
    assert resolve_path(None) == "gridscore.duckdb"


def test_memory_limit_defaults_to_a_quarter_of_ram_and_follows_the_env(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GRIDSCORE_MEMORY_LIMIT", raising=False)
    ram = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    with open_db(tmp_path / "a.duckdb") as db:
        limit = db.scalar("SELECT current_setting('memory_limit')")
    value, unit = limit.split()
    scale = {"MiB": 2**20, "GiB": 2**30, "TiB": 2**40}[unit]
    assert float(value) * scale == pytest.approx(ram / 4, rel=0.03)  # shown to one decimal

    monkeypatch.setenv("GRIDSCORE_MEMORY_LIMIT", "512MB")
    with open_db(tmp_path / "a.duckdb") as db:
        assert db.scalar("SELECT current_setting('memory_limit')") in ("488.2 MiB", "488.3 MiB")


def test_memory_limit_that_is_not_a_size_is_refused_by_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRIDSCORE_MEMORY_LIMIT", "lots")
    with pytest.raises(WarehouseError, match="GRIDSCORE_MEMORY_LIMIT='lots' is not a size"):
        open_db(tmp_path / "b.duckdb")
    assert not (tmp_path / "b.duckdb").exists()
