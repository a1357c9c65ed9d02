"""Downloads (CSV) — every one checks role, action and scope on the server."""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask, Response, make_response, request

from dashboard.context import ViewContext, request_context

RankingsCsv = Callable[..., str]  # (ctx, *, level, search_text) -> CSV text with BOM; the rankings page's `export_csv`


def register_exports(server: Flask, rankings_csv: RankingsCsv) -> None:
    """Add `GET /export/rankings.csv` (`?level=`, `?q=` name search), served by `rankings_csv(ctx, level=…)`.

    The page passes its own function in (`app.create_app`), so this module does not
    import a page.
    """

    @server.route("/export/rankings.csv")
    def _rankings_csv() -> Response:
        ctx: ViewContext = request_context(action="export", period=request.args.get("period"),
                                           unit=request.args.get("unit"), lang=request.args.get("lang"))
        body = rankings_csv(ctx, level=request.args.get("level") or "workers", search_text=request.args.get("q"))
        response = make_response(body)
        response.headers["Content-Type"] = "text/csv; charset=utf-8"
        response.headers["Content-Disposition"] = 'attachment; filename="rankings.csv"'
        return response
