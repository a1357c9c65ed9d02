"""Read routes of `/api/v1`: a run's worker and unit scores, estimates, a worker's explanation, vetoes.

Thin over the dashboard's own read functions (`dashboard.data`) and checked like
the dashboard's pages: `make_context` requires `view` on the unit asked for (by
default the caller's scope), and the rows are cut to that unit's subtree
(`filter_frame`), so a street supervisor's key sees its street and nothing else.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from flask import Blueprint, Response, g, request

from dashboard.access import filter_frame, load_tree
from dashboard.api.errors import ApiError, json_response
from dashboard.api.models import (
    Estimates,
    EstimatesQuery,
    ExplanationOut,
    ScoresQuery,
    UnitScores,
    UnitScoresQuery,
    VetoList,
    VetoQuery,
    WorkerScores,
)
from dashboard.api.spec import Response as Doc
from dashboard.api.spec import error_responses

if TYPE_CHECKING:
    from spectree import SpecTree

    from dashboard.api.common import ApiConfig
    from dashboard.context import ViewContext

READ_ERRORS = error_responses("forbidden", "not_found")


def _context(config: ApiConfig, unit: str | None, **extra: Any) -> ViewContext:
    from dashboard.context import make_context

    return make_context(config.db, g.api_user, unit=unit, **extra)


def _run_or_404(config: ApiConfig, run_id: str) -> None:
    from dashboard import data

    if run_id not in set(data.list_runs(config.db)["run_id"].to_list()):
        raise ApiError("not_found", f"no score run {run_id!r}")


def register(api: Blueprint, spec: SpecTree, config: ApiConfig) -> None:
    """Add the read routes to the blueprint."""
    from dashboard import data
    from dashboard.api.common import frame_response

    @api.get("/runs/<run_id>/workers")
    @spec.validate(query=ScoresQuery, resp=Doc(HTTP_200=WorkerScores, **READ_ERRORS), tags=["scores"])
    def worker_scores(run_id: str) -> Response:
        """Worker scores of a run inside the caller's scope (`unit`: only that subtree)."""
        ctx = _context(config, request.context.query.unit)  # type: ignore[attr-defined]
        _run_or_404(config, run_id)
        frame = data.worker_scores(config.db, run_id)
        return frame_response(filter_frame(frame, ctx.tree, ctx.unit, columns=("worker_id",)))

    @api.get("/runs/<run_id>/units")
    @spec.validate(query=UnitScoresQuery, resp=Doc(HTTP_200=UnitScores, **READ_ERRORS), tags=["scores"])
    def unit_scores(run_id: str) -> Response:
        """Unit scores of a run at one level, inside the caller's scope."""
        query = request.context.query  # type: ignore[attr-defined]
        ctx = _context(config, query.unit)
        _run_or_404(config, run_id)
        frame = data.unit_scores(config.db, run_id, level=query.level)
        return frame_response(filter_frame(frame, ctx.tree, ctx.unit, columns=("unit_id",)))

    @api.get("/runs/<run_id>/workers/<worker_id>/explanation")
    @spec.validate(resp=Doc(HTTP_200=ExplanationOut, **READ_ERRORS), tags=["scores"])
    def explanation(run_id: str, worker_id: str) -> Response:
        """Why a worker got the score: pillars, items with evidence, deductions, bonus, vetoes."""
        from dataclasses import asdict

        from dashboard.commands.common import USER_ERRORS

        if g.api_user.scope_unit_id is None and load_tree(config.db).resolve(worker_id) is None:
            try:  # an unknown worker: the domain's own message, as the CLI gives it without a server
                data.explain_worker(config.db, run_id, worker_id)
            except USER_ERRORS as exc:
                raise ApiError("not_found", str(exc)) from None
        ctx = _context(config, worker_id)
        try:
            found = data.explain_worker(ctx.db, run_id, worker_id)
        except USER_ERRORS as exc:
            raise ApiError("not_found", str(exc)) from None
        if found is None:
            raise ApiError("not_found", f"no worker {worker_id!r} in run {run_id}")
        return json_response(asdict(found))

    @api.get("/estimates")
    @spec.validate(query=EstimatesQuery, resp=Doc(HTTP_200=Estimates, **READ_ERRORS), tags=["surveys"])
    def estimates() -> Response:
        """Residents' satisfaction per unit of a period, with intervals (small cells suppressed)."""
        query = request.context.query  # type: ignore[attr-defined]
        ctx = _context(config, query.unit)
        frame = data.satisfaction(config.db, query.period, level=query.level)
        if frame is None:
            raise ApiError("not_found", f"period {query.period!r} has no survey sample yet")
        return frame_response(filter_frame(frame, ctx.tree, ctx.unit, columns=("unit_id",)))

    @api.get("/vetoes")
    @spec.validate(query=VetoQuery, resp=Doc(HTTP_200=VetoList, **READ_ERRORS), tags=["vetoes"])
    def vetoes() -> Response:
        """One-vote veto events (of a period), inside the caller's scope."""
        query = request.context.query  # type: ignore[attr-defined]
        ctx = _context(config, query.unit)
        frame = data.veto_events(config.db, query.period)
        return frame_response(filter_frame(frame, ctx.tree, ctx.unit, columns=("subject_id",)))
