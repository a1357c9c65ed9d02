"""Crash safety: SIGKILL a writer at random points and check what survived.

A child process (forked from a forkserver that imported the product once) opens the database
and loops over three kinds of work chosen at random: a burst of survey
submissions (each acknowledged one is appended to a side log, fsync'd, only
AFTER `submit` returned), an ingest of a fresh complaints file (its ids are
logged before the call), a veto confirmation (audited) and a checkpoint. The
parent kills it with SIGKILL after a random delay and then checks, with the
child gone:

* the database opens (WAL replay works);
* every acknowledged submission is stored (by submission id);
* no ingest batch is half-in: a file's rows are all stored with its batch row,
  or none are and there is no batch row;
* `metrics.audit.verify` passes.

Full run: `python -m bench.reliability.crash --trials 100`.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import multiprocessing.context
import os
import random
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class TrialReport:
    """What one killed trial left behind."""

    trial: int
    killed_after: float
    acknowledged: int
    missing: list[str] = field(default_factory=list)
    files_started: int = 0
    files_complete: int = 0
    half_in: list[str] = field(default_factory=list)
    audit_ok: bool = True
    audit_problems: tuple[str, ...] = ()
    open_error: str | None = None

    @property
    def ok(self) -> bool:
        return not self.missing and not self.half_in and self.audit_ok and self.open_error is None


@dataclass
class CrashReport:
    """All trials of one run."""

    trials: list[TrialReport]

    @property
    def failures(self) -> list[TrialReport]:
        return [t for t in self.trials if not t.ok]

    def summary(self) -> dict[str, object]:
        return {
            "trials": len(self.trials),
            "failed_trials": len(self.failures),
            "acknowledged_submissions": sum(t.acknowledged for t in self.trials),
            "missing_submissions": sum(len(t.missing) for t in self.trials),
            "ingest_files_started": sum(t.files_started for t in self.trials),
            "ingest_files_complete": sum(t.files_complete for t in self.trials),
            "half_in_batches": sum(len(t.half_in) for t in self.trials),
            "audit_failures": sum(not t.audit_ok for t in self.trials),
            "open_failures": sum(t.open_error is not None for t in self.trials),
        }


def answers_for(questionnaire) -> dict[str, object]:
    """A complete valid answer set for the questionnaire (first option of every choice item)."""
    answers: dict[str, object] = {}
    for item in questionnaire.items:
        if item.kind == "text":
            answers[item.key] = "ok"
        elif item.options:
            answers[item.key] = item.options[min(1, len(item.options) - 1)][0]
    return answers


def _append(path: Path, line: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(line + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def complaints_csv(path: Path, ids: list[str], worker_ids: list[str]) -> None:
    """A valid complaints file with the given ids (one worker each, cycling)."""
    lines = ["complaint_id,worker_id,unit_id,received_on,channel,valid,resolved,summary"]
    for n, cid in enumerate(ids):
        lines.append(f"{cid},{worker_ids[n % len(worker_ids)]},,2025-0{1 + n % 9}-1{n % 9},hotline,"
                     f"{'true' if n % 3 else 'false'},yes,投诉摘要 {n}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def child(db_path: str, work: Path, trial: int, tokens: list[str], seed: int,
          *, ready: Callable[[], None] | None = None) -> None:
    """The killed writer: loops over submissions, ingest, veto actions and checkpoints."""
    from metrics.vetoes import transition
    from surveys.errors import SurveyError
    from surveys.intake import submit
    from surveys.questionnaire import load_questionnaire
    from warehouse.db import open_db
    from warehouse.ingest import ingest_file

    rng = random.Random(seed)
    db = open_db(db_path)
    answers = answers_for(load_questionnaire())
    workers = db.query("SELECT worker_id FROM workers ORDER BY worker_id LIMIT 50")["worker_id"].to_list()
    acked = work / f"acked-{trial}.log"
    started = work / f"ingest-{trial}.log"
    if ready is not None:
        ready()
    pending = list(tokens)
    step = 0
    while step < 10_000:
        step += 1
        op = rng.random()
        if op < 0.55 and pending:
            for _ in range(rng.randint(1, 20)):
                if not pending:
                    break
                token = pending.pop()
                sid = f"T{trial}-{token[:10]}"
                try:
                    submit(db, token, answers, submission_id=sid, channel="paper")
                except SurveyError:
                    continue
                _append(acked, f"{token}\t{sid}")
        elif op < 0.8:
            ids = [f"CR{trial:04d}{step:05d}{n:04d}" for n in range(rng.randint(1, 400))]
            path = work / f"complaints-{trial}-{step}.csv"
            complaints_csv(path, ids, workers)
            _append(started, json.dumps({"file": path.name, "ids": ids}))
            ingest_file(db, "complaints", path)
        elif op < 0.9:
            veto = db.scalar("SELECT min(veto_id) FROM veto_events WHERE status = 'proposed'")
            if veto is not None:
                transition(db, veto, action="confirm", actor=f"crash-{trial}", evidence="crash harness")
        else:
            db.checkpoint()
        if not pending and step > 50:
            time.sleep(0.01)


PRELOAD = ["warehouse.db", "warehouse.ingest", "surveys.intake", "surveys.questionnaire",
           "metrics.vetoes", "metrics.audit", "bench.reliability.crash"]


def _context() -> multiprocessing.context.BaseContext:
    """A forkserver that has imported the product once, so each child starts in milliseconds."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(PRELOAD)
    return ctx


def _child_entry(db_path: str, work: str, trial: int, tokens: list[str], seed: int, ready) -> None:
    child(db_path, Path(work), trial, tokens, seed, ready=ready.set)


def check(db_path: str, work: Path, trial: int, killed_after: float) -> TrialReport:
    """Open the database after a kill and check the four invariants."""
    from metrics.audit import verify
    from warehouse.db import open_db
    from warehouse.errors import WarehouseError

    acked_lines = []
    acked = work / f"acked-{trial}.log"
    if acked.exists():
        acked_lines = [line.split("\t") for line in acked.read_text().splitlines() if line.strip()]
    report = TrialReport(trial=trial, killed_after=killed_after, acknowledged=len(acked_lines))
    try:
        db = open_db(db_path)
    except WarehouseError as exc:
        report.open_error = str(exc)
        return report
    try:
        sids = [sid for _token, sid in acked_lines]
        if sids:
            stored = set(db.query(
                "SELECT submission_id FROM survey_responses WHERE list_contains($ids, submission_id)",
                {"ids": sids})["submission_id"].to_list())
            report.missing = [s for s in sids if s not in stored]
        started = work / f"ingest-{trial}.log"
        entries = [json.loads(line) for line in started.read_text().splitlines()] if started.exists() else []
        for entry in entries:
            report.files_started += 1
            ids = entry["ids"]
            stored_rows, batches = db.query(
                """SELECT count(*) AS n, count(DISTINCT c.batch_id) AS b
                   FROM complaints c JOIN ingest_batches b USING (batch_id)
                   WHERE list_contains($ids, c.complaint_id)""", {"ids": ids}).row(0)
            any_rows = db.scalar("SELECT count(*) FROM complaints WHERE list_contains($ids, complaint_id)",
                                 {"ids": ids})
            batch_rows = db.scalar("SELECT count(*) FROM ingest_batches WHERE file_name = ?", [entry["file"]])
            complete = stored_rows == len(ids) and any_rows == len(ids) and batches == 1 and batch_rows == 1
            empty = any_rows == 0 and batch_rows == 0
            if complete:
                report.files_complete += 1
            elif not empty:
                report.half_in.append(f"{entry['file']}: {any_rows}/{len(ids)} rows, {batch_rows} batch rows")
        audit = verify(db)
        report.audit_ok = audit.ok
        report.audit_problems = audit.problems
    finally:
        db.close()
    return report


def run_trials(db_path: str | Path, work: Path, tokens: list[str], *, trials: int, seed: int,
               max_delay: float = 1.5, per_trial: int = 60) -> CrashReport:
    """Run `trials` kill-and-check rounds on one database file (state accumulates)."""
    rng = random.Random(seed)
    work.mkdir(parents=True, exist_ok=True)
    ctx = _context()
    reports = []
    for trial in range(trials):
        chunk = tokens[trial * per_trial:(trial + 1) * per_trial]
        ready = ctx.Event()
        proc = ctx.Process(target=_child_entry,
                           args=(str(db_path), str(work), trial, chunk, rng.randrange(1 << 30), ready))
        proc.start()
        if not ready.wait(timeout=120):
            proc.kill()
            proc.join(timeout=30)
            raise RuntimeError(f"crash child {trial} did not start (exit code {proc.exitcode})")
        delay = rng.uniform(0.0, max_delay)
        time.sleep(delay)
        alive = proc.is_alive()
        proc.kill()  # SIGKILL
        proc.join(timeout=30)
        if not alive and proc.exitcode != 0:
            raise RuntimeError(f"crash child {trial} failed before the kill (exit code {proc.exitcode})")
        reports.append(check(str(db_path), work, trial, delay))
    return CrashReport(reports)


def prepare(source: Path, target: Path, *, tokens: int, seed: int = 11) -> list[str]:
    """Copy a city database and draw a survey sample big enough for the trials."""
    from surveys.design import SampleOptions, draw_sample
    from warehouse.db import open_db

    shutil.copyfile(source, target)
    with open_db(target) as db:
        sample = draw_sample(db, "2025Q4", seed=seed, options=SampleOptions(margin=8.0))
        plain = sample.tokens["token"].to_list()
        for period in ("2025Q3", "2025Q2", "2025Q1", "2025H2", "2025H1"):
            if len(plain) >= tokens:
                break
            more = draw_sample(db, period, seed=seed, options=SampleOptions(margin=2.0))
            plain += more.tokens["token"].to_list()
        db.checkpoint()
    return plain


def main(argv: list[str] | None = None) -> int:
    """CLI: `child ...` (internal) or a full run printing a JSON summary."""
    argv = sys.argv[1:] if argv is None else argv
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--work", default="/tmp/gridscore-crash")
    args = parser.parse_args(argv)
    from bench.reliability.city import city_file

    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db_path = work / "crash.duckdb"
    tokens = prepare(city_file(), db_path, tokens=args.trials * 60)
    started = time.monotonic()
    report = run_trials(db_path, work, tokens, trials=args.trials, seed=args.seed)
    summary = {**report.summary(), "seconds": round(time.monotonic() - started, 1)}
    print(json.dumps(summary))
    for failure in report.failures:
        print(failure, file=sys.stderr)
    return 0 if not report.failures else 1


if __name__ == "__main__":
    raise SystemExit(main())
