"""Scoring commands: score, runs, finalise, appeal, audit verify, veto <action>, explain."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import polars as pl
import typer

from dashboard.commands.common import (
    DbOption,
    JsonOption,
    fail,
    out,
    print_frame,
    print_json,
    server_or_none,
    steps_bar,
    user_errors,
)

if TYPE_CHECKING:
    from metrics.explain import DeductionItem, Explanation, SatisfactionMethod

app = typer.Typer()
audit_app = typer.Typer(help="Audit log (hash chain) commands.", no_args_is_help=True)
veto_app = typer.Typer(help="One-vote veto (一票否决) workflow: confirm, appeal, uphold, overturn.", no_args_is_help=True)
app.add_typer(audit_app, name="audit")
app.add_typer(veto_app, name="veto")

ActorOption = Annotated[str, typer.Option("--actor", help="Who acts (recorded in the audit log).")]


@app.command()
def score(
    period: Annotated[str, typer.Option("--period", help="Period to score, e.g. 2025 or 2025H1.")],
    scheme: Annotated[Path | None, typer.Option("--scheme", help="Scheme TOML file (default: the built-in 4:1:5 scheme).")] = None,
    seed: Annotated[int, typer.Option("--seed", help="Seed of the rank Monte Carlo.")] = 0,
    draws: Annotated[int, typer.Option("--draws", help="Monte Carlo draws (0 skips rank intervals).")] = 1000,
    actor: Annotated[str, typer.Option("--actor", help="Who runs the scoring (audit log).")] = "cli",
    source: Annotated[Path | None, typer.Option("--source", help="Score a Parquet export (export-parquet) instead of --db; not stored as a run.")] = None,
    engine: Annotated[str, typer.Option("--engine", help="duckdb | spark: engine of the indicator step when scoring --source.")] = "duckdb",
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Score a period and store it as a new draft run (评分)."""
    if source is not None or engine != "duckdb":  # scale-out path (dashboard/commands/scaleout_cmds.py)
        from dashboard.commands.scaleout_cmds import score_from_source

        if source is None:
            fail(f"--engine {engine} scores a Parquet export: give --source DIR (write one with export-parquet)")
        score_from_source(source=source, period=period, engine=engine, scheme=scheme, seed=seed, draws=draws,
                          scores_out=None, json=json)
        return
    from dashboard.jobs import tasks
    from warehouse.db import open_db

    client = server_or_none(db)
    scheme_path = None if scheme is None else str(scheme.resolve())
    with user_errors(), steps_bar(f"scoring {period}", enabled=not json) as steps:
        if client is not None:
            params = {"period": period, "scheme_path": scheme_path, "seed": seed, "draws": draws, "actor": actor}
            summary = client.run_job("score", params, steps)["result"]
        else:
            with open_db(db) as database:
                summary = tasks.score(database, period=period, scheme_path=scheme_path, seed=seed, draws=draws,
                                      actor=actor, steps=steps)
    if json:
        print_json(summary)
    else:
        out.print(
            f"run {summary['run_id']}: {summary['workers']} workers ({summary['ranked']} ranked, "
            f"{summary['vetoed']} vetoed), {summary['units']} units in {summary['seconds']:.2f} s — draft; "
            f"fingerprint {summary['input_fingerprint'][:12]}"
        )


@app.command()
def runs(db: DbOption = None, json: JsonOption = False) -> None:
    """List score runs, newest first."""
    from metrics.runs import list_runs
    from warehouse.db import open_db

    client = server_or_none(db)
    with user_errors():
        if client is not None:
            frame = client.frame("/runs")
        else:
            with open_db(db, read_only=True) as database:
                frame = list_runs(database)
        if json:
            print_json(frame)
        else:
            # most telling first: what does not fit an 80-column terminal is left out, named
            print_frame(frame.select("run_id", pl.col("period_id").alias("period"), "status",
                                     pl.col("created_at").alias("created"), pl.col("finalised_by").alias("finalised"),
                                     pl.col("scheme_version").alias("scheme"), "seed",
                                     pl.col("created_by").alias("by"),
                                     pl.col("input_fingerprint").str.slice(0, 12).alias("inputs")),
                        title="score runs")


def method_line(m: SatisfactionMethod) -> str:
    """One line of `gridscore explain`: estimator, estimand, the residents' mix, tied, rank set, weights."""
    def num(x: float | None) -> str:
        return "—" if x is None else f"{x:.1f}"

    parts = [f"satisfaction: {m.estimator} ({m.estimand})" + (f" [fell back: {m.note}]" if m.note else ""),
             f"population {num(m.population)}, mix-adjusted {num(m.adjusted)}, residents move it {num(m.mix)}"]
    if m.tied:
        parts.append(f"statistically tied (P(own grade) {num(100 * m.p_own_grade if m.p_own_grade is not None else None)} %)")
    if m.rank_set:
        parts.append(f"simultaneous rank set {m.rank_set[0]:.0f}–{m.rank_set[1]:.0f}")
    if m.weight_ranks:
        parts.append(f"weights alone {m.weight_ranks[0]:.0f}–{m.weight_ranks[1]:.0f}")
    return "; ".join(parts)


@app.command()
def finalise(
    run: Annotated[str, typer.Argument(help="Run id, e.g. 2025-001.")],
    actor: ActorOption,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Finalise (lock) a draft run; later corrections go through appeals."""
    from datetime import datetime

    from dashboard.jobs import tasks
    from warehouse.db import open_db

    client = server_or_none(db)
    with user_errors():
        if client is not None:
            info = client.run_job("finalise", {"run": run, "actor": actor})["result"]
        else:
            with open_db(db) as database:
                info = tasks.finalise(database, run=run, actor=actor)
    if json:
        print_json(info)
    else:
        at = datetime.fromisoformat(info["finalised_at"])
        out.print(f"run {info['run_id']} is final (by {info['finalised_by']} at {at:%Y-%m-%d %H:%M})")


@app.command()
def appeal(
    run: Annotated[str, typer.Argument(help="Final run id.")],
    worker: Annotated[str, typer.Argument(help="Worker id.")],
    field: Annotated[str, typer.Option("--field", help="total or grade.")],
    after: Annotated[str, typer.Option("--after", help="Corrected value.")],
    reason: Annotated[str, typer.Option("--reason", help="Why (recorded).")],
    actor: ActorOption,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Correct a worker's total or grade in a final run (who, when, why, before, after)."""
    from dashboard.jobs import tasks
    from warehouse.db import open_db

    params = {"run": run, "worker": worker, "field": field, "after": after, "reason": reason, "actor": actor}
    client = server_or_none(db)
    with user_errors():
        if client is not None:
            r = client.run_job("appeal", params)["result"]
        else:
            with open_db(db) as database:
                r = tasks.appeal(database, **params)
    if json:
        print_json(r)
    else:
        out.print(f"appeal {r['appeal_id']}: {worker} {field} {r['value_before']} → {r['value_after']}")


@audit_app.command("verify")
def audit_verify(db: DbOption = None, json: JsonOption = False) -> None:
    """Verify the audit hash chain and every run's score tables; exit 1 on any problem."""
    from dashboard.jobs import tasks
    from warehouse.db import open_db

    client = server_or_none(db)
    with user_errors():
        if client is not None:
            report = client.run_job("audit_verify", {})["result"]
        else:
            with open_db(db, read_only=True) as database:
                report = tasks.audit_verify(database)
    if json:
        print_json(report)
    elif report["ok"]:
        out.print(f"audit ok: {report['rows']} log rows, {report['runs_checked']} runs checked")
    if not report["ok"]:
        if not json:
            for p in report["problems"]:
                out.print(f"[red]✗[/] {p}", highlight=False)
        fail(f"audit found {len(report['problems'])} problem(s)")


def _veto(action: str, veto_id: str, actor: str, evidence: str, db: str | None, json: bool) -> None:
    from dashboard.jobs import tasks
    from warehouse.db import open_db

    client = server_or_none(db)
    params = {"action": action, "veto_id": veto_id, "actor": actor, "evidence": evidence}
    with user_errors():
        if client is not None:
            step = client.run_job("veto", params)["result"]
        else:
            with open_db(db) as database:
                step = tasks.veto(database, **params)
    if json:
        print_json(step)
    else:
        out.print(f"veto {veto_id}: {step['from_status']} → {step['to_status']} (by {actor}); re-score the draft run to apply")


EvidenceOption = Annotated[str, typer.Option("--evidence", help="Evidence or reason (recorded).")]
VetoArg = Annotated[str, typer.Argument(help="Veto id.")]


@veto_app.command("confirm")
def veto_confirm(veto_id: VetoArg, actor: ActorOption, evidence: EvidenceOption, db: DbOption = None, json: JsonOption = False) -> None:
    """Confirm a proposed veto (it then acts on scores)."""
    _veto("confirm", veto_id, actor, evidence, db, json)


@veto_app.command("appeal")
def veto_appeal(veto_id: VetoArg, actor: ActorOption, evidence: EvidenceOption, db: DbOption = None, json: JsonOption = False) -> None:
    """Record an appeal against a confirmed veto (the worker is not ranked while pending)."""
    _veto("appeal", veto_id, actor, evidence, db, json)


@veto_app.command("uphold")
def veto_uphold(veto_id: VetoArg, actor: ActorOption, evidence: EvidenceOption, db: DbOption = None, json: JsonOption = False) -> None:
    """Uphold an appealed veto (it keeps acting)."""
    _veto("uphold", veto_id, actor, evidence, db, json)


@veto_app.command("overturn")
def veto_overturn(veto_id: VetoArg, actor: ActorOption, evidence: EvidenceOption, db: DbOption = None, json: JsonOption = False) -> None:
    """Overturn an appealed veto (it stops acting)."""
    _veto("overturn", veto_id, actor, evidence, db, json)


def steps_line(e: Explanation) -> str:
    """The score's steps as one line that adds up (metrics.explain.score_steps), e.g.
    "results before deductions 30.0 − deductions 4.4 = results points 25.6 + skills 7.7 + … = total 69.6"."""
    from dashboard.i18n import step_label

    parts: list[str] = []
    for n, s in enumerate(e.steps):
        label = step_label(s.key, s.pillar, s.measure, "en").lower()
        if s.measure == "total":
            parts.append(f"= {label} {s.points:.1f}")
        elif n == 0:
            parts.append(f"{label} {s.points:.1f}")
        else:
            parts.append(f"{'−' if s.points < 0 else '+'} {label} {abs(s.points):.1f}")
    return " ".join(parts) if parts else "no total (a pillar is missing)"


def deduction_line(d: DeductionItem) -> str:
    """One deduction item reconciled: events → item score → points off the total."""
    capped = " capped at full" if d.capped else (" zeroing event" if d.zeroed else "")
    share = "—" if d.share is None else f"{100 * d.share:.1f}%"
    lost = "—" if d.points_lost is None else f"−{d.points_lost:.2f}"
    return (f"{d.name_zh} {d.item}: {d.events} events −{d.event_points:g} of full {d.full:g}{capped} → "
            f"item {0.0 if d.item_score is None else d.item_score:.1f} × {share} of {d.pillar} → {lost} points off the total")


@app.command()
def explain(
    worker: Annotated[str, typer.Argument(help="Worker id.")],
    run: Annotated[str | None, typer.Option("--run", help="Run id (default: the latest run of --period or of any period).")] = None,
    period: Annotated[str | None, typer.Option("--period", help="Period, to pick its latest run.")] = None,
    db: DbOption = None,
    json: JsonOption = False,
) -> None:
    """Explain a worker's score: pillars → indicators → evidence, vetoes, eligibility."""
    from dashboard.jobs import tasks
    from metrics.explain import explanation_from_json
    from warehouse.db import open_db

    params = {"worker": worker, "run": run, "period": period}
    client = server_or_none(db)
    with user_errors():
        if client is not None:
            e = explanation_from_json(client.run_job("explain", params)["result"])
        else:
            with open_db(db, read_only=True) as database:
                e = tasks.explain(database, **params)
    if json:
        print_json(e)
        return
    out.print(f"[bold]{e.subject_id} {e.name or ''}[/] run {e.run_id}: total {e.total} grade {e.grade} "
              f"({e.grade_reason}) rank {e.rank}/{e.ranked_among}", highlight=False)
    out.print("  " + steps_line(e), highlight=False)
    for p in e.pillars:
        out.print(f"  {p.name_zh} {p.key} weight {p.weight:g}: score {p.score if p.score is None else round(p.score, 2)} "
                  f"points {p.points if p.points is None else round(p.points, 2)}" + (f" — missing: {p.reason}" if p.reason else ""),
                  highlight=False)
        for i in p.items:
            num = "" if i.num is None else f"{i.num:g}"
            den = "" if i.den is None else f"/{i.den:g}"
            norm = "—" if i.normalised is None else f"{i.normalised:.1f}"
            pts = "—" if i.points is None else f"{i.points:.2f}"
            extra = f" ({i.missing_reason})" if i.missing_reason else ""
            out.print(f"    {i.name_zh} {num}{den} target {i.target} → {norm} × w{i.weight:g} = {pts}{extra}", highlight=False)
    for d in (d for d in e.deduction_items if d.events):
        out.print("  " + deduction_line(d), highlight=False)
    for d in e.deduction_lines:
        out.print(f"  − {d.item} {d.event} {d.evidence_id}: {d.points:g}" + (" (zeroing)" if d.zeroing else ""), highlight=False)
    for b in e.bonus_lines:
        out.print(f"  + {b.item} {b.evidence_id}: {b.points:g}", highlight=False)
    for v in e.vetoes:
        mark = "deciding" if v.deciding else ("acting" if v.acting else "not acting")
        out.print(f"  veto {v.veto_id} {v.category} {v.severity} [{v.status}] {mark}: {v.evidence}", highlight=False)
    if e.ineligible_reasons:
        out.print(f"  not ranked: {', '.join(e.ineligible_reasons)}", highlight=False)
    if e.satisfaction is not None and e.satisfaction.estimator:
        out.print("  " + method_line(e.satisfaction), highlight=False)
