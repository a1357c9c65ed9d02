"""The indicator step on Spark SQL, over a partitioned Parquet export.

The indicator SQL has one source, `metrics.indicators.indicator_sql`, written for DuckDB.
`to_spark_sql` transpiles it with SQLGlot (read "duckdb", write "spark") plus two rules
that keep the results identical rather than merely similar:

- CTE materialisation hints (`AS NOT MATERIALIZED`) are DuckDB planner advice; Spark has
  no such syntax, so they are dropped;
- a decimal literal (`30.4375`, `12.0`) is DECIMAL in both engines, but DuckDB divides
  decimals in floating point while Spark keeps fixed-point with 6 decimals; casting the
  literals to DOUBLE gives Spark the DuckDB arithmetic.

Query parameters (`$period_id`, `$starts`, `$ends`) become Spark named parameters
(`:period_id`, …) passed to `spark.sql(…, args=…)`. Only the aggregated result — one
row per worker — comes back to Python, where the unchanged polars/scipy scoring runs.

PySpark is an optional extra (`pip install 'gridscore[spark]'`); it is imported only
inside the functions here.
"""

from __future__ import annotations

import os
import re
import sys
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import polars as pl

from metrics.errors import ScoringError
from metrics.indicators import indicator_sql
from metrics.scheme import Scheme
from warehouse.export import read_manifest

if TYPE_CHECKING:  # pragma: no cover
    from pyspark.sql import SparkSession

_PARAM = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)")


def _sqlglot():
    try:
        import sqlglot
        from sqlglot import exp
    except ImportError:  # pragma: no cover
        raise ScoringError("the Spark engine needs the spark extra: pip install 'gridscore[spark]'") from None
    return sqlglot, exp


def to_spark_sql(sql: str) -> str:
    """Transpile one DuckDB query to Spark SQL (SQLGlot plus the two parity rules above).

    Examples:
        >>> print(to_spark_sql("SELECT n::DOUBLE / 30.4375 AS m FROM t WHERE k = $k"))
        SELECT CAST(n AS DOUBLE) / CAST(30.4375 AS DOUBLE) AS m FROM t WHERE k = :k
    """
    sqlglot, exp = _sqlglot()
    tree = sqlglot.parse_one(sql, read="duckdb")
    for cte in tree.find_all(exp.CTE):
        cte.set("materialized", None)
    for lit in list(tree.find_all(exp.Literal)):
        if lit.is_number and not re.fullmatch(r"[+-]?\d+", str(lit.this)):
            lit.replace(exp.cast(lit.copy(), exp.DataType.build("DOUBLE")))
    return tree.sql(dialect="spark")


def spark_indicator_sql(scheme: Scheme) -> str:
    """The scheme's indicator query (`metrics.indicators.indicator_sql`) in Spark SQL."""
    return to_spark_sql(indicator_sql(scheme))


def local_session(*, master: str = "local[2]", driver_memory: str = "1g", shuffle_partitions: int = 4,
                  app_name: str = "gridscore", quick_jvm: bool = False) -> SparkSession:
    """A Spark session for one machine: no UI, bound to 127.0.0.1, UTC, few shuffle partitions, no AQE.

    `quick_jvm` trades peak speed for start-up (client JIT only, serial GC): right for
    tests on small data, wrong for a benchmark. On a cluster build the session with
    `spark-submit` / `SparkSession.builder.master(...)` instead and hand it to
    `wide_indicators_spark`.
    """
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover
        raise ScoringError("the Spark engine needs the spark extra: pip install 'gridscore[spark]'") from None
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    builder = (
        SparkSession.builder.master(master)
        .appName(app_name)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.shuffle.partitions", str(shuffle_partitions))
        .config("spark.sql.adaptive.enabled", "false")  # re-planning costs more than it saves on small joins
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.execution.arrow.pyspark.enabled", "true")
    )
    if quick_jvm:
        builder = builder.config("spark.driver.extraJavaOptions", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("ERROR")
    return spark


def active_session() -> SparkSession | None:
    """The process's active Spark session, if any (None also when PySpark is not installed)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:  # pragma: no cover
        return None
    return SparkSession.getActiveSession()


def register_source(spark: SparkSession, source: str | Path) -> dict:
    """Temp views over an export directory: one per table, with exactly the warehouse columns.

    Partition discovery adds `year` and `district` (derived, not table columns); the
    views select the manifest's columns only, as the DuckDB views do. Returns the manifest.
    """
    manifest = read_manifest(source)
    for table, info in manifest["tables"].items():
        frame = spark.read.parquet(str(Path(source).resolve() / table))
        frame.select(*[c for c, _ in info["columns"]]).createOrReplaceTempView(table)
    return manifest


def period_bounds(spark: SparkSession, period_id: str) -> dict[str, object]:
    """period_id, starts (first instant) and ends (first instant after) of a period, read on Spark.

    Raises:
        ScoringError: the period does not exist.
    """
    rows = spark.sql("SELECT starts_on, ends_on FROM periods WHERE period_id = :p", args={"p": period_id}).collect()
    if not rows:
        raise ScoringError(f"period {period_id!r} does not exist")
    starts_on: date = rows[0]["starts_on"]
    ends_on: date = rows[0]["ends_on"]
    return {"period_id": period_id, "starts": datetime.combine(starts_on, time.min),
            "ends": datetime.combine(ends_on + timedelta(days=1), time.min)}


def _spark_args(sql: str, values: dict[str, object]) -> dict[str, object]:
    """Named arguments the query uses; instants as text, cast by Spark to the column's type."""
    args = {}
    for name in sorted(set(_PARAM.findall(sql))):
        if name not in values:
            raise ScoringError(f"indicator query parameter ${name} has no value")
        v = values[name]
        args[name] = v.strftime("%Y-%m-%d %H:%M:%S") if isinstance(v, datetime) else v
    return args


def wide_indicators_spark(spark: SparkSession, period_id: str, scheme: Scheme) -> pl.DataFrame:
    """The wide indicator frame (roster + `<key>__num/__den`) computed on Spark SQL.

    The tables must be registered first (`register_source`). Same rows, columns and
    values as `metrics.indicators.wide_indicators` on DuckDB.
    """
    duck_sql = indicator_sql(scheme)
    args = _spark_args(duck_sql, period_bounds(spark, period_id))
    result = spark.sql(to_spark_sql(duck_sql), args=args)
    return pl.from_arrow(result.toArrow())
