"""The generated city's structure: org tree, departments, workers, households.

Grids are numbered in tree order, so the grids of any community, street or district
form one contiguous index range; a worker's area is such a range `[area_lo, area_hi)`.
Grid workers come first among the workers, in grid order, so grid `g`'s grid worker
is worker `g`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np
import polars as pl

from warehouse.synthetic.names import person_names, phone_numbers, place_names

FUNCTIONAL_DEPARTMENTS: tuple[tuple[str, str], ...] = (
    ("民政局", "Civil Affairs Bureau"),
    ("司法局", "Justice Bureau"),
    ("公安分局", "Public Security Sub-bureau"),
    ("城市管理局", "Urban Management Bureau"),
    ("卫生健康委员会", "Health Commission"),
    ("应急管理局", "Emergency Management Bureau"),
    ("信访局", "Petitions Bureau"),
    ("人力资源和社会保障局", "Human Resources and Social Security Bureau"),
)
POLICE_DEPT = 2
"""Index of 公安分局 in FUNCTIONAL_DEPARTMENTS (grid police belong to it)."""

ROLES: tuple[str, ...] = (
    "grid_worker", "grid_police", "coordinator", "community_staff", "department_staff",
)
GRID_WORKER, GRID_POLICE, COORDINATOR, COMMUNITY_STAFF, DEPARTMENT_STAFF = range(5)


@dataclass(frozen=True)
class SizeSpec:
    """Shape of a generated city."""

    districts: int
    streets: int
    communities: int
    grids: int
    chunk_grids: int
    """Grids generated and inserted together (bounds memory for the province)."""
    volume: float = 1.0
    """Multiplier of per-grid work-record volume (1.0 ≈ 6,700 records per grid)."""


SIZES: dict[str, SizeSpec] = {
    "small": SizeSpec(districts=1, streets=3, communities=10, grids=60, chunk_grids=20),
    "city": SizeSpec(districts=6, streets=36, communities=420, grids=3000, chunk_grids=600),
    "province": SizeSpec(
        districts=120, streets=1440, communities=14_000, grids=100_000, chunk_grids=500
    ),
}


def _split(rng: np.random.Generator, total: int, parts: int, minimum: int) -> np.ndarray:
    """Random positive counts per part summing to `total`, each ≥ `minimum`."""
    extra = rng.multinomial(total - parts * minimum, np.full(parts, 1.0 / parts))
    return extra + minimum


def _starts(counts: np.ndarray) -> np.ndarray:
    return np.cumsum(counts) - counts


def _local_index(counts: np.ndarray) -> np.ndarray:
    """1-based index of each child within its parent, for children in parent order."""
    total = int(counts.sum())
    return np.arange(total) - np.repeat(_starts(counts), counts) + 1


def _child_ids(parent_ids: pl.Series, counts: np.ndarray, letter: str) -> pl.Series:
    local = _local_index(counts)
    width = max(2, len(str(int(local.max()))))
    parents = parent_ids.gather(np.repeat(np.arange(len(counts)), counts))
    return pl.select(
        pl.concat_str(parents, pl.lit(letter), pl.Series(local).cast(pl.String).str.zfill(width))
    ).to_series()


def _codes(prefix: str, n: int, width: int) -> pl.Series:
    width = max(width, len(str(n)))
    return pl.select(
        pl.concat_str(pl.lit(prefix), pl.int_range(1, n + 1).cast(pl.String).str.zfill(width))
    ).to_series()


def _rows(**columns: pl.Series | str | None) -> pl.DataFrame:
    """One block of table rows: Series columns as given, a str or None repeated on every row.

    The org units of each level and the departments of each kind are built as such
    blocks and concatenated; constant columns are String (NULL for None).
    """
    height = next(len(v) for v in columns.values() if isinstance(v, pl.Series))
    return pl.DataFrame(
        {
            name: value if isinstance(value, pl.Series) else pl.Series([value] * height, dtype=pl.String)
            for name, value in columns.items()
        }
    )


@dataclass(frozen=True)
class Tree:
    """The org tree as index arrays (all in tree order) plus the org_units rows."""

    district_ids: pl.Series
    street_ids: pl.Series
    community_ids: pl.Series
    community_names: pl.Series
    grid_ids: pl.Series
    street_district: np.ndarray
    community_street: np.ndarray
    grid_community: np.ndarray
    community_grid_start: np.ndarray
    community_grid_count: np.ndarray
    street_grid_start: np.ndarray
    street_grid_count: np.ndarray
    district_grid_start: np.ndarray
    district_grid_count: np.ndarray
    units: pl.DataFrame


def build_tree(rng: np.random.Generator, spec: SizeSpec) -> Tree:
    """Districts → streets → communities → grids with ids per the contract (D01S02C03G04)."""
    streets_per_d = _split(rng, spec.streets, spec.districts, 1)
    comms_per_s = _split(rng, spec.communities, spec.streets, 1)
    grids_per_c = _split(rng, spec.grids, spec.communities, 2)

    district_ids = _codes("D", spec.districts, 2)
    street_ids = _child_ids(district_ids, streets_per_d, "S")
    community_ids = _child_ids(street_ids, comms_per_s, "C")
    grid_ids = _child_ids(community_ids, grids_per_c, "G")

    street_district = np.repeat(np.arange(spec.districts), streets_per_d)
    community_street = np.repeat(np.arange(spec.streets), comms_per_s)
    grid_community = np.repeat(np.arange(spec.communities), grids_per_c)

    district_names = place_names(spec.districts, offset=0, suffix="区")
    street_names = place_names(spec.streets, offset=7, suffix="街道")
    community_names = place_names(spec.communities, offset=23, suffix="社区")
    grid_local = pl.Series(_local_index(grids_per_c)).cast(pl.String)
    grid_names = pl.select(
        pl.concat_str(
            community_names.gather(grid_community), pl.lit("第"), grid_local, pl.lit("网格")
        )
    ).to_series()
    grid_names_en = pl.select(pl.concat_str(pl.lit("Grid "), grid_local)).to_series()

    units = pl.concat(
        [
            _rows(unit_id=district_ids, name=district_names, name_en=None, level="district", parent_id=None),
            _rows(unit_id=street_ids, name=street_names, name_en=None, level="street",
                  parent_id=district_ids.gather(street_district)),
            _rows(unit_id=community_ids, name=community_names, name_en=None, level="community",
                  parent_id=street_ids.gather(community_street)),
            _rows(unit_id=grid_ids, name=grid_names, name_en=grid_names_en, level="grid",
                  parent_id=community_ids.gather(grid_community)),
        ]
    )
    cg_start = _starts(grids_per_c)
    grids_per_s = np.bincount(community_street, weights=grids_per_c, minlength=spec.streets).astype(np.int64)
    grids_per_d = np.bincount(street_district, weights=grids_per_s, minlength=spec.districts).astype(np.int64)
    return Tree(
        district_ids=district_ids,
        street_ids=street_ids,
        community_ids=community_ids,
        community_names=community_names,
        grid_ids=grid_ids,
        street_district=street_district,
        community_street=community_street,
        grid_community=grid_community,
        community_grid_start=cg_start,
        community_grid_count=grids_per_c,
        street_grid_start=_starts(grids_per_s),
        street_grid_count=grids_per_s,
        district_grid_start=_starts(grids_per_d),
        district_grid_count=grids_per_d,
        units=units,
    )


@dataclass(frozen=True)
class Departments:
    """Department rows and the index of each district's, street's, community's department."""

    frame: pl.DataFrame
    functional_start: int
    street_office_start: int
    community_start: int


def build_departments(tree: Tree) -> Departments:
    """Functional departments per district, an office per street, a committee per community."""
    n_d, n_s = len(tree.district_ids), len(tree.street_ids)
    n_f = len(FUNCTIONAL_DEPARTMENTS)
    f_names = pl.Series([name for name, _ in FUNCTIONAL_DEPARTMENTS])
    f_names_en = pl.Series([name for _, name in FUNCTIONAL_DEPARTMENTS])
    district_of_f = np.repeat(np.arange(n_d), n_f)
    kind_of_f = np.tile(np.arange(n_f), n_d)
    district_names = tree.units.filter(pl.col("level") == "district")["name"]
    street_names = tree.units.filter(pl.col("level") == "street")["name"]
    functional = _rows(
        name=pl.select(
            pl.concat_str(district_names.gather(district_of_f), f_names.gather(kind_of_f))
        ).to_series(),
        name_en=f_names_en.gather(kind_of_f),
        kind="functional",
        unit_id=tree.district_ids.gather(district_of_f),
    )
    offices = _rows(
        name=pl.select(pl.concat_str(street_names, pl.lit("办事处"))).to_series(),
        name_en="Street Office",
        kind="street_office",
        unit_id=tree.street_ids,
    )
    committees = _rows(
        name=pl.select(pl.concat_str(tree.community_names, pl.lit("居民委员会"))).to_series(),
        name_en="Community Committee",
        kind="community",
        unit_id=tree.community_ids,
    )
    frame = pl.concat([functional, offices, committees])
    frame = frame.insert_column(0, _codes("DEP", frame.height, 4).alias("dept_id"))
    return Departments(
        frame=frame,
        functional_start=0,
        street_office_start=n_d * n_f,
        community_start=n_d * n_f + n_s,
    )


FACETS: tuple[str, ...] = (
    "visit", "timeliness", "mediation", "resolution", "key_person", "routine",
    "diligence", "skill", "conduct",
)
"""Aspects of a worker's work; each follows the latent quality plus its own noise."""
FACET_SD = 0.5
"""Spread of a facet around the worker's quality (workers have strengths and weaknesses)."""


@dataclass(frozen=True)
class Staff:
    """Workers as arrays (index = worker number - 1) plus their table rows."""

    worker_ids: pl.Series
    role: np.ndarray
    quality: np.ndarray
    area_lo: np.ndarray
    area_hi: np.ndarray
    start_day: np.ndarray
    """First day in post as day-of-year (0 for anyone in post before the year)."""
    district: np.ndarray
    frame: pl.DataFrame
    facet_noise: np.ndarray
    """Per-facet deviations, shape (len(FACETS), workers), standard normal."""

    def facet(self, name: str) -> np.ndarray:
        """Effective quality of every worker for one aspect of the work (`FACETS`)."""
        return self.quality + FACET_SD * self.facet_noise[FACETS.index(name)]


def build_staff(rng: np.random.Generator, tree: Tree, depts: Departments, year: int) -> Staff:
    """Grid workers, grid police, coordinators, community staff and department staff."""
    n_g, n_c, n_d = len(tree.grid_ids), len(tree.community_ids), len(tree.district_ids)
    n_f = len(FUNCTIONAL_DEPARTMENTS)
    cg_lo, cg_n = tree.community_grid_start, tree.community_grid_count
    comm_district = tree.street_district[tree.community_street]

    # grid workers: one per grid, attached to their community's committee
    gw_lo = np.arange(n_g)
    gw = (gw_lo, gw_lo + 1, depts.community_start + tree.grid_community, gw_lo, tree.street_district[tree.community_street[tree.grid_community]])
    # grid police: one per three grids of a community (responsible grid = first of the three)
    per_c = -(-cg_n // 3)
    pc = np.repeat(np.arange(n_c), per_c)
    p_lo = cg_lo[pc] + 3 * (_local_index(per_c) - 1)
    p_hi = np.minimum(p_lo + 3, cg_lo[pc] + cg_n[pc])
    police = (p_lo, p_hi, depts.functional_start + comm_district[pc] * n_f + POLICE_DEPT, p_lo, comm_district[pc])
    # coordinators: 1 + one per four grids of a community, in the street office; the
    # community's grids are split into contiguous blocks, one per coordinator (the grids
    # they serve, written to `worker_areas`)
    per_c = 1 + cg_n // 4
    cc = np.repeat(np.arange(n_c), per_c)
    j = _local_index(per_c) - 1
    c_lo = cg_lo[cc] + (j * cg_n[cc]) // per_c[cc]
    c_hi = cg_lo[cc] + ((j + 1) * cg_n[cc]) // per_c[cc]
    coord = (c_lo, c_hi, depts.street_office_start + tree.community_street[cc], np.full(len(cc), -1), comm_district[cc])
    # community staff: two per community committee
    sc = np.repeat(np.arange(n_c), 2)
    staff = (cg_lo[sc], cg_lo[sc] + cg_n[sc], depts.community_start + sc, np.full(len(sc), -1), comm_district[sc])
    # department staff: three per functional department, area = the district
    fd = np.repeat(np.arange(n_d * n_f), 3)
    fdist = fd // n_f
    dstaff = (tree.district_grid_start[fdist], tree.district_grid_start[fdist] + tree.district_grid_count[fdist], depts.functional_start + fd, np.full(len(fd), -1), fdist)

    groups = (gw, police, coord, staff, dstaff)
    role = np.concatenate([np.full(len(g[0]), r, dtype=np.int8) for r, g in enumerate(groups)])
    area_lo, area_hi, dept, grid, district = (np.concatenate([g[i] for g in groups]) for i in range(5))
    n = len(role)
    quality = rng.standard_normal(n)

    # in post: most for years; about 6 % joined during the year (half of them < 6 months ago)
    new = rng.random(n) < 0.06
    start_day = np.where(new, rng.integers(20, 320, size=n), 0)
    years_before = rng.integers(180, 15 * 365, size=n)
    jan1 = np.datetime64(date(year, 1, 1), "D")
    in_post_from = np.where(new, jan1 + start_day, jan1 - years_before)

    worker_ids = _codes("W", n, 6)
    grid_ids = tree.grid_ids.gather(np.where(grid >= 0, grid, 0))
    frame = pl.DataFrame(
        {
            "worker_id": worker_ids,
            "name": person_names(rng, n),
            "role": pl.Series(ROLES).gather(role),
            "grid_id": pl.select(pl.when(pl.Series(grid >= 0)).then(grid_ids)).to_series(),
            "dept_id": depts.frame["dept_id"].gather(dept),
            "in_post_from": pl.Series(in_post_from.astype("datetime64[D]")),
            "in_post_to": pl.Series([None] * n, dtype=pl.Date),
        }
    )
    return Staff(
        worker_ids=worker_ids,
        role=role,
        quality=quality,
        area_lo=area_lo,
        area_hi=area_hi,
        start_day=start_day,
        district=district,
        frame=frame,
        facet_noise=rng.standard_normal((len(FACETS), n)),
    )


def worker_areas(tree: Tree, staff: Staff) -> pl.DataFrame:
    """`worker_areas` rows: every grid a coordinator serves (their block of the community).

    Grid workers and police are assessed on their own grid (`workers.grid_id`), community
    and department staff on their department's area, so only coordinators need rows.
    """
    coord = np.nonzero(staff.role == COORDINATOR)[0]
    size = staff.area_hi[coord] - staff.area_lo[coord]
    who = np.repeat(coord, size)
    grid = np.repeat(staff.area_lo[coord], size) + _local_index(size) - 1
    return pl.DataFrame({"worker_id": staff.worker_ids.gather(who), "unit_id": tree.grid_ids.gather(grid)})


HOUSEHOLD_TAGS: tuple[tuple[str, float], ...] = (
    ("elderly", 0.25),
    ("floating", 0.12),
    ("key_person", 0.02),
    ("low_income", 0.05),
    ("disabled", 0.04),
)
# Resident mix varies between grids (old estates are older and poorer, urban villages
# house the floating population): per grid, logit(rate) = logit(base) + a·estate + b·own,
# estate and own ~ N(0, 1) per grid. Tags not listed keep their base rate everywhere.
# The survey simulator's resident-mix effect (docs/methodology.md, "Truth") acts on these.
TAG_GRID_SPREAD: dict[str, tuple[float, float]] = {
    "elderly": (0.6, 0.3),
    "floating": (-0.5, 0.5),
    "low_income": (0.4, 0.4),
}


def _tag_rates(rng: np.random.Generator, n_grids: int) -> list[np.ndarray]:
    """Per-grid rate of each tag of `HOUSEHOLD_TAGS` (see `TAG_GRID_SPREAD`)."""
    estate = rng.standard_normal(n_grids)
    rates = []
    for tag, base in HOUSEHOLD_TAGS:
        a, b = TAG_GRID_SPREAD.get(tag, (0.0, 0.0))
        logit = np.log(base / (1 - base)) + a * estate + b * rng.standard_normal(n_grids)
        rates.append(1 / (1 + np.exp(-logit)))
    return rates


def household_frames(
    rng: np.random.Generator,
    tree: Tree,
    *,
    grids: np.ndarray,
    first_household: int,
    households_per_grid: np.ndarray,
    id_width: int,
    year: int,
) -> tuple[pl.DataFrame, pl.DataFrame, np.ndarray]:
    """Households (and identities) of `grids`; also their key-person mask.

    Household numbers run from `first_household`; `households_per_grid` is aligned
    with `grids`.
    """
    grid_of = np.repeat(grids, households_per_grid)
    n = len(grid_of)
    ids = pl.select(
        pl.concat_str(
            pl.lit("H"),
            pl.int_range(first_household + 1, first_household + n + 1).cast(pl.String).str.zfill(id_width),
        )
    ).to_series()
    size = np.minimum(1 + rng.poisson(1.8, size=n), 20)
    # grid rates from a spawned generator, so the chunk's own stream is drawn as before
    rates = _tag_rates(rng.spawn(1)[0], len(grids))
    flags = [rng.random(n) < p[np.repeat(np.arange(len(grids)), households_per_grid)] for p in rates]
    tags = pl.select(
        pl.concat_str(
            [pl.when(pl.Series(f)).then(pl.lit(t)) for (t, _), f in zip(HOUSEHOLD_TAGS, flags, strict=True)],
            separator=",",
            ignore_nulls=True,
        )
    ).to_series()
    tags = pl.select(pl.when(tags.str.len_bytes() > 0).then(tags)).to_series()
    jan1 = np.datetime64(date(year, 1, 1), "D")
    during = rng.random(n) < 0.08
    registered = np.where(during, jan1 + rng.integers(0, 330, size=n), jan1 - rng.integers(1, 20 * 365, size=n))
    households = pl.DataFrame(
        {
            "household_id": ids,
            "grid_id": tree.grid_ids.gather(grid_of),
            "size": pl.Series(size, dtype=pl.Int32),
            "tags": tags,
            "registered_on": pl.Series(registered.astype("datetime64[D]")),
            "active": pl.Series(rng.random(n) > 0.02),
        }
    )
    building = pl.Series(rng.integers(1, 31, size=n)).cast(pl.String)
    unit = pl.Series(rng.integers(1, 7, size=n)).cast(pl.String)
    room = pl.Series(rng.integers(1, 19, size=n) * 100 + rng.integers(1, 5, size=n)).cast(pl.String)
    identities = pl.DataFrame(
        {
            "household_id": ids,
            "contact_name": person_names(rng, n),
            "phone": phone_numbers(rng, n),
            "address": pl.select(
                pl.concat_str(
                    tree.community_names.gather(tree.grid_community[grid_of]),
                    building, pl.lit("栋"), unit, pl.lit("单元"), room, pl.lit("室"),
                )
            ).to_series(),
        }
    )
    return households, identities, flags[2]
