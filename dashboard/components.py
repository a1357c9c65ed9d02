"""Small building blocks shared by the pages: states, cards, chart styling, grids."""

from __future__ import annotations

from typing import Any

import dash_ag_grid as dag
import dash_bootstrap_components as dbc
import polars as pl
from dash import html
from dash.development.base_component import Component, ComponentType

from dashboard.access import allowed
from dashboard.context import ViewContext
from dashboard.i18n import grid_locale, t
from dashboard.theme import FONT_FAMILY


def empty_state(lang: str, key: str = "empty.no_run", hint_key: str | None = "empty.no_run_hint") -> Component:
    """A friendly placeholder ("暂无评分结果") instead of numbers that do not exist."""
    children: list[Any] = [html.H5(t(key, lang), className="mb-1")]
    if hint_key:
        children.append(html.P(t(hint_key, lang), className="text-muted mb-0"))
    return html.Div(dbc.Alert(children, color="light", className="border empty-state"), **{"data-testid": "empty"})


def denied(lang: str, key: str = "denied") -> Component:
    """The refusal shown in place of a page the user may not see."""
    return html.Div(dbc.Alert(t(key, lang), color="danger", className="denied"), **{"data-testid": "denied"})


def bad_unit(lang: str, key: str, unit_id: str | None) -> Component:
    """In place of a page whose address names an unknown (`unit.unknown`) or out-of-scope
    (`unit.out_of_scope`) org unit: which unit, why, and what to do, instead of another scope."""
    return html.Div(dbc.Alert(t(key, lang, unit=unit_id or ""), color="warning", className="bad-unit"),
                    **{"data-testid": "bad-unit"})


def kpi(label: str, value: str, *, sub: str | None = None, testid: str | None = None) -> Component:
    """One headline figure as a card."""
    body = [html.Div(label, className="text-muted small"), html.Div(value, className="fs-3 fw-semibold")]
    if sub:
        body.append(html.Div(sub, className="small text-muted"))
    return html.Div(dbc.Card(dbc.CardBody(body), className="h-100 shadow-sm"), className="h-100",
                    **({"data-testid": testid} if testid else {}))


Figure = dict[str, Any]


def _axis(axis: dict[str, Any] | None) -> dict[str, Any]:
    base = {"gridcolor": "#eaeef2", "zerolinecolor": "#d0d7de", "automargin": True}
    return base | (axis or {})


def style_figure(fig: Figure, title: str, *, height: int = 340) -> Figure:
    """Uniform look for a plain-dict plotly figure: CJK font, title, margins, light grid.

    Figures are plain dicts (plotly.js JSON), not `go.Figure`: building and validating
    graph objects costs hundreds of milliseconds per figure at city scale.
    """
    layout = fig.setdefault("layout", {})
    layout.update(
        title={"text": title, "x": 0.01, "font": {"size": 16}},
        font={"family": FONT_FAMILY, "size": 13, "color": "#1f2328"},
        margin={"l": 50, "r": 20, "t": 50, "b": 45},
        height=height,
        # above the plot, right-aligned: never on the x-axis title (总分) below it
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1},
        plot_bgcolor="#ffffff",
        paper_bgcolor="#ffffff",
        xaxis=_axis(layout.get("xaxis")),
        yaxis=_axis(layout.get("yaxis")),
    )
    return fig


def axis_title(text: str, **extra: Any) -> dict[str, Any]:
    """An axis dict with a title."""
    return {"title": {"text": text}, **extra}


def graph(fig: Figure, testid: str | None = None) -> Component:
    """A plotly figure in a card."""
    from dash import dcc

    card = dbc.Card(dbc.CardBody(dcc.Graph(figure=fig, config={"displaylogo": False, "responsive": True})),
                    className="shadow-sm mb-3")
    return html.Div(card, **({"data-testid": testid} if testid else {}))


ONE_DECIMAL = {"function": "params.value == null ? '' : Number(params.value).toFixed(1)"}
"""AG Grid value formatter: points with one decimal (88 → 88.0), as everywhere else."""


def one_decimal(columns: list[dict[str, Any]], fields: Any) -> list[dict[str, Any]]:
    """`columns` with the one-decimal formatter on every column named in `fields`."""
    wanted = set(fields)
    return [c | {"valueFormatter": ONE_DECIMAL} if c.get("field") in wanted and "valueFormatter" not in c else c
            for c in columns]


def grid(frame: pl.DataFrame, columns: list[dict[str, Any]], *, grid_id: str, lang: str, height: int = 520,
         row_id: str | None = None, selectable: bool = False, quick_filter: str | None = None,
         fit: str = "responsiveSizeToFit") -> Component:
    """An AG Grid over a polars frame (sortable, filterable columns), its chrome in `lang`.

    Small tables (≤ 20 rows) size to their content; longer ones scroll and page by 50.
    Decimal numbers show one decimal (88 → 88.0, the JSON number keeps sorting numeric).
    """
    frame = frame.with_columns(pl.col(pl.Float64, pl.Float32).round(1))
    floats = [c for c, dtype in frame.schema.items() if dtype in (pl.Float64, pl.Float32)]
    columns = one_decimal(columns, floats)
    small = frame.height <= 20
    options: dict[str, Any] = {"animateRows": False, "enableCellTextSelection": True,
                               "pagination": frame.height > 50, "paginationPageSize": 50,
                               "localeText": grid_locale(lang)}
    if small:
        options["domLayout"] = "autoHeight"
    if selectable:
        options["rowSelection"] = {"mode": "singleRow", "checkboxes": False, "enableClickSelection": True}
    if quick_filter:
        options["quickFilterText"] = quick_filter
    props: dict[str, Any] = {}
    if row_id:
        props["getRowId"] = f"params.data.{row_id}"
    return dag.AgGrid(
        id=grid_id,
        rowData=frame.to_dicts(),
        columnDefs=columns,
        defaultColDef={"sortable": True, "filter": True, "resizable": True, "minWidth": 80},
        dashGridOptions=options,
        columnSize=fit,
        style={"width": "100%"} if small else {"height": f"{height}px", "width": "100%"},
        className="ag-theme-alpine",
        **props,
    )


def page_title(text: str, page: str) -> Component:
    """The page heading (tests and screen readers find the page by it)."""
    return html.H3(text, id="page-title", className="mt-2", **{"data-page": page})


def section(title: str, *children: ComponentType) -> Component:
    """A titled block of a page."""
    return html.Section([html.H5(title, className="mt-3 mb-2"), *children])


def export_buttons(ctx: ViewContext, *, worker: str | None = None, unit: str | None = None) -> Component:
    """Export links for a page: the annual report of the view (PDF, Excel, HTML) and,
    on the worker page, the worker's score sheet. Nothing for roles without `export`."""
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
