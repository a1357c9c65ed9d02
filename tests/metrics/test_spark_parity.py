"""The same scores on Spark SQL: transpiled indicator SQL over the Parquet export, local[2].

The transpiler tests run without Spark; the parity tests start one local Spark session
(no UI, 127.0.0.1, 1 GB driver) for the module and score the small city on both engines.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from polars.testing import assert_frame_equal

from metrics.engines import score_source
from metrics.errors import ScoringError
from metrics.indicators import indicator_sql
from metrics.scheme import load_scheme
from warehouse.db import open_db
from warehouse.export import export_parquet

sqlglot = pytest.importorskip("sqlglot")

from metrics.engines.spark import spark_indicator_sql, to_spark_sql  # noqa: E402

YEAR = "2025"


def test_to_spark_sql_drops_materialisation_hints_and_keeps_parameters() -> None:
    sql = to_spark_sql("WITH r AS NOT MATERIALIZED (SELECT * FROM t WHERE k = $k) SELECT * FROM r")
    assert "MATERIALIZED" not in sql.upper()
    assert ":k" in sql and "$k" not in sql


def test_to_spark_sql_makes_decimal_literals_double() -> None:
    sql = to_spark_sql("SELECT d / 30.4375 AS m, n * 2 AS two FROM t")
    assert "CAST(30.4375 AS DOUBLE)" in sql
    assert "n * 2" in sql  # integers stay integers


def test_to_spark_sql_keeps_filtered_counts_and_casts() -> None:
    sql = to_spark_sql("SELECT COUNT(*) FILTER (WHERE a IN ('x')) AS n, c::INTEGER AS c, b IS TRUE AS v FROM t")
    assert "COUNT(*) FILTER(WHERE a IN ('x'))" in sql
    assert "CAST(c AS INT)" in sql and "::" not in sql


def test_spark_indicator_sql_parses_as_spark_and_covers_every_indicator() -> None:
    scheme = load_scheme()
    sql = spark_indicator_sql(scheme)
    tree = sqlglot.parse_one(sql, read="spark")
    names = {e.alias_or_name for e in tree.expressions}
    for ind in scheme.indicators:
        assert {f"{ind.key}__num", f"{ind.key}__den"} <= names
    assert "$" not in sql and "::" not in sql and "date_diff('" not in sql
    assert indicator_sql(scheme) != sql  # the DuckDB text itself is the one source


# ------------------------------------------------------------------ on Spark (slow)

@pytest.fixture(scope="module")
def spark() -> Iterator[object]:
    pytest.importorskip("pyspark")
    from metrics.engines.spark import local_session

    session = local_session(master="local[2]", driver_memory="1g", quick_jvm=True)
    try:
        yield session
    finally:
        session.stop()


@pytest.fixture(scope="module")
def export_dir(city_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("spark_export") / "city"
    with open_db(city_path, read_only=True) as db:
        export_parquet(db, out)
    return out


@pytest.mark.slow
def test_spark_scores_equal_duckdb_scores(spark: object, export_dir: Path) -> None:
    scheme = load_scheme()
    duck = score_source(export_dir, YEAR, engine="duckdb", scheme=scheme, seed=7, draws=100)
    on_spark_run = score_source(export_dir, YEAR, engine="spark", scheme=scheme, seed=7, draws=100, spark=spark)
    on_duckdb = duck.wide
    assert on_duckdb.height > 100
    assert on_duckdb.select(c for c in on_duckdb.columns if c.endswith("__num")).sum_horizontal().sum() > 0
    # identical indicator table: same rows, columns, types and values (not approximately)
    assert_frame_equal(on_spark_run.wide, on_duckdb, check_exact=True)
    assert on_spark_run.run.fingerprint == duck.run.fingerprint
    assert_frame_equal(on_spark_run.run.indicators, duck.run.indicators, check_exact=True)
    assert duck.run.workers["total"].is_not_null().sum() > 50
    assert_frame_equal(on_spark_run.run.workers, duck.run.workers, check_exact=True)  # totals, grades, ranks
    assert_frame_equal(on_spark_run.run.uncertainty, duck.run.uncertainty, check_exact=True)
    assert_frame_equal(on_spark_run.run.units, duck.run.units, check_exact=True)


def test_spark_engine_checks_the_period_before_starting_spark(tmp_path: Path, empty_db) -> None:
    export_parquet(empty_db, tmp_path / "e")
    with pytest.raises(ScoringError, match="period '1999' does not exist"):
        score_source(tmp_path / "e", "1999", engine="spark", draws=0)
