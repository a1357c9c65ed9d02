"""Raking (iterative proportional fitting) of respondent weights to register margins, trimmed (A15).

Inside each grid the respondents' weights start at N_h/r_h and are adjusted, one margin
at a time, until the weighted count of respondents in every category of every raking
variable equals the register's count of households in it (elderly, low-income, floating,
large household). After each pass the weights are trimmed to [`low`, `high`] × N_h/r_h,
so no household speaks for more than `high` times its share. A variable whose category
is in the register but has no respondent in a grid cannot be matched there; it is left
out for that grid (the other margins still rake). The raked mean is Σ w·y / Σ w.

All grids at once (group sums by `np.bincount`); no loop over grids.
"""

from __future__ import annotations

import numpy as np


def rake(
    grid: np.ndarray,
    traits: np.ndarray,
    targets: np.ndarray,
    population: np.ndarray,
    *,
    low: float = 0.3,
    high: float = 3.0,
    iterations: int = 50,
    tol: float = 1e-9,
) -> np.ndarray:
    """Raked weights of respondents.

    Args:
        grid: grid index of each respondent (0 … G − 1).
        traits: respondents × V, 0/1: the respondent's household has characteristic v.
        targets: G × V: the register's count of households with characteristic v in each grid.
        population: G: households in each grid's register (N_h).
        low: lowest weight, as a multiple of N_h/r_h.
        high: highest weight, as a multiple of N_h/r_h.
        iterations: most passes over the margins.
        tol: stop when no weighted margin is further than this from its target (households).

    Returns:
        weight of each respondent (Σ over a grid's respondents = N_h when nothing is trimmed).

    Examples:
        >>> g = np.zeros(4, dtype=int); t = np.array([[1], [0], [0], [0]])
        >>> rake(g, t, np.array([[50.0]]), np.array([100.0])).tolist()
        [50.0, 16.666666666666668, 16.666666666666668, 16.666666666666668]
    """
    grid = np.asarray(grid, dtype=np.int64)
    traits = np.asarray(traits, dtype=float)
    n_grids = len(population)
    r = np.bincount(grid, minlength=n_grids).astype(float)
    base = np.where(r > 0, population / np.maximum(r, 1), 0.0)[grid]
    w = base.copy()
    pop = np.asarray(population, dtype=float)
    for _ in range(iterations):
        worst = 0.0
        for v in range(traits.shape[1]):
            x = traits[:, v]
            has = np.bincount(grid, weights=w * x, minlength=n_grids)
            hasnt = np.bincount(grid, weights=w * (1 - x), minlength=n_grids)
            n_has = np.bincount(grid, weights=x, minlength=n_grids)
            n_hasnt = r - n_has
            want, want_not = targets[:, v], pop - targets[:, v]
            # a category present in the register but without respondents: skip this margin here
            usable = ~(((want > 0) & (n_has == 0)) | ((want_not > 0) & (n_hasnt == 0)))
            f1 = np.where(usable & (has > 0), want / np.where(has > 0, has, 1), 1.0)
            f0 = np.where(usable & (hasnt > 0), want_not / np.where(hasnt > 0, hasnt, 1), 1.0)
            worst = max(worst, float(np.max(np.abs(np.where(usable, has - want, 0.0)), initial=0.0)))
            w = w * np.where(x > 0, f1[grid], f0[grid])
        w = np.clip(w, low * base, high * base)
        if worst < tol:
            break
    return w


def raked_means(grid: np.ndarray, y: np.ndarray, w: np.ndarray, n_grids: int) -> np.ndarray:
    """Σ w·y / Σ w per grid (NaN where a grid has no respondent)."""
    num = np.bincount(grid, weights=w * y, minlength=n_grids)
    den = np.bincount(grid, weights=w, minlength=n_grids)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(den > 0, num / den, np.nan)
