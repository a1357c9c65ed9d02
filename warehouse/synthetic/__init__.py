"""The synthetic city: a seeded, realistic year of grid governance data.

`generate` fills an empty database with an org tree (district → street →
community → grid), departments, workers, households with identities, periods, a
year of work records, skill assessments, inspections, complaints, bonus and veto
events, and `synthetic_truth` (each worker's latent quality). The same seed gives
identical table contents. Everything is drawn as numpy arrays and bulk-inserted
through Arrow; the grids are processed in chunks (whole communities, each with its
own seeded generator) so the province size keeps memory bounded.

The model, in short (parameters live next to the code that uses them):

- Structure (`org.py`): grids of 300–500 households; one grid worker per grid, a
  grid police officer per three grids, 1 + grids/4 coordinators (each serving a block of
  the community's grids, `worker_areas`) and two staff per community, three staff per district functional department (民政, 司法, 公安 …).
  About 6 % of workers joined during the year (half of them less than six months
  before its end); their records start on their first day.
- Quality: each worker has a latent quality q ~ N(0, 1) (`synthetic_truth`) and,
  per aspect of the work (visits, timeliness, mediation, resolution, key persons,
  routine, diligence, skill, conduct), a facet q + 0.5·N(0, 1).
- Work records (`records.py`, ≈ 6,700 per grid and year): visits per household
  (reached with probability logistic(2.2 + 0.9·facet)), disputes with red / yellow /
  blue warning levels (due in 3 / 7 / 15 days), hazards, errands, petitions,
  hotline tickets, monthly key-person follow-ups, half-monthly dispute screening,
  quarterly drills and monthly meetings; seasonal volumes (`calendar.py`); closure
  on time with probability logistic(1.5 + 0.9·timeliness); success of disputes,
  hotline tickets etc. driven by mediation / resolution; some records still open
  (and overdue) at year end, 1 % cancelled, 4 % spot-checked.
- Events (`events.py`): a written exam and three panel-rated items (three raters
  each, with rater leniency and noise); grid and community inspections with
  deductions and rectification deadlines; complaints (valid ones more likely for
  weak workers); bonus events; a few vetoes (confirmed, proposed, one under appeal,
  one overturned, more of each in larger cities, and a community-scope veto).
- History (`history`): earlier years for the same org and staff, from their own
  random streams (the demo has the previous year, finalised).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Literal

import numpy as np
import polars as pl

from warehouse.db import Database
from warehouse.errors import WarehouseError
from warehouse.synthetic.calendar import periods_frame
from warehouse.synthetic.events import (
    bonus_events,
    complaints,
    inspections,
    skill_assessments,
    veto_events,
)
from warehouse.synthetic.org import (
    SIZES,
    SizeSpec,
    Staff,
    Tree,
    build_departments,
    build_staff,
    build_tree,
    household_frames,
    worker_areas,
)
from warehouse.synthetic.records import Households, chunk_records

__all__ = ["SIZES", "GenerationSummary", "SizeSpec", "generate"]

Size = Literal["small", "city", "province"]
Progress = Callable[[str, float], None]

GENERATED_TABLES: tuple[str, ...] = (
    "org_units", "departments", "workers", "worker_areas", "synthetic_truth", "periods", "households",
    "household_identities", "work_records", "skill_assessments", "inspections",
    "complaints", "bonus_events", "veto_events",
)


@dataclass(frozen=True)
class GenerationSummary:
    """What `generate` wrote: size, seed, year, rows per table and the time taken."""

    size: str
    seed: int
    year: int
    counts: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_rows(self) -> int:
        """Rows written over all tables."""
        return sum(self.counts.values())


def _insert(cur, table: str, frame: pl.DataFrame) -> int:
    """Bulk-insert a polars frame by column name (Arrow, no per-row work)."""
    name = f"_gen_{table}"
    cur.register(name, frame.to_arrow(compat_level=pl.CompatLevel.newest()))
    try:
        cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {name}")
    finally:
        cur.unregister(name)
    return frame.height


def generate(
    db: Database,
    *,
    size: Size,
    seed: int,
    year: int,
    history: int = 0,
    progress: Progress | None = None,
) -> GenerationSummary:
    """Generate a synthetic city into an empty database.

    Args:
        db: database opened for writing (schema migrated), holding no org units yet.
        size: "small" (≈ 60 grids, the demo and tests), "city" (≈ 3,000 grids,
            ≈ 20 M work records) or "province" (≈ 100,000 grids, benchmarks).
        seed: random seed; the same seed gives identical table contents.
        year: the calendar year generated (periods `{year}`, H1/H2, Q1–Q4).
        history: earlier years generated too (`year − history` … `year − 1`), for the
            same org, workers and households: their periods, work records and events,
            each year from its own random streams, so `year`'s data are the same with
            or without history. A worker who joined later has nothing in earlier years.
        progress: optional callback `(stage, fraction_done)`.

    Returns:
        A `GenerationSummary` with the rows written per table.

    Raises:
        WarehouseError: unknown size, or the database already holds a city.
    """
    if size not in SIZES:
        raise WarehouseError(f"unknown size {size!r}; choose one of {', '.join(SIZES)}")
    if db.scalar("SELECT count(*) FROM org_units") or db.scalar("SELECT count(*) FROM workers"):
        raise WarehouseError(
            f"database {db.path} already holds org units or workers; generate into a fresh database"
        )
    report = progress or (lambda _stage, _fraction: None)
    started = time.perf_counter()
    spec = SIZES[size]
    counts = dict.fromkeys(GENERATED_TABLES, 0)

    report("structure", 0.0)
    city = _structure(db, spec, seed=seed, year=year, history=history, counts=counts)
    _write_records(db, city, spec, seed=seed, year=year, counts=counts, report=report)
    _write_events(db, np.random.default_rng([seed, 2]), city.staff, city.tree, year=year, counts=counts)
    for back in range(history, 0, -1):
        report(f"year {year - back}", 1.0 - back / (history + 1))
        _write_history(db, city, spec, seed=seed, year=year - back, counts=counts)
    report("done", 1.0)
    return GenerationSummary(
        size=size, seed=seed, year=year, counts=counts, seconds=time.perf_counter() - started
    )


@dataclass
class _City:
    """The drawn structure the records and events are generated for (and the records numbered so far)."""

    tree: Tree
    staff: Staff
    per_grid: np.ndarray  # households per grid
    first: np.ndarray  # global number of each grid's first household
    layout: Households
    hh_width: int  # digits of a household number
    records: int = 0  # work records numbered so far (record ids continue across years)


def _structure(db: Database, spec: SizeSpec, *, seed: int, year: int, history: int,
               counts: dict[str, int]) -> _City:
    """Draw and write the org tree, departments, staff (with their latent quality) and periods."""
    rng = np.random.default_rng([seed, 0])
    tree = build_tree(rng, spec)
    depts = build_departments(tree)
    staff = build_staff(rng, tree, depts, year)
    n_grids = len(tree.grid_ids)
    per_grid = rng.integers(300, 501, size=n_grids)
    first = np.cumsum(per_grid) - per_grid
    with db.transaction() as cur:
        counts["org_units"] = _insert(cur, "org_units", tree.units)
        counts["departments"] = _insert(cur, "departments", depts.frame)
        counts["workers"] = _insert(cur, "workers", staff.frame)
        counts["worker_areas"] = _insert(cur, "worker_areas", worker_areas(tree, staff))
        counts["synthetic_truth"] = _insert(
            cur, "synthetic_truth",
            pl.DataFrame({"worker_id": staff.worker_ids, "quality": staff.quality}),
        )
        counts["periods"] = sum(_insert(cur, "periods", periods_frame(y)) for y in range(year - history, year + 1))
    return _City(tree=tree, staff=staff, per_grid=per_grid, first=first,
                 layout=Households(first=first, count=per_grid),
                 hh_width=max(7, len(str(int(per_grid.sum())))))


def _write_records(db: Database, city: _City, spec: SizeSpec, *, seed: int, year: int,
                   counts: dict[str, int], report: Progress) -> None:
    """Households, identities and work records, chunk by chunk (each chunk its own seeded generator)."""
    tree, staff, per_grid, first = city.tree, city.staff, city.per_grid, city.first
    # chunks: contiguous runs of whole communities, about spec.chunk_grids grids each
    chunk_of_comm = tree.community_grid_start // spec.chunk_grids
    chunk_of_grid = chunk_of_comm[tree.grid_community]
    chunk_of_worker = chunk_of_grid[staff.area_lo]
    n_chunks = int(chunk_of_grid.max()) + 1
    next_record = city.records

    def write_chunk(households: pl.DataFrame, identities: pl.DataFrame, records: pl.DataFrame) -> None:
        with db.transaction() as cur:
            counts["households"] += _insert(cur, "households", households)
            counts["household_identities"] += _insert(cur, "household_identities", identities)
            counts["work_records"] += _insert(cur, "work_records", records)

    # One writer thread inserts chunk c while chunk c + 1 is drawn (numpy, polars and
    # DuckDB release the GIL): chunks are still inserted one at a time and in order,
    # and at most two chunks are in memory.
    with ThreadPoolExecutor(max_workers=1) as writer:
        written: Future[None] | None = None
        for c in range(n_chunks):
            crng = np.random.default_rng([seed, 1, c])
            grids = np.nonzero(chunk_of_grid == c)[0]
            households, identities, key_person = household_frames(
                crng, tree, grids=grids, first_household=int(first[grids[0]]),
                households_per_grid=per_grid[grids], id_width=city.hh_width, year=year,
            )
            chunk_hh = np.arange(first[grids[0]], first[grids[-1]] + per_grid[grids[-1]])
            records = chunk_records(
                crng, tree=tree, staff=staff, households=city.layout,
                workers=np.nonzero(chunk_of_worker == c)[0], chunk_households=chunk_hh,
                key_person=key_person, year=year, volume=spec.volume, first_record=next_record,
            )
            next_record += records.height
            city.records = next_record
            if written is not None:
                written.result()
                report("work records", c / (n_chunks + 1))
            written = writer.submit(write_chunk, households, identities, records)
            del households, identities, records
        if written is not None:
            written.result()
            report("work records", n_chunks / (n_chunks + 1))


def _write_events(db: Database, rng: np.random.Generator, staff: Staff, tree: Tree, *, year: int,
                  counts: dict[str, int]) -> None:
    """Skill assessments, inspections, complaints, bonus and veto events of one year (one seeded generator)."""
    with db.transaction() as cur:
        counts["skill_assessments"] += _insert(cur, "skill_assessments", skill_assessments(rng, staff, tree, year))
        counts["inspections"] += _insert(cur, "inspections", inspections(rng, staff, tree, year))
        counts["complaints"] += _insert(cur, "complaints", complaints(rng, staff, tree, year))
        counts["bonus_events"] += _insert(cur, "bonus_events", bonus_events(rng, staff, tree, year))
        counts["veto_events"] += _insert(cur, "veto_events", veto_events(rng, staff, tree, year))


def _staff_in(staff: Staff, earlier: int) -> Staff:
    """The staff as of an earlier year: first day in post counted from 1 January of `earlier`.

    A worker in post before that year starts on day 0; one who joined later gets a start
    day past the year's end, so none of their records or events fall in it.
    """
    jan1 = np.datetime64(date(earlier, 1, 1), "D")
    since = staff.frame["in_post_from"].to_numpy().astype("datetime64[D]")
    return replace(staff, start_day=np.maximum((since - jan1).astype(np.int64), 0))


def _key_persons(db: Database, tree: Tree, grids: np.ndarray) -> np.ndarray:
    """Key-person flags of the households of `grids`, in household order, from the register."""
    flags = db.query(
        "SELECT coalesce(list_contains(string_split(tags, ','), 'key_person'), false) AS kp FROM households "
        "WHERE grid_id IN (SELECT unnest($grids)) ORDER BY household_id",
        {"grids": tree.grid_ids.gather(grids).to_list()},
    )
    return flags["kp"].to_numpy()


def _write_history(db: Database, city: _City, spec: SizeSpec, *, seed: int, year: int,
                   counts: dict[str, int]) -> None:
    """Work records and events of an earlier `year` for the same city (own random streams)."""
    tree, per_grid, first = city.tree, city.per_grid, city.first
    then = _staff_in(city.staff, year)
    chunk_of_grid = (tree.community_grid_start // spec.chunk_grids)[tree.grid_community]
    chunk_of_worker = chunk_of_grid[then.area_lo]
    for c in range(int(chunk_of_grid.max()) + 1):
        grids = np.nonzero(chunk_of_grid == c)[0]
        records = chunk_records(
            np.random.default_rng([seed, 3, year, c]), tree=tree, staff=then, households=city.layout,
            workers=np.nonzero(chunk_of_worker == c)[0],
            chunk_households=np.arange(first[grids[0]], first[grids[-1]] + per_grid[grids[-1]]),
            key_person=_key_persons(db, tree, grids), year=year, volume=spec.volume, first_record=city.records,
        )
        city.records += records.height
        with db.transaction() as cur:
            counts["work_records"] += _insert(cur, "work_records", records)
    _write_events(db, np.random.default_rng([seed, 4, year]), then, tree, year=year, counts=counts)
