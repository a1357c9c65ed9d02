"""Diagnostics of a scoring: realised pillar influence (B12), rater reliability (B13), dominance (B14).

- B12: 4:1:5 on paper can be 84:5:11 in practice. Each pillar's realised share of the
  variance of the total is (W_p/100)·Cov(P_p, total)/Var(total) over the scored subjects.
- B13: for panel-rated skills, ICC(2,k) (two-way random, average of k raters; Shrout &
  Fleiss; Koo & Li 2016 bands) per item and panel, Krippendorff's α (interval) per item,
  and each rater's leniency = rater mean − panel mean.
- B14: if i ≥ j on every pillar and on the bonus, and > on one, i never ranks below j.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from metrics.scheme import Scheme
from warehouse.db import Database


def pillar_influence(scores: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """Declared vs realised share of each pillar in the variance of the total (B12).

    Args:
        scores: worker (or unit) scores with the pillar columns and `total`.
        scheme: the scheme the scores came from.

    Returns:
        pillar, declared (W_p/cap), realised, n. Realised shares add up to 1 minus the
        bonus' share; NULL when fewer than 3 subjects have a total or the total is constant.
    """
    have = scores.filter(pl.col("total").is_not_null())
    rows = []
    total = have["total"].cast(pl.Float64).to_numpy()
    var = float(np.var(total)) if len(total) >= 3 else 0.0
    for p in scheme.pillars:
        if var > 0:
            x = have[p.key].cast(pl.Float64).to_numpy()
            cov = float(np.mean((x - x.mean()) * (total - total.mean())))
            realised = (p.weight / 100.0) * cov / var
        else:
            realised = None
        rows.append({"pillar": p.key, "declared": p.weight / scheme.cap, "realised": realised, "n": len(total)})
    return pl.DataFrame(rows, schema={"pillar": pl.String, "declared": pl.Float64, "realised": pl.Float64,
                                      "n": pl.Int64})


def icc2k(matrix: np.ndarray) -> float:
    """ICC(2,k) of a complete targets × raters matrix (two-way random effects, mean of k raters).

    Examples:
        >>> import numpy as np
        >>> m = np.array([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]], float)
        >>> round(icc2k(m), 3)  # Shrout & Fleiss (1979), Table 4: ICC(2,4) = 0.62
        0.62
    """
    n, k = matrix.shape
    grand = matrix.mean()
    ss_rows = k * ((matrix.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((matrix.mean(axis=0) - grand) ** 2).sum()
    ss_err = ((matrix - grand) ** 2).sum() - ss_rows - ss_cols
    msr = ss_rows / (n - 1)
    msc = ss_cols / (k - 1)
    mse = ss_err / ((n - 1) * (k - 1))
    return float((msr - mse) / (msr + (msc - mse) / n))


def krippendorff_alpha_interval(units: pl.DataFrame) -> float | None:
    """Krippendorff's α with the interval metric; `units` has columns unit, value (missing allowed).

    Units with fewer than two values are not pairable and are dropped.
    """
    g = units.drop_nulls("value").group_by("unit").agg(
        pl.len().alias("m"), pl.col("value").sum().alias("s"), (pl.col("value") ** 2).sum().alias("s2")
    ).filter(pl.col("m") >= 2)
    if g.height == 0:
        return None
    m = g["m"].to_numpy().astype(float)
    s = g["s"].to_numpy()
    s2 = g["s2"].to_numpy()
    n = m.sum()
    # Σ over ordered pairs c≠k inside a unit of (c−k)² = 2(m·Σv² − (Σv)²)
    d_o = (2 * (m * s2 - s**2) / (m - 1)).sum() / n
    tot, tot2 = s.sum(), s2.sum()
    d_e = 2 * (n * tot2 - tot**2) / (n * (n - 1))
    return None if d_e == 0 else float(1 - d_o / d_e)


PANEL_SQL = """
WITH p AS (SELECT starts_on, ends_on FROM periods WHERE period_id = $period_id),
sub AS (SELECT s.period_id FROM periods s, p WHERE s.starts_on >= p.starts_on AND s.ends_on <= p.ends_on)
SELECT a.worker_id, a.item, a.rater, 100.0 * a.score / a.max_score AS score
FROM skill_assessments a JOIN sub USING (period_id)
WHERE a.rater IS NOT NULL AND a.rater <> 'exam'
ORDER BY a.item, a.worker_id, a.rater
"""


def rater_reliability(db: Database, period_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Inter-rater reliability of panel-scored skills (B13).

    Returns:
        (items, raters): items has item, panel (comma-separated raters), workers, raters,
        icc2k, alpha (per item, all panels); raters has item, rater, ratings, leniency.
    """
    ratings = db.query(PANEL_SQL, {"period_id": period_id})
    if ratings.height == 0:
        empty_items = pl.DataFrame(schema={"item": pl.String, "panel": pl.String, "workers": pl.Int64,
                                           "raters": pl.Int64, "icc2k": pl.Float64, "alpha": pl.Float64})
        empty_raters = pl.DataFrame(schema={"item": pl.String, "rater": pl.String, "ratings": pl.Int64,
                                            "leniency": pl.Float64})
        return empty_items, empty_raters
    panels = ratings.group_by("worker_id", "item").agg(pl.col("rater").sort().str.join(",").alias("panel"))
    r = ratings.join(panels, on=["worker_id", "item"])
    alphas = {
        item: krippendorff_alpha_interval(grp.select(pl.col("worker_id").alias("unit"), pl.col("score").alias("value")))
        for (item,), grp in r.group_by("item", maintain_order=True)
    }
    rows = []
    for (item, panel), grp in r.sort("item", "panel").group_by("item", "panel", maintain_order=True):
        wide = grp.pivot(on="rater", index="worker_id", values="score").drop_nulls()
        mat = wide.drop("worker_id").to_numpy().astype(float)
        icc = icc2k(mat) if mat.shape[0] >= 3 and mat.shape[1] >= 2 else None
        rows.append({"item": item, "panel": panel, "workers": mat.shape[0], "raters": mat.shape[1],
                     "icc2k": icc, "alpha": alphas.get(item)})
    items = pl.DataFrame(rows, schema={"item": pl.String, "panel": pl.String, "workers": pl.Int64,
                                       "raters": pl.Int64, "icc2k": pl.Float64, "alpha": pl.Float64})
    raters = (
        r.with_columns((pl.col("score") - pl.col("score").mean().over("worker_id", "item")).alias("diff"))
        .group_by("item", "rater")
        .agg(pl.len().cast(pl.Int64).alias("ratings"), pl.col("diff").mean().alias("leniency"))
        .sort("item", "rater")
    )
    return items, raters


def dominance_violations(scores: pl.DataFrame, scheme: Scheme, *, group: str = "role") -> pl.DataFrame:
    """Pairs breaking dominance (B14): i ≥ j on every pillar's points and the bonus, > on one,
    both ranked in the same group, yet rank(i) > rank(j). Empty when the engine is sound."""
    cols = [f"{p.key}_points" for p in scheme.pillars] + ["bonus"]
    ranked = scores.filter(pl.col("rank").is_not_null()).sort(group, "subject_id" if "subject_id" in scores.columns else "worker_id")
    id_col = "subject_id" if "subject_id" in ranked.columns else "worker_id"
    out = []
    for (_g,), grp in ranked.group_by(group, maintain_order=True):
        x = grp.select(cols).fill_null(0.0).to_numpy()
        rank = grp["rank"].to_numpy()
        ge = (x[:, None, :] >= x[None, :, :] - 1e-12).all(axis=2)
        gt = (x[:, None, :] > x[None, :, :] + 1e-12).any(axis=2)
        bad = ge & gt & (rank[:, None] > rank[None, :])
        i, j = np.nonzero(bad)
        ids = grp[id_col].to_numpy()
        out.append(pl.DataFrame({"better": ids[i].astype(str), "worse": ids[j].astype(str),
                                 "rank_better": rank[i], "rank_worse": rank[j]}).cast(
            {"better": pl.String, "worse": pl.String, "rank_better": pl.Int32, "rank_worse": pl.Int32}))
    if not out:
        return pl.DataFrame(schema={"better": pl.String, "worse": pl.String, "rank_better": pl.Int32,
                                    "rank_worse": pl.Int32})
    return pl.concat(out, how="vertical_relaxed")
