"""The one way to open the gridscore DuckDB database.

`open_db` returns a `Database`: a DuckDB connection (analytics, bulk loads) and a
SQLAlchemy engine over the same DuckDB instance (table definitions, migrations).
Threads take their own cursor with `Database.cursor()`.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import polars as pl
import sqlalchemy as sa
from duckdb_engine import ConnectionWrapper

from warehouse.errors import DatabaseLockedError, WarehouseError

DEFAULT_DB = "gridscore.duckdb"
ENV_VAR = "GRIDSCORE_DB"
MEMORY_ENV_VAR = "GRIDSCORE_MEMORY_LIMIT"
DEFAULT_MEMORY_SHARE = 0.25
_MEMORY_LIMIT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(KB|MB|GB|TB|KiB|MiB|GiB|TiB)\s*$", re.IGNORECASE)


def resolve_path(path: str | os.PathLike[str] | None = None) -> str:
    """Database path from the argument, else `GRIDSCORE_DB`, else `./gridscore.duckdb`."""
    if path is not None and str(path) != "":
        return str(path)
    return os.environ.get(ENV_VAR) or DEFAULT_DB


def memory_limit() -> str:
    """DuckDB's buffer cap: `GRIDSCORE_MEMORY_LIMIT` (e.g. "8GB"), else a quarter of the RAM.

    DuckDB's own default (80 % of RAM) leaves no room for the polars and numpy frames of
    a province-sized run; with a quarter it spills to disk instead of exhausting memory
    (docs/performance.md, "Scoring at province scale").
    """
    raw = os.environ.get(MEMORY_ENV_VAR, "").strip()
    if raw:
        if not _MEMORY_LIMIT.match(raw):
            raise WarehouseError(
                f"{MEMORY_ENV_VAR}={raw!r} is not a size; write it like 8GB or 512MB"
            )
        return raw.replace(" ", "")
    total = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    return f"{max(1, int(total * DEFAULT_MEMORY_SHARE / 2**20))}MiB"


def fetch_pl(
    cur: duckdb.DuckDBPyConnection, sql: str, params: list | dict | None = None
) -> pl.DataFrame:
    """Run a query on `cur` and return the result as a polars frame (via Arrow, no copy).

    DuckDB 2 dropped `.pl()` on connections (and warns that Arrow output of a DB-API
    result copies); a relation from `sql(query, params=…)` converts directly.
    """
    rel = cur.sql(sql, params=params or None)
    if rel is None:
        return pl.DataFrame()
    return rel.pl()


@dataclass
class Database:
    """An open gridscore database: one DuckDB instance shared by its cursors."""

    path: str
    read_only: bool
    conn: duckdb.DuckDBPyConnection
    _engine: sa.Engine | None = field(default=None, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    @property
    def engine(self) -> sa.Engine:
        """A SQLAlchemy engine whose connections are cursors of this instance."""
        if self._engine is None:
            self._engine = sa.create_engine(
                "duckdb://",
                creator=lambda: ConnectionWrapper(self.conn.cursor()),
                poolclass=sa.pool.NullPool,
            )
        return self._engine

    def cursor(self) -> duckdb.DuckDBPyConnection:
        """A new cursor (its own connection to the same instance) for one thread or request."""
        return self.conn.cursor()

    def query(self, sql: str, params: list | dict | None = None) -> pl.DataFrame:
        """Run a query on a fresh cursor and return the result as polars."""
        cur = self.conn.cursor()
        try:
            return fetch_pl(cur, sql, params)
        finally:
            cur.close()

    def scalar(self, sql: str, params: list | dict | None = None):
        """Run a query and return the first column of the first row (or None)."""
        cur = self.conn.cursor()
        try:
            row = cur.execute(sql, params or []).fetchone()
            return None if row is None else row[0]
        finally:
            cur.close()

    @contextmanager
    def transaction(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside BEGIN … COMMIT; rolled back on any exception."""
        cur = self.conn.cursor()
        cur.execute("BEGIN TRANSACTION")
        try:
            yield cur
        except BaseException:
            cur.execute("ROLLBACK")
            cur.close()
            raise
        else:
            cur.execute("COMMIT")
            cur.close()

    def checkpoint(self) -> None:
        """Write the WAL into the database file."""
        self.conn.execute("CHECKPOINT")

    def close(self) -> None:
        """Close the engine and the connection."""
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None
        self.conn.close()

    def __enter__(self) -> Database:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


_LOCK_PID = re.compile(r"PID (\d+)")


def open_db(
    path: str | os.PathLike[str] | None = None,
    *,
    read_only: bool = False,
    migrate: bool = True,
) -> Database:
    """Open (and, unless read-only, create and migrate) the gridscore database.

    Args:
        path: database file; defaults to `GRIDSCORE_DB` or `./gridscore.duckdb`.
            ":memory:" opens an in-memory database (tests).
        read_only: open without write access; several readers may share the file
            with no writer.
        migrate: check the schema ledger against the shipped migrations (stored
            checksums included) and, when opened for writing, apply pending ones;
            False skips both (tools that only read a known file).

    Raises:
        DatabaseLockedError: another process holds the file.
        WarehouseError: the file is missing (read-only) or is not a DuckDB database.
        MigrationError: an applied migration changed or is unknown here (named).
    """
    resolved = resolve_path(path)
    if read_only and resolved != ":memory:" and not Path(resolved).exists():
        raise WarehouseError(f"database {resolved} does not exist (run `gridscore init` first)")
    if resolved != ":memory:":
        Path(resolved).parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = duckdb.connect(resolved, read_only=read_only, config={"memory_limit": memory_limit()})
    except duckdb.IOException as exc:
        text = str(exc)
        if "lock" in text.lower():
            pid = _LOCK_PID.search(text)
            holder = f" (process {pid.group(1)})" if pid else ""
            raise DatabaseLockedError(
                f"database {resolved} is in use by another process{holder}; "
                "stop it (e.g. the dashboard server) and try again"
            ) from None
        raise WarehouseError(f"cannot open database {resolved}: {text.splitlines()[0]}") from None
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open database {resolved}: {str(exc).splitlines()[0]}") from None
    db = Database(path=resolved, read_only=read_only, conn=conn)
    if migrate:
        from warehouse import migrations

        try:
            if read_only:
                migrations.verify(db)
            else:
                migrations.migrate(db)
        except BaseException:
            db.close()
            raise
    return db
