"""Raw indicator numerators and denominators, in one DuckDB pass over the period's work records.

The scheme declares each indicator's measure as two filters over work records; this
module turns them into one SQL query: the records any filter counts are grouped once per
worker and record class (the code columns and flags the filters test), each measure is a
`SUM(n) FILTER (WHERE …)` over those few class rows, distinct counts (households visited)
are a separate filtered scan, and all is joined to the roster (who was in post, where,
how many households their grid serves). Counting classes rather than evaluating every
filter on every record, and skipping records no filter counts (most visits), is what
keeps a city year near a bare scan of the columns read (docs/performance.md, Scoring). Units roll up as Σnum / Σden over their members (B1) — never a mean
of ratios — and a zero denominator makes the value missing with reason `no_workload`.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Literal

import polars as pl

from metrics.errors import ScoringError
from metrics.scheme import Indicator, RecordFilter, Scheme
from warehouse.db import Database

NO_WORKLOAD = "no_workload"
Level = Literal["department", "community", "street", "grid"]
UNIT_COLUMN: dict[str, str] = {"department": "dept_id", "community": "community_id", "street": "street_id",
                               "grid": "grid_id"}


def _quote(code: str) -> str:
    return "'" + code.replace("'", "''") + "'"


ON_TIME = "r.closed_at IS NOT NULL AND r.due_at IS NOT NULL AND r.closed_at <= r.due_at"


def filter_condition(f: RecordFilter, *, classes: bool = False) -> str:
    """The SQL boolean condition of a record filter (codes are validated by the scheme).

    Over raw work records (alias `r`), or with `classes` over the `record_classes` rows
    (alias `c`), where due and on-time are the precomputed flags `has_due` / `on_time`.
    """
    a = "c" if classes else "r"
    parts = [f"{a}.{col} IN ({', '.join(_quote(c) for c in codes)})" for col, codes in f.codes]
    if f.has_due is not None:
        if classes:
            parts.append("c.has_due" if f.has_due else "NOT c.has_due")
        else:
            parts.append("r.due_at IS NOT NULL" if f.has_due else "r.due_at IS NULL")
    if f.on_time is not None:
        if classes:
            parts.append("c.on_time" if f.on_time else "NOT c.on_time")
        else:
            parts.append(f"({ON_TIME})" if f.on_time else f"NOT coalesce({ON_TIME}, false)")
    if f.verified is not None:
        parts.append(f"{a}.verified = {'true' if f.verified else 'false'}")  # NULL (not checked) is neither
    return " AND ".join(parts) if parts else "TRUE"


def necessary_condition(filters: list[RecordFilter]) -> str:
    """A cheap test that every record some filter counts passes (over `r`): the counted pass's pre-filter.

    Each filter is relaxed to one of its tests — its `type` codes, else its need of a due
    date, else its first code column, else its whole condition — and the relaxed tests are
    merged per column into one IN list. The class aggregate still applies every filter
    exactly, so the few extra records admitted change no count; what it saves is testing
    the nine full filters on every record (docs/performance.md, province).
    """
    codes: dict[str, set[str]] = {}
    others: list[str] = []
    for f in filters:
        by_col = dict(f.codes)
        col = "type" if "type" in by_col else (f.codes[0][0] if f.codes and f.has_due is None else None)
        if col is not None:
            codes.setdefault(col, set()).update(by_col[col])
        elif f.has_due is not None:
            others.append("r.due_at IS NOT NULL" if f.has_due else "r.due_at IS NULL")
        else:
            others.append(f"({filter_condition(f)})")
    if not filters or "(TRUE)" in others:
        return "TRUE"
    tests = [f"r.{col} IN ({', '.join(_quote(c) for c in sorted(cs))})" for col, cs in sorted(codes.items())]
    return " OR ".join(tests + list(dict.fromkeys(others)))


def class_columns(filters: list[RecordFilter]) -> list[tuple[str, str]]:
    """(expression over `r`, name) of the `record_classes` key columns the filters test, in a fixed order."""
    cols = [(f"r.{c}", c) for c in sorted({col for f in filters for col, _ in f.codes})]
    if any(f.has_due is not None for f in filters):
        cols.append(("r.due_at IS NOT NULL", "has_due"))
    if any(f.on_time is not None for f in filters):
        cols.append((f"coalesce({ON_TIME}, false)", "on_time"))
    if any(f.verified is not None for f in filters):
        cols.append(("r.verified", "verified"))
    return cols


def _denominator(ind: Indicator, column: str) -> str:
    den = ind.denominator
    if den.households:
        return "coalesce(ro.households, 0)"
    if den.per_year is not None:
        return f"{den.per_year!r} * p.months / 12.0"
    return f"coalesce({column}, 0)"


def indicator_sql(scheme: Scheme) -> str:
    """The indicator query for `scheme` (one scan for the counted measures, one per distinct measure).

    Parameters: period_id, starts (first instant) and ends (first instant after the
    period), so the scan filters on constants. Output: one row per worker in post
    during the period, with roster columns and `<key>__num`, `<key>__den` per indicator.
    """
    plain: list[tuple[str, RecordFilter]] = []  # counted over the record classes, one GROUP BY
    distinct: list[tuple[str, RecordFilter]] = []  # COUNT(DISTINCT …) measures, each its own CTE
    for ind in scheme.indicators:
        parts = [("num", ind.numerator)]
        d = ind.denominator
        if not (d.households or d.per_year is not None):
            parts.append(("den", d))
        for part, f in parts:
            (distinct if f.distinct else plain).append((f"{ind.key}__{part}", f))
    keys = class_columns([f for _, f in plain])
    relevant = necessary_condition([f for _, f in plain])
    key_select = "".join(f",\n           {expr} AS {name}" for expr, name in keys)
    key_group = "".join(f",\n             {expr}" for expr, _ in keys)
    agg_sql = ",\n".join(
        f"        SUM(c.n) FILTER (WHERE {filter_condition(f, classes=True)}) AS {name}" for name, f in plain
    ) or "        SUM(c.n) AS _records"
    distinct_ctes = "".join(
        f"""
{name} AS (                  -- distinct {f.distinct} per worker (a separate scan and hash aggregate)
    SELECT r.worker_id, COUNT(DISTINCT r.{f.distinct}) AS {name}
    FROM records r
    WHERE {filter_condition(f)} AND r.{f.distinct} IS NOT NULL
    GROUP BY r.worker_id
),"""
        for name, f in distinct
    )
    distinct_joins = "".join(f"\nLEFT JOIN {name} ON {name}.worker_id = ro.worker_id" for name, _ in distinct)
    distinct_names = {name for name, _ in distinct}

    def col(name: str) -> str:
        return f"{name}.{name}" if name in distinct_names else f"a.{name}"

    select_ind = ",\n".join(
        f"    coalesce({col(i.key + '__num')}, 0)::DOUBLE AS {i.key}__num,\n"
        f"    ({_denominator(i, col(i.key + '__den'))})::DOUBLE AS {i.key}__den"
        for i in scheme.indicators
    )
    select_ind = (",\n" + select_ind) if select_ind else ""
    return f"""
WITH period AS (
    SELECT starts_on, ends_on,
           date_diff('month', starts_on, ends_on + INTERVAL 1 DAY) AS months
    FROM periods WHERE period_id = $period_id
),
records AS NOT MATERIALIZED (  -- the period's work records (by opening date), not cancelled
    SELECT r.worker_id, r.type, r.status, r.outcome, r.warning_level, r.source, r.verified,
           r.due_at, r.closed_at, r.household_id
    FROM work_records r
    WHERE r.opened_at >= $starts AND r.opened_at < $ends AND r.status <> 'cancelled'
),
record_classes AS (          -- the records some filter counts, per worker and class (the values the filters test)
    SELECT r.worker_id{key_select}, COUNT(*) AS n
    FROM records r
    WHERE {relevant}
    GROUP BY r.worker_id{key_group}
),
per_worker AS (              -- every counted numerator and denominator, summed over the worker's classes
    SELECT c.worker_id,
{agg_sql}
    FROM record_classes c
    GROUP BY c.worker_id
),{distinct_ctes}
grid_households AS (
    SELECT grid_id, COUNT(*) AS households FROM households WHERE active GROUP BY grid_id
),
roster AS (                  -- workers in post at some time in the period, placed in the tree
    SELECT w.worker_id, w.role, w.grid_id, w.dept_id,
           CASE u0.level WHEN 'grid' THEN u1.unit_id WHEN 'community' THEN u0.unit_id END AS community_id,
           CASE u0.level WHEN 'grid' THEN u2.unit_id WHEN 'community' THEN u1.unit_id
                         WHEN 'street' THEN u0.unit_id END AS street_id,
           CASE WHEN w.grid_id IS NULL THEN 0 ELSE coalesce(gh.households, 0) END AS households,
           date_diff('day', w.in_post_from, least(p.ends_on, coalesce(w.in_post_to, p.ends_on))) / 30.4375
               AS months_in_post
    FROM workers w
    CROSS JOIN period p
    LEFT JOIN departments d ON d.dept_id = w.dept_id
    LEFT JOIN org_units u0 ON u0.unit_id = coalesce(w.grid_id, d.unit_id)
    LEFT JOIN org_units u1 ON u1.unit_id = u0.parent_id
    LEFT JOIN org_units u2 ON u2.unit_id = u1.parent_id
    LEFT JOIN grid_households gh ON gh.grid_id = w.grid_id
    WHERE w.in_post_from <= p.ends_on AND (w.in_post_to IS NULL OR w.in_post_to >= p.starts_on)
)
SELECT ro.worker_id, ro.role, ro.grid_id, ro.dept_id, ro.community_id, ro.street_id,
       ro.households::INTEGER AS households, ro.months_in_post::DOUBLE AS months_in_post{select_ind}
FROM roster ro
CROSS JOIN period p
LEFT JOIN per_worker a ON a.worker_id = ro.worker_id{distinct_joins}
ORDER BY ro.worker_id
"""


def period_params(db: Database, period_id: str) -> dict[str, object]:
    """Query parameters of a period: period_id, starts (first instant), ends (first instant after).

    Raises:
        ScoringError: the period does not exist.
    """
    bounds = db.query("SELECT starts_on, ends_on FROM periods WHERE period_id = ?", [period_id])
    if bounds.height == 0:
        raise ScoringError(f"period {period_id!r} does not exist")
    starts = datetime.combine(bounds["starts_on"][0], time.min)
    ends = datetime.combine(bounds["ends_on"][0] + timedelta(days=1), time.min)
    return {"period_id": period_id, "starts": starts, "ends": ends}


def wide_indicators(db: Database, period_id: str, scheme: Scheme) -> pl.DataFrame:
    """Roster plus `<key>__num` / `<key>__den` per indicator, one row per worker (one SQL pass).

    Raises:
        ScoringError: the period does not exist.
    """
    return db.query(indicator_sql(scheme), period_params(db, period_id))


def long_indicators(wide: pl.DataFrame, scheme: Scheme, *, id_column: str = "worker_id") -> pl.DataFrame:
    """Reshape the wide frame to one row per (subject, indicator): num, den, value, missing_reason.

    Examples:
        >>> import polars as pl
        >>> from metrics.scheme import load_scheme
        >>> s = load_scheme()
        >>> w = pl.DataFrame({"worker_id": ["W1"], **{f"{i.key}__{p}": [1.0 if p == "num" else 0.0]
        ...      for i in s.indicators for p in ("num", "den")}})
        >>> long_indicators(w, s)["missing_reason"].unique().to_list()
        ['no_workload']
    """
    frames = [
        wide.select(
            pl.col(id_column),
            pl.lit(ind.key).alias("indicator"),
            pl.col(f"{ind.key}__num").cast(pl.Float64).alias("num"),
            pl.col(f"{ind.key}__den").cast(pl.Float64).alias("den"),
        )
        for ind in scheme.indicators
    ]
    if not frames:
        return pl.DataFrame(schema={id_column: pl.String, "indicator": pl.String, "num": pl.Float64,
                                    "den": pl.Float64, "value": pl.Float64, "missing_reason": pl.String})
    out = pl.concat(frames)
    return out.with_columns(
        pl.when(pl.col("den") > 0).then(pl.col("num") / pl.col("den")).otherwise(None).alias("value"),
        pl.when(pl.col("den") > 0).then(None).otherwise(pl.lit(NO_WORKLOAD)).alias("missing_reason"),
    ).sort(id_column, "indicator")


def unit_indicators(wide: pl.DataFrame, scheme: Scheme, *, level: Level) -> pl.DataFrame:
    """Per unit of `level` and indicator: Σnum / Σden over the unit's members (B1).

    Members without a unit at that level are left out. Output columns: unit_id,
    indicator, num, den, value, missing_reason.
    """
    col = UNIT_COLUMN[level]
    sums = [pl.col(c).sum() for c in wide.columns if c.endswith("__num") or c.endswith("__den")]
    grouped = (
        wide.filter(pl.col(col).is_not_null())
        .group_by(col)
        .agg(*sums)
        .rename({col: "unit_id"})
        .sort("unit_id")
    )
    return long_indicators(grouped, scheme, id_column="unit_id")
