"""The indicator query's pre-filter: a cheap test that must admit every record a filter counts."""

from __future__ import annotations

import duckdb
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from metrics.indicators import filter_condition, necessary_condition
from metrics.scheme import FILTER_CODES, RecordFilter, load_scheme

FLAG = st.sampled_from([None, True, False])


@st.composite
def record_filters(draw: st.DrawFn) -> RecordFilter:
    """A filter as a scheme may declare it: some code columns with some of their codes, some flags."""
    cols = draw(st.lists(st.sampled_from(sorted(FILTER_CODES)), unique=True, max_size=3))
    codes = tuple(
        (c, tuple(draw(st.lists(st.sampled_from(sorted(FILTER_CODES[c])), min_size=1, max_size=3, unique=True))))
        for c in cols
    )
    return RecordFilter(codes=codes, has_due=draw(FLAG), on_time=draw(FLAG), verified=draw(FLAG))


def _records(con: duckdb.DuckDBPyConnection, seed: int) -> None:
    """3,000 random work records with every code (and NULL where the column allows it)."""
    def pick(col: str, nulls: bool) -> str:
        values = ", ".join(f"'{c}'" for c in sorted(FILTER_CODES[col])) + (", NULL" if nulls else "")
        return f"[{values}][1 + floor(random() * {len(FILTER_CODES[col]) + nulls})::INT] AS {col}"

    con.execute(f"SELECT setseed({seed / 1000})")
    con.execute(f"""
        CREATE OR REPLACE TABLE recs AS
        SELECT {pick('type', False)}, {pick('status', False)}, {pick('outcome', True)},
               {pick('warning_level', True)}, {pick('source', True)},
               CASE WHEN random() < 0.3 THEN NULL ELSE random() < 0.5 END AS verified,
               CASE WHEN random() < 0.4 THEN NULL ELSE TIMESTAMP '2025-03-01' + INTERVAL (floor(random() * 60)) DAY END
                   AS due_at,
               CASE WHEN random() < 0.3 THEN NULL ELSE TIMESTAMP '2025-03-01' + INTERVAL (floor(random() * 60)) DAY END
                   AS closed_at
        FROM range(3000)
    """)


@pytest.mark.slow
@settings(max_examples=60, deadline=None)
@given(filters=st.lists(record_filters(), min_size=1, max_size=6), seed=st.integers(0, 999))
def test_pre_filter_admits_every_counted_record(filters: list[RecordFilter], seed: int) -> None:
    con = duckdb.connect()
    _records(con, seed)
    counted = " OR ".join(f"({filter_condition(f)})" for f in filters)
    missed = con.execute(
        f"SELECT count(*) FROM recs r WHERE ({counted}) AND NOT coalesce({necessary_condition(filters)}, false)"
    ).fetchone()[0]
    assert missed == 0


def test_pre_filter_of_the_default_scheme_is_two_cheap_tests() -> None:
    """The default scheme's counted filters relax to their types, plus due dates for on-time closure."""
    scheme = load_scheme()
    plain = [f for i in scheme.indicators for f in (i.numerator, i.denominator)
             if not f.distinct and not f.households and f.per_year is None]
    cond = necessary_condition(plain)
    assert cond == ("r.type IN ('dispute', 'dispute_screening', 'hotline', 'key_person_followup')"
                    " OR r.due_at IS NOT NULL")


def test_pre_filter_drops_records_no_filter_counts() -> None:
    """Visits without a due date pass none of the default scheme's counted filters and are dropped early."""
    con = duckdb.connect()
    _records(con, 7)
    scheme = load_scheme()
    plain = [f for i in scheme.indicators for f in (i.numerator, i.denominator)
             if not f.distinct and not f.households and f.per_year is None]
    kept = con.execute(
        f"SELECT count(*) FILTER (WHERE {necessary_condition(plain)}), count(*) FROM recs r WHERE type = 'visit'"
    ).fetchone()
    assert 0 < kept[0] < kept[1]  # only the visits with a due date remain
    assert necessary_condition([RecordFilter()]) == "TRUE"
