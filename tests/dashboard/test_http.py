"""The Flask side over HTTP (test client): sign-in, sessions, 403s, survey form."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from dashboard.app import create_app
from dashboard.auth import COOKIE_NAME
from dashboard.settings import Settings
from tests.dashboard.conftest import PASSWORD, DashCity
from warehouse.db import Database


@pytest.fixture(scope="module")
def client_factory(dash_db: Database):
    app = create_app(Settings(db_path=dash_db.path, signin_burst=50, survey_burst=200), db=dash_db)
    return app.server.test_client


@pytest.fixture(scope="module")
def signed_in_as(client_factory):
    """A signed-in client per account, made once per module (each sign-in verifies an argon2 hash);
    for tests that only read."""
    clients: dict[str, FlaskClient] = {}

    def get(name: str) -> FlaskClient:
        if name not in clients:
            clients[name] = client_factory()
            _login(clients[name], name)
        return clients[name]

    return get


def _login(client: FlaskClient, name: str, password: str = PASSWORD) -> str:
    response = client.post("/login", data={"user": name, "password": password})
    assert response.status_code == 302, response.data[:200]
    cookie = client.get_cookie(COOKIE_NAME)
    assert cookie is not None
    return cookie.value


def _rankings_call(client: FlaskClient, search: str):
    payload = {
        "output": "rankings-store.children",
        "outputs": {"id": "rankings-store", "property": "children"},
        "inputs": [{"id": "rankings-search", "property": "value", "value": None}],
        "state": [{"id": "rankings-level", "property": "value", "value": "workers"},
                  {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["rankings-search.value"],
    }
    return client.post("/_dash-update-component", json=payload)


def test_pages_redirect_to_signin_and_api_needs_session(client_factory) -> None:
    client = client_factory()
    response = client.get("/rankings?period=2025")
    assert response.status_code == 302 and "/login?next=/rankings" in response.headers["Location"]
    assert _rankings_call(client, "?period=2025").status_code == 401
    assert client.get("/export/rankings.csv").status_code == 302


def test_signin_cookie_flags_rotation_and_signout(client_factory) -> None:
    client = client_factory()
    response = client.post("/login", data={"user": "admin", "password": PASSWORD})
    header = response.headers["Set-Cookie"]
    assert "HttpOnly" in header and "SameSite=Lax" in header
    first = client.get_cookie(COOKIE_NAME).value
    second = _login(client, "admin")
    assert first != second  # rotated at sign-in
    stale = client_factory()
    stale.set_cookie(COOKIE_NAME, first)
    assert _rankings_call(stale, "?period=2025").status_code == 401  # previous session revoked
    assert _rankings_call(client, "?period=2025").status_code == 200
    client.post("/logout")
    after = client_factory()
    after.set_cookie(COOKIE_NAME, second)
    assert _rankings_call(after, "?period=2025").status_code == 401  # invalid after sign-out


def test_wrong_password_is_refused_and_rate_limited(dash_db: Database) -> None:
    app = create_app(Settings(db_path=dash_db.path, signin_burst=3, signin_per_minute=0.01), db=dash_db)
    client = app.server.test_client()
    codes = [client.post("/login", data={"user": "admin", "password": "nope-nope"}).status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]


def test_dash_callback_out_of_scope_is_403(client_factory) -> None:
    client = client_factory()
    _login(client, "sup")
    assert _rankings_call(client, "?period=2025&unit=D01S01").status_code == 200
    assert _rankings_call(client, "?period=2025&unit=D01S02").status_code == 403


def test_csv_download_checks_role_and_scope(client_factory) -> None:
    sup = client_factory()
    _login(sup, "sup")
    ok = sup.get("/export/rankings.csv?period=2025")
    assert ok.status_code == 200 and ok.headers["Content-Type"].startswith("text/csv")
    assert sup.get("/export/rankings.csv?period=2025&unit=D01S02").status_code == 403
    viewer = client_factory()
    _login(viewer, "viewer")
    assert viewer.get("/export/rankings.csv?period=2025").status_code == 403


def _form_fields(html: str) -> dict[str, str]:
    return dict(re.findall(r'name="(submission_id|started_at)" value="([^"]*)"', html))


def _answers(html: str) -> dict[str, str]:
    """First option of every radio group (a complete, valid answer)."""
    answers: dict[str, str] = {}
    for name, value in re.findall(r'type="radio" id="[^"]+" name="([^"]+)" value="([^"]*)"', html):
        answers.setdefault(name, value)
    return answers


def test_survey_form_submit_once_and_used_token_message(client_factory, dash_city: DashCity, dash_db: Database) -> None:
    client = client_factory()
    token = dash_city.tokens[0]
    page = client.get(f"/s/{token}")
    assert page.status_code == 200 and page.headers["Referrer-Policy"] == "no-referrer"
    html = page.get_data(as_text=True)
    assert "居民满意度调查" in html and "<script" not in html
    data = {**_form_fields(html), **_answers(html)}
    before = dash_db.scalar("SELECT count(*) FROM survey_responses")
    first = client.post(f"/s/{token}", data=data)
    second = client.post(f"/s/{token}", data=data)  # double tap: same submission id
    assert "感谢您的参与" in first.get_data(as_text=True)
    assert "感谢您的参与" in second.get_data(as_text=True)
    assert dash_db.scalar("SELECT count(*) FROM survey_responses") == before + 1
    used = client.get(f"/s/{token}").get_data(as_text=True)
    unknown = client.get("/s/not-a-token-at-all").get_data(as_text=True)
    assert "该调查链接无法使用" in used
    assert used == unknown  # no hint whether the token existed


def test_survey_form_requires_answers_and_escapes_text(client_factory, dash_city: DashCity) -> None:
    client = client_factory()
    token = dash_city.tokens[1]
    html = client.get(f"/s/{token}?lang=en").get_data(as_text=True)
    assert "Residents' satisfaction survey" in html or "Residents&#39; satisfaction survey" in html
    fields = _form_fields(html)
    text_items = re.findall(r'<textarea id="[^"]+" name="([^"]+)"', html)
    data = {**fields, "lang": "en"}
    if text_items:
        data[text_items[0]] = "<script>alert(1)</script>"
    again = client.post(f"/s/{token}", data=data).get_data(as_text=True)
    assert "Please answer this question." in again
    assert "<script>alert(1)</script>" not in again
    if text_items:
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in again


DOWNLOADS = [
    "/export/rankings.csv?period=2025&unit={unit}",
    "/export/report/pdf?period=2025&unit={unit}",
    "/export/report/xlsx?period=2025&unit={unit}",
    "/export/report/html?period=2025&unit={unit}",
    "/export/sheet.pdf?period=2025&unit={unit}&worker={worker}",
]


@pytest.mark.parametrize("url", DOWNLOADS)
@pytest.mark.parametrize("user", ["sup", "viewer", "viewer_all"])
def test_downloads_refuse_out_of_scope_and_roles_without_export(
    signed_in_as, dash_city: DashCity, url: str, user: str
) -> None:
    """Every download: a scoped user asking outside the subtree, or a viewer, gets 403."""
    client = signed_in_as(user)
    outside = url.format(unit="D01S02", worker=dash_city.workers_out[0])
    assert client.get(outside).status_code == 403
    if user.startswith("viewer"):
        inside = url.format(unit="D01S01", worker=dash_city.workers_in[0])
        assert client.get(inside).status_code == 403
    # a worker outside the scope, asked for under a unit inside it
    if "worker=" in url and user == "sup":
        sneaky = url.format(unit="D01S01", worker=dash_city.workers_out[0])
        assert client.get(sneaky).status_code == 403
