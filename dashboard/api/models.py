"""Typed request and response bodies of `/api/v1` (pydantic), from which the OpenAPI
document is generated (`dashboard.api.spec`): the routes validate what comes in and
what goes out against these same models, so the document cannot drift from the code.

Score and estimate rows name their main fields and allow the rest of the run's
columns (`extra="allow"`): the tables gain columns as the scheme grows.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any, Literal, Union

from pydantic import BaseModel, ConfigDict, Field, RootModel, create_model

from dashboard.jobs.kinds import KINDS
from metrics.explain import Explanation


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Row(BaseModel):
    model_config = ConfigDict(extra="allow")


class ErrorText(BaseModel):
    """The reason in both languages."""

    zh: str
    en: str


class ErrorDetail(BaseModel):
    """A machine-readable code and the message for a person."""

    code: str = Field(description="unauthorized | forbidden | not_found | bad_request | conflict | not_ready")
    message: ErrorText


class ErrorBody(BaseModel):
    """Every refusal of the API has this shape."""

    error: ErrorDetail


# ---------------------------------------------------------------- jobs

class JobProgress(BaseModel):
    """How far a job is."""

    done: float
    total: float | None
    unit: str | None


class JobStatus(BaseModel):
    """A job: what, who, state, progress, message in plain words, result."""

    job_id: int
    kind: str
    params: dict[str, Any]
    who: str
    writes: bool
    state: Literal["queued", "running", "done", "failed", "cancelled", "interrupted"]
    progress: JobProgress
    message: str | None
    result: Any = None
    has_file: bool
    cancel_requested: bool
    submitted_at: datetime
    started_at: datetime | None
    ended_at: datetime | None


def _job_request(name: str) -> type[BaseModel]:
    """The body that submits one job kind: `{"kind": name, "params": <that kind's own model>}`."""
    kind = KINDS[name]
    required = any(f.is_required() for f in kind.params.model_fields.values())
    params: Any = (kind.params, ...) if required else (kind.params, Field(default_factory=kind.params))
    return create_model(f"{name.title().replace('_', '')}Job", __base__=_In,
                        __doc__=kind.params.__doc__, kind=(Literal[name], ...), params=params)


# The submit body is a union over the declared kinds, discriminated by `kind`.
_JOB_MODELS: tuple[type[BaseModel], ...] = tuple(_job_request(n) for n in KINDS)


class JobSubmit(RootModel[Annotated[Union[_JOB_MODELS], Field(discriminator="kind")]]):  # type: ignore[valid-type]  # noqa: UP007
    """A job to run: `kind` and that kind's `params` (one model per kind, see `dashboard.jobs.kinds`)."""


class JobsQuery(_In):
    """How many of the newest jobs."""

    limit: int = Field(default=50, ge=1, le=500)


class WaitQuery(_In):
    """Wait up to this many seconds for the job to end before answering (0: answer at once)."""

    wait: float = Field(default=0, ge=0, le=120)


# ---------------------------------------------------------------- runs and scores

class RunRow(BaseModel):
    """One score run."""

    run_id: str
    period_id: str
    scheme_key: str | None
    scheme_version: str | None
    scheme_hash: str | None
    input_fingerprint: str | None
    code_version: str | None
    seed: int | None
    draws: int | None
    output_digest: str | None
    status: str = Field(description="draft | final")
    created_by: str | None
    created_at: datetime | None
    finalised_by: str | None
    finalised_at: datetime | None


class RunList(RootModel[list[RunRow]]):
    """Score runs, newest first."""


class WorkerScore(_Row):
    """A worker's score in a run (the run's other columns follow)."""

    run_id: str
    worker_id: str
    name: str | None
    grid_id: str | None
    street_id: str | None
    total: float | None
    grade: str | None
    rank: int | None
    ranked_among: int | None
    eligible: bool | None
    vetoed: bool | None


class WorkerScores(RootModel[list[WorkerScore]]):
    """The workers of a run inside the caller's scope (or the unit asked for)."""


class UnitScore(_Row):
    """A unit's score in a run (the run's other columns follow)."""

    run_id: str
    level: str
    unit_id: str
    name: str | None
    total: float | None
    grade: str | None
    rank: int | None
    ranked_among: int | None


class UnitScores(RootModel[list[UnitScore]]):
    """The units of a level in a run inside the caller's scope."""


class ScoresQuery(_In):
    """Which part of the org tree (default: the caller's scope, or all)."""

    unit: str | None = Field(default=None, description="org unit id: only its subtree")


class UnitScoresQuery(ScoresQuery):
    """Level and part of the org tree."""

    level: Literal["street", "community", "grid", "department"] = "street"


class EstimateRow(_Row):
    """Residents' satisfaction of one unit with its interval (the estimate's other columns follow)."""

    unit_id: str
    name: str | None
    level: str
    respondents: int | None
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    suppressed: bool | None


class Estimates(RootModel[list[EstimateRow]]):
    """Satisfaction estimates of a period at one level, inside the caller's scope."""


class EstimatesQuery(ScoresQuery):
    """Period, level and part of the org tree."""

    period: str
    level: Literal["grid", "community", "street", "district"] = "grid"


class ExplanationOut(RootModel[Explanation]):
    """Why a worker got the score: pillars → items → evidence, deductions, bonus, vetoes."""


class VetoQuery(ScoresQuery):
    """Period (default: all) and part of the org tree."""

    period: str | None = None


class VetoRow(BaseModel):
    """A one-vote veto event."""

    veto_id: str
    category: str
    scope: str
    subject_id: str
    subject_name: str | None
    period_id: str | None
    event_on: date | None
    evidence: str | None
    severity: str | None
    status: str = Field(description="proposed | confirmed | appealed | upheld | overturned")


class VetoList(RootModel[list[VetoRow]]):
    """Veto events, inside the caller's scope."""


# ---------------------------------------------------------------- actions

class VetoStep(_In):
    """Who acts and on what evidence."""

    evidence: str = Field(min_length=1)
    actor: str | None = Field(default=None, description="person recorded in the audit (default: the caller)")


class AuditReport(_Row):
    """The audit chain and every run's tables checked."""

    ok: bool
    rows: int
    runs_checked: int
    problems: list[str]


class AccountIn(_In):
    """A dashboard account to create (or reset)."""

    name: str = Field(description="sign-in name, 1–64 characters")
    password: str = Field(description="at least 8 characters")
    role: str = Field(description="admin | assessor | supervisor | viewer")
    scope_unit_id: str | None = Field(default=None, description="org unit whose subtree the account sees (supervisor: required)")


class AccountOut(BaseModel):
    """An account as saved."""

    name: str
    role: str
    scope_unit_id: str | None


class ApiKeyIn(_In):
    """A key for an account (`user_name`) or for an integration (`role`, optional `scope_unit_id`)."""

    name: str = Field(description="what the key is for, 1–64 characters")
    user_name: str | None = Field(default=None, description="account the key acts as")
    role: str | None = Field(default=None, description="integration key: admin | assessor | supervisor | viewer")
    scope_unit_id: str | None = Field(default=None, description="integration key: org unit it is limited to")


class ApiKeyCreated(BaseModel):
    """The new key: `key` is shown this once and stored only hashed."""

    key_id: str
    key: str
    name: str
    user_name: str | None
    role: str
    scope_unit_id: str | None


class ApiKeyRow(BaseModel):
    """A key as listed (never the secret)."""

    key_id: str
    name: str
    user_name: str | None
    role: str | None
    scope_unit_id: str | None
    created_by: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None
    state: Literal["live", "revoked", "account_disabled"]


class ApiKeyList(RootModel[list[ApiKeyRow]]):
    """Every key, newest first."""


Cell = str | int | float | bool | None | list[Any] | dict[str, Any]


class IngestRows(_In):
    """Rows of one kind as JSON objects (column names as in the file template, English or Chinese)."""

    rows: list[dict[str, Cell]] = Field(min_length=1, max_length=50_000)


class IngestFiles(BaseModel):
    """Files of one kind as multipart form data (CSV, Excel or Parquet, as `gridscore ingest` takes)."""

    model_config = ConfigDict(arbitrary_types_allowed=True)

    file: list[Any] = Field(min_length=1, max_length=20, description="one or more files (form field `file`)",
                            json_schema_extra={"items": {"type": "string", "format": "binary"}})
