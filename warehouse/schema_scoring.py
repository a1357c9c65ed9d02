"""Tables of the scoring engine: score runs, their results, veto workflow, appeals, audit log.

A score run is stored whole (scores, indicator values, deduction and bonus lines,
rank intervals) under one `run_id`, so any number on a dashboard page can be traced
back to the run that produced it. The audit log is hash-chained: each row's hash is
sha256(previous hash + canonical row), so an edited or deleted row breaks the chain.
"""

from __future__ import annotations

import sqlalchemy as sa

from warehouse.pillars import PILLAR_KINDS
from warehouse.schema import metadata


def _pillar_columns() -> list[sa.Column]:
    """Pillar, point and total columns shared by worker and unit scores."""
    cols: list[sa.Column] = []
    for key, zh in ((k.key, k.name_zh) for k in PILLAR_KINDS):
        cols += [
            sa.Column(key, sa.Double, comment=f"{key} pillar score 0–100 ({zh}); NULL when missing"),
            sa.Column(f"{key}_coverage", sa.Double, comment=f"observed weight share of the {key} pillar (0–1)"),
            sa.Column(f"{key}_reason", sa.String, comment=f"why the {key} pillar is missing (NULL: present)"),
            sa.Column(f"{key}_points", sa.Double, comment=f"{key} points = pillar weight × score / 100"),
        ]
    cols += [
        sa.Column("satisfaction_raw", sa.Double, comment="raw (unshrunk) survey mean shown beside the shrunk value"),
        sa.Column("satisfaction_se", sa.Double, comment="standard error of the survey mean"),
        sa.Column("satisfaction_n", sa.Integer, comment="survey respondents"),
        sa.Column("satisfaction_reliability", sa.Double, comment="reliability R = τ²/(τ²+V) of the survey mean (A8)"),
        sa.Column("base", sa.Double, comment="sum of pillar points, deductions already inside their pillar (B4); NULL if a pillar is missing"),
        sa.Column("deductions", sa.Double, comment="points the deduction items removed (shown apart; already inside base)"),
        sa.Column("deduction_floor_hit", sa.Boolean, comment="a deduction item reached 0 (扣完为止) or was zeroed"),
        sa.Column("bonus", sa.Double, comment="bonus points after the cap: min(B_max, Σ bonus)"),
        sa.Column("total", sa.Double, comment="min(cap, base + bonus), rounded half-up to the scheme's decimals"),
        sa.Column("grade", sa.String, comment="excellent | good | pass | fail (NULL when no total and no veto)"),
        sa.Column("grade_reason", sa.String, comment="what decided the grade: band | quota | veto <id> | veto cap <id>"),
        sa.Column("rank", sa.Integer, comment="rank among ranked peers, ties share the rank (并列, min method); NULL: not ranked"),
        sa.Column("ranked_among", sa.Integer, comment="number of ranked peers"),
        sa.Column("eligible", sa.Boolean, comment="eligible for ranking (B9)"),
        sa.Column("ineligible_reason", sa.String, comment="why not ranked (codes separated by ';')"),
        sa.Column("vetoed", sa.Boolean, comment="an acting veto reaches this subject"),
        sa.Column("veto_severity", sa.String, comment="harshest acting veto severity: fail | grade_cap | no_award"),
        sa.Column("veto_reason", sa.String, comment="category and evidence of the deciding veto"),
        sa.Column("veto_ids", sa.String, comment="acting veto ids, comma-separated"),
    ]
    return cols


def _satisfaction_columns() -> list[sa.Column]:
    """Which satisfaction estimate scored and its detail (issue 19; last, as migration 9 added them)."""
    return [
        sa.Column("satisfaction_scored_se", sa.Double, comment="error of the scored satisfaction value (the estimator's own SE / √MSE; the Monte Carlo draws from it)"),
        sa.Column("satisfaction_estimator", sa.String, comment="estimator that gave the scored value: direct | shrinkage | fay_herriot | members (a unit without its own estimate)"),
        sa.Column("satisfaction_estimand", sa.String, comment="population (the grid's population mean) | mix_adjusted (at the city's standard resident mix)"),
        sa.Column("satisfaction_note", sa.String, comment="why the scheme's estimator or estimand fell back (too_few_units, grid_level_only, no_mix_model)"),
        sa.Column("satisfaction_population", sa.Double, comment="the estimator's population mean (what residents feel)"),
        sa.Column("satisfaction_adjusted", sa.Double, comment="the estimator's mix-adjusted value (at the city's standard resident mix)"),
        sa.Column("satisfaction_mix", sa.Double, comment="points the residents' mix moves the value: population − adjusted"),
    ]


score_runs = sa.Table(
    "score_runs",
    metadata,
    sa.Column("run_id", sa.String, primary_key=True, comment="run code '<period>-<nnn>'"),
    sa.Column("period_id", sa.String, nullable=False, comment="period scored"),
    sa.Column("scheme_key", sa.String, nullable=False, comment="scheme key"),
    sa.Column("scheme_version", sa.String, nullable=False, comment="scheme version"),
    sa.Column("scheme_hash", sa.String, nullable=False, comment="sha256 of the scheme's canonical content"),
    sa.Column("scheme_toml", sa.String, comment="the scheme file's text, so the run can be reproduced"),
    sa.Column("input_fingerprint", sa.String, nullable=False, comment="sha256 of the scoring inputs (indicators, skills, survey estimates, events)"),
    sa.Column("code_version", sa.String, nullable=False, comment="gridscore version + hash of the metrics code"),
    sa.Column("seed", sa.Integer, nullable=False, comment="seed of the Monte Carlo"),
    sa.Column("draws", sa.Integer, nullable=False, comment="Monte Carlo draws"),
    sa.Column("output_digest", sa.String, comment="sha256 of the run's score tables when stored"),
    sa.Column("status", sa.String, nullable=False, comment="draft | final"),
    sa.Column("created_by", sa.String, nullable=False, comment="who ran the scoring"),
    sa.Column("created_at", sa.DateTime, nullable=False, comment="when (UTC)"),
    sa.Column("finalised_by", sa.String, comment="who finalised (locked) the run"),
    sa.Column("finalised_at", sa.DateTime, comment="when finalised (UTC)"),
    sa.Column("satisfaction_estimator", sa.String, comment="the scheme's satisfaction estimator: direct | shrinkage | fay_herriot"),
    sa.Column("satisfaction_estimand", sa.String, comment="the scheme's satisfaction estimand: population | mix_adjusted"),
    comment="score runs: one scoring of a period with a scheme; final runs are locked",
)

score_workers = sa.Table(
    "score_workers",
    metadata,
    sa.Column("run_id", sa.String, nullable=False, comment="score run"),
    sa.Column("worker_id", sa.String, nullable=False, comment="worker"),
    sa.Column("role", sa.String, comment="worker role"),
    sa.Column("grid_id", sa.String, comment="grid of the worker"),
    sa.Column("dept_id", sa.String, comment="department of the worker"),
    sa.Column("community_id", sa.String, comment="community of the worker's grid (or department area)"),
    sa.Column("street_id", sa.String, comment="street of the worker's grid (or department area)"),
    sa.Column("households", sa.Integer, comment="active households of the worker's grid (roll-up weight)"),
    sa.Column("months_in_post", sa.Double, comment="months in post at the period end"),
    *_pillar_columns(),
    *_satisfaction_columns(),
    sa.PrimaryKeyConstraint("run_id", "worker_id"),
    comment="worker scores of a run (pillars, points, total, grade, rank, eligibility, veto)",
)

score_units = sa.Table(
    "score_units",
    metadata,
    sa.Column("run_id", sa.String, nullable=False, comment="score run"),
    sa.Column("level", sa.String, nullable=False, comment="department | community | street | grid"),
    sa.Column("unit_id", sa.String, nullable=False, comment="dept_id or org unit id"),
    sa.Column("members", sa.Integer, comment="workers rolled up"),
    sa.Column("households", sa.Integer, comment="households served by the members"),
    sa.Column("members_total", sa.Double, comment="members' totals weighted by households served (B10)"),
    *_pillar_columns(),
    *_satisfaction_columns(),
    sa.PrimaryKeyConstraint("run_id", "level", "unit_id"),
    comment="unit scores of a run: rates from Σnum/Σden of the members, unit events and vetoes",
)

score_indicators = sa.Table(
    "score_indicators",
    metadata,
    sa.Column("run_id", sa.String, nullable=False, comment="score run"),
    sa.Column("level", sa.String, nullable=False, comment="worker | department | community | street | grid"),
    sa.Column("subject_id", sa.String, nullable=False, comment="worker_id or unit id"),
    sa.Column("pillar", sa.String, nullable=False, comment="pillar of the item"),
    sa.Column("item", sa.String, nullable=False, comment="indicator / deduction item key, or skills / survey"),
    sa.Column("kind", sa.String, nullable=False, comment="indicator | deduction | skills | survey"),
    sa.Column("num", sa.Double, comment="numerator (deduction: points deducted)"),
    sa.Column("den", sa.Double, comment="denominator (deduction: full points)"),
    sa.Column("value", sa.Double, comment="num / den (NULL when den = 0)"),
    sa.Column("target", sa.Double, comment="target T of the scheme (B2)"),
    sa.Column("floor", sa.Double, comment="value scoring 0 (L or U of B2)"),
    sa.Column("normalised", sa.Double, comment="normalised item score 0–100"),
    sa.Column("weight", sa.Double, comment="weight of the item within its pillar"),
    sa.Column("points", sa.Double, comment="points of the item in the total (pillar weight × weight share × score)"),
    sa.Column("missing_reason", sa.String, comment="why the item is missing (no_workload …)"),
    sa.PrimaryKeyConstraint("run_id", "level", "subject_id", "item"),
    comment="indicator values of a run: num, den, value, target, normalised score, weight, points",
)

score_adjustments = sa.Table(
    "score_adjustments",
    metadata,
    sa.Column("run_id", sa.String, nullable=False, comment="score run"),
    sa.Column("level", sa.String, nullable=False, comment="worker | department | community | street | grid"),
    sa.Column("subject_id", sa.String, nullable=False, comment="worker_id or unit id"),
    sa.Column("kind", sa.String, nullable=False, comment="deduction | bonus"),
    sa.Column("item", sa.String, nullable=False, comment="deduction item key or bonus category"),
    sa.Column("event", sa.String, nullable=False, comment="event kind (inspection, valid_complaint, …, bonus)"),
    sa.Column("evidence_id", sa.String, nullable=False, comment="id of the evidence row (inspection, complaint, record, bonus)"),
    sa.Column("points", sa.Double, nullable=False, comment="points of the event before floors and caps"),
    sa.Column("zeroing", sa.Boolean, nullable=False, comment="the event zeroes its item"),
    comment="deduction and bonus lines of a run with their evidence ids",
)

score_uncertainty = sa.Table(
    "score_uncertainty",
    metadata,
    sa.Column("run_id", sa.String, nullable=False, comment="score run"),
    sa.Column("level", sa.String, nullable=False, comment="worker, department, community, street or grid"),
    sa.Column("subject_id", sa.String, nullable=False, comment="worker_id, or the unit id (dept_id for departments)"),
    sa.Column("rank_median", sa.Double, comment="median rank over the Monte Carlo draws"),
    sa.Column("rank_low", sa.Double, comment="lower end of the rank interval (best rank)"),
    sa.Column("rank_high", sa.Double, comment="upper end of the rank interval (worst rank)"),
    sa.Column("p_grade_excellent", sa.Double, comment="P(grade = 优秀) over the draws"),
    sa.Column("p_grade_good", sa.Double, comment="P(grade = 良好)"),
    sa.Column("p_grade_pass", sa.Double, comment="P(grade = 合格)"),
    sa.Column("p_grade_fail", sa.Double, comment="P(grade = 不合格)"),
    sa.Column("p_top_k", sa.Double, comment="P(rank ≤ k), k from the scheme"),
    sa.Column("rank_set_low", sa.Double, comment="simultaneous rank confidence set, best rank (csranks; data noise only)"),
    sa.Column("rank_set_high", sa.Double, comment="simultaneous rank confidence set, worst rank"),
    sa.Column("weight_rank_low", sa.Double, comment="best rank under the scheme's weight jitter alone (weight sensitivity)"),
    sa.Column("weight_rank_high", sa.Double, comment="worst rank under the scheme's weight jitter alone"),
    sa.Column("tied", sa.Boolean, comment="statistically tied: P(own grade) from data noise below the scheme's tied_below"),
    sa.PrimaryKeyConstraint("run_id", "level", "subject_id"),
    comment="rank intervals and grade probabilities from the Monte Carlo (B11)",
)

veto_actions = sa.Table(
    "veto_actions",
    metadata,
    sa.Column("action_id", sa.String, primary_key=True, comment="action code"),
    sa.Column("veto_id", sa.String, nullable=False, comment="veto event"),
    sa.Column("action", sa.String, nullable=False, comment="confirm | appeal | uphold | overturn"),
    sa.Column("from_status", sa.String, nullable=False, comment="status before"),
    sa.Column("to_status", sa.String, nullable=False, comment="status after"),
    sa.Column("actor", sa.String, nullable=False, comment="who acted"),
    sa.Column("acted_at", sa.DateTime, nullable=False, comment="when (UTC)"),
    sa.Column("evidence", sa.String, nullable=False, comment="evidence or reason given"),
    comment="veto workflow history: proposed → confirmed → appealed → upheld / overturned",
)

score_appeals = sa.Table(
    "score_appeals",
    metadata,
    sa.Column("appeal_id", sa.String, primary_key=True, comment="appeal code"),
    sa.Column("run_id", sa.String, nullable=False, comment="final run corrected"),
    sa.Column("subject_id", sa.String, nullable=False, comment="worker corrected"),
    sa.Column("field", sa.String, nullable=False, comment="field corrected (total, grade)"),
    sa.Column("value_before", sa.String, comment="value before"),
    sa.Column("value_after", sa.String, comment="value after"),
    sa.Column("reason", sa.String, nullable=False, comment="why"),
    sa.Column("actor", sa.String, nullable=False, comment="who decided"),
    sa.Column("decided_at", sa.DateTime, nullable=False, comment="when (UTC)"),
    comment="corrections to final runs (who, when, why, before, after)",
)

audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False, comment="position in the chain (1, 2, …)"),
    sa.Column("logged_at", sa.DateTime, nullable=False, comment="when (UTC)"),
    sa.Column("actor", sa.String, nullable=False, comment="who"),
    sa.Column("action", sa.String, nullable=False, comment="run_created | run_finalised | veto_<action> | appeal"),
    sa.Column("entity", sa.String, nullable=False, comment="score_run | veto | appeal"),
    sa.Column("entity_id", sa.String, nullable=False, comment="id of the entity"),
    sa.Column("payload", sa.String, nullable=False, comment="canonical JSON of the details (digests, before/after)"),
    sa.Column("prev_hash", sa.String, nullable=False, comment="hash of the previous row ('0'×64 for the first)"),
    sa.Column("hash", sa.String, nullable=False, comment="sha256(prev_hash + canonical row)"),
    comment="hash-chained audit log of runs, finalisations, veto actions and appeals",
)

SCORING_TABLES = [
    score_runs, score_workers, score_units, score_indicators, score_adjustments,
    score_uncertainty, veto_actions, score_appeals, audit_log,
]
