"""Hostile text through every free-text field into every view and export: nothing executes or evaluates.

Payloads (`payloads.py`, 240: markup/script vectors and spreadsheet formulas) go in as
worker and unit names, complaint summaries and bonus evidence (through ingest), veto
evidence, and the survey comment (through the form). Then every page, the rankings
grid, the CSV download and the HTML/XLSX report are fetched as an admin.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import polars as pl
import pytest
from flask.testing import FlaskClient

from bench.reliability.dashcall import find, page_payload, payload
from dashboard.app import create_app
from dashboard.settings import Settings
from tests.reliability.conftest import PASSWORD, RelCity
from tests.reliability.payloads import FORMULAS, PAYLOADS, XSS
from warehouse.db import Database, open_db
from warehouse.ingest import ingest_file

pytestmark = pytest.mark.slow  # reliability: real servers, crash and fuzz trials

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Reflected-text cases through the form and sign-in (each sign-in verifies an argon2 hash).
SIGNIN_CASES = int(os.environ.get("GRIDSCORE_REL_SIGNIN_CASES", "24"))


def _csv_file(path: Path, columns: dict[str, list[str]]) -> Path:
    pl.DataFrame(columns).write_csv(path)
    return path


@pytest.fixture(scope="module")
def hostile(rel_city: RelCity, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Database, Any]]:
    """The city with payloads in every free-text field, and the app over it."""
    tmp = tmp_path_factory.mktemp("hostile")
    path = tmp / "hostile.duckdb"
    shutil.copyfile(rel_city.path, path)
    db = open_db(path)
    n = len(PAYLOADS)
    workers = db.query("SELECT worker_id FROM workers ORDER BY worker_id")["worker_id"].to_list()
    grid_worker = db.query("SELECT worker_id FROM workers WHERE grid_id IS NOT NULL ORDER BY worker_id LIMIT 1")
    complaints = ingest_file(db, "complaints", _csv_file(tmp / "complaints.csv", {
        "complaint_id": [f"CH{i:04d}" for i in range(n)],
        "worker_id": [workers[i % len(workers)] for i in range(n)],
        "received_on": ["2025-06-01"] * n, "channel": ["hotline"] * n, "valid": ["true"] * n,
        "summary": list(PAYLOADS)}))
    bonuses = ingest_file(db, "bonus_events", _csv_file(tmp / "bonus.csv", {
        "bonus_id": [f"BH{i:04d}" for i in range(n)],
        "worker_id": [workers[i % len(workers)] for i in range(n)],
        "period_id": ["2025"] * n, "category": ["见义勇为"] * n, "points": ["1"] * n,
        "evidence": list(PAYLOADS), "approved_by": list(reversed(PAYLOADS))}))
    assert complaints.rejected == 0 and bonuses.rejected == 0, (complaints.rejects, bonuses.rejects)
    cur = db.cursor()
    cur.execute("CREATE TEMP TABLE p AS SELECT unnest($p) AS payload, generate_subscripts($p, 1) AS i",
                {"p": list(PAYLOADS)})
    cur.execute("""UPDATE workers SET name = p.payload FROM (
                     SELECT worker_id, row_number() OVER (ORDER BY worker_id) AS i FROM workers) w
                   JOIN p USING (i) WHERE workers.worker_id = w.worker_id""")
    cur.execute("""UPDATE org_units SET name = p.payload FROM (
                     SELECT unit_id, row_number() OVER (ORDER BY unit_id) + 149 AS i FROM org_units) u
                   JOIN p ON p.i = 1 + (u.i % $n) WHERE org_units.unit_id = u.unit_id""", {"n": n})
    cur.execute("""UPDATE veto_events SET evidence = p.payload FROM (
                     SELECT veto_id, row_number() OVER (ORDER BY veto_id) AS i FROM veto_events) v
                   JOIN p USING (i) WHERE veto_events.veto_id = v.veto_id""")
    cur.close()
    from dashboard.auth import add_user

    add_user(db, "admin", PASSWORD, role="admin")
    app = create_app(Settings(db_path=str(path), survey_burst=100_000, survey_per_minute=1e7,
                              signin_burst=1000), db=db)
    db.grid_worker = grid_worker["worker_id"][0]  # type: ignore[attr-defined]
    try:
        yield db, app
    finally:
        db.close()


def _admin(app: Any) -> FlaskClient:
    client = app.server.test_client()
    assert client.post("/login", data={"user": "admin", "password": PASSWORD}).status_code == 302
    return client


MARKUP = tuple(p for p in XSS if "<" in p)


def _assert_html_safe(body: str) -> None:
    """No markup payload appears unescaped, and no script or javascript: URL came from one."""
    raw = [p for p in MARKUP if p in body]
    assert not raw, raw[:3]
    lowered = body.lower()
    assert "<script>alert" not in lowered and 'href="javascript:' not in lowered


def _walk(node: Any, problems: list[str], seen: set[str]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ("dangerously_allow_html", "dangerously_allow_code") and value:
                problems.append(key)
            if key == "cellRenderer" and value == "markdown":
                problems.append("markdown cell renderer")
            if key in ("href", "src", "srcDoc", "data") and isinstance(value, str) \
                    and value.strip().lower().startswith(("javascript:", "data:text/html")):
                problems.append(f"{key}={value[:40]}")
            _walk(value, problems, seen)
    elif isinstance(node, list):
        for value in node:
            _walk(value, problems, seen)
    elif isinstance(node, str) and node in PAYLOADS:
        seen.add(node)
    elif isinstance(node, str):
        seen.update(p for p in PAYLOADS if p.strip() in node)


def test_hostile_payload_list_is_large_and_mixed() -> None:
    assert len(PAYLOADS) >= 200 and len(XSS) >= 100 and len(FORMULAS) >= 50


def test_hostile_ingest_stores_payloads_verbatim_as_text(hostile) -> None:
    db, _app = hostile
    stored = db.query("SELECT summary FROM complaints WHERE complaint_id LIKE 'CH%' ORDER BY complaint_id")
    assert stored["summary"].to_list() == [p.strip(" ") for p in PAYLOADS]


def test_hostile_dash_pages_and_grid_render_payloads_as_text(hostile) -> None:
    db, app = hostile
    client = _admin(app)
    deps = client.get("/_dash-dependencies").json
    from dashboard.pages import PAGES

    problems: list[str] = []
    seen: set[str] = set()
    searches = ["?period=2025", f"?period=2025&worker={db.grid_worker}", "?period=2025&unit=D01S01"]
    for page in PAGES:
        for search in searches:
            response = client.post("/_dash-update-component", json=page_payload(deps, page.PATH, search))
            assert response.status_code == 200, (page.PATH, search, response.data[:300])
            _walk(response.json, problems, seen)
    grid = find(deps, "rankings-grid.getRowsResponse")
    for level in ("workers", "grids", "communities", "streets", "departments"):
        response = client.post("/_dash-update-component", json=payload(grid, {
            "rankings-grid.getRowsRequest": {"startRow": 0, "endRow": 500},
            "rankings-level.value": level, "_pages_location.search": "?period=2025"}))
        assert response.status_code in (200, 204), (level, response.data[:300])
        if response.status_code == 200:
            _walk(response.json, problems, seen)
    assert not problems, problems[:5]
    assert len(seen) >= 100  # the payloads really reached the views (as plain strings)


def test_hostile_csv_download_has_no_formula_cells(hostile) -> None:
    _db, app = hostile
    client = _admin(app)
    for level in ("workers", "grids", "communities", "streets"):
        response = client.get(f"/export/rankings.csv?period=2025&level={level}")
        assert response.status_code == 200
        rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
        cells = [c for row in rows[1:] for c in row]
        bad = [c for c in cells if c.startswith(FORMULA_START) and not _is_number(c)]
        assert not bad, bad[:5]
        if level == "workers":
            text = response.data.decode("utf-8-sig")
            assert sum(p.strip() in text for p in FORMULAS) >= 20  # they are there, neutralised


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def test_hostile_report_html_and_xlsx_neither_execute_nor_evaluate(hostile, tmp_path: Path) -> None:
    _db, app = hostile
    client = _admin(app)
    html_response = client.get("/export/report/html?period=2025")
    assert html_response.status_code == 200
    _assert_html_safe(html_response.data.decode())
    xlsx_response = client.get("/export/report/xlsx?period=2025")
    assert xlsx_response.status_code == 200
    path = tmp_path / "report.xlsx"
    path.write_bytes(xlsx_response.data)
    book = openpyxl.load_workbook(path)
    formulas, texts, quoted = [], [], []
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    formulas.append(cell.value)
                if isinstance(cell.value, str) and cell.value.startswith(FORMULA_START):
                    texts.append(cell.value)
                if isinstance(cell.value, str) and cell.value[1:].startswith(FORMULA_START):
                    quoted.append(cell.value)
    assert not formulas, formulas[:5]
    assert not texts, texts[:5]
    assert quoted, "the formula payloads reached the workbook as quoted text"


def test_hostile_survey_form_and_signin_escape_reflected_text(hostile) -> None:
    db, app = hostile
    client = app.server.test_client()
    from surveys.design import draw_sample

    plain = draw_sample(db, "2025Q3", seed=99).tokens["token"].to_list()
    for n, text in enumerate(PAYLOADS[:: max(1, len(PAYLOADS) // SIGNIN_CASES)]):
        tok = plain[n % len(plain)]
        # a required item left out: the form comes back with the comment refilled
        body = client.post(f"/s/{tok}", data={"comment": text, "submission_id": text[:60],
                                              "started_at": text, "lang": text}).data.decode()
        assert "name=\"submission_id\"" in body or "无法使用" in body
        _assert_html_safe(body)
        _assert_html_safe(client.get(f"/s/{text.replace('/', '%2F')}?lang={text}").data.decode())
        login = client.post("/login", data={"user": text, "password": "x" * 10, "next": text})
        assert login.status_code in (401, 429)
        _assert_html_safe(login.data.decode())
        _assert_html_safe(client.get("/login", query_string={"next": text, "lang": text}).data.decode())
    from bench.reliability.concurrency import form_answers

    answers = form_answers()
    stored = []
    for n, text in enumerate(PAYLOADS[:: max(1, len(PAYLOADS) // SIGNIN_CASES)]):
        response = client.post(f"/s/{plain[-1 - n]}", data={**answers, "comment": text,
                                                             "submission_id": f"H-{n}"})
        assert response.status_code == 200
        _assert_html_safe(response.data.decode())
        stored.append(text.strip()[:1000])
    got = db.query("SELECT a.answer_text FROM survey_answers a JOIN survey_responses r USING (response_id) "
                   "WHERE r.submission_id LIKE 'H-%' AND a.item_key = 'comment' ORDER BY "
                   "CAST(substr(r.submission_id, 3) AS INTEGER)")
    assert got["answer_text"].to_list() == stored
    assert json.dumps(stored)  # stored verbatim, shown nowhere unescaped
