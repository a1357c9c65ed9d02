"""Report downloads from the dashboard: the routes behind the pages' export buttons.

`GET /export/report/<fmt>?period=&unit=&lang=` returns the annual report (pdf, xlsx,
html) of the view's period and unit; `GET /export/sheet.pdf?worker=&period=` a
worker's score sheet. Both check the signed-in user's role (`export`) and scope
on the server with the dashboard's own `make_context` / `require`, so a forged URL
gets a 403 like any other view. The buttons (`components.export_buttons`) are plain
links to these routes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from flask import Flask, Response, abort, make_response, request

from dashboard.access import require
from dashboard.context import ViewContext, request_context
from dashboard.reports.browser import ReportsExtraMissing
from dashboard.reports.html import render_html
from dashboard.reports.model import ReportError, build_report
from dashboard.reports.pdf import render_pdf
from dashboard.reports.sheet import render_worker_sheet
from dashboard.reports.xlsx import render_xlsx
from metrics.errors import ScoringError
from metrics.runs import latest_run

MEDIA = {
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}


def _download(body: bytes, fmt: str, filename: str) -> Response:
    response = make_response(body)
    response.headers["Content-Type"] = MEDIA[fmt]
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def report_bytes(ctx: ViewContext, fmt: str) -> bytes:
    """The annual report of a checked view context in a format, as bytes."""
    report = build_report(ctx.db, period_id=str(ctx.period), unit_id=ctx.unit, user=ctx.user, lang=ctx.lang)
    if fmt == "html":
        return render_html(report).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="gridscore-report-") as tmp:
        path = Path(tmp) / f"report.{fmt}"
        (render_pdf if fmt == "pdf" else render_xlsx)(report, path)
        return path.read_bytes()


def sheet_bytes(ctx: ViewContext, worker_id: str) -> bytes:
    """A worker's score sheet PDF for a checked context (the worker must be in scope)."""
    require(ctx.user, "export", worker_id, tree=ctx.tree)
    run = latest_run(ctx.db, str(ctx.period))
    if run is None:
        abort(404)
    with tempfile.TemporaryDirectory(prefix="gridscore-sheet-") as tmp:
        path = render_worker_sheet(ctx.db, run.run_id, worker_id, Path(tmp) / "sheet.pdf", user=ctx.user)
        return path.read_bytes()


def register_report_routes(server: Flask) -> None:
    """Add `/export/report/<fmt>` and `/export/sheet.pdf` to the dashboard's server."""
    @server.route("/export/report/<fmt>")
    def _report(fmt: str) -> Response:
        if fmt not in MEDIA:
            abort(404)
        ctx = request_context(action="export", period=request.args.get("period"),
                              unit=request.args.get("unit"), lang=request.args.get("lang"))
        try:
            body = report_bytes(ctx, fmt)
        except (ReportError, ScoringError):
            abort(404)
        except ReportsExtraMissing as exc:
            abort(503, description=str(exc))
        suffix = f"-{ctx.unit}" if ctx.unit else ""
        return _download(body, fmt, f"report-{ctx.period}{suffix}.{fmt}")

    @server.route("/export/sheet.pdf")
    def _sheet() -> Response:
        worker_id = (request.args.get("worker") or "")[:32]
        ctx = request_context(action="export", period=request.args.get("period"),
                              unit=request.args.get("unit"), lang=request.args.get("lang"))
        if not worker_id:
            abort(400)
        try:
            body = sheet_bytes(ctx, worker_id)
        except ScoringError:
            abort(404)
        except ReportsExtraMissing as exc:
            abort(503, description=str(exc))
        return _download(body, "pdf", f"score-sheet-{worker_id}-{ctx.period}.pdf")
