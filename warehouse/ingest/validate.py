"""Vectorised validation of a staged file in DuckDB SQL.

The staged file is a relation `_ing_src` (row_number + one column per spec column;
text for CSV/Excel, native types for Parquet). A `typed` CTE parses every column
with TRY_CAST-style expressions; one query evaluates every rule on every row and
keeps only the bad rows in the small temp table `_ing_bad` (per rule N: reason
`_cN` and value `_vN`); a second query inserts the typed rows not in `_ing_bad`.
Rejects are read from `_ing_bad`, one row per (row, column, reason). No Python
loop touches rows.

The rules, in order: required, type/enumeration, the kind's foreign keys, its row
checks (date order, ranges, org-tree levels), duplicate natural key in the file
(later rows rejected), and key already stored with different content.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb
import polars as pl

from warehouse.db import fetch_pl
from warehouse.ingest.read import ROW_NUMBER
from warehouse.ingest.specs import ColumnSpec, KindSpec

SRC = "_ing_src"
BAD = "_ing_bad"
TYPED = "_ing_typed"
SELF = "_ing_self"

DATE_FORMS = ("2025-03-06", "2025/3/6", "2025.3.6", "2025年3月6日", "20250306")
DATETIME_FORMS = ("2025-03-06 09:30", "2025/3/6 9:30", "2025.3.6 9:30", "2025年3月6日 9:30", "20250306")


def _forms_reason(en: str, zh: str, forms: tuple[str, ...], en_more: str, zh_more: str) -> str:
    """A type reject naming the accepted forms, English / 中文 (spaces between forms, so it wraps)."""
    return (f"{en}; accepted: {', '.join(forms)}, {en_more} / "
            f"{zh}；可用：{'， '.join(forms)}， {zh_more}")


TYPE_REASONS = {
    "int": "not a whole number",
    "float": "not a number",
    "date": _forms_reason("not a date (YYYY-MM-DD)", "不是日期", DATE_FORMS,
                          "an Excel date number", "Excel 日期序号"),
    "datetime": _forms_reason("not a date-time (YYYY-MM-DD HH:MM)", "不是日期时间", DATETIME_FORMS,
                              "a date alone (midnight), an Excel date number",
                              "只有日期（零点）， Excel 日期序号"),
    "bool": "not yes/no (是/否, true/false)",
}

TRUE_WORDS = ("true", "t", "yes", "y", "1", "是", "对", "√", "有")
FALSE_WORDS = ("false", "f", "no", "n", "0", "否", "错", "×", "无")


def q(name: str) -> str:
    """Quote an identifier."""
    return '"' + name.replace('"', '""') + '"'


def lit(text: str) -> str:
    """Quote a string literal."""
    return "'" + text.replace("'", "''") + "'"



def _enum_expr(v: str, enum: dict[str, str]) -> str:
    """Code (exact, then any case) or Chinese label → code; NULL otherwise.

    A simple CASE chain, not `IN (…)`: DuckDB plans a constant IN list as a hash
    join against the list, which costs a join per enumerated column on large
    files, while CASE branches run only on the rows still unmatched.
    """
    exact = " ".join(f"WHEN {lit(code)} THEN {lit(code)}" for code in enum)
    labels = " ".join(f"WHEN {lit(label)} THEN {lit(code)}" for code, label in enum.items())
    folded = " ".join(f"WHEN {lit(code.lower())} THEN {lit(code)}" for code in enum)
    return f"CASE {v} {exact} {labels} ELSE (CASE lower({v}) {folded} END) END"


def _multi_expr(v: str, enum: dict[str, str]) -> str:
    """Comma/、/; separated codes or labels → normalised 'a,b' (NULL if any unknown)."""
    mapping = ", ".join(f"{lit(k.lower())}: {lit(k)}" for k in enum)
    mapping += ", " + ", ".join(f"{lit(label)}: {lit(code)}" for code, label in enum.items())
    parts = f"list_filter(list_transform(regexp_split_to_array({v}, '[,，;；、]'), lambda x: trim(x)), lambda x: x <> '')"
    mapped = f"list_transform({parts}, lambda x: MAP {{{mapping}}}[lower(x)])"
    return (
        f"CASE WHEN list_bool_or(list_transform({mapped}, lambda x: x IS NULL)) THEN NULL "
        f"ELSE array_to_string({mapped}, ',') END"
    )


FULL_WIDTH = "０１２３４５６７８９：．／－\u3000"
HALF_WIDTH = "0123456789:./- "
DATE_FORMATS = ("%Y年%m月%d日", "%Y.%m.%d")
DATETIME_FORMATS = (
    "%Y年%m月%d日 %H:%M", "%Y年%m月%d日 %H:%M:%S", "%Y年%m月%d日%H:%M", "%Y年%m月%d日%H:%M:%S",
    "%Y年%m月%d日%H时%M分", "%Y年%m月%d日 %H时%M分", "%Y.%m.%d %H:%M", "%Y.%m.%d %H:%M:%S",
    "%Y年%m月%d日", "%Y.%m.%d",
)
# Excel's largest date number (9999-12-31); 8-digit numbers above it are read as YYYYMMDD.
EXCEL_MAX_SERIAL = 2958465


def _half_width(v: str) -> str:
    """`v` with full-width digits, `：．／－` and the ideographic space made half-width."""
    return f"translate({v}, {lit(FULL_WIDTH)}, {lit(HALF_WIDTH)})"


def _excel_days(n: str) -> str:
    """Day offset of Excel serial `n` (a numeric text) from 1899-12-30, NULL when it is not one.

    Excel counts 1900-02-29, a day that did not exist (the Lotus 1-2-3 leap-year
    quirk): serials 1-59 are 1900-01-01..02-28 (one day later than the plain
    offset), 60 is that non-day and is refused, 61 onwards are the plain offset.
    """
    s = f"TRY_CAST({n} AS DOUBLE)"
    return (
        f"CASE WHEN regexp_full_match({n}, '[0-9]{{1,7}}(\\.[0-9]+)?') AND {s} >= 1 "
        f"AND {s} < {EXCEL_MAX_SERIAL + 1} AND floor({s}) <> 60 "
        f"THEN {s} + CASE WHEN {s} < 60 THEN 1 ELSE 0 END END"
    )


def _date_expr(v: str) -> str:
    """Date of the text `v`: ISO first (fast path), then the office forms on the rest.

    Forms (after full-width → half-width): `2025-03-06`, `2025/3/6`, `2025.3.6`,
    `2025年3月6日`, `20250306`, a whole Excel date number. NULL otherwise.
    """
    n = _half_width(v)
    formats = "[" + ", ".join(lit(f) for f in DATE_FORMATS) + "]"
    days = _excel_days(n)
    return (
        f"coalesce(TRY_CAST({v} AS DATE), CASE "
        f"WHEN regexp_full_match({n}, '[0-9]{{8}}') THEN CAST(TRY_STRPTIME({n}, '%Y%m%d') AS DATE) "
        f"WHEN ({days}) IS NOT NULL THEN CASE WHEN ({days}) = floor({days}) "
        f"THEN DATE '1899-12-30' + CAST({days} AS INTEGER) END "
        f"ELSE coalesce(TRY_CAST({n} AS DATE), CAST(TRY_STRPTIME({n}, {formats}) AS DATE)) END)"
    )


def _datetime_expr(v: str) -> str:
    """Date-time of the text `v`: ISO first (fast path), then the office forms on the rest.

    Forms (after full-width → half-width): `2025-03-06 09:30[:00]` (also `T`, `/`),
    `2025.3.6 9:30`, `2025年3月6日 9:30` (also without the space, `9时30分`), any
    accepted date alone (midnight), `20250306`, an Excel date number with its
    fraction of a day (rounded to the second). NULL otherwise.
    """
    n = _half_width(v)
    formats = "[" + ", ".join(lit(f) for f in DATETIME_FORMATS) + "]"
    days = _excel_days(n)
    return (
        f"coalesce(TRY_CAST({v} AS TIMESTAMP), CASE "
        f"WHEN regexp_full_match({n}, '[0-9]{{8}}') THEN TRY_STRPTIME({n}, '%Y%m%d') "
        f"WHEN ({days}) IS NOT NULL THEN TIMESTAMP '1899-12-30' "
        f"+ to_seconds(CAST(round(({days}) * 86400) AS BIGINT)) "
        f"ELSE coalesce(TRY_CAST({n} AS TIMESTAMP), TRY_STRPTIME({n}, {formats})) END)"
    )


def _text_typed(col: ColumnSpec, v: str) -> str:
    """Typed value of the trimmed text `v` (NULL when it does not parse)."""
    if col.enum is not None:
        return _multi_expr(v, dict(col.enum)) if col.multi else _enum_expr(v, dict(col.enum))
    if col.type == "int":
        d = f"coalesce(TRY_CAST({v} AS DOUBLE), TRY_CAST({_half_width(v)} AS DOUBLE))"
        return f"CASE WHEN {d} = floor({d}) THEN TRY_CAST({d} AS BIGINT) END"
    if col.type == "float":
        d = f"coalesce(TRY_CAST({v} AS DOUBLE), TRY_CAST({_half_width(v)} AS DOUBLE))"
        return f"CASE WHEN isfinite({d}) THEN {d} END"
    if col.type == "date":
        return _date_expr(v)
    if col.type == "datetime":
        return _datetime_expr(v)
    if col.type == "bool":
        words = " ".join(f"WHEN {lit(w)} THEN true" for w in TRUE_WORDS)
        words += " " + " ".join(f"WHEN {lit(w)} THEN false" for w in FALSE_WORDS)
        return f"CASE lower({v}) {words} END"
    return v


def _native_typed(col: ColumnSpec, c: str, dtype: pl.DataType) -> str | None:
    """Typed value straight from a native (Parquet) column, or None to go via text."""
    if col.enum is not None:
        return None
    if col.type == "int" and dtype.is_integer():
        return f"CAST({c} AS BIGINT)"
    if col.type == "float" and (dtype.is_integer() or dtype.is_float()):
        return f"CASE WHEN isfinite(CAST({c} AS DOUBLE)) THEN CAST({c} AS DOUBLE) END"
    if col.type == "date" and dtype in (pl.Date, pl.Datetime):
        return f"CAST({c} AS DATE)"
    if col.type == "datetime" and (dtype == pl.Date or isinstance(dtype, pl.Datetime)):
        return f"CAST({c} AS TIMESTAMP)"
    if col.type == "bool" and dtype == pl.Boolean:
        return c
    return None


@dataclass(frozen=True)
class Rule:
    """One rule (`_cN`/`_vN` of `_ing_bad`): blamed column(s), the value SQL, the reason SQL."""

    column: str
    value_sql: str
    reason_sql: str


def _parses(col: ColumnSpec) -> bool:
    """Whether the column's text is parsed (typed or enumerated), so it can fail to parse."""
    return col.type != "text" or col.enum is not None


def _stage_selects(
    spec: KindSpec, schema: dict[str, pl.DataType], *, strip: bool
) -> tuple[str, str, str]:
    """SELECT lists of the `clean` CTE (`_r_c`: raw value), `typed` CTE (`c`) and the stored stage.

    The stored stage keeps each typed column and, for parsed columns, the raw value
    only where it failed to parse (`_r_c`), so it is hardly wider than the typed rows.
    With `strip` (CSV/Excel) text is trimmed of surrounding spaces; Parquet
    strings are taken as they are. An empty string is NULL either way.
    """
    clean = [q(ROW_NUMBER)]
    typed = ["*"]
    stored = [q(ROW_NUMBER)]
    for col in spec.columns:
        c, r = q(col.name), q("_r_" + col.name)
        dtype = schema[col.name]
        native = None if dtype == pl.String else _native_typed(col, r, dtype)
        if native is not None:
            clean.append(f"{c} AS {r}")
            expr = native
        else:
            if dtype != pl.String:
                text = f"nullif(trim(CAST({c} AS VARCHAR)), '')"
            else:
                # trim only values that need it: starts_with/ends_with do not copy the string
                text = (
                    f"nullif(CASE WHEN starts_with({c}, ' ') OR ends_with({c}, ' ') "
                    f"THEN trim({c}) ELSE {c} END, '')"
                    if strip else f"nullif({c}, '')"
                )
            clean.append(f"{text} AS {r}")
            expr = _text_typed(col, r)
        if col.name in spec.defaults:
            default = _text_typed(col, lit(spec.defaults[col.name]))
            expr = f"CASE WHEN {r} IS NULL THEN {default} ELSE {expr} END"
        typed.append(f"{expr} AS {c}")
        stored.append(c)
        if _parses(col):
            stored.append(f"CASE WHEN {c} IS NULL THEN CAST({r} AS VARCHAR) END AS {r}")
    join = ",\n        ".join
    return join(clean), join(typed), join(stored)


def _rules(spec: KindSpec, *, has_existing: bool, self_ref: bool) -> list[tuple[str, Rule]]:
    """(condition SQL, rule) pairs, in reporting order."""
    rules: list[tuple[str, Rule]] = []
    for col in spec.columns:
        c, r = q(col.name), q("_r_" + col.name)
        if col.required:
            empty = f"{c} IS NULL AND {r} IS NULL" if _parses(col) else f"{c} IS NULL"
            rules.append((empty, Rule(col.name, "NULL", lit("required"))))
        if not _parses(col):
            continue
        if col.enum is not None:
            allowed = ", ".join(col.enum)
            reason = f"unknown tag; allowed: {allowed}" if col.multi else f"not one of: {allowed}"
        else:
            reason = TYPE_REASONS[col.type]
        rules.append((f"{r} IS NOT NULL", Rule(col.name, r, lit(reason))))
    for fk in spec.foreign_keys:
        c = q(fk.column)
        ref = f"SELECT {q(fk.key)} FROM {q(fk.table)} WHERE {q(fk.key)} IS NOT NULL"
        if fk.where:
            ref += f" AND {fk.where}"
        if fk.self_ref and self_ref:
            ref += f" UNION ALL SELECT {q(fk.key)} FROM {SELF}"
        rules.append((f"{c} IS NOT NULL AND {c} NOT IN ({ref})",
                      Rule(fk.column, f"CAST({c} AS VARCHAR)", lit(fk.reason))))
    for check in spec.checks:
        rules.append((f"({check.bad_when})",
                      Rule(check.column, f"CAST({q(check.column)} AS VARCHAR)", lit(check.reason))))
    key_value = " || ',' || ".join(f"CAST({q(k)} AS VARCHAR)" for k in spec.key)
    key_name = ",".join(spec.key)
    rules.append((
        "_first_row < row_number",
        Rule(key_name, key_value, "'duplicate key in file (first at row ' || _first_row || ')'"),
    ))
    if has_existing:
        rules.append(("_found AND NOT _same",
                      Rule(key_name, key_value, lit("key exists with different content"))))
    return rules


@dataclass(frozen=True)
class CheckPlan:
    """The SQL of one file's validation: the typed stage, the bad-row pass, the insert."""

    stage_sql: str
    typed_cte: str
    bad_sql: str
    insert_sql: str
    rules: tuple[Rule, ...]


def _stage_sql(spec: KindSpec, schema: dict[str, pl.DataType], *, strip: bool) -> str:
    """Parse the staged file once into `_ing_typed` (typed columns + raw text of failed cells)."""
    clean_items, typed_items, stored_items = _stage_selects(spec, schema, strip=strip)
    return f"""
CREATE OR REPLACE TEMP TABLE {TYPED} AS
WITH clean AS (
    SELECT
        {clean_items}
    FROM {SRC}
),
typed AS (
    SELECT
        {typed_items}
    FROM clean
)
SELECT
        {stored_items}
FROM typed
"""


def _parent_join(spec: KindSpec, *, self_ref: bool) -> tuple[str, str]:
    """(join, column) giving each row its parent unit's level, when a rule needs it."""
    if not any("_parent_level" in c.bad_when for c in spec.checks):
        return "", ""
    ref = "SELECT unit_id, level FROM org_units"
    if self_ref:
        ref += f" UNION ALL SELECT unit_id, level FROM {SELF}"
    join = (
        f"LEFT JOIN (SELECT unit_id AS _pid, any_value(level) AS _parent_level "
        f"FROM ({ref}) GROUP BY unit_id) p ON p._pid = typed.parent_id"
    )
    return join, ", p._parent_level"


def _existing_join(spec: KindSpec, *, has_existing: bool) -> tuple[str, str]:
    """(join, columns) telling whether each row's key is stored (`_found`) with the same values (`_same`)."""
    if not has_existing:
        return "", ""
    same = " AND ".join(
        f"typed.{q(c)} IS NOT DISTINCT FROM t.{q(c)}" for c in spec.names if c not in spec.key
    ) or "true"
    on = " AND ".join(f"t.{q(k)} = typed.{q(k)}" for k in spec.key)
    join = f"LEFT JOIN {q(spec.table)} t ON {on}"
    return join, f", t.{q(spec.key[0])} IS NOT NULL AS _found, coalesce({same}, false) AS _same"


def _bad_sql(spec: KindSpec, rules: list[tuple[str, Rule]], typed_cte: str, *, has_existing: bool, self_ref: bool) -> str:
    """`_ing_bad`: one row per bad row with each rule's reason `_cN` and offending value `_vN`."""
    keys_present = " AND ".join(f"{q(k)} IS NOT NULL" for k in spec.key)
    key_list = ", ".join(q(k) for k in spec.key)
    key_on = " AND ".join(f"d.{q(k)} = typed.{q(k)}" for k in spec.key)
    parent_join, parent_col = _parent_join(spec, self_ref=self_ref)
    exist_join, exist_cols = _existing_join(spec, has_existing=has_existing)
    checks = ",\n        ".join(
        f"CASE WHEN {cond} THEN {rule.reason_sql} END AS _c{i}" for i, (cond, rule) in enumerate(rules)
    )
    any_bad = " OR ".join(f"_c{i} IS NOT NULL" for i in range(len(rules)))
    outputs = ", ".join(
        f"_c{i}, CASE WHEN _c{i} IS NOT NULL THEN {rule.value_sql} END AS _v{i}"
        for i, (_cond, rule) in enumerate(rules)
    )
    return f"""
CREATE OR REPLACE TEMP TABLE {BAD} AS
WITH {typed_cte},
dups AS (
    SELECT {key_list}, min(row_number) AS _first_row
    FROM typed
    WHERE {keys_present}
    GROUP BY {key_list}
    HAVING count(*) > 1
),
joined AS (
    SELECT typed.*, d._first_row{parent_col}{exist_cols}
    FROM typed
    LEFT JOIN dups d ON {key_on}
    {parent_join} {exist_join}
),
checked AS (
    SELECT *,
        {checks}
    FROM joined
)
SELECT row_number, {outputs}
FROM checked
WHERE {any_bad}
"""


def _insert_sql(spec: KindSpec, typed_cte: str, *, has_existing: bool) -> str:
    """Insert the typed rows that are not bad and whose key is not stored yet."""
    names = ", ".join(q(c) for c in spec.names)
    stored = ""
    if has_existing:
        match = " AND ".join(f"t.{q(k)} = typed.{q(k)}" for k in spec.key)
        stored = f"AND NOT EXISTS (SELECT 1 FROM {q(spec.table)} t WHERE {match})"
    return f"""
INSERT INTO {q(spec.table)} ({names}, batch_id)
WITH {typed_cte}
SELECT {names}, $batch_id
FROM typed
WHERE row_number NOT IN (SELECT row_number FROM {BAD})
{stored}
"""


def build_plan(
    spec: KindSpec,
    schema: dict[str, pl.DataType],
    *,
    has_existing: bool,
    self_ref: bool,
    strip: bool = True,
) -> CheckPlan:
    """Build the two passes over the staged file `_ing_src`.

    `stage_sql` parses the file once into the temp table `_ing_typed` (typed
    columns, plus the raw text of cells that failed to parse). `bad_sql` creates
    the small temp table `_ing_bad`: one row per bad row with, for each rule N,
    its reason `_cN` and offending value `_vN` (NULL when the rule passes).
    `insert_sql` inserts the typed rows that are not in `_ing_bad` and whose key is
    not stored yet.
    """
    typed_cte = f"typed AS NOT MATERIALIZED (SELECT * FROM {TYPED})"
    rules = _rules(spec, has_existing=has_existing, self_ref=self_ref)
    return CheckPlan(
        _stage_sql(spec, schema, strip=strip), typed_cte,
        _bad_sql(spec, rules, typed_cte, has_existing=has_existing, self_ref=self_ref),
        _insert_sql(spec, typed_cte, has_existing=has_existing), tuple(r for _, r in rules),
    )


def run_checks(
    cur: duckdb.DuckDBPyConnection,
    spec: KindSpec,
    schema: dict[str, pl.DataType],
    *,
    strip: bool = True,
) -> CheckPlan:
    """Create `_ing_bad` for the staged `_ing_src`; for self-referencing kinds, iterate.

    A self-referencing foreign key (the org tree) may point at rows of the same
    file; those count only while they are themselves good. The first pass lets
    every row of the file whose key parses count as existing; later passes keep
    only the rows still good, until the set of bad rows stops growing (at most the
    depth of the tree plus one passes; org files are small).
    """
    has_existing = bool(cur.execute(f"SELECT EXISTS (SELECT 1 FROM {q(spec.table)})").fetchall()[0][0])
    self_fks = [fk for fk in spec.foreign_keys if fk.self_ref]
    plan = build_plan(spec, schema, has_existing=has_existing, self_ref=bool(self_fks), strip=strip)
    cur.execute(plan.stage_sql)
    if not self_fks:
        cur.execute(plan.bad_sql)
        return plan
    key = q(self_fks[0].key)
    cur.execute(f"CREATE OR REPLACE TEMP TABLE {SELF} ({key} VARCHAR, level VARCHAR)")
    refill = (
        f"INSERT INTO {SELF} WITH {plan.typed_cte} SELECT {key}, level FROM typed "
        f"WHERE {key} IS NOT NULL {{extra}}"
    )
    cur.execute(refill.format(extra=""))
    previous = -1
    for _ in range(10):
        cur.execute(plan.bad_sql)
        bad = cur.execute(f"SELECT count(*) FROM {BAD}").fetchall()[0][0]
        if bad == previous:
            break
        previous = bad
        cur.execute(f"DELETE FROM {SELF}")
        cur.execute(refill.format(extra=f"AND row_number NOT IN (SELECT row_number FROM {BAD})"))
    return plan


def collect_rejects(cur: duckdb.DuckDBPyConnection, rules: tuple[Rule, ...]) -> pl.DataFrame:
    """One row per (row, column, reason) from `_ing_bad`, ordered by row and rule."""
    parts = [
        f"SELECT row_number, {lit(rule.column)} AS column, CAST(_v{i} AS VARCHAR) AS value, "
        f"_c{i} AS reason, {i} AS _rule FROM {BAD} WHERE _c{i} IS NOT NULL"
        for i, rule in enumerate(rules)
    ]
    sql = "\nUNION ALL\n".join(parts) + "\nORDER BY row_number, _rule"
    frame = fetch_pl(cur, sql)
    if frame.height == 0:
        return empty_rejects()
    return frame.select(
        pl.col("row_number").cast(pl.Int64),
        pl.col("column").cast(pl.String),
        pl.col("value").cast(pl.String),
        pl.col("reason").cast(pl.String),
    )


def empty_rejects() -> pl.DataFrame:
    """An empty rejects frame with the right columns."""
    return pl.DataFrame(
        schema={"row_number": pl.Int64, "column": pl.String, "value": pl.String, "reason": pl.String}
    )
