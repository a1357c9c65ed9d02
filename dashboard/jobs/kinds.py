"""The job kinds: for each, whether it writes, its typed parameters and its task.

One declaration per kind, read by the runner, the HTTP API (and its OpenAPI
document) and the CLI. Each kind's task is a function of `dashboard.jobs.tasks`
— the same one the CLI runs in-process when no server holds the database.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from dashboard.jobs import tasks
from surveys.suppression import K_MIN

if TYPE_CHECKING:
    from dashboard.jobs.runner import JobContext


class JobError(Exception):
    """A job cannot be submitted or run as asked (unknown kind, bad parameters, no such job)."""


class _Params(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IngestParams(_Params):
    """Load files of one kind (each file one transaction)."""

    kind: str = Field(description="entity kind, e.g. work_records")
    files: list[str] = Field(min_length=1, description="files on the server's machine (absolute paths)")


class ReportParams(_Params):
    """Write the annual report of a period, or a worker's score sheet."""

    period: str
    format: Literal["pdf", "xlsx", "html"] = "pdf"
    unit: str | None = None
    run: str | None = None
    worker: str | None = None
    lang: Literal["zh", "en"] = "zh"
    filename: str | None = Field(default=None, description="name of the file to download (no folders)")


class ScoreParams(_Params):
    """Score a period into a new draft run."""

    period: str
    scheme_path: str | None = None
    seed: int = 0
    draws: int = Field(default=1000, ge=0)
    actor: str = "cli"


class RescoreParams(_Params):
    """Recompute a draft run in place from its period's current inputs (stale scores)."""

    run: str
    actor: str = Field(default="cli", min_length=1)


class BackupParams(_Params):
    """Snapshot the database into a new (or empty) folder on the server's machine."""

    out_dir: str = Field(description="folder for the snapshot (absolute path)")


class AuditParams(_Params):
    """Verify the audit hash chain and every run's tables."""


class FinaliseParams(_Params):
    """Lock a draft run."""

    run: str
    actor: str = Field(min_length=1)


class VetoParams(_Params):
    """Move a veto along its workflow."""

    action: Literal["confirm", "appeal", "uphold", "overturn"]
    veto_id: str
    actor: str = Field(min_length=1)
    evidence: str


# The survey and appeal kinds take plain types: the domain functions check the values
# and word the errors, so a job fails with the same message the CLI prints in-process.
class SampleParams(_Params):
    """Draw a period's random sample of households per grid and issue tokens."""

    period: str
    seed: int = Field(description="seed of the draw (the CLI picks and prints one when not given)")
    margin: float = 8.0
    kind: str = "mean"
    sd: float = 20.0
    response_rate: float = 0.6
    exclude_last: int = 0
    ttl_days: int = 90
    tokens_out: str | None = Field(default=None, description="token file (.csv/.xlsx) on the server's machine (absolute path)")


class FollowupParams(_Params):
    """Draw a follow-up subsample of each grid's non-respondents."""

    period: str
    seed: int
    fraction: float = 0.3
    out_file: str | None = Field(default=None, description="follow-up list (.csv/.xlsx) on the server's machine")


class EstimateParams(_Params):
    """Satisfaction estimates per unit."""

    period: str
    level: str = "grid"
    k_min: int = K_MIN
    exact: bool = False
    out_file: str | None = Field(default=None, description=".csv/.xlsx/.parquet on the server's machine")


class ResponsesImportParams(_Params):
    """Import phone/paper answers through the web form's rules."""

    file: str = Field(description="CSV or Excel file on the server's machine (absolute path)")
    channel: str = "paper"
    entered_by: str | None = None


class AppealParams(_Params):
    """Correct a worker's total or grade in a final run."""

    run: str
    worker: str
    field: str
    after: str
    reason: str
    actor: str


class ExplainParams(_Params):
    """A worker's explanation in a run (default: the latest of `period`, or of any period)."""

    worker: str
    run: str | None = None
    period: str | None = None


class ExportParams(_Params):
    """Export the warehouse as partitioned Parquet with a manifest."""

    out_dir: str = Field(description="target folder on the server's machine (absolute path; empty or missing)")
    overwrite: bool = False


@dataclass(frozen=True)
class Outcome:
    """What a job's task hands back: JSON result, a one-line message, a file to download."""

    result: Any
    message: str
    file: str | None = None


@dataclass(frozen=True)
class Kind:
    """One job kind."""

    name: str
    writes: bool
    action: str  # what `dashboard.access.require` checks before the job is accepted
    params: type[_Params]
    task: Callable[[JobContext, dict[str, Any]], Outcome]


def _ingest(ctx: JobContext, p: dict[str, Any]) -> Outcome:
    results = tasks.ingest(ctx.db, p["kind"], p["files"], steps=ctx)
    refused = sum(1 for r in results if "refused" in r)
    rows = sum(int(r.get("accepted", 0)) for r in results)
    rejected = sum(int(r.get("rejected", 0)) for r in results)
    text = f"loaded {len(results) - refused} of {len(results)} file(s): {rows} rows accepted, {rejected} rejected"
    return Outcome(results, text + (f"; {refused} file(s) refused whole" if refused else ""))


def _report(ctx: JobContext, p: dict[str, Any]) -> Outcome:
    default = f"{'sheet-' + p['worker'] if p.get('worker') else 'report-' + p['period']}.{p['format']}"
    name = Path(p.get("filename") or default).name
    result = tasks.report(ctx.db, period=p["period"], out=ctx.folder / name, fmt=p["format"], unit=p.get("unit"),
                          run=p.get("run"), worker=p.get("worker"), lang=p["lang"], steps=ctx)
    return Outcome(result, f"wrote {name}", file=result["path"])


def _score(ctx: JobContext, p: dict[str, Any]) -> Outcome:
    result = tasks.score(ctx.db, period=p["period"], scheme_path=p.get("scheme_path"), seed=p["seed"],
                         draws=p["draws"], actor=p["actor"], steps=ctx)
    return Outcome(result, f"run {result['run_id']}: {result['workers']} workers scored (draft)")


def _rescore(ctx: JobContext, p: dict[str, Any]) -> Outcome:
    result = tasks.rescore(ctx.db, run=p["run"], actor=p["actor"], steps=ctx)
    return Outcome(result, f"run {result['run_id']}: {result['workers']} workers rescored, {result['vetoed']} vetoed")


def _backup(ctx: JobContext, p: dict[str, Any]) -> Outcome:
    result = tasks.backup(ctx.db, out_dir=p["out_dir"], steps=ctx)
    return Outcome(result, f"snapshot of {len(result['tables'])} tables written to {p['out_dir']}")


def _audit(ctx: JobContext, p: dict[str, Any]) -> Outcome:
    result = tasks.audit_verify(ctx.db, steps=ctx)
    text = "audit ok" if result["ok"] else f"audit found {len(result['problems'])} problem(s)"
    return Outcome(result, f"{text}: {result['rows']} log rows, {result['runs_checked']} runs checked")


def _finalise(ctx: JobContext, p: dict[str, Any]) -> Outcome:
    result = tasks.finalise(ctx.db, run=p["run"], actor=p["actor"], steps=ctx)
    return Outcome(result, f"run {result['run_id']} is final")


def _veto(ctx: JobContext, p: dict[str, Any]) -> Outcome:
    result = tasks.veto(ctx.db, action=p["action"], veto_id=p["veto_id"], actor=p["actor"],
                        evidence=p["evidence"], steps=ctx)
    return Outcome(result, f"veto {p['veto_id']}: {result['from_status']} → {result['to_status']}")


def _sample(ctx: JobContext, p: dict[str, Any]) -> Outcome:
    result = tasks.sample(ctx.db, **p, steps=ctx)
    return Outcome(result, f"sample {result['design_id']}: {result['invited']} households invited in "
                           f"{result['grids']} grids")


def _followup(ctx: JobContext, p: dict[str, Any]) -> Outcome:
    result = tasks.followup(ctx.db, **p, steps=ctx)
    return Outcome(result, f"{result['followed_up']} non-respondents to follow up in {len(result['grids'])} grids")


def _estimate(ctx: JobContext, p: dict[str, Any]) -> Outcome:
    result = tasks.estimate(ctx.db, **p, steps=ctx)
    return Outcome(result, f"{len(result['rows'])} {p['level']} estimates for {p['period']}")


def _responses_import(ctx: JobContext, p: dict[str, Any]) -> Outcome:
    result = tasks.responses_import(ctx.db, **p, steps=ctx)
    counts = ", ".join(f"{n} {status}" for status, n in result["counts"].items())
    return Outcome(result, f"{Path(p['file']).name}: {counts or 'no rows'}")


def _appeal(ctx: JobContext, p: dict[str, Any]) -> Outcome:
    result = tasks.appeal(ctx.db, **p, steps=ctx)
    return Outcome(result, f"appeal {result['appeal_id']}: {p['worker']} {p['field']} "
                           f"{result['value_before']} → {result['value_after']}")


def _export(ctx: JobContext, p: dict[str, Any]) -> Outcome:
    result = tasks.export_parquet(ctx.db, **p, steps=ctx)
    return Outcome(result, f"{result['rows']} rows in {result['files']} files written to {p['out_dir']}")


def _explain(ctx: JobContext, p: dict[str, Any]) -> Outcome:
    from dataclasses import asdict

    e = tasks.explain(ctx.db, **p, steps=ctx)
    return Outcome(asdict(e), f"{e.subject_id} in run {e.run_id}: total {e.total}")


KINDS: dict[str, Kind] = {
    k.name: k for k in (
        Kind("ingest", writes=True, action="manage_data", params=IngestParams, task=_ingest),
        Kind("report", writes=False, action="export", params=ReportParams, task=_report),
        Kind("score", writes=True, action="finalise", params=ScoreParams, task=_score),
        Kind("rescore", writes=True, action="finalise", params=RescoreParams, task=_rescore),
        Kind("backup", writes=False, action="manage_data", params=BackupParams, task=_backup),
        Kind("audit_verify", writes=False, action="view", params=AuditParams, task=_audit),
        Kind("finalise", writes=True, action="finalise", params=FinaliseParams, task=_finalise),
        Kind("veto", writes=True, action="veto_decide", params=VetoParams, task=_veto),
        Kind("sample", writes=True, action="manage_data", params=SampleParams, task=_sample),
        Kind("followup", writes=False, action="manage_data", params=FollowupParams, task=_followup),
        Kind("estimate", writes=False, action="view", params=EstimateParams, task=_estimate),
        Kind("responses_import", writes=True, action="manage_data", params=ResponsesImportParams,
             task=_responses_import),
        Kind("export_parquet", writes=False, action="manage_data", params=ExportParams, task=_export),
        Kind("explain", writes=False, action="view", params=ExplainParams, task=_explain),
        Kind("appeal", writes=True, action="finalise", params=AppealParams, task=_appeal),
    )
}


def check_params(kind: Kind, params: dict[str, Any]) -> dict[str, Any]:
    """Validated, defaulted parameters of a job, or a JobError naming the field and reason."""
    try:
        return kind.params.model_validate(params).model_dump()
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "params"
        raise JobError(f"{kind.name} job: parameter {where}: {first['msg']}") from None
