"""Fairness harness: how close the satisfaction estimators come to the simulator's truth.

    python -m bench.bench_fairness [--sizes small,city] [--reps-small 200] [--reps-city 30]
                                   [--draws 200] [--write]

For each city size and resident-mix scenario (`surveys.truth.SCENARIOS`: none,
documented, double, unregistered) the survey is replicated R times on the same
population (`surveys.synthetic.population`): a fresh SRSWOR of each grid at the
design's sizes, dispositions at the simulator's rates (64 % complete), the answers the
sampled households would give. Each replication is estimated by every estimator
available, and scored by the scheme with the run's other pillars held fixed:

- `direct`: the design-based grid mean (A4) with its t interval (the reference);
- `nr_adjusted`: the non-response-adjusted mean (A6) with the direct SE (it has none of
  its own);
- `raked`: the mean with weights raked to the register's margins (A15, trimmed), with
  the direct SE (comparison only: the stored answers do not carry these traits);
- `shrinkage_today`: the covariate-free shrinkage (A9) with the interval the old Monte
  Carlo implied, shrunk ± 1.96 · raw SE;
- `shrinkage`: the same value with its own error (A9), as scored now;
- `fay_herriot`: `surveys.smallarea` (register covariates, REML, Prasad–Rao MSE,
  benchmarked to the streets' direct estimates), interval ± 1.96 · √MSE;
- `fay_herriot_mix`: the Fay–Herriot value adjusted to the city's standard resident mix
  (A14), judged against the *mix-adjusted* truth (true mean − mix effect).

Figures per estimator (every one with its Monte Carlo SE over replications; RMSE and
grid bias by the jackknife over replications): RMSE and mean bias against the
true grid mean, the RMS of the per-grid bias (freed of the replications' own noise),
95 % interval coverage, the share of
eligible grid workers whose grade differs from the grade of their true score (bands
only, no quota), the share whose 90 % rank interval (the Monte Carlo as scored: data
noise only — satisfaction ~ N(value, the estimator's own SE), skills ~ N(score, 5)) contains
the true rank among eligible grid workers, and how often the simultaneous 90 % rank sets
(`metrics.uncertainty.simultaneous_rank_sets`) hold every true rank at once (and the
share of workers they cover). With `--write` the table goes into
docs/methodology.md (between the fairness-table markers) and a summary into
docs/performance.md. Cities are built once and cached under `--cache`.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from bench.bench_generate import write_section
from metrics.scheme import Scheme, load_scheme
from metrics.score import round_half_up_np
from metrics.uncertainty import _grid_ranks_desc, draw_totals, simultaneous_rank_sets
from surveys.design import SampleOptions, completes_needed, invitations_needed
from surveys.dispositions import COUNT_COLUMNS
from surveys.estimate import TREE_SQL, EstimateOptions, _finish, estimate_grids
from surveys.questionnaire import load_questionnaire
from surveys.raking import rake, raked_means
from surveys.scored import score_values
from surveys.smallarea import register_covariates
from surveys.synthetic import OUTCOME_P, OUTCOMES, population
from warehouse.db import Database, open_db

ROOT = Path(__file__).resolve().parent.parent
METHODOLOGY = ROOT / "docs" / "methodology.md"
START, END = "<!-- fairness-table:start -->", "<!-- fairness-table:end -->"
SEED = 20251
YEAR = 2025
PERIOD = str(YEAR)
SCENARIO_NAMES = ("none", "documented", "double", "unregistered")
ESTIMATORS = ("direct", "nr_adjusted", "raked", "shrinkage_today", "shrinkage", "fay_herriot", "fay_herriot_mix")
RANKED = ("direct", "shrinkage_today", "shrinkage", "fay_herriot", "fay_herriot_mix")  # Monte Carlo + rank sets
MIX = ("fay_herriot_mix",)  # judged against the mix-adjusted truth
FIGURES = ("rmse", "bias", "grid_bias", "coverage", "misgraded", "rank_coverage", "rank_set_joint", "rank_set_share")
RAKE_TRAITS = ("elderly", "low_income", "floating", "large")  # large: 4 or more residents
Z95 = 1.959964


@dataclass(frozen=True)
class World:
    """One population to survey: households in grid order, grid sizes, truth and workers."""

    grid_ids: np.ndarray  # sorted
    grid_of: np.ndarray  # household → grid index (households sorted by grid)
    start: np.ndarray  # first household of each grid
    y: np.ndarray  # the household's 0–100 answer
    satisfied: np.ndarray  # top-2 box
    elderly: np.ndarray  # weighting class
    population: np.ndarray  # N_h
    invited: np.ndarray  # invitations per grid (the design's sizes)
    truth: np.ndarray  # true grid mean, per grid
    truth_adjusted: np.ndarray  # true grid mean less the residents' mix effect (A14's target)
    traits: np.ndarray  # households × RAKE_TRAITS (0/1)
    trait_totals: np.ndarray  # grids × RAKE_TRAITS: register counts
    workers: pl.DataFrame  # eligible grid workers: pillars, bonus, grid index, true totals
    covariates: pl.DataFrame  # register covariates per grid (surveys.smallarea)
    streets: pl.DataFrame  # grid_id, street_id


def load_world(db: Database, scenario: str, scheme: Scheme, *, options: SampleOptions | None = None) -> World:
    """The population of `scenario` and the eligible grid workers of the period's latest run."""
    q = load_questionnaire()
    people, grids = population(db, PERIOD, scenario=scenario)
    satisfied = set(q.satisfied_codes)
    scores = np.asarray([q.scale[c] for c in ("very_dissatisfied", "dissatisfied", "fairly_satisfied",
                                              "satisfied", "very_satisfied")])
    from surveys.truth import CODES, CUTS

    code_idx = np.searchsorted(np.asarray(CUTS), people["u"].to_numpy())
    hh = people.select("household_id", "grid_id", "elderly", "low_income", "floating",
                       (pl.col("size") >= 4).alias("large")).with_columns(
        pl.Series("y", scores[code_idx]),
        pl.Series("satisfied", np.isin(np.asarray(CODES)[code_idx], list(satisfied))),
    ).sort("grid_id", "household_id")
    grid_ids = grids["grid_id"].to_numpy()
    grid_of = np.searchsorted(grid_ids, hh["grid_id"].to_numpy())
    pop = np.bincount(grid_of, minlength=len(grid_ids))
    opts = options or SampleOptions()
    invited = invitations_needed(completes_needed(pop, opts), pop, opts.response_rate)
    run = db.scalar("SELECT run_id FROM score_runs WHERE period_id = ? ORDER BY created_at DESC LIMIT 1", [PERIOD])
    keys = [p.key for p in scheme.pillars]
    workers = db.query(
        f"""SELECT worker_id AS subject_id, grid_id, role, {', '.join(keys)}, bonus, satisfaction_se
            FROM score_workers WHERE run_id = ? AND role = 'grid_worker' AND eligible AND NOT vetoed
            ORDER BY subject_id""",
        [run],
    ).filter(pl.col("grid_id").is_in(grid_ids.tolist()))
    workers = workers.with_columns(pl.Series("g", np.searchsorted(grid_ids, workers["grid_id"].to_numpy())))
    truth = grids["true_mean"].to_numpy()
    truth_adjusted = truth - grids["mix_effect"].to_numpy()
    wg = workers["g"].to_numpy()
    workers = workers.with_columns(
        pl.Series("true_total", point_totals(workers, truth[wg], scheme)),
        pl.Series("true_total_adjusted", point_totals(workers, truth_adjusted[wg], scheme)),
    )
    traits = np.column_stack([hh[c].cast(pl.Float64).to_numpy() for c in RAKE_TRAITS])
    totals = np.column_stack([np.bincount(grid_of, weights=traits[:, v], minlength=len(grid_ids))
                              for v in range(traits.shape[1])])
    return World(
        grid_ids=grid_ids, grid_of=grid_of, start=np.searchsorted(grid_of, np.arange(len(grid_ids))),
        y=hh["y"].to_numpy(), satisfied=hh["satisfied"].to_numpy(), elderly=hh["elderly"].to_numpy(),
        population=pop, invited=invited, truth=truth, truth_adjusted=truth_adjusted, traits=traits,
        trait_totals=totals, workers=workers,
        covariates=register_covariates(db), streets=db.query(TREE_SQL).select("grid_id", "street_id"),
    )


def point_totals(workers: pl.DataFrame, satisfaction: np.ndarray, scheme: Scheme) -> np.ndarray:
    """Totals with the scheme's weights and `satisfaction` as the survey pillar (B5, rounded)."""
    w = np.array([p.weight for p in scheme.pillars])
    w = w / w.sum() * scheme.cap
    total = workers["bonus"].fill_null(0.0).to_numpy().astype(float).copy()
    for k, p in enumerate(scheme.pillars):
        val = satisfaction if p.source == "survey" else workers[p.key].cast(pl.Float64).to_numpy()
        total += w[k] * np.clip(val, 0, 100) / 100
    return round_half_up_np(np.minimum(total, scheme.cap), scheme.decimals)


def grades(totals: np.ndarray, scheme: Scheme) -> np.ndarray:
    """Grade index of each total by the scheme's bands (quota not applied)."""
    out = np.full(totals.shape, -1)
    for i, g in enumerate(scheme.grades):
        inside = (totals >= g.low) & ((totals < g.high) | ((g.high == scheme.cap) & (totals <= g.high)))
        out[inside] = i
    return out


def true_ranks(totals: np.ndarray, scheme: Scheme) -> np.ndarray:
    """Ranks (1 = best, ties share the lower number) as the point ranks give them."""
    key = -np.rint(totals * 10**scheme.decimals)
    return np.searchsorted(np.sort(key), key, side="left") + 1


def survey_once(world: World, rng: np.random.Generator) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """One replication of the fieldwork: respondents, strata and outcome counts per grid × class."""
    key = rng.random(len(world.grid_of))
    order = np.lexsort((key, world.grid_of))
    rank = np.arange(len(order)) - world.start[world.grid_of[order]]
    chosen = order[rank < world.invited[world.grid_of[order]]]
    outcome = rng.choice(len(OUTCOMES), size=len(chosen), p=OUTCOME_P)
    g = world.grid_of[chosen]
    cls = world.elderly[chosen].astype(int)  # 1 elderly, 0 other
    done = outcome == 0
    grid_ids = world.grid_ids
    respondents = pl.DataFrame({
        "grid_id": grid_ids[g[done]],
        "weight_class": np.where(cls[done] == 1, "elderly", "other"),
        "y": world.y[chosen[done]],
        "satisfied": world.satisfied[chosen[done]],
        "household": chosen[done],  # index into the world's households (raking reads their traits)
    })
    n_g = len(grid_ids)
    cells = np.bincount((g * 2 + cls) * len(OUTCOMES) + outcome, minlength=n_g * 2 * len(OUTCOMES))
    cells = cells.reshape(n_g * 2, len(OUTCOMES))
    counts = pl.DataFrame({
        "grid_id": np.repeat(grid_ids, 2),
        "weight_class": np.tile(np.array(["other", "elderly"]), n_g),
        "invited": cells.sum(axis=1),
        **{c: cells[:, OUTCOMES.index(c.removeprefix("n_"))] for c in COUNT_COLUMNS[1:]},
    }).filter(pl.col("invited") > 0)
    strata = pl.DataFrame({"grid_id": grid_ids, "population": world.population})
    return respondents, strata, counts


def estimators(world: World, respondents: pl.DataFrame, strata: pl.DataFrame,
               counts: pl.DataFrame) -> dict[str, tuple[np.ndarray, ...]]:
    """(value, SE, low, high) per grid, in grid order, for every estimator."""
    opts = EstimateOptions(k_min=0)
    grids = _finish(estimate_grids(respondents.drop("household"), strata, counts=counts, options=opts), opts).sort("unit_id")

    def col(frame: pl.DataFrame, c: str) -> np.ndarray:
        return frame[c].cast(pl.Float64).fill_null(np.nan).to_numpy()

    def scored(estimator: str, estimand: str = "population") -> tuple[np.ndarray, np.ndarray]:
        out = score_values(grids, grids, world.covariates, world.streets, estimator=estimator, estimand=estimand)
        return col(out, "scored"), col(out, "scored_se")

    mean, se, lo, hi = (col(grids, c) for c in ("mean", "se", "ci_low", "ci_high"))
    half = hi - mean
    adj, shr = col(grids, "mean_adjusted"), col(grids, "shrunk")
    g = np.searchsorted(world.grid_ids, respondents["grid_id"].to_numpy())
    hh = respondents["household"].to_numpy()
    w = rake(g, world.traits[hh], world.trait_totals, world.population.astype(float))
    raked = raked_means(g, world.y[hh].astype(float), w, len(world.grid_ids))
    out = {
        "direct": (mean, se, lo, hi),
        "nr_adjusted": (adj, se, adj - half, adj + half),
        "raked": (raked, se, raked - half, raked + half),
        "shrinkage_today": (shr, se, shr - Z95 * se, shr + Z95 * se),
    }
    for name, (estimator, estimand) in {"shrinkage": ("shrinkage", "population"),
                                        "fay_herriot": ("fay_herriot", "population"),
                                        "fay_herriot_mix": ("fay_herriot", "mix_adjusted")}.items():
        v, v_se = scored(estimator, estimand)
        out[name] = (v, v_se, v - Z95 * v_se, v + Z95 * v_se)
    return out


def replicate(world: World, scheme: Scheme, *, reps: int, draws: int, seed: int) -> dict[str, dict[str, np.ndarray]]:
    """Per estimator: errors and coverage (reps × grids), misgraded and the rank figures (reps)."""
    g = world.workers["g"].to_numpy()
    q = (1 - scheme.uncertainty.interval) / 2
    truths = {}
    for which, tcol in (("population", "true_total"), ("mix", "true_total_adjusted")):
        tt = world.workers[tcol].to_numpy()
        truths[which] = (grades(tt, scheme), true_ranks(tt, scheme))
    out = {e: {"err": np.empty((reps, len(world.truth))), "cover": np.empty((reps, len(world.truth))),
               **{k: np.full(reps, np.nan) for k in ("misgraded", "rank_cover", "rank_set_joint", "rank_set_share")}}
           for e in ESTIMATORS}
    for r in range(reps):
        rng = np.random.default_rng([seed, r])
        est = estimators(world, *survey_once(world, rng))
        for name, (val, se, lo, hi) in est.items():
            o = out[name]
            target = world.truth_adjusted if name in MIX else world.truth
            true_grade, t_rank = truths["mix" if name in MIX else "population"]
            o["err"][r] = val - target
            o["cover"][r] = (lo <= target) & (target <= hi)
            sat = val[g]
            point = point_totals(world.workers, sat, scheme)
            o["misgraded"][r] = np.mean(grades(point, scheme) != true_grade)
            if name not in RANKED:
                continue
            frame = world.workers.with_columns(
                pl.Series("satisfaction", sat), pl.Series("satisfaction_scored_se", se[g]))
            totals = round_half_up_np(draw_totals(frame, scheme, seed=[seed, r, 1], draws=draws, weights=False),
                                      scheme.decimals)
            ranks = _grid_ranks_desc(totals, np.arange(frame.height), scheme.decimals)
            low = np.quantile(ranks, q, axis=0, method="lower")
            high = np.quantile(ranks, 1 - q, axis=0, method="higher")
            o["rank_cover"][r] = np.mean((low <= t_rank) & (t_rank <= high))
            s_lo, s_hi, _c = simultaneous_rank_sets(point, totals, scheme.uncertainty.rank_set)
            inside = (s_lo <= t_rank) & (t_rank <= s_hi)
            o["rank_set_joint"][r] = float(inside.all())
            o["rank_set_share"][r] = float(inside.mean())
    return out


def summarise(res: dict[str, np.ndarray]) -> dict[str, tuple[float, float]]:
    """Each figure with its Monte Carlo SE (replications independent; jackknife where nonlinear)."""
    err, reps = res["err"], res["err"].shape[0]
    ok = np.isfinite(err)
    e0 = np.where(ok, err, 0.0)
    sq_r, n_r = (e0**2).sum(axis=1), ok.sum(axis=1)

    def jack(full: float, loo: np.ndarray) -> float:
        return float(np.sqrt((reps - 1) / reps * np.sum((loo - loo.mean()) ** 2))) if reps > 1 else float("nan")

    rmse = float(np.sqrt(sq_r.sum() / n_r.sum()))
    rmse_loo = np.sqrt((sq_r.sum() - sq_r) / (n_r.sum() - n_r))
    # systematic per-grid error, freed of the replications' own noise: mean over grids of
    # b̄_g² − s_g²/R (unbiased for the mean squared bias), reported as its square root
    def grid_bias(e: np.ndarray) -> float:
        k = e.shape[0]
        b = e.mean(axis=0)
        return float(np.sqrt(max(0.0, float(np.mean(b**2 - e.var(axis=0, ddof=1) / k)))))

    e_full = np.where(ok, err, np.nan)
    e_full = np.where(np.isfinite(e_full), e_full, np.nanmean(e_full))
    abs_bias = grid_bias(e_full)
    abs_loo = np.array([grid_bias(np.delete(e_full, r, axis=0)) for r in range(reps)]) if reps > 2 else np.full(reps, np.nan)
    bias_r = e0.sum(axis=1) / np.maximum(n_r, 1)
    cov_r = np.nanmean(np.where(ok, res["cover"], np.nan), axis=1)

    def mean_se(x: np.ndarray) -> tuple[float, float]:
        if not np.isfinite(x).any():
            return float("nan"), float("nan")
        return float(np.mean(x)), float(np.std(x, ddof=1) / np.sqrt(len(x))) if len(x) > 1 else float("nan")

    return {
        "rmse": (rmse, jack(rmse, rmse_loo)),
        "bias": mean_se(bias_r),
        "grid_bias": (abs_bias, jack(abs_bias, abs_loo)),
        "coverage": mean_se(cov_r),
        "misgraded": mean_se(res["misgraded"]),
        "rank_coverage": mean_se(res["rank_cover"]),
        "rank_set_joint": mean_se(res["rank_set_joint"]),
        "rank_set_share": mean_se(res["rank_set_share"]),
    }


def build_city(path: Path, size: str) -> None:
    """Generate a city, survey it (documented scenario) and score it once (pillars held fixed)."""
    from metrics.runs import score_period
    from surveys.synthetic import simulate
    from warehouse.synthetic import generate

    with open_db(path) as db:
        generate(db, size=size, seed=SEED, year=YEAR)
        simulate(db, period_id=PERIOD, seed=SEED)
        score_period(db, PERIOD, seed=SEED, draws=0)
        db.checkpoint()


def run(db: Database, *, size: str, reps: int, draws: int, scenarios: tuple[str, ...] = SCENARIO_NAMES,
        seed: int = SEED) -> pl.DataFrame:
    """The harness table for one city: one row per scenario × estimator, figures with SEs."""
    scheme = load_scheme()
    rows = []
    for scenario in scenarios:
        world = load_world(db, scenario, scheme)
        started = time.perf_counter()
        res = replicate(world, scheme, reps=reps, draws=draws, seed=seed)
        secs = time.perf_counter() - started
        for name in ESTIMATORS:
            figs = summarise(res[name])
            rows.append({"size": size, "scenario": scenario, "estimator": name, "reps": reps,
                         "grids": len(world.truth), "workers": world.workers.height, "seconds": secs,
                         **{f: figs[f][0] for f in FIGURES}, **{f"{f}_se": figs[f][1] for f in FIGURES}})
    return pl.DataFrame(rows)


def table(results: pl.DataFrame) -> str:
    """Markdown table of the harness results."""
    head = ("| city | scenario | estimator | R | RMSE | bias | grid bias (RMS) | 95 % coverage | "
            "misgraded | rank interval covers | rank sets hold all | rank sets cover |")
    lines = [head, "|" + "---|" * 12]

    def pm(r: dict, f: str, pct: bool = False) -> str:
        if r[f] is None or not np.isfinite(r[f]):
            return "—"
        k = 100.0 if pct else 1.0
        return f"{k * r[f]:.{1 if pct else 2}f} ± {k * r[f + '_se']:.{1 if pct else 2}f}" + (" %" if pct else "")

    for r in results.iter_rows(named=True):
        lines.append(
            f"| {r['size']} ({r['grids']} grids) | {r['scenario']} | {r['estimator']} | {r['reps']} | {pm(r, 'rmse')} | "
            f"{pm(r, 'bias')} | {pm(r, 'grid_bias')} | {pm(r, 'coverage', True)} | {pm(r, 'misgraded', True)} | "
            f"{pm(r, 'rank_coverage', True)} | {pm(r, 'rank_set_joint', True)} | {pm(r, 'rank_set_share', True)} |"
        )
    return "\n".join(lines)


def write_docs(results: pl.DataFrame, command: str, seconds: float) -> None:
    """The table into docs/methodology.md (between the markers), the summary into docs/performance.md."""
    text = METHODOLOGY.read_text(encoding="utf-8")
    block = f"{START}\n\nCommand: `{command}` ({seconds / 60:.1f} min on this machine).\n\n{table(results)}\n\n{END}"
    if START in text:
        text = text[: text.index(START)] + block + text[text.index(END) + len(END):]
    else:
        text = text.rstrip("\n") + "\n\n" + block + "\n"
    METHODOLOGY.write_text(text, encoding="utf-8")
    per = results.group_by("size", "scenario").agg(pl.col("seconds").first(), pl.col("reps").first())
    lines = [
        "## Fairness harness (issue 19)", "",
        f"Command: `flock /tmp/gridscore-bench.lock {command}`; machine: {platform.machine()}, "
        f"{platform.python_version()}, 2 cores shared. Whole run {seconds / 60:.1f} min (goal ≤ 30 min).", "",
        "| city | scenario | replications | seconds |", "|---|---|---|---|",
        *[f"| {r['size']} | {r['scenario']} | {r['reps']} | {r['seconds']:.0f} |"
          for r in per.sort("size", "scenario").iter_rows(named=True)],
        "", "The figures themselves are in docs/methodology.md, Part C (the harness table).", "",
    ]
    write_section("\n".join(lines))


def main(argv: list[str] | None = None) -> None:
    """Parse options, build or reuse the cities, run the harness, print (and write) the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="small,city")
    parser.add_argument("--reps-small", type=int, default=200)
    parser.add_argument("--reps-city", type=int, default=30)
    parser.add_argument("--draws", type=int, default=200, help="Monte Carlo draws per replication (rank intervals)")
    parser.add_argument("--scenarios", default=",".join(SCENARIO_NAMES))
    parser.add_argument("--cache", type=Path, default=Path("/tmp/gridscore-fairness"))
    parser.add_argument("--write", action="store_true", help="write docs/methodology.md and docs/performance.md")
    argv = sys.argv[1:] if argv is None else argv
    args = parser.parse_args(argv)
    started = time.perf_counter()
    frames = []
    for size in args.sizes.split(","):
        path = args.cache / f"{size}-{SEED}.duckdb"
        if not path.exists():
            args.cache.mkdir(parents=True, exist_ok=True)
            t = time.perf_counter()
            build_city(path.with_suffix(".building"), size)
            path.with_suffix(".building").rename(path)
            print(f"built {size} city in {time.perf_counter() - t:.0f} s", flush=True)
        reps = args.reps_small if size == "small" else args.reps_city
        with open_db(path, read_only=True) as db:
            frames.append(run(db, size=size, reps=reps, draws=args.draws,
                              scenarios=tuple(args.scenarios.split(","))))
        print(table(frames[-1]), flush=True)
    results = pl.concat(frames)
    seconds = time.perf_counter() - started
    print(f"total {seconds / 60:.1f} min")
    if args.write:
        write_docs(results, " ".join(["python -m bench.bench_fairness", *argv]), seconds)


if __name__ == "__main__":
    main()
