"""Rank uncertainty by vectorised Monte Carlo (B11).

Each draw perturbs what is uncertain or arbitrary in a score: the satisfaction estimate
(survey resampling, approximated by a normal draw with the estimate's standard error),
the skills score (exam / panel measurement error, the scheme's `measurement_sd`), and
the pillar weights (each × U(1 − j, 1 + j), renormalised to the cap). Draws are
(chunk × workers) numpy arrays, chunks of 125 draws taken on a thread pool, each from its
own generator spawned from the run seed; ranks per draw come from a sort inside each rank
group. Outputs: median rank, the scheme's interval (90 %), P(grade = g), P(top k). The
result depends on the run seed only (not on threads or cores), so a run is reproducible.

Units (departments, communities, streets, B10) get the same treatment, ranked within
their level: their skills score is a weighted mean of members' scores, so its error is
the members' error shrunk by the weights (`skills_se` in the unit roster), and a unit
satisfaction without its own survey estimate carries its members' pooled standard error
(`satisfaction_se_members`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import polars as pl

from metrics.scheme import Scheme
from metrics.score import ScoreInputs, ScoreResult, grade_rank, round_half_up_np


def _ranks_desc(totals: np.ndarray) -> np.ndarray:
    """Rank 1 = highest total, per row (continuous draws: ties have probability ~0)."""
    order = np.argsort(-totals, axis=1, kind="stable")
    ranks = np.empty_like(order)
    rows = np.arange(totals.shape[0])[:, None]
    ranks[rows, order] = np.arange(1, totals.shape[1] + 1)[None, :]
    return ranks


def _column(scores: pl.DataFrame, name: str, default: float) -> np.ndarray:
    """A float column of `scores` with nulls as `default` (all `default` when the column is absent)."""
    if name not in scores.columns:
        return np.full(scores.height, default)
    return scores[name].cast(pl.Float64).fill_nan(None).fill_null(default).to_numpy()


def _grid_ranks_desc(totals: np.ndarray, cols: np.ndarray, decimals: int) -> np.ndarray:
    """`_ranks_desc(totals[:, cols])` for totals rounded to `decimals` (as the draws are): same ranks.

    Rounded totals are whole numbers of 10^-decimals, so each draw's order is a stable
    radix sort of int16 keys (ties keep index order, NaN last, exactly as the float
    sort), done draw by draw so memory stays at the int32 rank array.
    """
    f = 10.0**decimals
    hi, lo = np.nanmax(totals, initial=-np.inf), np.nanmin(totals, initial=np.inf)
    if not (np.isfinite(hi) and np.isfinite(lo)) or max(hi, -lo) * f >= 30000:
        return _ranks_desc(totals[:, cols])
    ranks = np.empty((totals.shape[0], len(cols)), dtype=np.int32)
    pos = np.arange(1, len(cols) + 1, dtype=np.int32)
    for i in range(totals.shape[0]):
        row = totals[i, cols]
        key = np.where(np.isnan(row), 32767.0, -np.rint(row * f)).astype(np.int16)
        ranks[i, np.argsort(key, kind="stable")] = pos
    return ranks


def draw_totals(scores: pl.DataFrame, scheme: Scheme, *, seed: int | Sequence[int] | np.random.SeedSequence,
                draws: int) -> np.ndarray:
    """Totals per draw (draws × subjects) for the subjects of `scores`, in its row order.

    Subjects without a total get NaN. The skills error is the scheme's `measurement_sd`,
    or a subject's own `skills_se` where `scores` has one (units); the satisfaction error
    is the estimate's `satisfaction_se`, else `satisfaction_se_members` (units without
    their own estimate), else 0.
    """
    rng = np.random.default_rng(seed)
    n = scores.height
    jitter = scheme.uncertainty.weight_jitter
    pillars = scheme.pillars
    w = np.array([p.weight for p in pillars], dtype=float)
    factors = rng.uniform(1 - jitter, 1 + jitter, size=(draws, len(pillars))) if jitter > 0 else np.ones((draws, len(pillars)))
    wd = w[None, :] * factors
    wd = wd / wd.sum(axis=1, keepdims=True) * scheme.cap  # (draws, pillars)
    total = np.zeros((draws, n))
    for k, p in enumerate(pillars):
        base = scores[p.key].cast(pl.Float64).fill_null(np.nan).to_numpy()
        if p.source == "survey":
            se = _column(scores, "satisfaction_se", np.nan)
            se = np.where(np.isnan(se), _column(scores, "satisfaction_se_members", 0.0), se)
            val = rng.standard_normal((draws, n))
            val *= se[None, :]
        elif p.source == "skill_assessments" and p.measurement_sd > 0:
            own = "skills_se" in scores.columns
            sd = _column(scores, "skills_se", p.measurement_sd)[None, :] if own else p.measurement_sd
            val = rng.standard_normal((draws, n))
            val *= sd
        else:
            val = np.zeros((1, n))
        # in place (one draws × subjects array at a time): clip(base + noise) × weight / 100
        val += base[None, :]
        np.clip(val, 0.0, 100.0, out=val)
        val = val * wd[:, k : k + 1] if val.shape[0] == 1 else np.multiply(val, wd[:, k : k + 1], out=val)
        val /= 100.0
        total += val
        del val
    bonus = scores["bonus"].cast(pl.Float64).fill_null(0.0).to_numpy()
    total += bonus[None, :]
    return np.minimum(total, scheme.cap, out=total)


CHUNK_DRAWS = 125
"""Draws per chunk. Each chunk has its own generator, spawned from the run seed, so the
draws are the same whichever thread takes a chunk and however many cores there are."""


def _chunk_seeds(seed: int | Sequence[int], draws: int) -> list[tuple[int, int, np.random.SeedSequence]]:
    """(first draw, end, seed) of each chunk of CHUNK_DRAWS draws, children of the run seed."""
    bounds = list(range(0, draws, CHUNK_DRAWS))
    children = np.random.SeedSequence(seed if isinstance(seed, int) else list(seed)).spawn(len(bounds))
    return [(lo, min(lo + CHUNK_DRAWS, draws), ss) for lo, ss in zip(bounds, children, strict=True)]


def _workers() -> int:
    return max(1, min(os.cpu_count() or 1, 8))


def monte_carlo(inputs: ScoreInputs, result: ScoreResult, scheme: Scheme, *, seed: int | Sequence[int] = 0,
                draws: int = 1000, group: str = "role") -> pl.DataFrame:
    """Median rank, rank interval, P(grade) and P(top k) per subject.

    Ranks are among the eligible subjects of the same `group` (as the point ranks: `role`
    for workers, `level` for units); ineligible subjects get grade probabilities only. A
    fail veto gives P(fail) = 1. Draws are taken in chunks of CHUNK_DRAWS on a thread pool
    (numpy releases the GIL), each chunk from its own seeded generator, so the result
    depends on the seed only.

    Examples:
        >>> import numpy as np
        >>> _ranks_desc(np.array([[3.0, 1.0, 2.0]])).tolist()
        [[1, 3, 2]]
    """
    scores = result.scores.sort("subject_id")
    n = scores.height
    cols = ["rank_median", "rank_low", "rank_high", "p_top_k"] + [f"p_grade_{g.key}" for g in scheme.grades]
    if draws <= 0 or n == 0:
        return scores.select("subject_id", *[pl.lit(None, dtype=pl.Float64).alias(c) for c in cols])

    gpos = grade_rank(scheme)
    grades_desc = sorted(scheme.grades, key=lambda g: -g.low)
    cap_for = {"fail": "fail", "grade_cap": scheme.veto.grade_cap, "no_award": scheme.veto.no_award_cap}
    sev = scores["veto_severity"].to_list()
    cap = np.array([gpos[cap_for[s]] if s in cap_for else -1 for s in sev], dtype=np.int8)
    eligible = scores["eligible"].fill_null(False).to_numpy()
    groups = scores[group].fill_null("").to_numpy() if group in scores.columns else np.zeros(n)
    members = [np.nonzero(eligible & (groups == g))[0] for g in np.unique(groups[eligible])]
    ranks = [np.empty((draws, len(idx)), dtype=np.int32) for idx in members]

    def chunk(lo: int, hi: int, ss: np.random.SeedSequence) -> np.ndarray:
        """Fill rows lo:hi of the rank arrays; return this chunk's grade counts (grades × subjects)."""
        totals = round_half_up_np(draw_totals(scores, scheme, seed=ss, draws=hi - lo), scheme.decimals, inplace=True)
        gidx = np.full(totals.shape, -1, dtype=np.int8)  # grades per draw, with the veto caps
        for g in grades_desc[::-1]:
            inside = (totals >= g.low) & ((totals < g.high) | ((g.high == scheme.cap) & (totals <= g.high)))
            gidx[inside] = gpos[g.key]
        np.maximum(gidx, cap[None, :], out=gidx)
        counts = np.stack([(gidx == gpos[g.key]).sum(axis=0) for g in scheme.grades])
        for idx, r in zip(members, ranks, strict=True):  # ranks among eligible peers
            r[lo:hi] = _grid_ranks_desc(totals, idx, scheme.decimals)
        return counts

    with ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="gridscore-mc") as pool:
        counts = sum(pool.map(lambda c: chunk(*c), _chunk_seeds(seed, draws)))
    has_total = scores["total"].is_not_null().to_numpy()
    valid = has_total | np.array([s == "fail" for s in sev])
    probs = {f"p_grade_{g.key}": np.where(valid, counts[k] / draws, np.nan) for k, g in enumerate(scheme.grades)}

    q = (1 - scheme.uncertainty.interval) / 2
    med = np.full(n, np.nan)
    low = np.full(n, np.nan)
    high = np.full(n, np.nan)
    topk = np.full(n, np.nan)
    for idx, r in zip(members, ranks, strict=True):
        med[idx] = np.median(r, axis=0)
        low[idx] = np.quantile(r, q, axis=0, method="lower")
        high[idx] = np.quantile(r, 1 - q, axis=0, method="higher")
        topk[idx] = (r <= scheme.uncertainty.top_k).mean(axis=0)
    out = pl.DataFrame({
        "subject_id": scores["subject_id"],
        "rank_median": med, "rank_low": low, "rank_high": high, "p_top_k": topk, **probs,
    })
    return out.with_columns(pl.col(pl.Float64).fill_nan(None))


def weight_sobol_indices(scores: pl.DataFrame, scheme: Scheme, *, n: int = 256, seed: int = 0,
                         group: str = "role") -> pl.DataFrame:
    """Sobol indices of the pillar-weight choices on the ranking (B11, Saltelli 2010 via scipy).

    Each pillar weight is multiplied by U(1 − j, 1 + j) (j = the scheme's weight jitter) and
    renormalised to the cap; the output is the mean absolute rank change of the eligible
    subjects against the published ranks. First-order and total indices per pillar say
    which weight choice moves the ranking most.

    Returns:
        pillar, first_order, total (empty when fewer than 3 subjects are ranked).
    """
    from scipy.stats import sobol_indices, uniform

    ranked = scores.filter(pl.col("rank").is_not_null()).sort("subject_id" if "subject_id" in scores.columns else "worker_id")
    schema = {"pillar": pl.String, "first_order": pl.Float64, "total": pl.Float64}
    if ranked.height < 3:
        return pl.DataFrame(schema=schema)
    j = scheme.uncertainty.weight_jitter or 0.25
    pts = np.column_stack([ranked[p.key].cast(pl.Float64).to_numpy() for p in scheme.pillars])  # (n_subj, P)
    w0 = np.array([p.weight for p in scheme.pillars], dtype=float)
    bonus = ranked["bonus"].cast(pl.Float64).fill_null(0.0).to_numpy()
    groups = ranked[group].fill_null("").to_numpy() if group in ranked.columns else np.zeros(ranked.height)
    official = ranked["rank"].to_numpy().astype(float)
    masks = [groups == g for g in np.unique(groups)]

    def func(x: np.ndarray) -> np.ndarray:  # x: (P, samples)
        w = w0[:, None] * x
        w = w / w.sum(axis=0, keepdims=True) * scheme.cap
        totals = (pts @ w / 100.0).T + bonus[None, :]  # (samples, n_subj)
        shift = np.zeros(totals.shape[0])
        for m in masks:
            r = _ranks_desc(totals[:, m])
            shift += np.abs(r - official[m][None, :]).sum(axis=1)
        return shift / len(official)

    dists = [uniform(loc=1 - j, scale=2 * j) for _ in scheme.pillars]
    m = 2 ** int(np.ceil(np.log2(max(n, 8))))
    res = sobol_indices(func=func, n=m, dists=dists, rng=np.random.default_rng(seed))
    return pl.DataFrame({"pillar": [p.key for p in scheme.pillars],
                         "first_order": np.asarray(res.first_order, dtype=float),
                         "total": np.asarray(res.total_order, dtype=float)}, schema=schema)
