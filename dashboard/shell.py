"""The frame around every page: navigation bar, period and org-unit filters.

Rendered by a callback from the URL (path + query), so language, period and unit
always follow the address bar and any view can be linked.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlencode

import dash_bootstrap_components as dbc
from dash import dcc, html
from dash.development.base_component import Component

from dashboard import ids
from dashboard.context import ViewContext
from dashboard.data import org_units, periods
from dashboard.i18n import fmt_period, other_lang, pick, t
from dashboard.stale_banner import stale_banner

NAV: tuple[tuple[str, str], ...] = (
    ("/", "nav.overview"),
    ("/rankings", "nav.rankings"),
    ("/worker", "nav.worker"),
    ("/unit", "nav.unit"),
    ("/vetoes", "nav.vetoes"),
    ("/surveys", "nav.surveys"),
    ("/scheme", "nav.scheme"),
    ("/finalise", "nav.finalise"),
)

KEEP = ("period", "unit", "lang")


def parse_search(search: str | None) -> dict[str, str]:
    """Query string → first value of each parameter."""
    parsed = parse_qs((search or "").lstrip("?"), keep_blank_values=False)
    return {k: v[0] for k, v in parsed.items() if v}


def build_search(params: dict[str, str | None], *, keep: tuple[str, ...] | None = None) -> str:
    """Parameters → "?a=b" (empty values dropped; only `keep` names when given)."""
    items = {k: v for k, v in params.items() if v and (keep is None or k in keep)}
    return "?" + urlencode(items) if items else ""


def unit_options(ctx: ViewContext) -> list[dict[str, Any]]:
    """Districts, streets, communities and grids the user may pick (their subtree only).

    The label is the plain name, indented by its level only inside the open list (CSS
    `.unit-opt-<level>` in assets/style.css), so the chosen value shows no indentation.
    """
    units = org_units(ctx.db)
    allowed = ctx.tree.subtree(ctx.user.scope_unit_id)
    options = []
    levels = ("district", "street", "community", "grid")
    for row in units.iter_rows(named=True):
        if row["level"] not in levels:
            continue
        if allowed is not None and row["unit_id"] not in allowed:
            continue
        name = pick(row["name"], row.get("name_en") or row["name"], ctx.lang)
        options.append({"label": html.Span(name, className=f"unit-opt unit-opt-{row['level']}"),
                        "value": row["unit_id"], "search": name})
    return options


def render_shell(ctx: ViewContext, pathname: str, params: dict[str, str] | None = None, *,
                 bad_unit: str | None = None) -> Component:
    """Navigation bar and filter row for the current URL.

    `bad_unit` is a unit the address names that does not exist or lies outside the user's
    scope: the org filter shows it marked invalid (and keeps it in the address) while the
    page says why, rather than showing another scope as if it had been asked for.
    `params` are the address's own parameters (e.g. `worker=`, `level=`, `subject=`):
    the language switch keeps every one of them, so the page stays where it was; the
    navigation links carry only period, unit and language to the other pages.
    """
    lang = ctx.lang
    keep = {"period": ctx.period, "unit": ctx.unit if ctx.unit != ctx.user.scope_unit_id else None, "lang": lang}
    search = build_search(keep)
    links = [
        dbc.NavItem(dbc.NavLink(t(key, lang), href=path + search, active=(pathname == path), id=f"nav-{path.strip('/') or 'overview'}"))
        for path, key in NAV
    ]
    other = other_lang(lang)
    switch_href = (pathname or "/") + build_search({**(params or {}), **keep, "lang": other})
    user_label = f"{ctx.user.name} · {t('role.' + ctx.user.role, lang)}"
    navbar = dbc.Navbar(
        dbc.Container(
            [
                dbc.NavbarBrand(t("app.brand", lang), href="/" + search, className="fw-bold"),
                dbc.Nav(links, className="me-auto flex-wrap", navbar=True),
                html.Div(
                    [
                        html.Span(user_label, className="text-light small me-3", id="user-label"),
                        dcc.Link(t("nav.lang_switch", lang), href=switch_href, id="lang-switch",
                                 className="btn btn-sm btn-outline-light me-2"),
                        html.Form(
                            html.Button(t("nav.signout", lang), type="submit", id="signout",
                                        className="btn btn-sm btn-light"),
                            method="POST", action="/logout", className="d-inline",
                        ),
                    ],
                    className="d-flex align-items-center",
                ),
            ],
            fluid=True,
        ),
        color="primary", dark=True, className="mb-3",
    )
    period_frame = periods(ctx.db)
    period_opts = [{"label": fmt_period(p, lang), "value": p} for p in period_frame["period_id"].to_list()]
    unit_opts = unit_options(ctx)
    if ctx.user.scope_unit_id is None:
        unit_opts = [{"label": t("filter.all_units", lang), "value": ""}, *unit_opts]
    if bad_unit:
        unit_opts = [{"label": t("filter.bad_unit", lang, unit=bad_unit[:64]), "value": bad_unit, "disabled": True},
                     *unit_opts]
    filters = dbc.Container(
        dbc.Row(
            [
                dbc.Col([dbc.Label(t("filter.period", lang), html_for=ids.PERIOD, className="small mb-0"),
                         dcc.Dropdown(id=ids.PERIOD, options=period_opts, value=ctx.period, clearable=False)],
                        md=3),
                dbc.Col([dbc.Label(t("filter.unit", lang), html_for=ids.UNIT, className="small mb-0"),
                         dcc.Dropdown(id=ids.UNIT, options=unit_opts, value=bad_unit or ctx.unit or "",
                                      clearable=False)],
                        md=5),
            ],
            className="g-3 mb-2",
        ),
        fluid=True,
    )
    return html.Div([navbar, filters, stale_banner(ctx)])


SUBJECT_OF_UNIT = ("subject",)
"""Parameters that name the unit a page is about: picking another unit in the filter replaces them."""


def filters_to_search(period: str | None, unit: str | None, search: str | None) -> str:
    """New query string after the user changed a filter: every other parameter kept.

    The one exception: on the unit page, `subject=` (a department picked in the
    rankings) is what the page is about, so picking another unit in the org filter
    replaces it instead of being hidden behind it.
    """
    params = parse_search(search)
    if (unit or "") != params.get("unit", ""):
        for name in SUBJECT_OF_UNIT:
            params.pop(name, None)
    params["period"] = period or ""
    params["unit"] = unit or ""
    return build_search(params)
