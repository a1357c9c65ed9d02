"""The synthetic world's truth about satisfaction: who would answer what, and why.

The survey simulator (`surveys.synthetic`) and the fairness harness
(`bench.bench_fairness`) share this model, so the harness judges the estimators
against exactly the population the demo surveys. Scoring code never imports it.

Every active household of the register has, for a period, a latent satisfaction

    u = INTERCEPT + WORKER_SLOPE·q + mix + e,    e ~ N(0, 1),

q the grid worker's latent quality (standard normal), `mix` the resident-mix shift
(`MixEffects`, centred on the city's own mix so the city mean does not move), and e
the household's own view (half of its variance persists from period to period). u is
cut into the five answers at `CUTS` and scored by the questionnaire's scale, so the
**true grid mean** is the mean of these scores over the grid's households: the
finite-population quantity the design-based estimate targets. Beside it:

- `expected_mean`: the model expectation of that mean given the grid's mix (no e);
- `adjusted_mean`: the expectation for this worker at the city's standard mix (the
  HCAHPS-style estimand: what the worker would score with average residents);
- `worker_effect` = adjusted_mean − adjusted mean of an average worker (q = 0);
- `mix_effect` = expected_mean − adjusted_mean: how far the grid's residents move it.

Effect sizes and their sources: docs/methodology.md, "Truth in the simulator".
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from dataclasses import dataclass, replace

import numpy as np
import polars as pl
from scipy import stats

INTERCEPT = 0.2
WORKER_SLOPE = 0.6
# thresholds on u: above 0.9 very satisfied, … below −2.0 very dissatisfied
CUTS = (-2.0, -1.1, -0.15, 0.9)
CODES = ("very_dissatisfied", "dissatisfied", "fairly_satisfied", "satisfied", "very_satisfied")
PERSISTENT = 0.5  # share of the resident noise's variance that persists across periods
REFERENCE_SIZE = 3  # household size whose size effect is zero (centred below anyway)


@dataclass(frozen=True)
class MixEffects:
    """Shifts of a resident's latent satisfaction (resident noise SD = 1), per characteristic.

    `elderly`, `low_income`, `floating` and `size` (per resident) act through
    characteristics the register holds; `unregistered` through one it does not
    (living in an old estate without property management, 老旧小区无物业), whose grid
    share is drawn by `household_mix` and correlated with the grid's elderly share.
    """

    elderly: float = 0.15
    low_income: float = -0.35
    floating: float = -0.25
    size: float = -0.03
    unregistered: float = 0.0
    unregistered_share: float = 0.3  # city share of households in such estates
    unregistered_rho: float = 0.5  # correlation of its grid logit with the elderly share

    def scaled(self, k: float) -> MixEffects:
        """The same world with every effect multiplied by `k` (0 = no mix effect)."""
        return replace(
            self, elderly=k * self.elderly, low_income=k * self.low_income,
            floating=k * self.floating, size=k * self.size, unregistered=k * self.unregistered,
        )


DOCUMENTED = MixEffects()
SCENARIOS: Mapping[str, MixEffects] = {
    "none": DOCUMENTED.scaled(0.0),
    "documented": DOCUMENTED,
    "double": DOCUMENTED.scaled(2.0),
    "unregistered": replace(DOCUMENTED, unregistered=-0.4),
}


def expected_score(mu: np.ndarray, scores: Mapping[str, float]) -> np.ndarray:
    """E[score] of an answer whose latent mean is `mu` (noise N(0, 1), cut at `CUTS`).

    Examples:
        >>> s = dict(zip(CODES, (0.0, 20.0, 60.0, 80.0, 100.0)))
        >>> round(float(expected_score(np.array([0.2]), s)[0]), 2)
        73.43
    """
    values = np.asarray([scores[c] for c in CODES])
    cdf = stats.norm.cdf(np.asarray(CUTS)[None, :] - np.asarray(mu, dtype=float)[:, None])
    probs = np.diff(np.concatenate([np.zeros((cdf.shape[0], 1)), cdf, np.ones((cdf.shape[0], 1))], axis=1), axis=1)
    return probs @ values


def answer_codes(u: np.ndarray) -> np.ndarray:
    """The answer code of each latent satisfaction u."""
    return np.asarray(CODES)[np.searchsorted(np.asarray(CUTS), u)]


def household_mix(households: pl.DataFrame, effects: MixEffects, *, seed: int) -> pl.DataFrame:
    """Each household's characteristics and its resident-mix shift `mix`.

    Args:
        households: household_id, grid_id, size, tags (the active register).
        effects: effect sizes.
        seed: seed of the unregistered characteristic (a property of the city).

    Returns:
        household_id, grid_id, elderly, low_income, floating, size, unregistered,
        mix (centred: its household-weighted city mean is 0), sorted by household_id.
    """
    hh = households.sort("household_id").with_columns(
        *[pl.col("tags").fill_null("").str.contains(t).alias(t) for t in ("elderly", "low_income", "floating")],
    )
    grids = hh.group_by("grid_id").agg(pl.col("elderly").mean().alias("elderly_share")).sort("grid_id")
    rng = np.random.default_rng([seed, 13])
    share = grids["elderly_share"].to_numpy()
    z = (share - share.mean()) / (share.std() or 1.0)
    rho = effects.unregistered_rho
    logit = np.log(effects.unregistered_share / (1 - effects.unregistered_share)) + 1.2 * (
        rho * z + np.sqrt(1 - rho**2) * rng.standard_normal(len(share))
    )
    grids = grids.with_columns(pl.Series("p_unreg", 1 / (1 + np.exp(-logit))))
    hh = hh.join(grids.select("grid_id", "p_unreg"), on="grid_id", how="left").sort("household_id")
    unreg = rng.random(hh.height) < hh["p_unreg"].to_numpy()
    raw = (
        effects.elderly * hh["elderly"].to_numpy()
        + effects.low_income * hh["low_income"].to_numpy()
        + effects.floating * hh["floating"].to_numpy()
        + effects.size * (hh["size"].to_numpy() - REFERENCE_SIZE)
        + effects.unregistered * unreg
    )
    mix = raw - raw.mean() if len(raw) else raw
    return hh.select("household_id", "grid_id", "elderly", "low_income", "floating", "size").with_columns(
        pl.Series("unregistered", unreg), pl.Series("mix", mix)
    )


def population_answers(
    mix: pl.DataFrame, quality: pl.DataFrame, *, period_id: str, seed: int
) -> pl.DataFrame:
    """Every household's latent satisfaction `u` for a period (what it would answer).

    Args:
        mix: `household_mix` output.
        quality: grid_id, quality (the grid worker's latent quality; missing → 0).
        period_id: period (its noise is drawn per period).
        seed: population seed (the same seed gives the same population).

    Returns:
        `mix` with quality, mu (u without the household's own view) and u.
    """
    n = mix.height
    stable = np.random.default_rng([seed, 11]).standard_normal(n)
    fresh = np.random.default_rng([seed, 12, zlib.crc32(period_id.encode())]).standard_normal(n)
    e = np.sqrt(PERSISTENT) * stable + np.sqrt(1 - PERSISTENT) * fresh
    out = mix.join(quality.select("grid_id", "quality"), on="grid_id", how="left").sort("household_id")
    q = out["quality"].fill_null(0.0).to_numpy()
    mu = INTERCEPT + WORKER_SLOPE * q + out["mix"].to_numpy()
    return out.with_columns(pl.Series("quality", q), pl.Series("mu", mu), pl.Series("u", mu + e))


def grid_truth(population: pl.DataFrame, scores: Mapping[str, float]) -> pl.DataFrame:
    """Per grid: the true population mean and the worker's own effect (see the module doc).

    Args:
        population: `population_answers` output.
        scores: 0–100 score of each answer code (the questionnaire's scale).

    Returns:
        grid_id, population, quality, true_mean, expected_mean, adjusted_mean,
        worker_effect, mix_effect; sorted by grid_id.
    """
    values = np.asarray([scores[c] for c in CODES])
    y = values[np.searchsorted(np.asarray(CUTS), population["u"].to_numpy())]
    pop = population.with_columns(
        pl.Series("y", y), pl.Series("e_y", expected_score(population["mu"].to_numpy(), scores))
    )
    grids = pop.group_by("grid_id").agg(
        pl.len().cast(pl.Int64).alias("population"),
        pl.col("quality").first(),
        pl.col("y").mean().alias("true_mean"),
        pl.col("e_y").mean().alias("expected_mean"),
    ).sort("grid_id")
    # the city's standard mix: distinct mix shifts with their household shares
    std = pop.group_by("mix").len().sort("mix")
    m, w = std["mix"].to_numpy(), std["len"].to_numpy() / pop.height
    q = grids["quality"].to_numpy()

    def at_standard_mix(qq: np.ndarray) -> np.ndarray:
        mu = INTERCEPT + WORKER_SLOPE * qq[:, None] + m[None, :]
        return expected_score(mu.ravel(), scores).reshape(mu.shape) @ w

    adjusted = at_standard_mix(q)
    average = float(at_standard_mix(np.zeros(1))[0])
    return grids.with_columns(
        pl.Series("adjusted_mean", adjusted),
        pl.Series("worker_effect", adjusted - average),
        (pl.col("expected_mean") - pl.Series(adjusted)).alias("mix_effect"),
    )
