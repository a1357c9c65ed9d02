"""Score runs: score a period, store the run whole, list, fetch, finalise, correct by appeal.

A run records the scheme (version, hash and text), a fingerprint of its inputs, the code
version and the Monte Carlo seed (B15), so the same inputs give byte-identical score
tables. Runs are drafts until finalised; a final run refuses writes, and a later
correction is an appeal (who, when, why, before, after) recorded in the audit chain.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime
from importlib import metadata as importlib_metadata
from pathlib import Path

import duckdb
import polars as pl

from metrics import audit
from metrics.audit import first_row
from metrics.errors import ScoringError
from metrics.inputs import input_fingerprint, load_period_inputs, unit_inputs
from metrics.scheme import Scheme, load_scheme, scheme_from_text
from metrics.score import ScoreInputs, ScoreResult, score_subjects
from warehouse.db import Database
from warehouse.schema_scoring import (
    score_adjustments,
    score_indicators,
    score_uncertainty,
    score_units,
    score_workers,
)

Progress = Callable[[str, float], None]
STORE_DECIMALS = 9


class RunLockedError(ScoringError):
    """The run is final: it refuses writes (correct it with an appeal)."""


@dataclass(frozen=True)
class RunInfo:
    """One stored score run."""

    run_id: str
    period_id: str
    scheme_key: str
    scheme_version: str
    scheme_hash: str
    input_fingerprint: str
    code_version: str
    seed: int
    draws: int
    output_digest: str | None
    status: str
    created_by: str
    created_at: datetime
    finalised_by: str | None
    finalised_at: datetime | None
    satisfaction_estimator: str | None = None
    satisfaction_estimand: str | None = None


@dataclass(frozen=True)
class RunSummary:
    """What `score_period` did."""

    run_id: str
    period_id: str
    status: str
    scheme_version: str
    scheme_hash: str
    input_fingerprint: str
    output_digest: str
    workers: int
    ranked: int
    vetoed: int
    units: int
    seconds: float


def code_version() -> str:
    """gridscore's version plus a short hash of the metrics source files."""
    try:
        version = importlib_metadata.version("gridscore")
    except importlib_metadata.PackageNotFoundError:  # pragma: no cover
        version = "0"
    h = hashlib.sha256()
    for path in sorted(Path(__file__).parent.rglob("*")):
        if path.suffix in (".py", ".toml") and "__pycache__" not in path.parts:
            h.update(path.name.encode())
            h.update(path.read_bytes())
    return f"{version}+{h.hexdigest()[:12]}"


def _table_frame(frame: pl.DataFrame, table, run_id: str, **fixed: str) -> pl.DataFrame:
    cols = [c.name for c in table.columns]
    exprs = []
    for c in cols:
        if c == "run_id":
            exprs.append(pl.lit(run_id).alias(c))
        elif c in fixed:
            exprs.append(pl.lit(fixed[c]).alias(c))
        elif c in frame.columns:
            exprs.append(pl.col(c))
        else:
            exprs.append(pl.lit(None).alias(c))
    out = frame.select(exprs)
    # stored to 1e-9: parallel float sums may differ in the last bit between runs, and the
    # same inputs must give byte-identical score tables (B15)
    return out.with_columns(pl.col(pl.Float64).round(STORE_DECIMALS))


def _insert(cur: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    if frame.height == 0:
        return
    name = f"_score_{table}"
    cur.register(name, frame.to_arrow())
    try:
        cur.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {name}")
    finally:
        cur.unregister(name)


@dataclass(frozen=True)
class ComputedRun:
    """A computed (not yet stored) run: frames ready for the score tables."""

    workers: pl.DataFrame
    units: pl.DataFrame
    indicators: pl.DataFrame
    adjustments: pl.DataFrame
    uncertainty: pl.DataFrame
    fingerprint: str


def compute_period(db: Database, period_id: str, scheme: Scheme, *, seed: int = 0, draws: int = 1000,
                   progress: Progress | None = None, wide: pl.DataFrame | None = None) -> ComputedRun:
    """Compute every score table of a period without writing anything.

    `wide` is the indicator frame when another engine computed it (`metrics.engines.spark`).
    """
    from metrics.uncertainty import monte_carlo

    report = progress or (lambda _s, _f: None)
    report("inputs", 0.0)
    pin = load_period_inputs(db, period_id, scheme, wide=wide)
    report("scores", 0.3)
    res = score_subjects(pin.workers, scheme)
    workers = res.scores.rename({"subject_id": "worker_id"}).sort("worker_id")
    ind_frames = [res.items.with_columns(pl.lit("worker").alias("level"))]
    adj_frames = [
        pin.workers.deductions.with_columns(pl.lit("worker").alias("level"), pl.lit("deduction").alias("kind")),
        pin.workers.bonus.with_columns(pl.lit("worker").alias("level"), pl.lit("bonus").alias("kind"),
                                       pl.lit(False).alias("zeroing")),
    ]
    unit_frames = []
    unit_unc: list[tuple[str, ScoreInputs, ScoreResult]] = []
    report("roll-ups", 0.5)
    for level in scheme.rollup_levels:
        uin = _with_level(unit_inputs(db, period_id, scheme, pin, res.scores, level=level), level)
        ures: ScoreResult = score_subjects(uin, scheme, worker_rules=False, rank_group="level")
        unit_unc.append((level, uin, ures))
        unit_frames.append(ures.scores.drop("skills_se", "satisfaction_se_members").rename({"subject_id": "unit_id"}))
        ind_frames.append(ures.items.with_columns(pl.lit(level).alias("level")))
        adj_frames += [
            uin.deductions.with_columns(pl.lit(level).alias("level"), pl.lit("deduction").alias("kind")),
            uin.bonus.with_columns(pl.lit(level).alias("level"), pl.lit("bonus").alias("kind"),
                                   pl.lit(False).alias("zeroing")),
        ]
    report("uncertainty", 0.7)
    unc = [monte_carlo(pin.workers, res, scheme, seed=seed, draws=draws).with_columns(pl.lit("worker").alias("level"))]
    for k, (level, uin, ures) in enumerate(unit_unc, start=1):  # units ranked within their level (B10, B11)
        unc.append(monte_carlo(uin, ures, scheme, seed=[seed, k], draws=draws, group="level")
                   .with_columns(pl.lit(level).alias("level")))
    fingerprint = input_fingerprint(pin)
    adj_cols = ["level", "subject_id", "kind", "item", "event", "evidence_id", "points", "zeroing"]
    units = pl.concat(unit_frames, how="diagonal_relaxed") if unit_frames else pl.DataFrame()
    return ComputedRun(
        workers=workers,
        units=units.sort("level", "unit_id") if units.height else units,
        indicators=pl.concat(ind_frames, how="diagonal_relaxed").sort("level", "subject_id", "item"),
        adjustments=pl.concat([f.select(adj_cols).cast({"points": pl.Float64, "zeroing": pl.Boolean})
                               for f in adj_frames]).sort(adj_cols[:6]),
        uncertainty=pl.concat(unc).select("level", pl.exclude("level")).sort("level", "subject_id"),
        fingerprint=fingerprint,
    )


def _with_level(uin: ScoreInputs, level: str) -> ScoreInputs:
    """Add the `level` column units are ranked within."""
    return replace(uin, roster=uin.roster.with_columns(pl.lit(level).alias("level")))


def _write_tables(cur: duckdb.DuckDBPyConnection, run_id: str, comp: ComputedRun) -> None:
    _insert(cur, "score_workers", _table_frame(comp.workers, score_workers, run_id))
    if comp.units.height:
        _insert(cur, "score_units", _table_frame(comp.units, score_units, run_id))
    _insert(cur, "score_indicators", _table_frame(comp.indicators, score_indicators, run_id))
    _insert(cur, "score_adjustments", _table_frame(comp.adjustments, score_adjustments, run_id))
    _insert(cur, "score_uncertainty", _table_frame(comp.uncertainty, score_uncertainty, run_id))


def score_period(db: Database, period_id: str, *, scheme: Scheme | None = None, seed: int = 0,
                 draws: int = 1000, actor: str = "system", progress: Progress | None = None) -> RunSummary:
    """Score a period and store it as a new draft run.

    Args:
        db: database opened for writing.
        period_id: the period to score (e.g. "2025").
        scheme: the scheme (default: `metrics/schemes/default.toml`).
        seed: seed of the Monte Carlo (stored with the run).
        draws: Monte Carlo draws (≥ 1,000 recommended; 0 skips the rank intervals).
        actor: who runs the scoring (audit log).
        progress: optional callback (stage, fraction done).

    Returns:
        RunSummary with the run id, fingerprints and counts.

    Raises:
        ScoringError: unknown period or invalid inputs.
    """
    started = time.perf_counter()
    scheme = scheme or load_scheme()
    comp = compute_period(db, period_id, scheme, seed=seed, draws=draws, progress=progress)
    scheme_text = _scheme_text(scheme)
    with db.transaction() as cur:
        n = first_row(cur, "SELECT count(*) FROM score_runs WHERE period_id = ?", [period_id])[0]
        run_id = f"{period_id}-{n + 1:03d}"
        while first_row(cur, "SELECT count(*) FROM score_runs WHERE run_id = ?", [run_id])[0]:
            n += 1
            run_id = f"{period_id}-{n + 1:03d}"
        _write_tables(cur, run_id, comp)
        digests = audit.run_digests(cur, run_id)
        output = hashlib.sha256(audit.canonical(digests).encode()).hexdigest()
        cur.execute(
            "INSERT INTO score_runs (run_id, period_id, scheme_key, scheme_version, scheme_hash, scheme_toml, "
            "input_fingerprint, code_version, seed, draws, output_digest, status, created_by, created_at, "
            "satisfaction_estimator, satisfaction_estimand) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'draft', ?, ?, ?, ?)",
            [run_id, period_id, scheme.key, scheme.version, scheme.hash, scheme_text, comp.fingerprint,
             code_version(), seed, draws, output, actor, audit.now(), *_survey_choice(scheme)],
        )
        audit.append(cur, actor=actor, action="run_created", entity="score_run", entity_id=run_id,
                     payload={"period_id": period_id, "scheme_hash": scheme.hash, "input_fingerprint": comp.fingerprint,
                              "seed": seed, "draws": draws, "output_digest": output, "digests": digests})
    w = comp.workers
    return RunSummary(
        run_id=run_id, period_id=period_id, status="draft", scheme_version=scheme.version,
        scheme_hash=scheme.hash, input_fingerprint=comp.fingerprint, output_digest=output,
        workers=w.height, ranked=int(w["rank"].is_not_null().sum()), vetoed=int(w["vetoed"].sum()),
        units=comp.units.height, seconds=round(time.perf_counter() - started, 3),
    )


_SCHEME_TEXTS: dict[str, str] = {}


def _scheme_text(scheme: Scheme) -> str | None:
    """The TOML text of a scheme when it is the default file (stored for reproduction)."""
    from metrics.scheme import DEFAULT_SCHEME

    if scheme.hash in _SCHEME_TEXTS:
        return _SCHEME_TEXTS[scheme.hash]
    text = DEFAULT_SCHEME.read_text(encoding="utf-8")
    if scheme_from_text(text).hash == scheme.hash:
        _SCHEME_TEXTS[scheme.hash] = text
        return text
    return None


def remember_scheme_text(scheme: Scheme, text: str) -> None:
    """Register the TOML text of a scheme loaded from a file so runs store it."""
    _SCHEME_TEXTS[scheme.hash] = text


def _run_from_row(row: dict) -> RunInfo:
    return RunInfo(**{f.name: row[f.name] for f in fields(RunInfo) if f.name in row})


def _survey_choice(scheme: Scheme) -> tuple[str | None, str | None]:
    """The scheme's satisfaction estimator and estimand (None, None without a survey pillar)."""
    p = next((p for p in scheme.pillars if p.source == "survey"), None)
    return (p.estimator, p.estimand) if p else (None, None)


def list_runs(db: Database) -> pl.DataFrame:
    """All runs, newest first (no scheme text)."""
    return db.query(
        "SELECT * EXCLUDE (scheme_toml) FROM score_runs ORDER BY created_at DESC, run_id DESC"
    )


def get_run(db: Database, run_id: str) -> RunInfo:
    """One run.

    Raises:
        ScoringError: no such run.
    """
    frame = db.query("SELECT * EXCLUDE (scheme_toml) FROM score_runs WHERE run_id = ?", [run_id])
    if frame.height == 0:
        raise ScoringError(f"score run {run_id!r} does not exist")
    return _run_from_row(frame.row(0, named=True))


def latest_run(db: Database, period_id: str, *, final_only: bool = False) -> RunInfo | None:
    """The newest run of a period (only final runs when `final_only`), or None."""
    cond = "AND status = 'final'" if final_only else ""
    frame = db.query(
        f"SELECT * EXCLUDE (scheme_toml) FROM score_runs WHERE period_id = ? {cond} "
        "ORDER BY created_at DESC, run_id DESC LIMIT 1",
        [period_id],
    )
    return None if frame.height == 0 else _run_from_row(frame.row(0, named=True))


def run_scheme(db: Database, run_id: str) -> Scheme:
    """The scheme a run was scored with (from its stored text, else the default if hashes match)."""
    text = db.scalar("SELECT scheme_toml FROM score_runs WHERE run_id = ?", [run_id])
    if text:
        return scheme_from_text(text)
    scheme = load_scheme()
    if scheme.hash != db.scalar("SELECT scheme_hash FROM score_runs WHERE run_id = ?", [run_id]):
        raise ScoringError(f"run {run_id}: its scheme text was not stored and differs from the default scheme")
    return scheme


TREND_SQL = """
WITH this AS (               -- the period a view or report is about
    SELECT kind, ends_on FROM periods WHERE period_id = $period_id
),
like_periods AS (            -- periods of the same kind (years with years, halves with halves) up to it
    SELECT p.period_id, p.ends_on FROM periods p, this
    WHERE p.kind = this.kind AND p.ends_on <= this.ends_on
),
newest AS (                  -- each such period's latest run, as `latest_run` picks it
    SELECT r.run_id, r.period_id, r.status,
           row_number() OVER (PARTITION BY r.period_id ORDER BY r.created_at DESC, r.run_id DESC) AS n
    FROM score_runs r JOIN like_periods USING (period_id)
)
SELECT n.run_id, n.period_id, n.status, l.ends_on
FROM newest n JOIN like_periods l USING (period_id)
WHERE n.n = 1
ORDER BY l.ends_on, n.period_id
"""


def trend_runs(db: Database, period_id: str) -> pl.DataFrame:
    """The runs a trend to `period_id` compares: the latest run of every period of the same
    kind that ends no later than it, oldest first (run_id, period_id, status, ends_on).

    A year is compared with years and a half with halves: 2025年度 and 2025上半年 both
    start on 1 January, so ordering mixed kinds by id or start put a year before its own
    half. An unknown period gives no rows.
    """
    return db.query(TREND_SQL, {"period_id": period_id})


def ensure_draft(cur: duckdb.DuckDBPyConnection, run_id: str) -> None:
    """Raise `RunLockedError` unless the run exists and is a draft."""
    row = first_row(cur, "SELECT status FROM score_runs WHERE run_id = ?", [run_id])
    if row is None:
        raise ScoringError(f"score run {run_id!r} does not exist")
    if row[0] != "draft":
        raise RunLockedError(f"score run {run_id} is final and refuses writes; correct it with an appeal")


def finalise(db: Database, run_id: str, *, actor: str) -> RunInfo:
    """Lock a draft run (status final); recorded in the audit log.

    Raises:
        RunLockedError: the run is already final.
        ScoringError: no such run, or no actor given.
    """
    if not actor.strip():
        raise ScoringError("finalise: --actor is required")
    with db.transaction() as cur:
        ensure_draft(cur, run_id)
        at = audit.now()
        cur.execute("UPDATE score_runs SET status = 'final', finalised_by = ?, finalised_at = ? WHERE run_id = ?",
                    [actor, at, run_id])
        audit.append(cur, actor=actor, action="run_finalised", entity="score_run", entity_id=run_id,
                     payload={"finalised_at": at.isoformat(), "digests": audit.run_digests(cur, run_id)})
    return get_run(db, run_id)


def rescore(db: Database, run_id: str, *, actor: str = "system", progress: Progress | None = None) -> RunSummary:
    """Recompute a draft run in place (e.g. after a veto was confirmed); final runs refuse.

    Raises:
        RunLockedError: the run is final.
    """
    info = get_run(db, run_id)
    cur = db.cursor()
    try:
        ensure_draft(cur, run_id)
    finally:
        cur.close()
    scheme = run_scheme(db, run_id)
    started = time.perf_counter()
    comp = compute_period(db, info.period_id, scheme, seed=info.seed, draws=info.draws, progress=progress)
    with db.transaction() as cur:
        ensure_draft(cur, run_id)
        for t in audit.RUN_TABLES:
            cur.execute(f"DELETE FROM {t} WHERE run_id = ?", [run_id])
        _write_tables(cur, run_id, comp)
        digests = audit.run_digests(cur, run_id)
        output = hashlib.sha256(audit.canonical(digests).encode()).hexdigest()
        cur.execute("UPDATE score_runs SET input_fingerprint = ?, output_digest = ?, code_version = ? WHERE run_id = ?",
                    [comp.fingerprint, output, code_version(), run_id])
        audit.append(cur, actor=actor, action="run_rescored", entity="score_run", entity_id=run_id,
                     payload={"input_fingerprint": comp.fingerprint, "output_digest": output, "digests": digests})
    w = comp.workers
    return RunSummary(
        run_id=run_id, period_id=info.period_id, status="draft", scheme_version=scheme.version,
        scheme_hash=scheme.hash, input_fingerprint=comp.fingerprint, output_digest=output,
        workers=w.height, ranked=int(w["rank"].is_not_null().sum()), vetoed=int(w["vetoed"].sum()),
        units=comp.units.height, seconds=round(time.perf_counter() - started, 3),
    )


APPEALABLE = ("total", "grade")


def appeal(db: Database, run_id: str, worker_id: str, *, field: str, after: str, reason: str,
           actor: str) -> pl.DataFrame:
    """Correct one worker's total or grade in a final run, with who, when, why, before, after.

    Draft runs are re-scored instead (`rescore`). Returns the appeal row.

    Raises:
        ScoringError: draft run, unknown worker or field, bad value, missing reason or actor.
    """
    if field not in APPEALABLE:
        raise ScoringError(f"appeal: field {field!r} cannot be corrected (allowed: {', '.join(APPEALABLE)})")
    if not reason.strip() or not actor.strip():
        raise ScoringError("appeal: reason and actor are required")
    info = get_run(db, run_id)
    if info.status != "final":
        raise ScoringError(f"appeal: run {run_id} is a draft; re-score it instead")
    scheme = run_scheme(db, run_id)
    if field == "grade" and after not in {g.key for g in scheme.grades}:
        raise ScoringError(f"appeal: unknown grade {after!r}")
    value: object = after
    if field == "total":
        try:
            value = float(after)
        except ValueError:
            raise ScoringError(f"appeal: total must be a number, got {after!r}") from None
        if not 0 <= value <= scheme.cap:
            raise ScoringError(f"appeal: total must be within 0–{scheme.cap:g}, got {after}")
    with db.transaction() as cur:
        row = first_row(cur, f"SELECT {field} FROM score_workers WHERE run_id = ? AND worker_id = ?",
                          [run_id, worker_id])
        if row is None:
            raise ScoringError(f"appeal: worker {worker_id!r} is not in run {run_id}")
        before = None if row[0] is None else str(row[0])
        n = first_row(cur, "SELECT count(*) FROM score_appeals")[0]
        appeal_id = f"AP{n + 1:06d}"
        at = audit.now()
        cur.execute(f"UPDATE score_workers SET {field} = ? WHERE run_id = ? AND worker_id = ?",
                    [value, run_id, worker_id])
        cur.execute(
            "INSERT INTO score_appeals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [appeal_id, run_id, worker_id, field, before, str(value), reason, actor, at],
        )
        audit.append(cur, actor=actor, action="appeal", entity="score_run", entity_id=run_id,
                     payload={"appeal_id": appeal_id, "worker_id": worker_id, "field": field, "before": before,
                              "after": str(value), "reason": reason, "digests": audit.run_digests(cur, run_id)})
    return db.query("SELECT * FROM score_appeals WHERE appeal_id = ?", [appeal_id])
