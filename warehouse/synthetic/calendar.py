"""The generated year: periods and seasonal day-of-year distributions per work type."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import polars as pl

# Relative monthly volume (Jan … Dec) per work type. Visits and errands dip in
# February (Spring Festival); disputes peak before the festival and in summer;
# hazards peak in the flood season and in the winter heating months; hotline calls
# peak in the summer heat.
MONTH_WEIGHTS: dict[str, tuple[float, ...]] = {
    "visit": (1.0, 0.6, 1.1, 1.1, 1.0, 1.0, 0.9, 0.9, 1.0, 0.9, 1.1, 1.0),
    "dispute": (1.4, 1.3, 0.9, 0.9, 0.9, 1.0, 1.1, 1.1, 0.9, 0.9, 0.9, 1.2),
    "hazard_report": (1.2, 1.0, 0.8, 0.8, 0.9, 1.3, 1.5, 1.4, 0.9, 0.8, 0.9, 1.2),
    "service_errand": (1.0, 0.6, 1.1, 1.1, 1.0, 1.0, 1.0, 1.0, 1.0, 0.9, 1.1, 1.1),
    "petition": (1.0, 0.8, 1.3, 1.0, 0.9, 0.9, 0.9, 0.9, 1.0, 1.2, 1.0, 1.1),
    "hotline": (0.9, 0.8, 0.9, 0.9, 1.0, 1.2, 1.4, 1.4, 1.0, 0.9, 0.8, 0.9),
    "key_person_followup": (1.0,) * 12,
    "dispute_screening": (1.0,) * 12,
    "drill": (1.0,) * 12,
    "meeting": (1.0,) * 12,
}

WEEKEND_FACTOR: dict[str, float] = {"hotline": 0.8, "dispute": 0.6}
"""Weekend volume relative to a weekday (default 0.35)."""


def year_start(year: int) -> date:
    """1 January of `year`."""
    return date(year, 1, 1)


def days_in_year(year: int) -> int:
    """365 or 366."""
    return (date(year + 1, 1, 1) - date(year, 1, 1)).days


def month_starts(year: int) -> np.ndarray:
    """Day-of-year (0-based) of the first day of each month, plus the year length."""
    return np.array(
        [(date(year, m, 1) - date(year, 1, 1)).days for m in range(1, 13)] + [days_in_year(year)]
    )


def day_probabilities(year: int, work_type: str) -> np.ndarray:
    """Probability of each day of `year` for a record of `work_type` (sums to 1)."""
    n = days_in_year(year)
    starts = month_starts(year)
    month_of_day = np.searchsorted(starts, np.arange(n), side="right") - 1
    weights = np.asarray(MONTH_WEIGHTS[work_type])[month_of_day]
    weekday = (date(year, 1, 1).weekday() + np.arange(n)) % 7
    weights = weights * np.where(weekday >= 5, WEEKEND_FACTOR.get(work_type, 0.35), 1.0)
    return weights / weights.sum()


def periods_frame(year: int) -> pl.DataFrame:
    """The periods written for a generated year: year, halves and quarters."""
    rows: list[tuple[str, str, date, date]] = [
        (str(year), "year", date(year, 1, 1), date(year, 12, 31)),
        (f"{year}H1", "half", date(year, 1, 1), date(year, 6, 30)),
        (f"{year}H2", "half", date(year, 7, 1), date(year, 12, 31)),
    ]
    for q in range(4):
        first = date(year, 3 * q + 1, 1)
        last = date(year + (q == 3), (3 * q + 4 - 1) % 12 + 1, 1) - timedelta(days=1)
        rows.append((f"{year}Q{q + 1}", "quarter", first, last))
    return pl.DataFrame(
        rows, schema=["period_id", "kind", "starts_on", "ends_on"], orient="row"
    )
