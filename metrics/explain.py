"""Explanations: why a worker or unit got its score, as a tree the dashboard and reports show.

Total → pillars (weight, score, coverage, points) → items (raw numerator and
denominator, value, target, normalised score, weight, points); deduction and bonus
lines with their evidence ids; vetoes (which one decided the grade); eligibility reasons.
Everything is read from the stored run, so the explanation matches the published number.

Deductions live inside their pillar (methodology B4/B5): an event's points are taken
from its deduction item (full marks, 扣完为止), and the item weighs in its pillar like any
other item. `deduction_items` reconciles each item's events with the item and with the
points the total lost; `score_steps` is the one sequence every view draws — pillar before
deductions → deductions → pillar points → the other pillars → bonus → cap → rounding →
total — each step at display precision, so the steps add up to the total on screen.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import polars as pl

from metrics.errors import ScoringError
from metrics.results import adjustments, indicator_values, unit_scores, worker_scores
from metrics.runs import run_scheme
from metrics.scheme import Scheme
from warehouse.db import Database


@dataclass(frozen=True)
class ItemLine:
    """One item of a pillar: indicator, deduction item, skills or survey."""

    item: str
    name_zh: str
    name_en: str
    kind: str
    num: float | None
    den: float | None
    value: float | None
    target: float | None
    floor: float | None
    normalised: float | None
    weight: float | None
    points: float | None
    missing_reason: str | None


@dataclass(frozen=True)
class PillarNode:
    """A pillar with its items."""

    key: str
    name_zh: str
    name_en: str
    weight: float
    score: float | None
    coverage: float | None
    points: float | None
    reason: str | None
    items: tuple[ItemLine, ...]


@dataclass(frozen=True)
class AdjustmentLine:
    """A deduction or bonus event with its evidence id."""

    kind: str
    item: str
    event: str
    evidence_id: str
    points: float
    zeroing: bool


@dataclass(frozen=True)
class VetoLine:
    """A veto event reaching the subject."""

    veto_id: str
    category: str
    severity: str
    status: str
    evidence: str
    acting: bool
    deciding: bool


@dataclass(frozen=True)
class DeductionItem:
    """One deduction item reconciled with its events and with the total.

    Attributes:
        events: how many events were recorded against the item.
        event_points: Σ of their points on the item's scale (what the events ask for).
        full: the item's full marks; `applied` = min(event_points, full), or full when
            a zeroing event sets the item to 0; `capped` when the events asked for more.
        item_score: 100·(full − applied)/full, the item's 0–100 score in its pillar.
        share: the item's weight over the observed weight of its pillar.
        points_lost: what the item took from the total: pillar weight × share ×
            (100 − item_score)/100 (None when the pillar is missing).
    """

    item: str
    name_zh: str
    name_en: str
    pillar: str
    events: int
    event_points: float
    full: float
    applied: float
    capped: bool
    zeroed: bool
    item_score: float | None
    weight: float
    share: float | None
    points_lost: float | None


@dataclass(frozen=True)
class Step:
    """One step of the score as drawn: `key` names it, `measure` is relative or total.

    Keys: `<pillar>_before` (the pillar before its deductions), `deductions`,
    `<pillar>` (the pillar's points), `bonus`, `cap`, `rounding`, `total`. A step of
    measure "total" is the running sum so far (a subtotal or the total).
    """

    key: str
    pillar: str | None
    points: float
    measure: str


@dataclass(frozen=True)
class SatisfactionMethod:
    """How the satisfaction pillar was estimated and how sure the grade and rank are (issue 19)."""

    estimator: str | None  # direct | shrinkage | fay_herriot | members (surveys.scored)
    estimand: str | None  # population | mix_adjusted
    note: str | None  # why it fell back (too_few_units, grid_level_only, no_mix_model)
    scored_se: float | None
    population: float | None
    adjusted: float | None
    mix: float | None  # population − adjusted: the points the residents' mix moves it
    tied: bool | None
    p_own_grade: float | None
    rank_set: tuple[float, float] | None  # simultaneous rank confidence set
    weight_ranks: tuple[float, float] | None  # rank range under the weights alone


def satisfaction_method(row: dict) -> SatisfactionMethod:
    """The method of a stored score row (worker or unit)."""
    def pair(lo: str, hi: str) -> tuple[float, float] | None:
        return (row[lo], row[hi]) if row.get(lo) is not None and row.get(hi) is not None else None

    grade = row.get("grade")
    return SatisfactionMethod(
        estimator=row.get("satisfaction_estimator"), estimand=row.get("satisfaction_estimand"),
        note=row.get("satisfaction_note"), scored_se=row.get("satisfaction_scored_se"),
        population=row.get("satisfaction_population"), adjusted=row.get("satisfaction_adjusted"),
        mix=row.get("satisfaction_mix"), tied=row.get("tied"),
        p_own_grade=row.get(f"p_grade_{grade}") if grade else None,
        rank_set=pair("rank_set_low", "rank_set_high"), weight_ranks=pair("weight_rank_low", "weight_rank_high"),
    )


@dataclass(frozen=True)
class Explanation:
    """The whole explanation of one subject's score in one run."""

    run_id: str
    level: str
    subject_id: str
    name: str | None
    total: float | None
    base: float | None
    deductions: float | None
    bonus: float | None
    grade: str | None
    grade_reason: str | None
    rank: int | None
    ranked_among: int | None
    eligible: bool
    ineligible_reasons: tuple[str, ...]
    vetoed: bool
    veto_reason: str | None
    pillars: tuple[PillarNode, ...]
    deduction_lines: tuple[AdjustmentLine, ...]
    bonus_lines: tuple[AdjustmentLine, ...]
    vetoes: tuple[VetoLine, ...]
    deduction_items: tuple[DeductionItem, ...] = ()
    steps: tuple[Step, ...] = ()
    satisfaction: SatisfactionMethod | None = None


RECONCILE_SCHEMA = {
    "subject_id": pl.String, "pillar": pl.String, "item": pl.String, "events": pl.Int64,
    "event_points": pl.Float64, "full": pl.Float64, "applied": pl.Float64, "capped": pl.Boolean,
    "zeroed": pl.Boolean, "item_score": pl.Float64, "weight": pl.Float64, "share": pl.Float64,
    "points_lost": pl.Float64,
}


def deduction_items(items: pl.DataFrame, lines: pl.DataFrame, pillar_weights: Mapping[str, float]) -> pl.DataFrame:
    """Every deduction item of every subject, reconciled: events → item → points lost.

    Args:
        items: stored item rows (`score_indicators`: subject_id, pillar, item, kind, num,
            den, normalised, weight, points) of one or many subjects.
        lines: stored adjustment rows (`score_adjustments`: subject_id, kind, item,
            points, zeroing); only deduction lines are used.
        pillar_weights: pillar key → its weight in the total (the run's scheme).

    Returns:
        One row per subject and deduction item (`RECONCILE_SCHEMA`), ordered by subject
        and item: the same arithmetic as `metrics.score` (B4, B6), from the stored rows.
    """
    if items.height == 0:
        return pl.DataFrame(schema=RECONCILE_SCHEMA)
    observed = items.filter(pl.col("normalised").is_not_null()).group_by("subject_id", "pillar").agg(
        pl.col("weight").sum().alias("obs_w"), pl.col("points").is_not_null().all().alias("present"))
    ded = lines.filter(pl.col("kind") == "deduction") if lines.height else lines
    events = (ded.group_by("subject_id", "item").agg(
        pl.len().cast(pl.Int64).alias("events"), pl.col("points").sum().alias("event_points"),
        pl.col("zeroing").any().alias("zeroed")) if ded.height else
        pl.DataFrame(schema={"subject_id": pl.String, "item": pl.String, "events": pl.Int64,
                             "event_points": pl.Float64, "zeroed": pl.Boolean}))
    weights = pl.DataFrame({"pillar": list(pillar_weights), "pillar_weight": [float(v) for v in pillar_weights.values()]})
    frame = (
        items.filter(pl.col("kind") == "deduction")
        .select("subject_id", "pillar", "item", pl.col("den").alias("full"), pl.col("normalised").alias("item_score"), "weight")
        .join(events, on=["subject_id", "item"], how="left")
        .join(observed, on=["subject_id", "pillar"], how="left")
        .join(weights, on="pillar", how="left")
        .with_columns(pl.col("events").fill_null(0), pl.col("event_points").fill_null(0.0), pl.col("zeroed").fill_null(False))
        .with_columns(
            pl.when(pl.col("zeroed")).then(pl.col("full"))
            .otherwise(pl.min_horizontal("event_points", "full")).alias("applied"),
            (~pl.col("zeroed") & (pl.col("event_points") > pl.col("full") + 1e-9)).alias("capped"),
            (pl.col("weight") / pl.col("obs_w")).alias("share"),
        )
        .with_columns(
            pl.when(pl.col("present").fill_null(False))
            .then(pl.col("pillar_weight") * pl.col("share") * (100.0 - pl.col("item_score")) / 100.0)
            .otherwise(None).alias("points_lost"),
        )
    )
    return frame.select(list(RECONCILE_SCHEMA)).cast(RECONCILE_SCHEMA).sort("subject_id", "item")


def round_display(x: float, decimals: int = 1) -> float:
    """Half-up rounding to `decimals` (as the stored total is rounded, B5)."""
    f = 10.0**decimals
    return round(math.floor(x * f + 0.5 + 1e-9) / f, decimals)


def score_steps(pillar_points: Mapping[str, float | None], *, deductions: Mapping[str, float],
                bonus: float | None, total: float | None, cap: float = 100.0, decimals: int = 1) -> tuple[Step, ...]:
    """The score as steps that add up: the one sequence the waterfall, sheet and CLI show.

    Each step is rounded to `decimals` first (what the page prints), so a reader adding
    the printed steps gets the printed total: a pillar with deductions appears as
    "before deductions" (its points + the deductions), "deductions" (negative) and, for
    the first such pillar, a subtotal of its points; then the other pillars, the bonus
    (already capped at the scheme's bonus cap), a "cap" step when base + bonus passed
    `cap`, and a "rounding" step when the rounded steps miss the total by the last digit.

    Args:
        pillar_points: pillar key → points in the total (None when the pillar is missing),
            in the scheme's order.
        deductions: pillar key → points its deduction items took from the total.
        bonus: the bonus points counted (already capped).
        total: the stored total (None for a worker with a missing pillar: no total step).

    Examples:
        >>> [(s.key, s.points) for s in score_steps({"results": 25.56, "skills": 7.72, "satisfaction": 36.33},
        ...     deductions={"results": 4.4}, bonus=0.0, total=69.6)]
        [('results_before', 30.0), ('deductions', -4.4), ('results', 25.6), ('skills', 7.7), ('satisfaction', 36.3), ('total', 69.6)]
    """
    def r(value: float) -> float:
        return round_display(float(value), decimals)

    steps: list[Step] = []
    running = 0.0
    order = sorted((k for k in pillar_points if pillar_points[k] is not None),
                   key=lambda k: (0 if deductions.get(k) else 1))
    for n, key in enumerate(order):
        points = r(pillar_points[key])  # type: ignore[arg-type]
        lost = r(deductions.get(key) or 0.0)
        if lost > 0:
            steps.append(Step(f"{key}_before", key, r(points + lost), "relative"))
            steps.append(Step("deductions", key, -lost, "relative"))
            running = r(running + points)
            if n == 0:
                steps.append(Step(key, key, running, "total"))
        else:
            steps.append(Step(key, key, points, "relative"))
            running = r(running + points)
    if bonus:
        steps.append(Step("bonus", None, r(bonus), "relative"))
        running = r(running + r(bonus))
    if total is None:
        return tuple(steps)
    if running > cap + 1e-9:
        steps.append(Step("cap", None, r(cap - running), "relative"))
        running = r(cap)
    gap = round(float(total) - running, decimals)
    if abs(gap) > 1e-9:
        steps.append(Step("rounding", None, gap, "relative"))
    steps.append(Step("total", None, r(total), "total"))
    return tuple(steps)


def _names(scheme: Scheme) -> dict[str, tuple[str, str]]:
    names = {i.key: (i.name_zh, i.name_en) for i in scheme.indicators}
    names.update({d.key: (d.name_zh, d.name_en) for d in scheme.deductions})
    names.update({"skills": ("业务技能考核", "Skill assessments"), "survey": ("群众满意度调查", "Residents' survey")})
    return names


def _pillars(scheme: Scheme, row: dict, items: pl.DataFrame) -> tuple[PillarNode, ...]:
    names = _names(scheme)
    out = []
    for p in scheme.pillars:
        lines = tuple(
            ItemLine(
                item=r["item"], name_zh=names.get(r["item"], (r["item"], ""))[0],
                name_en=names.get(r["item"], ("", r["item"]))[1], kind=r["kind"], num=r["num"], den=r["den"],
                value=r["value"], target=r["target"], floor=r["floor"], normalised=r["normalised"],
                weight=r["weight"], points=r["points"], missing_reason=r["missing_reason"],
            )
            for r in items.filter(pl.col("pillar") == p.key).iter_rows(named=True)
        )
        order = {k: n for n, k in enumerate([*(i.key for i in scheme.indicators), *(d.key for d in scheme.deductions)])}
        lines = tuple(sorted(lines, key=lambda x: order.get(x.item, 999)))
        out.append(PillarNode(
            key=p.key, name_zh=p.name_zh, name_en=p.name_en, weight=p.weight, score=row.get(p.key),
            coverage=row.get(f"{p.key}_coverage"), points=row.get(f"{p.key}_points"),
            reason=row.get(f"{p.key}_reason"), items=lines,
        ))
    return tuple(out)


def _adjustments(frame: pl.DataFrame) -> tuple[tuple[AdjustmentLine, ...], tuple[AdjustmentLine, ...]]:
    lines = [AdjustmentLine(r["kind"], r["item"], r["event"], r["evidence_id"], r["points"], r["zeroing"])
             for r in frame.iter_rows(named=True)]
    return tuple(x for x in lines if x.kind == "deduction"), tuple(x for x in lines if x.kind == "bonus")


def _vetoes(db: Database, row: dict, subject_ids: list[str], period_id: str) -> tuple[VetoLine, ...]:
    acting = set((row.get("veto_ids") or "").split(",")) - {""}
    reason = row.get("grade_reason") or ""
    deciding = reason.removeprefix("veto ").removeprefix("cap ").strip() if reason.startswith("veto ") else ""
    frame = db.query(
        "SELECT veto_id, category, severity, status, evidence FROM veto_events "
        "WHERE (veto_id IN (SELECT unnest($ids)) OR subject_id IN (SELECT unnest($subjects))) "
        "AND period_id IN (SELECT s.period_id FROM periods s, periods p WHERE p.period_id = $period "
        "AND s.starts_on >= p.starts_on AND s.ends_on <= p.ends_on) ORDER BY veto_id",
        {"ids": sorted(acting), "subjects": subject_ids, "period": period_id},
    )
    return tuple(
        VetoLine(r["veto_id"], r["category"], r["severity"], r["status"], r["evidence"],
                 r["veto_id"] in acting, r["veto_id"] == deciding)
        for r in frame.iter_rows(named=True)
    )


def _explain(db: Database, run_id: str, level: str, row: dict, subject_id: str) -> Explanation:
    scheme = run_scheme(db, run_id)
    period_id = db.scalar("SELECT period_id FROM score_runs WHERE run_id = ?", [run_id])
    items = indicator_values(db, run_id, level=level, subject_id=subject_id)
    ded, bon = _adjustments(adjustments(db, run_id, level=level, subject_id=subject_id))
    subjects = [subject_id] + ([row["grid_id"]] if row.get("grid_id") else [])
    names = _names(scheme)
    weights = {p.key: float(p.weight) for p in scheme.pillars}
    recon = deduction_items(items, adjustments(db, run_id, level=level, subject_id=subject_id), weights)
    ded_items = tuple(
        DeductionItem(item=r["item"], name_zh=names.get(r["item"], (r["item"], r["item"]))[0],
                      name_en=names.get(r["item"], (r["item"], r["item"]))[1], pillar=r["pillar"], events=r["events"],
                      event_points=r["event_points"], full=r["full"], applied=r["applied"], capped=r["capped"],
                      zeroed=r["zeroed"], item_score=r["item_score"], weight=r["weight"], share=r["share"],
                      points_lost=r["points_lost"])
        for r in recon.iter_rows(named=True))
    steps = score_steps({p.key: row.get(f"{p.key}_points") for p in scheme.pillars},
                        deductions=pillar_deductions(recon), bonus=row.get("bonus"), total=row.get("total"),
                        cap=scheme.cap, decimals=scheme.decimals)
    reasons = tuple((row.get("ineligible_reason") or "").split(";")) if row.get("ineligible_reason") else ()
    return Explanation(
        run_id=run_id, level=level, subject_id=subject_id, name=row.get("name"), total=row.get("total"),
        base=row.get("base"), deductions=row.get("deductions"), bonus=row.get("bonus"), grade=row.get("grade"),
        grade_reason=row.get("grade_reason"), rank=row.get("rank"), ranked_among=row.get("ranked_among"),
        eligible=bool(row.get("eligible")), ineligible_reasons=reasons, vetoed=bool(row.get("vetoed")),
        veto_reason=row.get("veto_reason"), pillars=_pillars(scheme, row, items),
        deduction_lines=ded, bonus_lines=bon, vetoes=_vetoes(db, row, subjects, period_id),
        deduction_items=ded_items, steps=steps, satisfaction=satisfaction_method(row),
    )


def pillar_deductions(reconciled: pl.DataFrame) -> dict[str, float]:
    """Pillar key → the points its deduction items took from the total (one subject's rows)."""
    if reconciled.height == 0:
        return {}
    sums = reconciled.drop_nulls("points_lost").group_by("pillar").agg(pl.col("points_lost").sum())
    return {p: float(v) for p, v in sums.iter_rows()}


def explain_worker(db: Database, run_id: str, worker_id: str) -> Explanation:
    """Explain one worker's score in a run.

    Raises:
        ScoringError: unknown run or worker not in the run.
    """
    scores = worker_scores(db, run_id).filter(pl.col("worker_id") == worker_id)
    if scores.height == 0:
        raise ScoringError(f"worker {worker_id!r} is not in run {run_id}")
    return _explain(db, run_id, "worker", scores.row(0, named=True), worker_id)


def explain_unit(db: Database, run_id: str, unit_id: str, *, level: str) -> Explanation:
    """Explain one unit's score (department, community or street) in a run.

    Raises:
        ScoringError: unknown run, level or unit.
    """
    scores = unit_scores(db, run_id, level=level).filter(pl.col("unit_id") == unit_id)  # type: ignore[arg-type]
    if scores.height == 0:
        raise ScoringError(f"unit {unit_id!r} ({level}) is not in run {run_id}")
    return _explain(db, run_id, level, scores.row(0, named=True), unit_id)


def explanation_from_json(data: Mapping[str, object]) -> Explanation:
    """An `Explanation` rebuilt from its JSON form (`dataclasses.asdict` sent over the API).

    The CLI prints a server's explanation with the same code as a local one.
    """
    return _from_json(Explanation, data)


def _from_json(cls: type, data: Mapping[str, object]):  # noqa: ANN202 — returns an instance of cls
    import dataclasses
    import typing

    hints = typing.get_type_hints(cls)
    values = {}
    for field in dataclasses.fields(cls):
        if field.name not in data:
            continue
        value, hint = data[field.name], hints[field.name]
        args = typing.get_args(hint)
        if typing.get_origin(hint) is tuple and args and dataclasses.is_dataclass(args[0]):
            value = tuple(_from_json(args[0], item) for item in value)  # type: ignore[union-attr]
        elif typing.get_origin(hint) is tuple:
            value = tuple(value)  # type: ignore[arg-type]
        elif isinstance(value, Mapping) and (inner := [a for a in args if dataclasses.is_dataclass(a)]):
            value = _from_json(inner[0], value)  # an optional nested record (SatisfactionMethod)
        elif isinstance(value, list) and any(typing.get_origin(a) is tuple for a in args):
            value = tuple(value)  # an optional pair (rank_set, weight_ranks)
        values[field.name] = value
    return cls(**values)
