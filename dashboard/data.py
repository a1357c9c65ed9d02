"""The dashboard's doors into the domain: one small function per question.

Pages call these, never SQL or scoring code of their own. Scoring and estimation
come from `metrics` and `surveys`, imported directly (a broken import fails loudly
at start-up); when there is nothing yet (no period, no run for the period, no
sample drawn), the function returns None and the page shows its empty state
("no score run yet") rather than numbers made up here.
Warehouse look-ups (periods, org units, vetoes, work records) are plain queries
on a per-request cursor.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from datetime import date
from typing import Any, Literal

import polars as pl

from dashboard.access import db_key
from metrics import explain, results, runs, scheme, vetoes
from metrics.explain import Explanation
from metrics.runs import RunInfo
from metrics.scheme import Scheme
from metrics.vetoes import Action, VetoAction
from surveys import design, quality
from surveys.errors import SurveyError
from surveys.estimate import Level, estimate
from warehouse.db import Database, fetch_pl


class TTLCache:
    """A small thread-safe cache of recent results, each kept for `ttl` seconds.

    Stored score runs never change, so a run's frames can be kept a while; survey
    estimates move as answers arrive, so they are kept only briefly.
    """

    def __init__(self, ttl: float, size: int = 16) -> None:
        self.ttl = ttl
        self.size = size
        self._items: OrderedDict[tuple, tuple[float, Any]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple, compute: Callable[[], Any]) -> Any:
        """The cached value for `key`, computing (outside the lock) when missing or stale."""
        now = time.monotonic()
        with self._lock:
            hit = self._items.get(key)
            if hit is not None and now - hit[0] < self.ttl:
                self._items.move_to_end(key)
                return hit[1]
        value = compute()
        with self._lock:
            self._items[key] = (now, value)
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return value

    def clear(self) -> None:
        """Forget everything (after a write such as finalising or a veto decision)."""
        with self._lock:
            self._items.clear()


UnitLevel = Literal["department", "community", "street", "grid"]

RUN_CACHE = TTLCache(ttl=300.0, size=64)
LIVE_CACHE = TTLCache(ttl=30.0)
SHORT_CACHE = TTLCache(ttl=5.0)


def clear_caches() -> None:
    """Drop every cached result (called after the dashboard itself writes)."""
    for cache in (RUN_CACHE, LIVE_CACHE, SHORT_CACHE):
        cache.clear()


def query(db: Database, sql: str, params: list | dict | None = None) -> pl.DataFrame:
    """Run a read query on a fresh cursor (one per request/thread)."""
    cur = db.cursor()
    try:
        return fetch_pl(cur, sql, params)
    finally:
        cur.close()


# ---------------------------------------------------------------- warehouse

def periods(db: Database) -> pl.DataFrame:
    """Assessment periods, years first then halves and quarters, newest first."""
    return query(
        db,
        """
        SELECT period_id, kind, starts_on, ends_on
        FROM periods
        ORDER BY year(starts_on) DESC,
                 CASE kind WHEN 'year' THEN 0 WHEN 'half' THEN 1 WHEN 'quarter' THEN 2 ELSE 3 END,
                 starts_on
        """,
    )


def default_period(db: Database) -> str | None:
    """The period a view opens on: the latest one with a score run, else the latest year."""
    runs = list_runs(db)
    if runs is not None and runs.height and "period_id" in runs.columns:
        return str(runs["period_id"][0])
    frame = periods(db)
    return None if frame.height == 0 else str(frame["period_id"][0])


def org_units(db: Database) -> pl.DataFrame:
    """Org units with their level and parent (the filter's options)."""
    return query(db, "SELECT unit_id, name, name_en, level, parent_id FROM org_units ORDER BY unit_id")


def veto_events(db: Database, period_id: str | None) -> pl.DataFrame:
    """Veto events of a period with the subject's display name and org unit."""
    return query(
        db,
        """
        WITH v AS (SELECT * FROM veto_events WHERE period_id = ? OR ? IS NULL),
             names AS (
                SELECT worker_id AS id, name FROM workers
                UNION ALL SELECT unit_id, name FROM org_units
                UNION ALL SELECT dept_id, name FROM departments
             )
        SELECT v.veto_id, v.category, v.scope, v.subject_id, coalesce(n.name, v.subject_id) AS subject_name,
               v.period_id, v.event_on, v.evidence, v.severity, v.status
        FROM v LEFT JOIN names AS n ON n.id = v.subject_id
        ORDER BY v.status, v.event_on DESC NULLS LAST, v.veto_id
        """,
        [period_id, period_id],
    )


def work_records_sample(db: Database, worker_id: str, period_id: str | None, *, limit: int = 25) -> pl.DataFrame:
    """A fixed pseudo-random sample of a worker's work records in the period (no household shown).

    The period's bounds are looked up first so the scan of `work_records` filters on
    plain constants (DuckDB prunes row groups by min/max), which keeps this fast at
    tens of millions of records.
    """
    bounds = query(db, "SELECT starts_on, ends_on FROM periods WHERE period_id = ?", [period_id])
    start, end = (bounds.row(0) if bounds.height else (date(1900, 1, 1), date(2999, 12, 31)))
    return query(
        db,
        """
        WITH mine AS (
            SELECT record_id, type, opened_at, due_at, closed_at, status, outcome, warning_level, source, verified
            FROM work_records
            WHERE worker_id = ? AND opened_at >= ? AND opened_at < ? + INTERVAL 1 DAY
        )
        SELECT * FROM mine ORDER BY hash(record_id) LIMIT ?
        """,
        [worker_id, start, end, limit],
    )


SERVED_GRIDS_SQL = """
WITH listed AS (             -- the units of worker_areas, else the area the worker's department serves
    SELECT unit_id FROM worker_areas WHERE worker_id = $worker
    UNION
    SELECT d.unit_id FROM workers w JOIN departments d ON d.dept_id = w.dept_id
    WHERE w.worker_id = $worker AND NOT EXISTS (SELECT 1 FROM worker_areas WHERE worker_id = $worker)
),
grids AS (
    SELECT g.unit_id AS grid_id, c.unit_id AS community_id, s.unit_id AS street_id, s.parent_id AS district_id
    FROM org_units g
    LEFT JOIN org_units c ON c.unit_id = g.parent_id
    LEFT JOIN org_units s ON s.unit_id = c.parent_id
    WHERE g.level = 'grid'
)
SELECT count(*) AS n FROM grids
WHERE grid_id IN (SELECT unit_id FROM listed) OR community_id IN (SELECT unit_id FROM listed)
   OR street_id IN (SELECT unit_id FROM listed) OR district_id IN (SELECT unit_id FROM listed)
"""


def served_grid_count(db: Database, worker_id: str) -> int | None:
    """How many grids the residents a worker is assessed on live in (worker_areas, else the department's area)."""
    frame = query(db, SERVED_GRIDS_SQL, {"worker": worker_id})
    return int(frame["n"][0]) if frame is not None and frame.height else None


# ---------------------------------------------------------------- metrics

def list_runs(db: Database) -> pl.DataFrame:
    """All score runs, newest first (metrics.runs.list_runs)."""
    return SHORT_CACHE.get((db_key(db), "runs"), lambda: runs.list_runs(db))


def latest_run(db: Database, period_id: str | None, *, final_only: bool = False) -> RunInfo | None:
    """The newest run of the period (metrics.runs.latest_run), or None (no period or no run)."""
    if not period_id:
        return None
    return SHORT_CACHE.get((db_key(db), "latest", period_id, final_only),
                           lambda: runs.latest_run(db, period_id, final_only=final_only))


def trend_runs(db: Database, period_id: str | None) -> pl.DataFrame | None:
    """The runs a trend to the period compares, oldest first (metrics.runs.trend_runs): the
    latest run of each period of the same kind up to it. None without a period."""
    if not period_id:
        return None
    return SHORT_CACHE.get((db_key(db), "trend", period_id), lambda: runs.trend_runs(db, period_id))


def run_id_of(run: RunInfo | None) -> str | None:
    """The id of a run, None for no run."""
    return None if run is None else run.run_id


def run_status(run: RunInfo) -> str:
    """'final' or 'draft' for a run."""
    return run.status


def worker_scores(db: Database, run_id: str | None) -> pl.DataFrame | None:
    """Per-worker scores of a run (metrics.results.worker_scores), None without a run."""
    if run_id is None:
        return None
    return RUN_CACHE.get((db_key(db), "workers", run_id), lambda: results.worker_scores(db, run_id))


def unit_scores(db: Database, run_id: str | None, *, level: UnitLevel) -> pl.DataFrame | None:
    """Per-unit scores of a run (metrics.results.unit_scores), None without a run."""
    if run_id is None:
        return None
    return RUN_CACHE.get((db_key(db), "units", run_id, level), lambda: results.unit_scores(db, run_id, level=level))


def explain_worker(db: Database, run_id: str | None, worker_id: str) -> Explanation | None:
    """The explanation tree of one worker's score (metrics.explain), None without a run."""
    return None if run_id is None else explain.explain_worker(db, run_id, worker_id)


def indicator_values(db: Database, run_id: str | None, subject_id: str, *, level: str = "worker") -> pl.DataFrame | None:
    """One subject's indicator lines in a run (metrics.results.indicator_values), None without a run."""
    if run_id is None:
        return None
    return results.indicator_values(db, run_id, level=level, subject_id=subject_id)


def adjustments(db: Database, run_id: str | None, subject_id: str, *, level: str = "worker") -> pl.DataFrame | None:
    """One subject's deductions and bonuses with evidence ids (metrics.results.adjustments), None without a run."""
    if run_id is None:
        return None
    return results.adjustments(db, run_id, level=level, subject_id=subject_id)


def explain_unit(db: Database, run_id: str | None, unit_id: str, *, level: str) -> Explanation | None:
    """The explanation of one unit's score (metrics.explain), None without a run."""
    return None if run_id is None else explain.explain_unit(db, run_id, unit_id, level=level)


def veto_transition(db: Database, veto_id: str, *, action: Action, actor: str, evidence: str) -> VetoAction:
    """Move a veto through its states, audited (metrics.vetoes.transition)."""
    try:
        return vetoes.transition(db, veto_id, action=action, actor=actor, evidence=evidence)
    finally:
        clear_caches()


def finalise_run(db: Database, run_id: str, *, actor: str) -> RunInfo:
    """Lock a draft run (metrics.runs.finalise)."""
    try:
        return runs.finalise(db, run_id, actor=actor)
    finally:
        clear_caches()


def load_scheme() -> Scheme:
    """The scheme in force (metrics.scheme.load_scheme)."""
    return RUN_CACHE.get(("scheme",), scheme.load_scheme)


def run_scheme(db: Database, run_id: str | None) -> Scheme:
    """The scheme a run was scored with (the scheme in force when there is no run)."""
    if run_id is None:
        return load_scheme()
    return RUN_CACHE.get((db_key(db), "scheme", run_id), lambda: runs.run_scheme(db, run_id))


def deduction_table(db: Database, run_id: str | None, subject_id: str | None = None, *,
                    level: str = "worker") -> pl.DataFrame:
    """Deduction items reconciled with their events and the total (`metrics.explain.deduction_items`)
    for one subject, or every subject of the level when `subject_id` is None."""
    if run_id is None:
        return pl.DataFrame(schema=explain.RECONCILE_SCHEMA)
    weights = {p.key: float(p.weight) for p in run_scheme(db, run_id).pillars}
    return explain.deduction_items(results.indicator_values(db, run_id, level=level, subject_id=subject_id),
                                   results.adjustments(db, run_id, level=level, subject_id=subject_id), weights)


# ---------------------------------------------------------------- surveys

def satisfaction(db: Database, period_id: str | None, *, level: Level = "grid") -> pl.DataFrame | None:
    """Satisfaction estimates per unit (surveys.estimate.estimate), None before a sample is drawn."""
    if not period_id:
        return None

    def compute() -> pl.DataFrame | None:
        try:
            return estimate(db, period_id, level=level)
        except SurveyError:  # no sample drawn for the period yet
            return None

    return LIVE_CACHE.get((db_key(db), "estimate", period_id, level), compute)


def sample_counts(db: Database, period_id: str | None) -> pl.DataFrame | None:
    """Per grid: population, completes needed, invited (surveys.design.sample_counts), None without a period."""
    return None if not period_id else design.sample_counts(db, period_id)


def quality_flags(db: Database, period_id: str | None) -> pl.DataFrame | None:
    """Flagged survey responses of a period (surveys.quality.flags), None without a period."""
    return None if not period_id else quality.flags(db, period_id)


def warm_caches(db: Database) -> None:
    """Load the default period's run and survey estimates into the caches (server start-up).

    The first visitor would otherwise wait for them (seconds at city scale). Errors
    are ignored: a warm-up must never stop the server.
    """
    try:
        period = default_period(db)
        run = latest_run(db, period)
        worker_scores(db, run_id_of(run))
        satisfaction(db, period, level="grid")
        load_scheme()
    except Exception:  # noqa: BLE001 — best effort only
        return
