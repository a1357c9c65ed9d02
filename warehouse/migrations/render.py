"""Print the DDL that the live definitions of some tables would run (to start a migration).

A new table is declared twice on purpose: in a `warehouse/schema*.py` module (queries,
the data dictionary) and as frozen SQL in its migration. This prints the second from the
first, once, for pasting into `DDL` of the new `mNNN_name.py`:

    python -m warehouse.migrations.render jobs job_events

`tests/warehouse/test_migrations.py` then checks that both give the same schema.
"""

from __future__ import annotations

import sys

import duckdb
import sqlalchemy as sa
from duckdb_engine import ConnectionWrapper


def render(names: list[str]) -> str:
    """CREATE TABLE / index / COMMENT statements of the named live tables, in order."""
    from warehouse.datadict import tables

    known = {t.name: t for t in tables()}
    missing = [n for n in names if n not in known]
    if missing:
        raise SystemExit(f"no live definition for table(s) {', '.join(missing)}")
    conn = duckdb.connect()
    engine = sa.create_engine(
        "duckdb://", creator=lambda: ConnectionWrapper(conn.cursor()), poolclass=sa.pool.NullPool
    )
    statements: list[str] = []

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _keep(_conn, _cur, statement, _params, _ctx, _many) -> None:
        lines = [line.replace("\t", "    ").rstrip() for line in statement.strip().splitlines()]
        statements.append("\n".join(lines) + ";")

    with engine.begin() as c:
        for name in names:
            known[name].create(c)
    engine.dispose()
    conn.close()
    return "\n".join(statements)


if __name__ == "__main__":
    print(render(sys.argv[1:]))
