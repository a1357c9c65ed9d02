"""Which satisfaction figures are withheld (A11): small units and their complementary partners.

A unit with fewer than k respondents is suppressed ("small"). That alone is not enough:
a community's figure is a population-weighted mean of its grids' figures, so if a
community is published and all its grids but one are, the hidden grid follows by
difference (likewise two small grids with fewer than k respondents together). The fix
is complementary suppression, decided here once for every level:

* grids: in each community, while the suppressed grids that have respondents are a
  single grid or have fewer than k respondents together, the next-smallest published
  grid (fewest respondents, then id) is suppressed too ("complementary"). What can then
  be derived from the published figures is a weighted mean of at least two grids with
  at least k respondents together — never one small grid.
* roll-ups (community, street, district): a unit with fewer than k respondents is
  "small". Each unit carries a residue — the respondents of the hidden grids its own
  figure would expose if published (for a community: its suppressed grids; above: the
  residues of its suppressed children). A unit whose residue is between 1 and k − 1 is
  suppressed ("complementary") and passes the residue up; a published unit keeps it.

Community figures normally stay published (their many respondents are what scoring of
communities needs); the price is one extra grid hidden where a community has a small one.
"""

from __future__ import annotations

import polars as pl

K_MIN = 5  # A11: fewest respondents a published figure may rest on (the one definition)
SMALL = "small"
COMPLEMENTARY = "complementary"
ROLL_UPS: tuple[str, ...] = ("community", "street", "district")

SCHEMA = {"level": pl.String, "unit_id": pl.String, "reason": pl.String}


def _complementary_grids(grids: pl.DataFrame, k_min: int) -> dict[str, str]:
    """Grid id → reason for the suppressed grids, every community in one pass.

    A community needs a complementary grid when its small grids with respondents are a
    single grid or have fewer than k respondents together. One is then enough: the next
    published grid holds at least k respondents, so the hidden set is no longer a single
    grid nor under k. It is the smallest published grid (ties by id).
    """
    g = grids.with_columns(
        (pl.col("respondents") < k_min).alias("_small"),
        ((pl.col("respondents") > 0) & (pl.col("respondents") < k_min)).alias("_exposed"),
    )
    needs = g.group_by("community_id").agg(
        pl.col("_exposed").sum().alias("exposed"),
        pl.col("respondents").filter(pl.col("_exposed")).sum().alias("exposed_respondents"),
    ).filter((pl.col("exposed") == 1) | ((pl.col("exposed") > 1) & (pl.col("exposed_respondents") < k_min)))
    complementary = (
        g.filter(~pl.col("_small"))
        .join(needs.select("community_id"), on="community_id")
        .sort("respondents", "grid_id")
        .group_by("community_id", maintain_order=True)
        .first()
    )
    reasons = dict.fromkeys(g.filter(pl.col("_small"))["grid_id"].to_list(), SMALL)
    reasons.update(dict.fromkeys(complementary["grid_id"].to_list(), COMPLEMENTARY))
    return reasons


def suppressed_units(grids: pl.DataFrame, tree: pl.DataFrame, k_min: int) -> pl.DataFrame:
    """The suppressed units of every level, with why: level, unit_id, reason ("small" | "complementary").

    Args:
        grids: one row per grid, `unit_id` (grid id) and `respondents`.
        tree: grid_id with its community_id, street_id and district_id (surveys.estimate.TREE_SQL).
        k_min: fewest respondents a published figure may rest on.
    """
    base = tree.select("grid_id", *[f"{lv}_id" for lv in ROLL_UPS]).join(
        grids.select(pl.col("unit_id").alias("grid_id"), pl.col("respondents").fill_null(0).cast(pl.Int64)),
        on="grid_id", how="left",
    ).with_columns(pl.col("respondents").fill_null(0), pl.col("community_id").fill_null(""))
    grid_reasons = _complementary_grids(base, k_min)
    rows = [("grid", g, why) for g, why in sorted(grid_reasons.items())]
    # residue of a community: respondents of its suppressed grids
    hidden = pl.Series("grid_id", list(grid_reasons), dtype=pl.String)
    current = base.group_by("community_id").agg(
        pl.col("respondents").sum(),
        pl.col("respondents").filter(pl.col("grid_id").is_in(hidden.implode())).sum().alias("residue"),
        *[pl.col(f"{lv}_id").first() for lv in ROLL_UPS[1:]],
    )
    for i, level in enumerate(ROLL_UPS):
        key = f"{level}_id"
        if i > 0:  # a unit's residue: what its suppressed children would expose
            current = current.group_by(key).agg(
                pl.col("respondents").sum(),
                pl.col("residue").filter(pl.col("_suppressed")).sum().alias("residue"),
                *[pl.col(f"{lv}_id").first() for lv in ROLL_UPS[i + 1:]],
            )
        current = current.with_columns(
            pl.when(pl.col("respondents") < k_min).then(pl.lit(SMALL))
            .when((pl.col("residue") > 0) & (pl.col("residue") < k_min)).then(pl.lit(COMPLEMENTARY))
            .alias("_reason")
        ).with_columns(pl.col("_reason").is_not_null().alias("_suppressed"))
        rows += [(level, u, why) for u, why in current.filter(pl.col("_suppressed")).select(key, "_reason").iter_rows()
                 if u]
    return pl.DataFrame(rows, schema=SCHEMA, orient="row").sort("level", "unit_id")


def reason_text(reason: str | None, k_min: int) -> str | None:
    """The words shown beside a suppressed figure."""
    if reason == SMALL:
        return f"fewer than {k_min} respondents"
    if reason == COMPLEMENTARY:
        return "complementary: would reveal a suppressed grid by difference"
    return None
