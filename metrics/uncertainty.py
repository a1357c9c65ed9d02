"""Rank uncertainty by vectorised Monte Carlo (B11).

Two sets of draws, kept apart: data noise — the satisfaction estimate (a normal draw
with the scored estimator's own error: posterior / MSE, not the raw SE) and the skills
score (exam / panel measurement error, the scheme's `measurement_sd`) — gives rank
intervals, simultaneous rank sets, grade probabilities and the tied mark; the weight
choice alone (each pillar weight × U(1 − j, 1 + j), renormalised to the cap) gives a
separate weight-sensitivity rank range. Draws are
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
                draws: int, noise: bool = True, weights: bool = True) -> np.ndarray:
    """Totals per draw (draws × subjects) for the subjects of `scores`, in its row order.

    Subjects without a total get NaN. With `noise`, the data's errors: the skills error is
    the scheme's `measurement_sd`, or a subject's own `skills_se` where `scores` has one
    (units); the satisfaction error is the scored value's own error `satisfaction_scored_se`
    (the estimator's posterior / MSE, surveys.scored), else `satisfaction_se`, else
    `satisfaction_se_members` (units without their own estimate), else 0. With `weights`,
    the scheme's weight jitter. `monte_carlo` takes the two apart.
    """
    rng = np.random.default_rng(seed)
    n = scores.height
    jitter = scheme.uncertainty.weight_jitter if weights else 0.0
    pillars = scheme.pillars
    w = np.array([p.weight for p in pillars], dtype=float)
    factors = rng.uniform(1 - jitter, 1 + jitter, size=(draws, len(pillars))) if jitter > 0 else np.ones((draws, len(pillars)))
    wd = w[None, :] * factors
    wd = wd / wd.sum(axis=1, keepdims=True) * scheme.cap  # (draws, pillars)
    total = np.zeros((draws, n))
    for k, p in enumerate(pillars):
        base = scores[p.key].cast(pl.Float64).fill_null(np.nan).to_numpy()
        if not noise:
            val = np.zeros((1, n))
        elif p.source == "survey":
            se = _column(scores, "satisfaction_scored_se", np.nan)
            se = np.where(np.isnan(se), _column(scores, "satisfaction_se", np.nan), se)
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


def _max_pair_t(a: np.ndarray, s: np.ndarray, top: int = 32) -> np.ndarray:
    """Per row of `a` (draws × n): max over pairs j ≠ k of (a_j − a_k)/√(s_j² + s_k²), exactly,
    without forming all n² pairs.

    A lower bound L comes from the `top` largest × `top` smallest entries of the row; a
    subject j can only start a larger pair if (a_j − min a)/√(s_j² + min s²) ≥ L (its best
    partner is at most that far), and likewise a partner k. Rows whose candidates all lie in
    the top/bottom sets are done; the others are finished over their candidates. Pairs with
    √(s_j² + s_k²) = 0 do not count.
    """
    a = np.atleast_2d(a)
    b, n = a.shape
    if n < 2:
        return np.zeros(b)
    k = min(top, n // 2) or 1
    part = np.argpartition(a, [k - 1, n - k], axis=1)  # one pass: the k smallest, then the k largest last
    lo, hi = part[:, :k], part[:, n - k:]

    def pair_max(av_j: np.ndarray, s_j: np.ndarray, i_j: np.ndarray, av_k: np.ndarray, s_k: np.ndarray,
                 i_k: np.ndarray) -> np.ndarray:
        den = np.sqrt(s_j[..., :, None] ** 2 + s_k[..., None, :] ** 2)
        with np.errstate(divide="ignore", invalid="ignore"):
            t = np.where(den > 0, (av_j[..., :, None] - av_k[..., None, :]) / den, -np.inf)
        t = np.where(i_j[..., :, None] == i_k[..., None, :], -np.inf, t)
        return t.max(axis=(-2, -1), initial=-np.inf)

    low = pair_max(np.take_along_axis(a, hi, 1), s[hi], hi, np.take_along_axis(a, lo, 1), s[lo], lo)
    # partners grouped in bins of s: j's best partner in a bin is at most (a_j − min a)/√(s_j² + min s²) away
    edges = np.quantile(s, np.linspace(0, 1, 5)[1:-1])
    bins = np.searchsorted(edges, s)
    a32 = a.astype(np.float32)
    bj = np.full((b, n), -np.inf, dtype=np.float32)
    bk = np.full((b, n), -np.inf, dtype=np.float32)
    for g in np.unique(bins):
        m = bins == g
        scale = np.sqrt(s**2 + float(s[m].min()) ** 2)
        inv = np.where(scale > 0, 1.0 / np.where(scale > 0, scale, 1.0), np.inf).astype(np.float32)[None, :]
        sub = a32[:, m]
        with np.errstate(invalid="ignore"):
            np.maximum(bj, (a32 - sub.min(axis=1, keepdims=True)) * inv, out=bj)
            np.maximum(bk, (sub.max(axis=1, keepdims=True) - a32) * inv, out=bk)
    bj = np.nan_to_num(bj, nan=np.inf, posinf=np.inf) * np.float32(1 + 1e-5) + np.float32(1e-6)  # float32 rounding: never prune a real candidate
    bk = np.nan_to_num(bk, nan=np.inf, posinf=np.inf) * np.float32(1 + 1e-5) + np.float32(1e-6)
    cand_j, cand_k = bj >= low[:, None], bk >= low[:, None]
    rows = np.arange(b)[:, None]
    in_hi = np.zeros((b, n), dtype=bool)
    in_hi[rows, hi] = True
    in_lo = np.zeros((b, n), dtype=bool)
    in_lo[rows, lo] = True
    out = low.copy()
    for r in np.nonzero((cand_j & ~in_hi).any(axis=1) | (cand_k & ~in_lo).any(axis=1))[0]:
        j, kk = np.nonzero(cand_j[r])[0], np.nonzero(cand_k[r])[0]
        for start in range(0, len(j), 256):
            jj = j[start:start + 256]
            out[r] = max(out[r], float(pair_max(a[r, jj], s[jj], jj, a[r, kk], s[kk], kk)))
    return out


def simultaneous_rank_sets(theta: np.ndarray, draws: np.ndarray, level: float = 0.9) -> tuple[np.ndarray, np.ndarray, float]:
    """Simultaneous confidence sets for the ranks of all subjects (rank 1 = highest θ).

    Mogstad, Romano, Shaikh & Wilhelm (2023, *Review of Economic Studies*), the
    single-step two-sided form of R `csranks` (`simul = TRUE`): with σ_jk the SE of
    θ̂_j − θ̂_k (here √(s_j² + s_k²), s_j the SD of subject j's draws: the estimates'
    errors are independent), the critical value c is the `level` quantile over the draws
    of max_{j≠k} |(θ*_j − θ̄*_j) − (θ*_k − θ̄*_k)|/σ_jk. Subject k is certainly better than
    j when θ̂_k − θ̂_j > c·σ_jk; then R_j = [1 + #certainly better, n − #certainly worse],
    and all n sets hold their true ranks together with probability ≥ `level`
    (asymptotically). Without the step-down refinement (slightly wider; still valid).

    Args:
        theta: point estimates (n).
        draws: draws of the estimates around them (B × n), e.g. the Monte Carlo.
        level: joint coverage.

    Returns:
        lower and upper rank bounds (n each), and c.

    Examples:
        >>> th = np.array([10.0, 0.0, -10.0])
        >>> z = np.array([[1, -1, 0], [-1, 1, 0], [0, 1, -1], [0, -1, 1]], dtype=float)
        >>> lo, hi, c = simultaneous_rank_sets(th, th + z, 0.5)
        >>> lo.tolist(), hi.tolist(), round(c, 3)
        ([1, 2, 3], [1, 2, 3], 1.414)
    """
    theta = np.asarray(theta, dtype=float)
    n = len(theta)
    if n == 0:
        return np.zeros(0, dtype=int), np.zeros(0, dtype=int), float("nan")
    centred = draws - draws.mean(axis=0, keepdims=True)
    sd = draws.std(axis=0, ddof=1) if draws.shape[0] > 1 else np.zeros(n)
    stats_b = np.concatenate([_max_pair_t(centred[i:i + 250], sd) for i in range(0, len(centred), 250)])
    c = float(np.quantile(stats_b, level)) if len(stats_b) else 0.0
    better = np.zeros(n, dtype=int)
    worse = np.zeros(n, dtype=int)
    for start in range(0, n, 512):
        j = slice(start, start + 512)
        den = np.sqrt(sd[j, None] ** 2 + sd[None, :] ** 2)
        diff = theta[None, :] - theta[j, None]  # θ_k − θ_j
        better[j] = (diff > c * den + 1e-12).sum(axis=1)
        worse[j] = (-diff > c * den + 1e-12).sum(axis=1)
    return 1 + better, n - worse, c


def monte_carlo(inputs: ScoreInputs, result: ScoreResult, scheme: Scheme, *, seed: int | Sequence[int] = 0,
                draws: int = 1000, group: str = "role") -> pl.DataFrame:
    """Rank intervals, rank sets, P(grade), P(top k) from data noise; weight sensitivity apart.

    Data noise (satisfaction by its estimator's own error, skills by its measurement
    error; weights fixed) gives the median rank, the scheme's marginal rank interval
    (90 %), the simultaneous rank confidence sets (`simultaneous_rank_sets`, the scheme's
    `rank_set` level), P(grade = g), P(top k) and the "statistically tied" mark (P(own
    grade) below the scheme's `tied_below`: the grade is not decided by the data). The
    weight choice alone (weights × U(1 − j, 1 + j), point values) gives a separate rank
    range, `weight_rank_low`–`weight_rank_high`, so the two are never folded together.

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
    cols = (["rank_median", "rank_low", "rank_high", "p_top_k"] + [f"p_grade_{g.key}" for g in scheme.grades]
            + ["rank_set_low", "rank_set_high", "weight_rank_low", "weight_rank_high"])
    if draws <= 0 or n == 0:
        return scores.select("subject_id", *[pl.lit(None, dtype=pl.Float64).alias(c) for c in cols],
                             pl.lit(None, dtype=pl.Boolean).alias("tied"))

    gpos = grade_rank(scheme)
    grades_desc = sorted(scheme.grades, key=lambda g: -g.low)
    cap_for = {"fail": "fail", "grade_cap": scheme.veto.grade_cap, "no_award": scheme.veto.no_award_cap}
    sev = scores["veto_severity"].to_list()
    cap = np.array([gpos[cap_for[s]] if s in cap_for else -1 for s in sev], dtype=np.int8)
    eligible = scores["eligible"].fill_null(False).to_numpy()
    groups = scores[group].fill_null("").to_numpy() if group in scores.columns else np.zeros(n)
    members = [np.nonzero(eligible & (groups == g))[0] for g in np.unique(groups[eligible])]
    ranks = [np.empty((draws, len(idx)), dtype=np.int32) for idx in members]
    wranks = [np.empty((draws, len(idx)), dtype=np.int32) for idx in members]
    kept = [np.empty((draws, len(idx)), dtype=np.float32) for idx in members]

    def chunk(lo: int, hi: int, ss: np.random.SeedSequence) -> np.ndarray:
        """Fill rows lo:hi of the rank arrays; return this chunk's grade counts (grades × subjects)."""
        s_noise, s_weights = ss.spawn(2)
        totals = round_half_up_np(draw_totals(scores, scheme, seed=s_noise, draws=hi - lo, weights=False),
                                  scheme.decimals, inplace=True)
        gidx = np.full(totals.shape, -1, dtype=np.int8)  # grades per draw, with the veto caps
        for g in grades_desc[::-1]:
            inside = (totals >= g.low) & ((totals < g.high) | ((g.high == scheme.cap) & (totals <= g.high)))
            gidx[inside] = gpos[g.key]
        np.maximum(gidx, cap[None, :], out=gidx)
        counts = np.stack([(gidx == gpos[g.key]).sum(axis=0) for g in scheme.grades])
        wtot = round_half_up_np(draw_totals(scores, scheme, seed=s_weights, draws=hi - lo, noise=False),
                                scheme.decimals, inplace=True)
        for idx, r, wr, kp in zip(members, ranks, wranks, kept, strict=True):  # ranks among eligible peers
            r[lo:hi] = _grid_ranks_desc(totals, idx, scheme.decimals)
            wr[lo:hi] = _grid_ranks_desc(wtot, idx, scheme.decimals)
            kp[lo:hi] = totals[:, idx]
        return counts

    with ThreadPoolExecutor(max_workers=_workers(), thread_name_prefix="gridscore-mc") as pool:
        counts = sum(pool.map(lambda c: chunk(*c), _chunk_seeds(seed, draws)))
    has_total = scores["total"].is_not_null().to_numpy()
    valid = has_total | np.array([s == "fail" for s in sev])
    probs = {f"p_grade_{g.key}": np.where(valid, counts[k] / draws, np.nan) for k, g in enumerate(scheme.grades)}

    q = (1 - scheme.uncertainty.interval) / 2
    out_cols = {c: np.full(n, np.nan) for c in ("rank_median", "rank_low", "rank_high", "p_top_k", "rank_set_low",
                                                 "rank_set_high", "weight_rank_low", "weight_rank_high")}
    point = scores["total"].cast(pl.Float64).fill_null(np.nan).to_numpy()
    for idx, r, wr, kp in zip(members, ranks, wranks, kept, strict=True):
        out_cols["rank_median"][idx] = np.median(r, axis=0)
        out_cols["rank_low"][idx] = np.quantile(r, q, axis=0, method="lower")
        out_cols["rank_high"][idx] = np.quantile(r, 1 - q, axis=0, method="higher")
        out_cols["p_top_k"][idx] = (r <= scheme.uncertainty.top_k).mean(axis=0)
        out_cols["weight_rank_low"][idx] = np.quantile(wr, q, axis=0, method="lower")
        out_cols["weight_rank_high"][idx] = np.quantile(wr, 1 - q, axis=0, method="higher")
        ok = np.isfinite(point[idx])
        if ok.any():
            lo_set, hi_set, _c = simultaneous_rank_sets(point[idx][ok], kp[:, ok].astype(float),
                                                        scheme.uncertainty.rank_set)
            out_cols["rank_set_low"][idx[ok]] = lo_set
            out_cols["rank_set_high"][idx[ok]] = hi_set
    own = scores["grade"].to_list() if "grade" in scores.columns else [None] * n
    p_own = np.array([probs[f"p_grade_{g}"][i] if g and f"p_grade_{g}" in probs else np.nan
                      for i, g in enumerate(own)])
    tied = np.where(np.isfinite(p_own), p_own < scheme.uncertainty.tied_below, np.nan)
    out = pl.DataFrame({"subject_id": scores["subject_id"], **{c: out_cols[c] for c in
                        ("rank_median", "rank_low", "rank_high", "p_top_k")}, **probs,
                        **{c: out_cols[c] for c in ("rank_set_low", "rank_set_high", "weight_rank_low",
                                                    "weight_rank_high")}})
    return out.with_columns(pl.col(pl.Float64).fill_nan(None)).with_columns(
        pl.Series("tied", [None if np.isnan(x) else bool(x) for x in tied], dtype=pl.Boolean))


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
