"""Page stub (filled in next)."""

from __future__ import annotations

from typing import Any

import dash
from dash import html

from dashboard.context import ViewContext
from dashboard.i18n import t
from dashboard.pagekit import no_run, page_layout

PATH = "/finalise"


def view(ctx: ViewContext, query: dict[str, Any]) -> Any:
    """Placeholder."""
    return html.Div([html.H3(t("nav.finalise", ctx.lang)), no_run(ctx)])


layout = page_layout(view)


def register(app: dash.Dash) -> None:
    """Register the page with Dash Pages."""
    dash.register_page(__name__, path=PATH, name="finalise", title="网格化管理考核", layout=layout)
