"""Scores from the scoring inputs: pure polars functions, no database.

The pipeline (methodology part B):

1. normalise each indicator value against the scheme's target and floor (B2) or bands (B3);
2. score each deduction item: max(0, full − Σ deductions) (扣完为止), 0 on a zeroing event (B4);
3. pillar score = weighted mean of the observed items when their weight share reaches the
   pillar's coverage threshold, else missing with a reason (B6) — never re-weighted away;
4. points = pillar weight × pillar score / 100; base = Σ points (NULL if a pillar is missing);
5. total = min(cap, base + min(B_max, Σ bonus)) rounded half-up (B5, B8);
6. veto gate (B7), grade bands and quota (B8), eligibility (B9), ranks with ties (并列).

The same functions score workers and units (B10): only the subject column differs.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from metrics.indicators import NO_WORKLOAD
from metrics.scheme import Scheme

SEVERITY_ORDER = {"fail": 3, "grade_cap": 2, "no_award": 1}


@dataclass(frozen=True)
class ScoreInputs:
    """Everything the scores depend on, per subject (worker or unit), as polars frames.

    Attributes:
        roster: subject_id, role, households, months_in_post (+ any placement columns kept as is).
        indicators: subject_id, indicator, num, den, value, missing_reason.
        skills: subject_id, skills (0–100), skills_se (optional).
        satisfaction: subject_id, shrunk, mean, se, respondents, reliability.
        deductions: subject_id, item, event, evidence_id, points, zeroing (one line per event).
        bonus: subject_id, item (category), event, evidence_id, points.
        vetoes: subject_id, veto_id, category, severity, status, evidence.
    """

    roster: pl.DataFrame
    indicators: pl.DataFrame
    skills: pl.DataFrame
    satisfaction: pl.DataFrame
    deductions: pl.DataFrame
    bonus: pl.DataFrame
    vetoes: pl.DataFrame


@dataclass(frozen=True)
class ScoreResult:
    """Scores (one row per subject) and items (one row per subject and item)."""

    scores: pl.DataFrame
    items: pl.DataFrame


# ------------------------------------------------------------------------ helpers


def round_half_up(x: pl.Expr, decimals: int) -> pl.Expr:
    """Round half away from zero for non-negative scores (84.25 → 84.3), robust to float error.

    Examples:
        >>> import polars as pl
        >>> pl.select(round_half_up(pl.lit(84.25), 1)).item()
        84.3
        >>> pl.select(round_half_up(pl.lit(0.1 + 0.2), 1)).item()
        0.3
    """
    f = 10.0**decimals
    return ((x * f + 0.5 + 1e-9).floor() / f).round(decimals)


def round_half_up_np(x: np.ndarray, decimals: int, *, inplace: bool = False) -> np.ndarray:
    """numpy twin of `round_half_up` (with `inplace`, `x` is overwritten: no temporaries for big draws)."""
    f = 10.0**decimals
    y = np.multiply(x, f, out=x if inplace else None)
    y += 0.5
    y += 1e-9
    np.floor(y, out=y)
    y /= f
    return np.round(y, decimals, out=y)


def normalise_expr(scheme: Scheme) -> pl.Expr:
    """Normalised 0–100 score of column `value` for the indicator in column `indicator`.

    Higher-is-better: 100·clip((x − L)/(T − L), 0, 1); lower-is-better:
    100·clip((U − x)/(U − T), 0, 1); banded: the points of the band holding x.
    """
    x = pl.col("value")
    expr: pl.Expr | None = None
    for ind in scheme.indicators:
        if ind.bands:
            band_expr = pl.lit(None, dtype=pl.Float64)
            for b in reversed(ind.bands):
                band_expr = pl.when((x >= b.low) & (x < b.high)).then(pl.lit(float(b.points))).otherwise(band_expr)
            # the top band includes its upper edge
            top = ind.bands[-1]
            s = pl.when(x == top.high).then(pl.lit(float(top.points))).otherwise(band_expr)
        elif ind.direction == "higher":
            s = 100.0 * ((x - ind.floor) / (ind.target - ind.floor)).clip(0.0, 1.0)
        else:
            s = 100.0 * ((ind.floor - x) / (ind.floor - ind.target)).clip(0.0, 1.0)
        cond = pl.col("indicator") == ind.key
        expr = pl.when(cond).then(s) if expr is None else expr.when(cond).then(s)
    if expr is None:
        return pl.lit(None, dtype=pl.Float64)
    return expr.otherwise(None).cast(pl.Float64)


def _scheme_items(scheme: Scheme) -> pl.DataFrame:
    rows = []
    for i in scheme.indicators:
        rows.append({"item": i.key, "pillar": i.pillar, "kind": "indicator", "weight": float(i.weight),
                     "target": i.target, "floor": i.floor, "order": len(rows)})
    for d in scheme.deductions:
        rows.append({"item": d.key, "pillar": d.pillar, "kind": "deduction", "weight": float(d.weight),
                     "target": None, "floor": None, "order": len(rows)})
    return pl.DataFrame(rows, schema={"item": pl.String, "pillar": pl.String, "kind": pl.String,
                                      "weight": pl.Float64, "target": pl.Float64, "floor": pl.Float64,
                                      "order": pl.Int64})


ITEM_SCHEMA = {
    "subject_id": pl.String, "pillar": pl.String, "item": pl.String, "kind": pl.String,
    "num": pl.Float64, "den": pl.Float64, "value": pl.Float64, "target": pl.Float64,
    "floor": pl.Float64, "normalised": pl.Float64, "weight": pl.Float64, "missing_reason": pl.String,
}


def item_scores(inputs: ScoreInputs, scheme: Scheme) -> pl.DataFrame:
    """One row per subject and item of every pillar, with its normalised 0–100 score.

    Indicators are normalised (B2/B3); deduction items are 100·max(0, full − Σd)/full or 0
    when zeroed (B4); the skills and survey pillars are one item each.
    """
    subjects = inputs.roster.select("subject_id")
    meta = _scheme_items(scheme)

    # indicators
    ind = (
        inputs.indicators.rename({"indicator": "item"})
        .join(meta.filter(pl.col("kind") == "indicator"), on="item", how="inner")
        .with_columns(pl.col("item").alias("indicator"))
        .with_columns(normalise_expr(scheme).alias("normalised"))
    )
    ind = ind.select(list(ITEM_SCHEMA))

    # deduction items: every subject has every item (no events = full marks)
    frames = [ind]
    if scheme.deductions:
        full = pl.DataFrame({"item": [d.key for d in scheme.deductions],
                             "full": [float(d.full) for d in scheme.deductions]})
        lines = inputs.deductions.sort("subject_id", "item", "evidence_id", "event").group_by(
            "subject_id", "item", maintain_order=True).agg(
            pl.col("points").sum().alias("deducted"), pl.col("zeroing").any().alias("zeroed")
        )
        ded = (
            subjects.join(meta.filter(pl.col("kind") == "deduction"), how="cross")
            .join(full, on="item")
            .join(lines, on=["subject_id", "item"], how="left")
            .with_columns(pl.col("deducted").fill_null(0.0), pl.col("zeroed").fill_null(False))
            .with_columns(
                pl.col("deducted").alias("num"),
                pl.col("full").alias("den"),
                (pl.col("deducted") / pl.col("full")).alias("value"),
                pl.when(pl.col("zeroed")).then(0.0)
                .otherwise(100.0 * (pl.col("full") - pl.col("deducted")).clip(lower_bound=0.0) / pl.col("full"))
                .alias("normalised"),
                pl.lit(None, dtype=pl.String).alias("missing_reason"),
            )
        )
        frames.append(ded.select(list(ITEM_SCHEMA)))

    for p in scheme.pillars:
        if p.source == "skill_assessments":
            sk = subjects.join(inputs.skills.select("subject_id", "skills"), on="subject_id", how="left")
            frames.append(sk.select(
                "subject_id", pl.lit(p.key).alias("pillar"), pl.lit("skills").alias("item"),
                pl.lit("skills").alias("kind"), pl.lit(None, dtype=pl.Float64).alias("num"),
                pl.lit(None, dtype=pl.Float64).alias("den"), pl.col("skills").cast(pl.Float64).alias("value"),
                pl.lit(None, dtype=pl.Float64).alias("target"), pl.lit(None, dtype=pl.Float64).alias("floor"),
                pl.col("skills").cast(pl.Float64).alias("normalised"), pl.lit(100.0).alias("weight"),
                pl.when(pl.col("skills").is_null()).then(pl.lit("no_assessment")).otherwise(None).alias("missing_reason"),
            ))
        elif p.source == "survey":
            # `shrunk` is the value the scheme's estimator and estimand give (surveys.scored)
            value_col = "mean" if p.value == "mean" and p.estimand == "population" else "shrunk"
            sv = subjects.join(inputs.satisfaction, on="subject_id", how="left")
            frames.append(sv.select(
                "subject_id", pl.lit(p.key).alias("pillar"), pl.lit("survey").alias("item"),
                pl.lit("survey").alias("kind"), pl.col("respondents").cast(pl.Float64).alias("num"),
                pl.lit(None, dtype=pl.Float64).alias("den"), pl.col("mean").cast(pl.Float64).alias("value"),
                pl.lit(None, dtype=pl.Float64).alias("target"), pl.lit(None, dtype=pl.Float64).alias("floor"),
                pl.col(value_col).cast(pl.Float64).alias("normalised"), pl.lit(100.0).alias("weight"),
                pl.when(pl.col(value_col).is_null())
                .then(pl.coalesce(pl.col("missing_reason") if "missing_reason" in sv.columns else pl.lit(None, dtype=pl.String),
                                  pl.lit("no_survey")))
                .otherwise(None).alias("missing_reason"),
            ))
    items = pl.concat([f.cast(ITEM_SCHEMA) for f in frames])
    return items.with_columns(
        pl.when(pl.col("normalised").is_null() & pl.col("missing_reason").is_null())
        .then(pl.lit(NO_WORKLOAD)).otherwise(pl.col("missing_reason")).alias("missing_reason")
    )


def pillar_scores(items: pl.DataFrame, scheme: Scheme) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Pillar scores with coverage (B6) and the items' points in the total.

    Returns:
        (pillars, items): pillars has subject_id, pillar, score, coverage, reason, points,
        deducted_points, floor_hit; items gains `points`.
    """
    pmeta = pl.DataFrame({
        "pillar": [p.key for p in scheme.pillars],
        "pillar_weight": [float(p.weight) for p in scheme.pillars],
        "min_coverage": [float(p.min_coverage) for p in scheme.pillars],
    })
    observed = pl.col("normalised").is_not_null()
    # a fixed row order makes the float sums (and so the stored scores) byte-identical
    items = items.sort("subject_id", "pillar", "item")
    agg = (
        items.group_by("subject_id", "pillar", maintain_order=True)
        .agg(
            pl.col("weight").filter(observed).sum().alias("obs_w"),
            pl.col("weight").sum().alias("tot_w"),
            (pl.col("weight") * pl.col("normalised")).filter(observed).sum().alias("ws"),
            pl.col("missing_reason").filter(~observed).sort().first().alias("first_missing"),
            (pl.col("weight") * (100.0 - pl.col("normalised")))
            .filter(observed & (pl.col("kind") == "deduction")).sum().alias("ded_ws"),
            ((pl.col("kind") == "deduction") & (pl.col("normalised") <= 0.0)).any().alias("floor_hit"),
        )
        .join(pmeta, on="pillar")
        .with_columns((pl.col("obs_w") / pl.col("tot_w")).alias("coverage"))
    )
    present = (pl.col("obs_w") > 0) & (pl.col("coverage") >= pl.col("min_coverage") - 1e-9)
    pillars = agg.with_columns(
        pl.when(present).then(pl.col("ws") / pl.col("obs_w")).otherwise(None).alias("score"),
        pl.when(present).then(None)
        .when(pl.col("obs_w") == 0).then(pl.col("first_missing"))
        .otherwise(pl.lit("coverage_below_threshold")).alias("reason"),
    ).with_columns(
        (pl.col("pillar_weight") * pl.col("score") / 100.0).alias("points"),
        pl.when(present).then(pl.col("pillar_weight") * pl.col("ded_ws") / pl.col("obs_w") / 100.0)
        .otherwise(None).alias("deducted_points"),
    )
    items = items.join(
        pillars.select("subject_id", "pillar", "obs_w", "pillar_weight", present.alias("present")),
        on=["subject_id", "pillar"],
    ).with_columns(
        pl.when(pl.col("present") & pl.col("normalised").is_not_null())
        .then(pl.col("pillar_weight") * pl.col("weight") / pl.col("obs_w") * pl.col("normalised") / 100.0)
        .otherwise(None).alias("points")
    ).drop("obs_w", "pillar_weight", "present")
    return pillars.select("subject_id", "pillar", "score", "coverage", "reason", "points",
                          "deducted_points", "floor_hit"), items


def grade_expr(scheme: Scheme, total: pl.Expr) -> pl.Expr:
    """Grade key of a rounded total from the scheme's bands (top band includes the cap)."""
    expr = pl.lit(None, dtype=pl.String)
    for g in sorted(scheme.grades, key=lambda g: g.low):
        cond = (total >= g.low) & ((total < g.high) | ((g.high == scheme.cap) & (total <= g.high)))
        expr = pl.when(cond).then(pl.lit(g.key)).otherwise(expr)
    return expr


def grade_rank(scheme: Scheme) -> dict[str, int]:
    """Grade key → position, 0 = best."""
    return {g.key: n for n, g in enumerate(sorted(scheme.grades, key=lambda g: -g.low))}


def acting_vetoes(vetoes: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """Per subject the acting vetoes (B7): harshest severity, deciding veto, ids, pending appeal."""
    acting = vetoes.filter(pl.col("status").is_in(list(scheme.veto.acting_statuses)))
    sev = pl.col("severity").replace_strict(SEVERITY_ORDER, default=0, return_dtype=pl.Int64)
    pending = vetoes.group_by("subject_id").agg((pl.col("status") == "appealed").any().alias("pending_appeal"))
    summary = (
        acting.with_columns(sev.alias("sev"))
        .sort(["subject_id", "sev", "veto_id"], descending=[False, True, False])
        .group_by("subject_id", maintain_order=True)
        .agg(
            pl.col("severity").first().alias("veto_severity"),
            pl.col("veto_id").first().alias("deciding_veto"),
            (pl.col("category").first() + pl.lit(": ") + pl.col("evidence").first()).alias("veto_reason"),
            pl.col("veto_id").sort().str.join(",").alias("veto_ids"),
        )
    )
    return summary.join(pending, on="subject_id", how="full", coalesce=True).with_columns(
        pl.col("pending_appeal").fill_null(False)
    )


def rank_min(total: pl.Expr, group: str | list[str]) -> pl.Expr:
    """Competition rank ('min' method, 并列): higher total = better = smaller rank."""
    return total.rank(method="min", descending=True).over(group).cast(pl.Int32)


# ------------------------------------------------------------------------ totals


def _pillar_columns(roster: pl.DataFrame, pillars: pl.DataFrame, scheme: Scheme) -> pl.DataFrame:
    """The roster with the stored column set of every pillar: `<key>`, `_coverage`, `_reason`, `_points`."""
    wide = roster
    for p in scheme.pillars:
        pf = pillars.filter(pl.col("pillar") == p.key).select(
            "subject_id",
            pl.col("score").alias(p.key),
            pl.col("coverage").alias(f"{p.key}_coverage"),
            pl.col("reason").alias(f"{p.key}_reason"),
            pl.col("points").alias(f"{p.key}_points"),
        )
        wide = wide.join(pf, on="subject_id", how="left")
    return wide


SATISFACTION_DETAIL = (
    ("scored_se", "satisfaction_scored_se", pl.Float64),
    ("estimator", "satisfaction_estimator", pl.String),
    ("estimand", "satisfaction_estimand", pl.String),
    ("estimator_note", "satisfaction_note", pl.String),
    ("value_population", "satisfaction_population", pl.Float64),
    ("value_adjusted", "satisfaction_adjusted", pl.Float64),
    ("mix_adjustment", "satisfaction_mix", pl.Float64),
)
"""Survey detail carried into the scores (surveys.scored): source column, score column, type."""


def _totals(wide: pl.DataFrame, pillars: pl.DataFrame, inputs: ScoreInputs, scheme: Scheme) -> pl.DataFrame:
    """Deductions, bonus, survey detail and vetoes joined; base and total (B5, B8)."""
    pkeys = [p.key for p in scheme.pillars]
    ded = pillars.sort("subject_id", "pillar").group_by("subject_id", maintain_order=True).agg(
        pl.col("deducted_points").sum().alias("deductions"),
        pl.col("floor_hit").any().alias("deduction_floor_hit"),
    )
    bonus = inputs.bonus.sort("subject_id", "evidence_id").group_by("subject_id", maintain_order=True).agg(pl.col("points").sum().alias("bonus_raw"))
    sat = inputs.satisfaction.select(
        "subject_id",
        pl.col("mean").cast(pl.Float64).alias("satisfaction_raw"),
        pl.col("se").cast(pl.Float64).alias("satisfaction_se"),
        pl.col("respondents").cast(pl.Int32).alias("satisfaction_n"),
        pl.col("reliability").cast(pl.Float64).alias("satisfaction_reliability"),
        *[(pl.col(src).cast(kind) if src in inputs.satisfaction.columns else pl.lit(None, dtype=kind)).alias(dst)
          for src, dst, kind in SATISFACTION_DETAIL],
    )
    vet = acting_vetoes(inputs.vetoes, scheme)
    all_present = pl.all_horizontal([pl.col(k).is_not_null() for k in pkeys])
    return (
        wide.join(ded, on="subject_id", how="left")
        .join(bonus, on="subject_id", how="left")
        .join(sat, on="subject_id", how="left")
        .join(vet, on="subject_id", how="left")
        .with_columns(
            pl.when(all_present).then(pl.sum_horizontal([f"{k}_points" for k in pkeys])).otherwise(None).alias("base"),
            pl.col("bonus_raw").fill_null(0.0).clip(upper_bound=scheme.bonus_cap).alias("bonus"),
            pl.col("deduction_floor_hit").fill_null(False),
            pl.col("pending_appeal").fill_null(False),
            pl.col("veto_severity").is_not_null().alias("vetoed"),
        )
        .with_columns(
            round_half_up((pl.col("base") + pl.col("bonus")).clip(upper_bound=scheme.cap), scheme.decimals).alias("total"),
            round_half_up(pl.col("deductions"), 2).alias("deductions"),
        )
    )


def _eligibility(wide: pl.DataFrame, scheme: Scheme, *, worker_rules: bool) -> pl.DataFrame:
    """`ineligible_reason` (codes joined by ';') and `eligible` (B9)."""
    el = scheme.eligibility
    reasons: list[pl.Expr] = []
    if worker_rules:
        reasons.append(pl.when(pl.col("months_in_post") < el.min_months_in_post)
                       .then(pl.lit(f"in_post_lt_{el.min_months_in_post:g}m")))
    if el.require_coverage:
        for p in scheme.pillars:
            reasons.append(pl.when(pl.col(p.key).is_null()).then(pl.lit(f"{p.key}_missing")))
    if worker_rules and any(p.source == "survey" for p in scheme.pillars):
        reasons.append(pl.when(pl.col("satisfaction_n").is_not_null()
                               & (pl.col("satisfaction_n") < el.survey_n_min)).then(pl.lit("survey_n_lt_min")))
        reasons.append(pl.when(pl.col("satisfaction_reliability").is_not_null()
                               & (pl.col("satisfaction_reliability") < el.min_reliability - 1e-12))
                       .then(pl.lit("reliability_lt_min")))
    if worker_rules and el.exclude_pending_appeal:
        reasons.append(pl.when(pl.col("pending_appeal")).then(pl.lit("pending_appeal")))
    reasons.append(pl.when(pl.col("veto_severity") == "fail").then(pl.lit("vetoed")))
    return wide.with_columns(
        pl.concat_str(reasons, separator=";", ignore_nulls=True).alias("ineligible_reason")
    ).with_columns(
        pl.when(pl.col("ineligible_reason") == "").then(None).otherwise(pl.col("ineligible_reason")).alias("ineligible_reason")
    ).with_columns(
        (pl.col("ineligible_reason").is_null() & pl.col("total").is_not_null()).alias("eligible")
    )


def _grades(wide: pl.DataFrame, scheme: Scheme, rank_group: str) -> pl.DataFrame:
    """Grade bands, the top-grade quota and the veto gate (B7, B8), with the deciding reason."""
    gpos = grade_rank(scheme)
    gkeys = sorted(gpos, key=gpos.get)
    band = grade_expr(scheme, pl.col("total"))
    wide = wide.with_columns(band.alias("grade"), pl.when(pl.col("total").is_not_null()).then(pl.lit("band")).alias("grade_reason"))
    top = gkeys[0]
    if scheme.quota.top_share > 0 and len(gkeys) > 1:
        allowed = (pl.col("eligible").sum().over(rank_group) * scheme.quota.top_share).floor()
        tie_size = pl.len().over([rank_group, "rank"]) if isinstance(rank_group, str) else pl.len()
        wide = wide.with_columns(tie_size.alias("_tie"))
        if scheme.quota.tie_rule == "include":
            keep = pl.col("rank") <= allowed
        else:
            keep = (pl.col("rank") + pl.col("_tie") - 1) <= allowed
        demote = (pl.col("grade") == top) & pl.col("eligible") & ~keep.fill_null(False)
        wide = wide.with_columns(
            pl.when(demote).then(pl.lit(gkeys[1])).otherwise(pl.col("grade")).alias("grade"),
            pl.when(demote).then(pl.lit("quota")).otherwise(pl.col("grade_reason")).alias("grade_reason"),
        ).drop("_tie")
    cap_for = {"fail": "fail", "grade_cap": scheme.veto.grade_cap, "no_award": scheme.veto.no_award_cap}
    cap_grade = pl.col("veto_severity").replace_strict(cap_for, default=None, return_dtype=pl.String)
    gnum = pl.col("grade").replace_strict(gpos, default=None, return_dtype=pl.Int64)
    capnum = cap_grade.replace_strict(gpos, default=None, return_dtype=pl.Int64)
    worse = pl.max_horizontal(gnum.fill_null(-1), capnum)
    inv = {v: k for k, v in gpos.items()}
    veto_decides = pl.col("vetoed") & (gnum.is_null() | (capnum > gnum))
    return wide.with_columns(
        pl.when(veto_decides).then(worse.replace_strict(inv, default=None, return_dtype=pl.String))
        .otherwise(pl.col("grade")).alias("grade"),
        # metrics.reasons.GRADE_REASONS: "veto <id>" failed by a veto, "veto cap <id>" capped by one
        pl.when(veto_decides).then(pl.when(pl.col("veto_severity") == "fail").then(pl.lit("veto "))
                                   .otherwise(pl.lit("veto cap ")) + pl.col("deciding_veto"))
        .otherwise(pl.col("grade_reason")).alias("grade_reason"),
    )


def score_subjects(inputs: ScoreInputs, scheme: Scheme, *, worker_rules: bool = True,
                   rank_group: str = "role") -> ScoreResult:
    """Score every subject of `inputs.roster`: pillars, points, total, grade, eligibility, rank.

    Args:
        inputs: the scoring inputs, keyed by `subject_id`.
        scheme: the validated scheme.
        worker_rules: apply the worker eligibility rules (months in post, survey n and
            reliability, pending appeal); units use coverage and vetoes only.
        rank_group: roster column inside which ranks, quotas and eligibility counts apply.

    Examples:
        See `docs/methodology.md`, Part B, for a hand-worked example reproduced by a test.
    """
    items = item_scores(inputs, scheme)
    pillars, items = pillar_scores(items, scheme)
    wide = _pillar_columns(inputs.roster, pillars, scheme)
    wide = _totals(wide, pillars, inputs, scheme)
    wide = _eligibility(wide, scheme, worker_rules=worker_rules)

    # ranks among eligible peers (并列)
    ranked = pl.col("eligible")
    wide = wide.with_columns(
        pl.when(ranked).then(rank_min(pl.when(ranked).then(pl.col("total")), rank_group)).otherwise(None).alias("rank"),
        pl.when(ranked).then(pl.col("eligible").sum().over(rank_group)).otherwise(None).cast(pl.Int32).alias("ranked_among"),
    )
    wide = _grades(wide, scheme, rank_group)
    return ScoreResult(scores=wide, items=items.sort("subject_id", "pillar", "item"))
