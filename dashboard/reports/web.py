"""Report downloads from the dashboard: routes and the export buttons the pages show.

`GET /export/report/<fmt>?period=&unit=&lang=` returns the annual report (pdf, xlsx,
html) of the view's period and unit; `GET /export/sheet.pdf?worker=&period=` a
worker's score sheet. Both check the signed-in user's role (`export`) and scope
on the server with the dashboard's own `make_context` / `require`, so a forged URL
gets a 403 like any other view. The buttons are plain links to these routes.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from flask import Flask, Response, abort, make_response, request

from dashboard.access import allowed, require
from dashboard.context import ViewContext, request_context
from dashboard.i18n import t

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
    from dashboard.reports import build_report, render_html, render_pdf, render_xlsx

    report = build_report(ctx.db, period_id=str(ctx.period), unit_id=ctx.unit, user=ctx.user, lang=ctx.lang)
    if fmt == "html":
        return render_html(report).encode("utf-8")
    with tempfile.TemporaryDirectory(prefix="gridscore-report-") as tmp:
        path = Path(tmp) / f"report.{fmt}"
        (render_pdf if fmt == "pdf" else render_xlsx)(report, path)
        return path.read_bytes()


def sheet_bytes(ctx: ViewContext, worker_id: str) -> bytes:
    """A worker's score sheet PDF for a checked context (the worker must be in scope)."""
    from dashboard.reports import render_worker_sheet
    from metrics.runs import latest_run

    require(ctx.user, "export", worker_id, tree=ctx.tree)
    run = latest_run(ctx.db, str(ctx.period))
    if run is None:
        abort(404)
    with tempfile.TemporaryDirectory(prefix="gridscore-sheet-") as tmp:
        path = render_worker_sheet(ctx.db, run.run_id, worker_id, Path(tmp) / "sheet.pdf", user=ctx.user)
        return path.read_bytes()


def register_report_routes(server: Flask) -> None:
    """Add `/export/report/<fmt>` and `/export/sheet.pdf` to the dashboard's server."""
    from dashboard.reports.model import ReportError
    from metrics.errors import ScoringError

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
        return _download(body, "pdf", f"score-sheet-{worker_id}-{ctx.period}.pdf")


def export_buttons(ctx: ViewContext, *, worker: str | None = None, unit: str | None = None) -> Any:
    """Export links for a page: the annual report of the view (PDF, Excel, HTML) and,
    on the worker page, the worker's score sheet. Nothing for roles without `export`."""
    from dash import html

    if not allowed(ctx.user, "export"):
        return html.Span()
    lang = ctx.lang
    query = ctx.query(unit=unit) if unit else ctx.query()
    links = [html.A(t(f"export.{f}", lang), href=f"/export/report/{f}{query}",
                    className="btn btn-sm btn-outline-secondary", id=f"export-report-{f}", **{"download": ""})
             for f in ("pdf", "xlsx", "html")]
    if worker:
        links.insert(0, html.A(t("export.sheet_pdf", lang),
                               href=f"/export/sheet.pdf{ctx.query(worker=worker)}", id="export-sheet",
                               className="btn btn-sm btn-outline-primary", **{"download": ""}))
    label = html.Span(t("export.label", lang), className="text-muted small me-1")
    return html.Div([label, *links], className="d-flex gap-2 align-items-center justify-content-end mb-2 export-buttons",
                    **{"data-testid": "export-buttons"})
