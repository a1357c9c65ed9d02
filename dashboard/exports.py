"""Downloads (CSV) — every one checks role, action and scope on the server."""

from __future__ import annotations

from flask import Flask, Response, make_response, request

from dashboard.context import request_context


def register_exports(server: Flask) -> None:
    """Add `GET /export/rankings.csv`."""

    @server.route("/export/rankings.csv")
    def _rankings_csv() -> Response:
        from dashboard.pages.rankings import export_csv

        ctx = request_context(action="export", period=request.args.get("period"),
                              unit=request.args.get("unit"), lang=request.args.get("lang"))
        body = export_csv(ctx, level=request.args.get("level") or "workers")
        response = make_response(body)
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
        response.headers["Content-Disposition"] = 'attachment; filename="rankings.csv"'
        return response
