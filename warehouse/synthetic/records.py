"""Work records of one chunk of grids, drawn as whole arrays per work type.

Each worker's latent quality (standard normal), through the worker's facets
(`Staff.facet`: quality plus aspect-specific noise), moves the probabilities that
the indicators measure: household visit coverage, on-time closure, dispute
mediation success, hotline resolution, key-person follow-up, half-monthly dispute
screening, drills and meetings held. Volumes follow the seasonal calendar.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import numpy as np
import polars as pl

from warehouse.enums import WARNING_LEVELS, WORK_OUTCOMES, WORK_SOURCES, WORK_TYPES
from warehouse.synthetic.calendar import day_probabilities, days_in_year, month_starts
from warehouse.synthetic.org import (
    COMMUNITY_STAFF,
    COORDINATOR,
    DEPARTMENT_STAFF,
    GRID_POLICE,
    GRID_WORKER,
    Staff,
    Tree,
)

TYPES: tuple[str, ...] = tuple(WORK_TYPES)
T = {name: i for i, name in enumerate(TYPES)}
SOURCES: tuple[str, ...] = tuple(WORK_SOURCES)
OUTCOMES: tuple[str, ...] = tuple(WORK_OUTCOMES)
LEVELS: tuple[str, ...] = tuple(WARNING_LEVELS)

RATES: dict[int, dict[str, float]] = {
    GRID_WORKER: {"dispute": 200, "hazard_report": 450, "service_errand": 900, "hotline": 250, "petition": 50},
    GRID_POLICE: {"dispute": 60, "hazard_report": 80, "petition": 10, "key_person_followup": 60},
    COORDINATOR: {"dispute": 40, "petition": 20, "visit": 150},
    COMMUNITY_STAFF: {"service_errand": 300, "hotline": 80},
    DEPARTMENT_STAFF: {"hotline": 300, "petition": 40, "hazard_report": 50},
}
"""Expected records per worker and year (volume 1.0) of the reactive work types."""

VOLUME_SLOPE: dict[str, float] = {"hazard_report": 0.2, "service_errand": 0.15, "visit": 0.15}
"""Better workers report more hazards and run more errands (log-rate slope on q)."""

SCHEDULED: dict[int, dict[str, int]] = {
    GRID_WORKER: {"dispute_screening": 24, "drill": 4, "meeting": 12},
    COORDINATOR: {"dispute_screening": 24},
    COMMUNITY_STAFF: {"drill": 2, "meeting": 12},
}
"""Slots per year of scheduled work (screening every half month, drills, meetings)."""

SCHEDULE_DONE: dict[str, tuple[float, float]] = {
    "dispute_screening": (2.2, 1.0),
    "drill": (1.5, 1.0),
    "meeting": (2.0, 0.8),
}
"""Logit intercept and slope on q of holding a scheduled slot."""

WINDOW_DAYS: dict[str, float] = {
    "hazard_report": 7, "service_errand": 10, "petition": 15, "hotline": 5,
    "key_person_followup": 7, "dispute_screening": 3,
}
DISPUTE_WINDOW = np.array([3.0, 7.0, 15.0])
"""Due window of a dispute by warning level red / yellow / blue."""
WARNING_P = np.array([0.06, 0.24, 0.70])

SUCCESS: dict[str, tuple[float, float]] = {
    "dispute": (2.9, 1.0),
    "hotline": (2.2, 0.8),
    "key_person_followup": (3.0, 0.8),
    "petition": (2.0, 0.8),
    "hazard_report": (3.0, 0.5),
    "service_errand": (3.5, 0.5),
}
"""Logit intercept and slope on q of a successful outcome."""

SOURCE_P: dict[str, tuple[float, ...]] = {
    # patrol, resident, hotline, assigned, inspection
    "visit": (1, 0, 0, 0, 0),
    "dispute": (0.25, 0.5, 0.1, 0.15, 0),
    "dispute_screening": (0, 0, 0, 1, 0),
    "hazard_report": (0.7, 0.2, 0, 0, 0.1),
    "service_errand": (0, 1, 0, 0, 0),
    "petition": (0, 0.8, 0, 0.2, 0),
    "hotline": (0, 0, 1, 0, 0),
    "key_person_followup": (0, 0, 0, 1, 0),
    "drill": (0, 0, 0, 1, 0),
    "meeting": (0, 0, 0, 1, 0),
}

DAY_US = 86_400_000_000
HOUR_US = 3_600_000_000


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


DAY_TABLE_BITS = 16


def _day_table(p: np.ndarray) -> np.ndarray:
    """Quantile table: day of each of 2^16 equal-probability slices of the distribution.

    Drawing a day is then one random integer and one gather, several times faster
    than `Generator.choice(p=…)` on millions of records (resolution 1/65,536).
    """
    size = 1 << DAY_TABLE_BITS
    cdf = np.cumsum(p)
    return np.minimum(np.searchsorted(cdf, (np.arange(size) + 0.5) / size), len(p) - 1)


def _categorical(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    """`n` draws of category indices with probabilities `p` (few categories)."""
    cdf = np.cumsum(p)[:-1] / np.sum(p)
    u = rng.random(n)
    out = np.zeros(n, dtype=np.int64)
    for c in cdf:
        out += u >= c
    return out


@dataclass(frozen=True)
class Households:
    """Global household layout: first household number and count per grid."""

    first: np.ndarray
    count: np.ndarray


@dataclass
class _Parts:
    worker: list[np.ndarray]
    grid: list[np.ndarray]
    type: list[np.ndarray]
    day: list[np.ndarray]
    household: list[np.ndarray]

    def add(self, worker, grid, type_, day, household=None) -> None:
        n = len(worker)
        self.worker.append(np.asarray(worker, dtype=np.int64))
        self.grid.append(np.asarray(grid, dtype=np.int64))
        self.type.append(np.full(n, type_, dtype=np.int8) if np.isscalar(type_) else type_)
        self.day.append(np.asarray(day, dtype=np.int64))
        self.household.append(
            np.full(n, -1, dtype=np.int64) if household is None else np.asarray(household, dtype=np.int64)
        )


def chunk_records(
    rng: np.random.Generator,
    *,
    tree: Tree,
    staff: Staff,
    households: Households,
    workers: np.ndarray,
    chunk_households: np.ndarray,
    key_person: np.ndarray,
    year: int,
    volume: float,
    first_record: int,
) -> pl.DataFrame:
    """The work records of `workers` (indices) in the work_records column layout.

    `chunk_households` are the global household numbers of the chunk (0-based) and
    `key_person` their key-person flag; visits and key-person follow-ups of the
    chunk's grid workers are drawn per household.
    """
    n_days = days_in_year(year)
    role = staff.role[workers]
    parts = _Parts([], [], [], [], [])
    day_table = {t: _day_table(day_probabilities(year, t)) for t in TYPES}

    def draw_days(t: str, n: int) -> np.ndarray:
        return day_table[t][rng.integers(0, 1 << DAY_TABLE_BITS, size=n)]

    def grid_in_area(w: np.ndarray) -> np.ndarray:
        lo, hi = staff.area_lo[w], staff.area_hi[w]
        return lo + (rng.random(len(w)) * (hi - lo)).astype(np.int64)

    def household_in_grid(g: np.ndarray) -> np.ndarray:
        return households.first[g] + (rng.random(len(g)) * households.count[g]).astype(np.int64)

    # visits of grid workers: each household reached with a quality-driven probability
    hh_grid = np.searchsorted(households.first, chunk_households, side="right") - 1
    hh_worker = hh_grid  # grid g's grid worker is worker g
    q_visit = staff.facet("visit")
    reached = rng.random(len(chunk_households)) < _sigmoid(2.2 + 0.9 * q_visit)[hh_worker]
    per_hh = reached * (1 + rng.poisson(11.0 * volume * np.exp(VOLUME_SLOPE["visit"] * q_visit)[hh_worker]))
    v_hh = np.repeat(chunk_households, per_hh)
    v_grid = np.repeat(hh_grid, per_hh)
    parts.add(v_grid, v_grid, T["visit"], draw_days("visit", len(v_hh)), v_hh)

    # key-person follow-ups: one due per month and key-person household
    kp_hh = chunk_households[key_person]
    kp_grid = hh_grid[key_person]
    done = rng.random((len(kp_hh), 12)) < _sigmoid(2.5 + 1.0 * staff.facet("key_person"))[kp_grid][:, None]
    row, month = np.nonzero(done)
    starts = month_starts(year)
    day = starts[month] + (rng.random(len(month)) * (starts[month + 1] - starts[month])).astype(np.int64)
    parts.add(kp_grid[row], kp_grid[row], T["key_person_followup"], day, kp_hh[row])

    # reactive work: Poisson volumes per worker and type
    q = staff.facet("diligence")
    for r, rates in RATES.items():
        ws = workers[role == r]
        for t, rate in rates.items():
            lam = rate * volume * np.exp(VOLUME_SLOPE.get(t, 0.0) * q[ws])
            w = np.repeat(ws, rng.poisson(lam))
            g = grid_in_area(w)
            hh = household_in_grid(g) if t in ("visit", "service_errand") else None
            parts.add(w, g, T[t], draw_days(t, len(w)), hh)

    # scheduled work: slots held or missed
    q = staff.facet("routine")
    for r, slots in SCHEDULED.items():
        ws = workers[role == r]
        for t, k in slots.items():
            a, b = SCHEDULE_DONE[t]
            held = rng.random((len(ws), k)) < _sigmoid(a + b * q[ws])[:, None]
            row, slot = np.nonzero(held)
            slot_day = (slot * n_days) // k
            day = slot_day + rng.integers(0, 3, size=len(slot))
            w = ws[row]
            parts.add(w, grid_in_area(w), T[t], day, None)

    worker = np.concatenate(parts.worker)
    grid = np.concatenate(parts.grid)
    type_ = np.concatenate(parts.type)
    day = np.minimum(np.concatenate(parts.day), n_days - 1)
    household = np.concatenate(parts.household)
    keep = day >= staff.start_day[worker]
    worker, grid, type_, day, household = worker[keep], grid[keep], type_[keep], day[keep], household[keep]
    return _finish(rng, staff=staff, tree=tree, worker=worker, grid=grid, type_=type_, day=day,
                   household=household, year=year, first_record=first_record, households=households)


def _year_us(year: int) -> tuple[int, int]:
    """First and one-past-last microsecond of `year` (epoch microseconds)."""
    start = int((datetime(year, 1, 1) - datetime(1970, 1, 1)).total_seconds()) * 1_000_000
    end = int((datetime(year + 1, 1, 1) - datetime(1970, 1, 1)).total_seconds()) * 1_000_000
    return start, end


def _opened_at(rng: np.random.Generator, type_: np.ndarray, day: np.ndarray, start_us: int) -> np.ndarray:
    """Opening instants: hotline calls around the clock, everything else 08:00–18:00 (whole seconds)."""
    tod_from = np.full(len(TYPES), 8 * HOUR_US, dtype=np.int64)
    tod_span = np.full(len(TYPES), 10 * HOUR_US, dtype=np.int64)
    tod_from[T["hotline"]], tod_span[T["hotline"]] = 0, 24 * HOUR_US
    tod = tod_from[type_] + (rng.random(len(type_)) * tod_span[type_]).astype(np.int64)
    return start_us + day * DAY_US + tod // 1_000_000 * 1_000_000


def _warning_windows(rng: np.random.Generator, type_: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Warning level of each dispute (-1 for other records) and the due window in days (0: none)."""
    dispute = type_ == T["dispute"]
    level = np.full(len(type_), -1, dtype=np.int64)
    level[dispute] = _categorical(rng, WARNING_P, int(dispute.sum()))
    window_of_type = np.zeros(len(TYPES))
    for t, days in WINDOW_DAYS.items():
        window_of_type[T[t]] = days
    window = window_of_type[type_]
    window[dispute] = DISPUTE_WINDOW[level[dispute]]
    return level, window


@dataclass
class _Closure:
    """When each record is due and closed, and its status (0 open, 1 closed, 2 cancelled)."""

    due: np.ndarray
    closed: np.ndarray
    is_open: np.ndarray
    status: np.ndarray


def _closure(rng: np.random.Generator, staff: Staff, worker: np.ndarray, type_: np.ndarray,
             opened: np.ndarray, window: np.ndarray, end_us: int) -> _Closure:
    """Closure on time with probability logistic(1.5 + 0.9·timeliness); some cancelled or stuck open."""
    n = len(worker)
    timed = window > 0
    on_time = rng.random(n) < _sigmoid(1.5 + 0.9 * staff.facet("timeliness"))[worker]
    stretch = np.where(on_time, rng.uniform(0.05, 0.95, size=n), 1.0 + rng.exponential(0.5, size=n))
    duration = np.where(timed, window * stretch * DAY_US, (0.2 + 2.8 * rng.random(n)) * HOUR_US)
    closed = opened + (duration // 1_000_000 * 1_000_000).astype(np.int64)
    due = opened + (window * DAY_US).astype(np.int64)

    u = rng.random(n)
    cancelled = timed & (type_ != T["dispute_screening"]) & (u < 0.01)
    # left open (and overdue) for good: weaker on timeliness → more often (u ≥ 0.01 is independent of cancelling)
    stuck = timed & (u >= 0.01) & (u - 0.01 < 0.02 * (1.0 - _sigmoid(staff.facet("timeliness")))[worker])
    is_open = ~cancelled & (stuck | (closed >= end_us))
    closed = np.where(cancelled, opened + (rng.uniform(0.1, 2.0, size=n) * DAY_US).astype(np.int64), closed)
    status = np.where(cancelled, 2, np.where(is_open, 0, 1))
    return _Closure(due=due, closed=closed, is_open=is_open, status=status)


def _outcomes(rng: np.random.Generator, staff: Staff, worker: np.ndarray, type_: np.ndarray,
              status: np.ndarray) -> np.ndarray:
    """Outcome index of closed records (success per type and worker, else one of the others); -1 if not closed."""
    n = len(worker)
    p_success = np.ones((len(TYPES), len(staff.quality)))
    for t, (a, b) in SUCCESS.items():
        p_success[T[t]] = _sigmoid(a + b * staff.facet("mediation" if t == "dispute" else "resolution"))
    success = rng.random(n) < p_success[type_, worker]
    other = 1 + _categorical(rng, np.array([0.4, 0.3, 0.3]), n)
    return np.where(status == 1, np.where(success, 0, other), -1)


def _sources(rng: np.random.Generator, type_: np.ndarray) -> np.ndarray:
    """Source index by type: fixed for most types, drawn for the rest."""
    source_p = np.array([SOURCE_P[t] for t in TYPES], dtype=float)
    source = source_p.argmax(axis=1)[type_]
    for i in np.nonzero((source_p > 0).sum(axis=1) > 1)[0]:
        m = type_ == i
        source[m] = _categorical(rng, source_p[i], int(m.sum()))
    return source


def _labels(values: tuple[str, ...], idx: np.ndarray) -> pl.Series:
    """Codes for indices into `values`; -1 → null."""
    idx = np.where(idx < 0, len(values), idx)
    return pl.Series(values + (None,), dtype=pl.String).gather(idx)


def _finish(
    rng: np.random.Generator,
    *,
    staff: Staff,
    tree: Tree,
    worker: np.ndarray,
    grid: np.ndarray,
    type_: np.ndarray,
    day: np.ndarray,
    household: np.ndarray,
    year: int,
    first_record: int,
    households: Households,
) -> pl.DataFrame:
    """Times, status, outcome, warning level, source and spot checks; then the frame.

    Probabilities are computed per worker (from the worker's facets), then gathered;
    the draws are made in a fixed order, so a seed gives the same records.
    """
    n = len(worker)
    start_us, end_us = _year_us(year)
    opened = _opened_at(rng, type_, day, start_us)
    level, window = _warning_windows(rng, type_)
    timed = window > 0
    closure = _closure(rng, staff, worker, type_, opened, window, end_us)
    outcome = _outcomes(rng, staff, worker, type_, closure.status)
    source = _sources(rng, type_)
    checked = rng.random(n) < 0.04
    verified_ok = rng.random(n) >= _sigmoid(-3.0 - 0.8 * staff.facet("diligence"))[worker]

    hh_width = max(7, len(str(int(households.first[-1] + households.count[-1]))))
    # "R" + year + ten-digit number, built as one integer (cheaper than zero-padding)
    record_no = pl.int_range(first_record + 1, first_record + n + 1, eager=True) + year * 10**10
    frame = pl.DataFrame(
        {
            "record_id": pl.select(pl.concat_str(pl.lit("R"), record_no.cast(pl.String))).to_series(),
            "worker_id": staff.worker_ids.gather(worker),
            "grid_id": tree.grid_ids.gather(grid),
            "type": _labels(TYPES, type_.astype(np.int64)),
            "opened_at": pl.Series(opened).cast(pl.Datetime("us")),
            "due_at": pl.Series(closure.due).cast(pl.Datetime("us")),
            "closed_at": pl.Series(closure.closed).cast(pl.Datetime("us")),
            "status": _labels(("open", "closed", "cancelled"), closure.status),
            "outcome": _labels(OUTCOMES, outcome),
            "warning_level": _labels(LEVELS, level),
            "source": _labels(SOURCES, source),
            "verified": pl.Series(verified_ok),
            "household_id": pl.Series(household),
        }
    )
    return frame.with_columns(
        pl.when(pl.Series(timed)).then(pl.col("due_at")).alias("due_at"),
        pl.when(pl.Series(~closure.is_open)).then(pl.col("closed_at")).alias("closed_at"),
        pl.when(pl.Series(checked)).then(pl.col("verified")).alias("verified"),
        pl.when(pl.col("household_id") >= 0)
        .then(
            pl.concat_str(
                pl.lit("H"),
                (pl.col("household_id") + 1 + 10**hh_width).cast(pl.String).str.slice(1),
            )
        )
        .alias("household_id"),
    )
