"""Callback errors: a hand-made input is a 400 naming it; a bug is a 500 logged with its traceback.

The app runs over a copy of the dashboard city (Flask test client, signed in as the
administrator); the callback bodies are built from the app's own callback map.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from flask.testing import FlaskClient

from bench.reliability.dashcall import payload
from dashboard import ids
from dashboard.app import create_app
from dashboard.settings import Settings
from tests.dashboard.conftest import PASSWORD
from warehouse.db import Database


@pytest.fixture(scope="module")
def signed_in(dash_db: Database) -> Iterator[tuple[FlaskClient, dict[str, Any]]]:
    app = create_app(Settings(db_path=dash_db.path, signin_burst=50), db=dash_db)
    client = app.server.test_client()
    assert client.post("/login", data={"user": "admin", "password": PASSWORD}).status_code == 302
    client.get("/")  # the first request registers Dash Pages' own callback
    yield client, dict(app.callback_map)


def _dep(callbacks: dict[str, Any], output_part: str, given: tuple[str, ...] = ()) -> dict[str, Any]:
    """The callback writing `output_part` that reads every "id.property" in `given` (several
    callbacks may write one output, e.g. the address: the worker picker and the rankings level)."""
    def reads(cb: dict[str, Any]) -> set[str]:
        return {f"{d['id']}.{d['property']}" for d in (*cb.get("inputs", ()), *cb.get("state", ()))}

    return next({**cb, "output": key} for key, cb in callbacks.items()
                if output_part in key and set(given) <= reads(cb))


def _call(client: FlaskClient, callbacks: dict[str, Any], output_part: str, **values: Any):
    """POST one callback with `values` keyed "id.property" (unnamed ones are None)."""
    dep = _dep(callbacks, output_part, tuple(k.replace("__", ".") for k in values))
    body = payload(dep, {k.replace("__", "."): v for k, v in values.items()})
    return client.post("/_dash-update-component", json=body)


SEARCH = f"{ids.LOCATION}__search"
GRID = f"{ids.RANK_GRID}__getRowsRequest"

HAND_MADE = [  # (callback output, values, the input the 400 names)
    ("rankings-store.children", {SEARCH: 2025, f"{ids.RANK_LEVEL}__value": "workers"}, f"{ids.LOCATION}.search"),
    ("rankings-grid.getRowsResponse", {GRID: ["x"], SEARCH: "?period=2025"}, "request"),
    ("rankings-grid.getRowsResponse", {GRID: {"startRow": "x"}, SEARCH: "?period=2025"}, "getRowsRequest.startRow"),
    ("rankings-grid.getRowsResponse", {GRID: {"sortModel": {"colId": "total"}}, SEARCH: "?period=2025"},
     "getRowsRequest.sortModel"),
    ("rankings-grid.getRowsResponse",
     {GRID: {"filterModel": {"total": {"filterType": "number", "type": "greaterThan", "filter": "lots"}}},
      SEARCH: "?period=2025"}, "getRowsRequest.filterModel.total.filter"),
    ("rankings-grid.getRowsResponse", {GRID: {}, f"{ids.RANK_SEARCH}__value": {"$ne": 1}, SEARCH: ""}, "text"),
    (f"{ids.LOCATION}.search@", {f"{ids.WORKER_PICK}__value": ["W000001"], SEARCH: ""}, "worker_id"),
    ("veto-result", {f"{ids.VETO_GRID}__selectedRows": [{"veto_id": {"or": 1}}], SEARCH: ""},
     "selectedRows[0].veto_id"),
    ("veto-result", {f"{ids.VETO_GRID}__selectedRows": "V1", SEARCH: ""}, "selected"),
    ("whatif-out", {"whatif-results__value": [40], SEARCH: ""}, "w_r"),
    ("finalise-store.is_open", {f"{ids.FINALISE_BUTTON}__n_clicks": "1"}, "_n"),
    ("shell.children", {f"{ids.LOCATION}__pathname": 5}, f"{ids.LOCATION}.pathname"),
    ("_pages_content", {f"{ids.LOCATION}__pathname": ["/"], SEARCH: ""}, f"{ids.LOCATION}.pathname"),
]


@pytest.mark.parametrize(("output", "values", "named"), HAND_MADE, ids=[c[2] for c in HAND_MADE])
def test_a_hand_made_input_is_a_400_naming_it(signed_in, output: str, values: dict[str, Any], named: str) -> None:
    client, callbacks = signed_in
    response = _call(client, callbacks, output, **values)
    assert response.status_code == 400, response.data[:300]
    error = response.get_json()
    assert error["error"] == "bad callback input" and error["input"] == named, error
    assert error["reason"].startswith("expected "), error


def test_a_body_the_renderer_would_not_send_is_a_400_naming_the_part(signed_in) -> None:
    client, callbacks = signed_in
    good = payload(_dep(callbacks, "rankings-store.children", (f"{ids.RANK_SEARCH}.value",)),  # the name search
                   {f"{ids.RANK_LEVEL}.value": "workers", f"{ids.LOCATION}.search": "?period=2025"})
    cases = {
        "body": ["not", "an", "object"],
        "output": {**good, "output": "no-such.children"},
        "inputs": {**good, "inputs": []},
        "inputs[0]": {**good, "inputs": [{"id": "rankings-level", "property": "value", "value": "x"}]},
        "state": {k: v for k, v in good.items() if k != "state"},
        "changedPropIds": {**good, "changedPropIds": [f"{ids.LOCATION}.search"]},
        "outputs": {**good, "outputs": "rankings-store"},
    }
    for part, body in cases.items():
        response = client.post("/_dash-update-component", json=body)
        assert response.status_code == 400, (part, response.data[:300])
        assert response.get_json()["input"] == part
    assert client.post("/_dash-update-component", data="{", content_type="application/json").status_code == 400
    assert client.post("/_dash-update-component", json=good).status_code == 200  # the checks pass real calls


def test_real_calls_still_answer(signed_in) -> None:
    client, callbacks = signed_in
    rows = _call(client, callbacks, "rankings-grid.getRowsResponse", **{
        GRID: {"startRow": 0, "endRow": 20, "sortModel": [{"colId": "total", "sort": "desc"}],
               "filterModel": {"total": {"filterType": "number", "type": "greaterThan", "filter": 10}}},
        SEARCH: "?period=2025"})
    assert rows.status_code == 200, rows.data[:300]
    assert rows.get_json()["response"]["rankings-grid"]["getRowsResponse"]["rowCount"] > 0
    page = _call(client, callbacks, "_pages_content", **{f"{ids.LOCATION}__pathname": "/rankings",
                                                         SEARCH: "?period=2025&period=2024"})
    assert page.status_code == 200, page.data[:300]


def test_a_bug_in_a_callback_is_a_500_logged_with_its_traceback(signed_in, monkeypatch, caplog) -> None:
    """A callback that breaks on good input (here a deliberate TypeError) is not blamed on the request."""
    from dashboard.pages import rankings

    def broken(*_args: Any) -> Any:
        return {"rows": 1} + 1  # a genuine bug: TypeError

    monkeypatch.setattr(rankings, "on_level", broken)
    client, callbacks = signed_in
    with caplog.at_level(logging.ERROR):
        response = _call(client, callbacks, "rankings-store.children",
                         **{f"{ids.RANK_LEVEL}__value": "workers", SEARCH: "?period=2025"})
    assert response.status_code == 500
    assert b"Traceback" not in response.data and b"TypeError" not in response.data
    logged = [r for r in caplog.records if r.levelno >= logging.ERROR and r.exc_info]
    assert logged, caplog.text
    assert logged[-1].exc_info[0] is TypeError and "in broken" in caplog.text  # the traceback reaches the bug


def test_every_callback_checks_its_inputs() -> None:
    """Each `@app.callback` in the dashboard is `@checked` (or hands its inputs to a checked function)."""
    import ast
    from pathlib import Path

    delegating = {("vetoes.py", "_act")}  # *args of action buttons → the checked `_decide`
    unchecked = []
    for path in (Path(__file__).resolve().parents[2] / "dashboard").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            decorators = [ast.unparse(d) for d in node.decorator_list]
            dash_callback = any(d.startswith("app.callback(") and d != "app.callback()" for d in decorators)
            if dash_callback and "checked" not in decorators and (path.name, node.name) not in delegating:
                unchecked.append(f"{path.name}:{node.lineno} {node.name}")
    assert unchecked == []
