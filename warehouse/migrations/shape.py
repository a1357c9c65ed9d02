"""The shape of a database schema, read from DuckDB's catalogue, and the differences of two.

Used to check that a migrated database equals a fresh one (tests/warehouse/test_migrations.py),
that the frozen DDL equals what the live SQLAlchemy definitions create, and that a
create_all-era database matches the baseline before its ledger is re-recorded (`legacy`).
A shape holds every table (with its comment), column (position, type, nullability, default,
comment), constraint (primary key, unique, check, foreign key), index, view and sequence of
the `main` schema; `schema_migrations` rows are data, not shape.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

TABLES_SQL = """
SELECT table_name, coalesce(comment, '') AS comment
FROM duckdb_tables()
WHERE schema_name = 'main' AND NOT internal AND NOT temporary
ORDER BY table_name
"""

COLUMNS_SQL = """
SELECT table_name, column_name, column_index, data_type, is_nullable,
       coalesce(column_default, '') AS column_default, coalesce(comment, '') AS comment
FROM duckdb_columns()
WHERE schema_name = 'main' AND NOT internal
ORDER BY table_name, column_index
"""

CONSTRAINTS_SQL = """
SELECT table_name, constraint_type, constraint_text,
       array_to_string(constraint_column_names, ',') AS columns,
       coalesce(referenced_table, '') AS referenced_table,
       array_to_string(referenced_column_names, ',') AS referenced_columns
FROM duckdb_constraints()
WHERE schema_name = 'main' AND constraint_type <> 'NOT NULL'
ORDER BY ALL
"""

INDEXES_SQL = """
SELECT table_name, index_name, is_unique, coalesce(sql, '') AS sql
FROM duckdb_indexes()
WHERE schema_name = 'main'
ORDER BY ALL
"""

VIEWS_SQL = """
SELECT view_name, coalesce(sql, '') AS sql
FROM duckdb_views()
WHERE schema_name = 'main' AND NOT internal AND NOT temporary
ORDER BY ALL
"""

SEQUENCES_SQL = """
SELECT sequence_name, start_value, increment_by, cycle
FROM duckdb_sequences()
WHERE schema_name = 'main' AND NOT temporary
ORDER BY ALL
"""


@dataclass(frozen=True)
class Column:
    """One column as the catalogue reports it."""

    position: int
    data_type: str
    nullable: bool
    default: str
    comment: str


@dataclass(frozen=True)
class Shape:
    """Everything of a schema that a migration can change, keyed for readable diffs."""

    tables: dict[str, str]
    columns: dict[tuple[str, str], Column]
    constraints: frozenset[tuple[str, ...]]
    indexes: frozenset[tuple[str, ...]]
    views: frozenset[tuple[str, ...]]
    sequences: frozenset[tuple[str, ...]]


def read_shape(cur: duckdb.DuckDBPyConnection) -> Shape:
    """The shape of the `main` schema seen by `cur`."""

    def rows(sql: str) -> list[tuple]:
        return cur.execute(sql).fetchall()

    return Shape(
        tables=dict(rows(TABLES_SQL)),
        columns={
            (t, c): Column(int(i), str(ty), bool(n), str(d), str(cm))
            for t, c, i, ty, n, d, cm in rows(COLUMNS_SQL)
        },
        constraints=frozenset(tuple(map(str, r)) for r in rows(CONSTRAINTS_SQL)),
        indexes=frozenset(tuple(map(str, r)) for r in rows(INDEXES_SQL)),
        views=frozenset(tuple(map(str, r)) for r in rows(VIEWS_SQL)),
        sequences=frozenset(tuple(map(str, r)) for r in rows(SEQUENCES_SQL)),
    )


def diff_shapes(
    a: Shape, b: Shape, *, names: tuple[str, str] = ("a", "b"), comments: bool = True
) -> list[str]:
    """Readable differences between two shapes (empty when equal).

    `names` label the two sides in the messages; `comments=False` ignores table and
    column comments (they document, they do not change what a query can do).
    """
    left, right = names
    out: list[str] = []
    for t in sorted(a.tables.keys() ^ b.tables.keys()):
        out.append(f"table {t}: only in {left if t in a.tables else right}")
    if comments:
        for t in sorted(a.tables.keys() & b.tables.keys()):
            if a.tables[t] != b.tables[t]:
                out.append(f"table {t}: comment {a.tables[t]!r} ({left}) vs {b.tables[t]!r} ({right})")
    shared = a.tables.keys() & b.tables.keys()
    for key in sorted(a.columns.keys() | b.columns.keys()):
        if key[0] not in shared:
            continue
        ca, cb = a.columns.get(key), b.columns.get(key)
        name = f"column {key[0]}.{key[1]}"
        if ca is None or cb is None:
            out.append(f"{name}: only in {left if cb is None else right}")
            continue
        for attr in ("position", "data_type", "nullable", "default", "comment"):
            if attr == "comment" and not comments:
                continue
            va, vb = getattr(ca, attr), getattr(cb, attr)
            if va != vb:
                out.append(f"{name}: {attr} {va!r} ({left}) vs {vb!r} ({right})")
    for label, sa_, sb in (
        ("constraint", a.constraints, b.constraints),
        ("index", a.indexes, b.indexes),
        ("view", a.views, b.views),
        ("sequence", a.sequences, b.sequences),
    ):
        for row in sorted(sa_ - sb):
            out.append(f"{label} {' '.join(row)}: only in {left}")
        for row in sorted(sb - sa_):
            out.append(f"{label} {' '.join(row)}: only in {right}")
    return out
