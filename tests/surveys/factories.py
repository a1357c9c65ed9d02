"""Small hand-made registers for survey tests (independent of the city generator)."""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from warehouse.db import Database


def make_register(
    db: Database,
    grid_sizes: dict[str, int],
    *,
    year: int = 2025,
    seed: int = 1,
    with_truth: bool = True,
) -> None:
    """Write org units, periods, one grid worker per grid (with latent quality) and households.

    Grid ids follow the contract (D01S01C01G01); households are numbered per grid
    so adding households to one grid leaves every other household id unchanged.
    """
    rng = np.random.default_rng(seed)
    cur = db.cursor()
    units = set()
    for grid in grid_sizes:
        d, s, c = grid[:3], grid[:6], grid[:9]
        units |= {(d, "district", None), (s, "street", d), (c, "community", s), (grid, "grid", c)}
    cur.executemany(
        "INSERT INTO org_units (unit_id, name, level, parent_id) VALUES (?, ?, ?, ?)",
        [[u, f"单位{u}", level, parent] for u, level, parent in sorted(units)],
    )
    cur.executemany(
        "INSERT INTO periods (period_id, kind, starts_on, ends_on) VALUES (?, ?, ?, ?)",
        [
            [f"{year}", "year", date(year, 1, 1), date(year, 12, 31)],
            [f"{year - 1}", "year", date(year - 1, 1, 1), date(year - 1, 12, 31)],
            [f"{year}H1", "half", date(year, 1, 1), date(year, 6, 30)],
        ],
    )
    hh = []
    for grid, size in grid_sizes.items():
        for k in range(size):
            tags = "elderly" if rng.random() < 0.3 else None
            hh.append((f"H{grid}-{k:04d}", grid, int(rng.integers(1, 6)), tags))
    frame = pl.DataFrame(hh, schema=["household_id", "grid_id", "size", "tags"], orient="row")
    cur.register("_hh", frame)
    cur.execute("INSERT INTO households (household_id, grid_id, size, tags, active) SELECT *, true FROM _hh")
    cur.execute(
        """INSERT INTO household_identities (household_id, contact_name, phone, address)
           SELECT household_id, '住户' || household_id, '138' || lpad(CAST(row_number() OVER () AS VARCHAR), 8, '0'),
                  grid_id || '号楼' FROM _hh"""
    )
    workers = [(f"W{i + 1:06d}", f"网格员{i + 1}", "grid_worker", g, date(year - 3, 1, 1))
               for i, g in enumerate(grid_sizes)]
    cur.executemany(
        "INSERT INTO workers (worker_id, name, role, grid_id, in_post_from) VALUES (?, ?, ?, ?, ?)", workers
    )
    if with_truth:
        cur.executemany(
            "INSERT INTO synthetic_truth VALUES (?, ?)",
            [[w[0], float(rng.normal())] for w in workers],
        )
    cur.close()


def grid_ids(n: int, *, per_community: int = 4, per_street: int = 3) -> list[str]:
    """n grid ids in contract form, 4 grids per community, 3 communities per street."""
    out = []
    for i in range(n):
        c, g = divmod(i, per_community)
        s, c2 = divmod(c, per_street)
        out.append(f"D01S{s + 1:02d}C{c2 + 1:02d}G{g + 1:02d}")
    return out
