"""Explanations: why a worker or unit got its score, as a tree the dashboard and reports show.

Total → pillars (weight, score, coverage, points) → items (raw numerator and
denominator, value, target, normalised score, weight, points); deduction and bonus
lines with their evidence ids; vetoes (which one decided the grade); eligibility reasons.
Everything is read from the stored run, so the explanation matches the published number.
"""

from __future__ import annotations

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
    deciding = (row.get("grade_reason") or "").removeprefix("veto ").strip() if (row.get("grade_reason") or "").startswith("veto") else ""
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
    reasons = tuple((row.get("ineligible_reason") or "").split(";")) if row.get("ineligible_reason") else ()
    return Explanation(
        run_id=run_id, level=level, subject_id=subject_id, name=row.get("name"), total=row.get("total"),
        base=row.get("base"), deductions=row.get("deductions"), bonus=row.get("bonus"), grade=row.get("grade"),
        grade_reason=row.get("grade_reason"), rank=row.get("rank"), ranked_among=row.get("ranked_among"),
        eligible=bool(row.get("eligible")), ineligible_reasons=reasons, vetoed=bool(row.get("vetoed")),
        veto_reason=row.get("veto_reason"), pillars=_pillars(scheme, row, items),
        deduction_lines=ded, bonus_lines=bon, vetoes=_vetoes(db, row, subjects, period_id),
    )


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
