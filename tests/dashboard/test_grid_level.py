"""Grids as a level of the dashboard (issue 15, finding 6): the org filter, the rankings,
the drill-down street → community → grid → worker, scope, and an address naming a unit
that does not exist or lies outside the user's scope."""

from __future__ import annotations

import json
from typing import Any

import pytest
from dash._utils import to_json
from flask import g

from dashboard.app import create_app
from dashboard.auth import User
from dashboard.context import make_context
from dashboard.data import latest_run, run_id_of
from dashboard.pages import overview, rankings, unit
from dashboard.settings import Settings
from dashboard.shell import unit_options
from dashboard.viewmodel import sub_units
from tests.dashboard.conftest import IN_SCOPE, OUT_OF_SCOPE, PASSWORD
from warehouse.db import Database

ADMIN = User("admin", "admin", None)
SUP = User("sup", "supervisor", IN_SCOPE)


def _text(tree: object) -> str:
    return json.dumps(json.loads(to_json(tree)), ensure_ascii=False)


def _grids(db: Database, under: str = "") -> set[str]:
    frame = db.query("SELECT unit_id FROM org_units WHERE level = 'grid' AND unit_id LIKE ?", [under + "%"])
    return set(frame["unit_id"])


def test_org_filter_offers_grids_within_the_scope(dash_db: Database) -> None:
    every = {o["value"] for o in unit_options(make_context(dash_db, ADMIN, lang="zh"))}
    assert _grids(dash_db) <= every
    mine = {o["value"] for o in unit_options(make_context(dash_db, SUP, lang="zh"))}
    assert _grids(dash_db, IN_SCOPE) <= mine
    assert not mine & _grids(dash_db, OUT_OF_SCOPE)


def test_rankings_have_a_grid_level_limited_to_the_scope(dash_db: Database) -> None:
    assert "grid" in rankings.LEVELS
    frame = rankings.level_frame(make_context(dash_db, ADMIN, period="2025", lang="zh"), "grid")
    assert set(frame["unit_id"]) == _grids(dash_db)
    assert frame["rank"].drop_nulls().min() == 1
    sup = rankings.level_frame(make_context(dash_db, SUP, period="2025", lang="zh"), "grid")
    assert set(sup["unit_id"]) == _grids(dash_db, IN_SCOPE)
    rows = rankings.ranking_rows(sup, make_context(dash_db, SUP, period="2025", lang="en"), level="grid")
    assert rows["href"].str.starts_with("/unit?").all() and rows["name"].str.contains("网格").all()
    labels = _text(rankings.view(make_context(dash_db, ADMIN, period="2025", lang="zh"), {"level": "grid"}))
    assert '"网格"' in labels


def test_drill_down_street_community_grid_worker(dash_db: Database) -> None:
    ctx = make_context(dash_db, ADMIN, period="2025", lang="zh")
    run = run_id_of(latest_run(dash_db, "2025"))
    streets = sub_units(ctx, run, None)
    assert set(streets["level"]) == {"street"} and streets["total"].null_count() == 0
    communities = sub_units(ctx, run, IN_SCOPE)
    assert set(communities["level"]) == {"community"} and communities.height >= 2
    community = communities["unit_id"][0]
    grids = sub_units(ctx, run, community)
    assert set(grids["level"]) == {"grid"} and set(grids["unit_id"]) == _grids(dash_db, community)
    assert grids["total"].null_count() == 0 and grids["members"].min() >= 1
    grid_id = grids["unit_id"][0]
    assert sub_units(ctx, run, grid_id).height == 0
    page = _text(unit.view(make_context(dash_db, ADMIN, period="2025", unit=community, lang="zh"), {}))
    assert f"/unit?period=2025&unit={grid_id}" in page  # community → grid
    page = _text(unit.view(make_context(dash_db, ADMIN, period="2025", unit=grid_id, lang="zh"), {}))
    worker_id = dash_db.scalar("SELECT min(worker_id) FROM workers WHERE grid_id = ?", [grid_id])
    assert f"/worker?period=2025&unit={grid_id}&lang=zh&worker={worker_id}" in page  # grid → worker
    assert "网格" in page
    # the street supervisor drills only inside their street
    sup = make_context(dash_db, SUP, period="2025", lang="zh")
    assert sub_units(sup, run, None)["unit_id"].to_list() == [IN_SCOPE]
    assert all(u.startswith(IN_SCOPE) for u in sub_units(sup, run, community)["unit_id"])


@pytest.fixture(scope="module")
def app(dash_db: Database):
    return create_app(Settings(db_path=dash_db.path, signin_burst=50), db=dash_db)


def _page(app: Any, layout: Any, user: User, **query: str) -> str:
    """A page layout rendered for `user` as Dash Pages renders it (request context, signed-in user)."""
    with app.server.test_request_context("/"):
        g.user = user
        return _text(layout(**query))


def test_unknown_or_out_of_scope_unit_in_the_address_says_so(app: Any) -> None:
    text = _page(app, overview.layout, ADMIN, period="2025", unit="D01S09C99G99")
    assert "地址中的组织范围“D01S09C99G99”不存在" in text and "bad-unit" in text
    assert "kpi-workers" not in text  # no figures of another scope instead
    text = _page(app, rankings.layout, ADMIN, period="2025", unit="NOPE", lang="en")
    assert "The org unit “NOPE” in the address does not exist" in text
    grid_out = sorted(_grids(app.server.extensions["gridscore"].db, OUT_OF_SCOPE))[0]
    text = _page(app, overview.layout, SUP, period="2025", unit=grid_out)
    assert f"地址中的组织范围“{grid_out}”不在您的权限范围内" in text and "kpi-workers" not in text
    text = _page(app, unit.layout, SUP, period="2025", unit=grid_out, lang="en")
    assert "is outside your scope" in text
    # a grid in the address is a scope like any other: its workers only
    grid_in = sorted(_grids(app.server.extensions["gridscore"].db, IN_SCOPE))[0]
    text = _page(app, overview.layout, SUP, period="2025", unit=grid_in)
    assert "kpi-workers" in text and "bad-unit" not in text


def _find(node: Any, component_id: str) -> dict | None:
    if isinstance(node, dict):
        if node.get("props", {}).get("id") == component_id:
            return node["props"]
        for value in node.values():
            hit = _find(value, component_id)
            if hit is not None:
                return hit
    elif isinstance(node, list):
        for value in node:
            hit = _find(value, component_id)
            if hit is not None:
                return hit
    return None


def _shell_filter(app: Any, user: str, search: str) -> dict:
    client = app.server.test_client()
    assert client.post("/login", data={"user": user, "password": PASSWORD}).status_code == 302
    payload = {
        "output": "shell.children",
        "outputs": {"id": "shell", "property": "children"},
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": "/"},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.search"],
    }
    response = client.post("/_dash-update-component", json=payload)
    assert response.status_code == 200, response.data[:300]
    props = _find(response.get_json(), "filter-unit")
    assert props is not None
    return props


def test_the_org_filter_shows_the_unit_of_the_address(app: Any) -> None:
    """The filter holds the address's unit — a grid, or an invalid unit marked as such — so
    it never rewrites the address to 全部 (its value must be one of its options)."""
    db = app.server.extensions["gridscore"].db
    grid_in = sorted(_grids(db, IN_SCOPE))[0]
    props = _shell_filter(app, "admin", f"?period=2025&unit={grid_in}")
    assert props["value"] == grid_in and grid_in in [o["value"] for o in props["options"]]
    props = _shell_filter(app, "admin", "?period=2025&unit=NOPE")
    assert props["value"] == "NOPE"
    assert [o["label"] for o in props["options"] if o["value"] == "NOPE"] == ["NOPE（无效）"]
    grid_out = sorted(_grids(db, OUT_OF_SCOPE))[0]
    props = _shell_filter(app, "sup", f"?period=2025&unit={grid_out}&lang=en")
    assert props["value"] == grid_out
    assert [o["label"] for o in props["options"] if o["value"] == grid_out] == [f"{grid_out} (invalid)"]
    assert not {o["value"] for o in props["options"]} & (_grids(db, OUT_OF_SCOPE) - {grid_out})
