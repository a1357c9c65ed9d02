"""The HTTP API against a real `gridscore serve` on loopback.

Every route of the server's own generated OpenAPI document is called without a key
(401), with a key scoped to another street (403 where scope or role applies) and
with a good key (its success status); a revoked key is refused; a POST retried
with the same Idempotency-Key gets the first answer; pushed rows come back with
the file ingest's rejects; every refusal has the one JSON error shape; and the
routes table of docs/api.md is the document's.
"""

from __future__ import annotations

import json
import re
import shutil
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from dashboard.api.doc import routes_table, table_in
from tests.dashboard.conftest import IN_SCOPE, OUT_OF_SCOPE, DashCity
from tests.dashboard.liveserver import LiveServer, cli, start_server

pytestmark = pytest.mark.timeout(600)

DOC = Path(__file__).resolve().parents[2] / "docs" / "api.md"
CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass
class Answer:
    """One HTTP answer."""

    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass(frozen=True)
class FileUpload:
    """A body sent as multipart/form-data, field `file`."""

    name: str
    data: bytes


def _csv(rows: list[dict[str, Any]]) -> bytes:
    from dashboard.api.actions import rows_csv

    return rows_csv(rows)


def call(server: LiveServer, method: str, path: str, body: Any = None, *, key: str | None,
         headers: dict[str, str] | None = None) -> Answer:
    """One request with `key` as the bearer (None: no Authorization header)."""
    sent = {"Content-Type": "application/json", **(headers or {})}
    if key is not None:
        sent["Authorization"] = f"Bearer {key}"
    if isinstance(body, FileUpload):
        boundary = "gridscore-test-boundary"
        sent["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        data = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{body.name}\"\r\n"
                "Content-Type: application/octet-stream\r\n\r\n").encode() + body.data + \
            f"\r\n--{boundary}--\r\n".encode()
    else:
        data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(server.url + path, data=data, method=method, headers=sent)
    try:
        with urllib.request.urlopen(req, timeout=120) as response:
            return Answer(response.status, response.read(), dict(response.headers))
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read(), dict(exc.headers))


def assert_error_shape(answer: Answer, code: str | None = None) -> dict[str, Any]:
    """The one error shape: a code and a message in Chinese and English."""
    assert answer.headers.get("Content-Type", "").startswith("application/json"), answer.headers
    error = answer.json()["error"]
    assert set(error) == {"code", "message"} and set(error["message"]) == {"zh", "en"}
    assert error["message"]["en"] and CJK.search(error["message"]["zh"]), error
    if code is not None:
        assert error["code"] == code, error
    return error


@dataclass
class Api:
    """The module's server and its keys."""

    server: LiveServer
    good: str
    scoped: str
    ids: dict[str, str] = field(default_factory=dict)


@pytest.fixture(scope="module")
def api(dash_city: DashCity, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    folder = tmp_path_factory.mktemp("apilive")
    db = folder / "api.duckdb"
    shutil.copyfile(dash_city.path, db)
    server = start_server(db, folder / "server.log")
    try:
        made = call(server, "POST", "/api/v1/apikeys", {"name": "acceptance", "role": "admin"}, key=server.token)
        assert made.status == 201, made.body
        scoped = call(server, "POST", "/api/v1/apikeys",
                      {"name": "street key", "role": "supervisor", "scope_unit_id": IN_SCOPE}, key=server.token)
        assert scoped.status == 201, scoped.body
        yield Api(server, made.json()["key"], scoped.json()["key"])
    finally:
        server.stop()


@dataclass(frozen=True)
class Example:
    """How to call one route: with the good key (expect `ok`) and with the street key (expect `scoped`)."""

    path: str
    body: Any = None
    ok: int = 200
    scoped: int = 403
    scoped_path: str | None = None
    scoped_body: Any = None


def _examples(api: Api, dash_city: DashCity) -> dict[tuple[str, str], Example]:
    """One example per route of the document, keyed by (METHOD, path template)."""
    good = api.good
    runs = call(api.server, "GET", "/api/v1/runs", key=good).json()
    run_id = next(r["run_id"] for r in runs if r["period_id"] == "2025")
    vetoes = call(api.server, "GET", "/api/v1/vetoes", key=good).json()
    out_veto = next(v for v in vetoes if v["subject_id"] in set(dash_city.workers_out))
    report = call(api.server, "POST", "/api/v1/jobs?wait=120",
                  {"kind": "report", "params": {"period": "2025", "format": "xlsx"}}, key=good).json()
    assert report["state"] == "done" and report["has_file"], report
    job = report["job_id"]
    spare = call(api.server, "POST", "/api/v1/apikeys", {"name": "spare", "role": "viewer"}, key=good).json()
    worker_out = dash_city.workers_out[0]
    row = {"record_id": "APILIVE-1", "worker_id": dash_city.workers_in[0], "grid_id": "G?", "type": "visit",
           "opened_at": "2025-03-01 09:00:00", "status": "closed"}
    v1 = "/api/v1"
    return {
        ("GET", f"{v1}/jobs"): Example(f"{v1}/jobs", scoped=200),
        ("POST", f"{v1}/jobs"): Example(f"{v1}/jobs", {"kind": "audit_verify"}, ok=202),
        ("GET", f"{v1}/jobs/{{job_id}}"): Example(f"{v1}/jobs/{job}", scoped=404),
        ("POST", f"{v1}/jobs/{{job_id}}/cancel"): Example(f"{v1}/jobs/{job}/cancel", {}, scoped=404),
        ("GET", f"{v1}/jobs/{{job_id}}/file"): Example(f"{v1}/jobs/{job}/file", scoped=404),
        ("GET", f"{v1}/jobs/{{job_id}}/events"): Example(f"{v1}/jobs/{job}/events", scoped=404),
        ("GET", f"{v1}/runs"): Example(f"{v1}/runs", scoped=200),
        ("GET", f"{v1}/runs/{{run_id}}/workers"): Example(
            f"{v1}/runs/{run_id}/workers", scoped_path=f"{v1}/runs/{run_id}/workers?unit={OUT_OF_SCOPE}"),
        ("GET", f"{v1}/runs/{{run_id}}/units"): Example(
            f"{v1}/runs/{run_id}/units?level=community",
            scoped_path=f"{v1}/runs/{run_id}/units?level=community&unit={OUT_OF_SCOPE}"),
        ("GET", f"{v1}/runs/{{run_id}}/workers/{{worker_id}}/explanation"): Example(
            f"{v1}/runs/{run_id}/workers/{worker_out}/explanation"),
        ("GET", f"{v1}/estimates"): Example(f"{v1}/estimates?period=2025",
                                             scoped_path=f"{v1}/estimates?period=2025&unit={OUT_OF_SCOPE}"),
        ("GET", f"{v1}/vetoes"): Example(f"{v1}/vetoes", scoped_path=f"{v1}/vetoes?unit={OUT_OF_SCOPE}"),
        ("POST", f"{v1}/vetoes/{{veto_id}}/{{action}}"): Example(
            f"{v1}/vetoes/{out_veto['veto_id']}/confirm", {"evidence": "现场核实"}, ok=202),
        ("GET", f"{v1}/audit/verify"): Example(f"{v1}/audit/verify"),
        ("POST", f"{v1}/accounts"): Example(f"{v1}/accounts", {"name": "api_made", "password": "long-enough-1",
                                                                "role": "viewer"}),
        ("GET", f"{v1}/apikeys"): Example(f"{v1}/apikeys"),
        ("POST", f"{v1}/apikeys"): Example(f"{v1}/apikeys", {"name": "another", "role": "viewer"}, ok=201),
        ("POST", f"{v1}/apikeys/{{key_id}}/revoke"): Example(f"{v1}/apikeys/{spare['key_id']}/revoke", {}),
        ("POST", f"{v1}/ingest/{{kind}}/rows"): Example(f"{v1}/ingest/work_records/rows?wait=60",
                                                         {"rows": [row]}, ok=202),
        ("POST", f"{v1}/ingest/{{kind}}/files"): Example(f"{v1}/ingest/work_records/files?wait=60",
                                                          FileUpload("month.csv", _csv([row])), ok=202),
    }


def test_every_route_of_the_document_refuses_without_a_key_checks_scope_and_answers_a_good_key(
        api: Api, dash_city: DashCity) -> None:
    document = call(api.server, "GET", "/api/v1/openapi.json", key=None)
    assert document.status == 200
    operations = {(m.upper(), p) for p, ops in document.json()["paths"].items() for m in ops}
    examples = _examples(api, dash_city)
    assert set(examples) == operations, "every route of the document needs an example here"
    assert len(operations) >= 20
    for (method, _template), ex in examples.items():
        anonymous = call(api.server, method, ex.path, ex.body, key=None)
        assert anonymous.status == 401, (method, ex.path, anonymous.body)
        assert_error_shape(anonymous, "unauthorized")
        wrong = call(api.server, method, ex.path, ex.body, key="gsk_knotakey_" + "x" * 40)
        assert wrong.status == 401, (method, ex.path)
        scoped = call(api.server, method, ex.scoped_path or ex.path,
                      ex.scoped_body if ex.scoped_body is not None else ex.body, key=api.scoped)
        assert scoped.status == ex.scoped, (method, ex.scoped_path or ex.path, scoped.status, scoped.body[:300])
        if scoped.status >= 400:
            assert_error_shape(scoped, {403: "forbidden", 404: "not_found"}[scoped.status])
        good = call(api.server, method, ex.path, ex.body, key=api.good)
        assert good.status == ex.ok, (method, ex.path, good.status, good.body[:300])
    # a scoped key's reads hold only its subtree
    run_id = next(r["run_id"] for r in call(api.server, "GET", "/api/v1/runs", key=api.good).json()
                  if r["period_id"] == "2025")
    mine = call(api.server, "GET", f"/api/v1/runs/{run_id}/workers", key=api.scoped).json()
    ids = {w["worker_id"] for w in mine}
    assert set(dash_city.workers_in) <= ids and not ids & set(dash_city.workers_out)
    everyone = call(api.server, "GET", f"/api/v1/runs/{run_id}/workers", key=api.good).json()
    assert len(everyone) > len(mine)


def test_docs_api_md_lists_exactly_the_documents_routes(api: Api) -> None:
    document = call(api.server, "GET", "/api/v1/openapi.json", key=None).json()
    assert table_in(DOC.read_text(encoding="utf-8")) == routes_table(document), \
        "run `python -m dashboard.api.doc` and paste the table into docs/api.md"
    assert document["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"
    submit = document["paths"]["/api/v1/jobs"]["post"]
    assert "oneOf" in json.dumps(submit["requestBody"]) or "discriminator" in json.dumps(document["components"])


def test_a_revoked_key_is_refused_and_listing_shows_its_last_use(api: Api) -> None:
    made = call(api.server, "POST", "/api/v1/apikeys", {"name": "to revoke", "role": "viewer"}, key=api.good).json()
    assert call(api.server, "GET", "/api/v1/runs", key=made["key"]).status == 200
    listed = json.loads(cli("apikey", "list", "--db", str(api.server.db), "--json").stdout)
    row = next(r for r in listed if r["key_id"] == made["key_id"])
    assert row["state"] == "live" and row["last_used_at"] and "key" not in row
    assert all(made["key"] not in json.dumps(r) for r in listed)
    revoked = cli("apikey", "revoke", made["key_id"], "--db", str(api.server.db))
    assert revoked.returncode == 0 and f"API key {made['key_id']}" in revoked.stdout, revoked.stderr
    refused = call(api.server, "GET", "/api/v1/runs", key=made["key"])
    assert refused.status == 401
    assert_error_shape(refused, "unauthorized")
    again = cli("apikey", "revoke", made["key_id"], "--db", str(api.server.db))
    assert again.returncode == 1 and "already revoked" in again.stderr
    listed = json.loads(cli("apikey", "list", "--db", str(api.server.db), "--json").stdout)
    assert next(r for r in listed if r["key_id"] == made["key_id"])["state"] == "revoked"


def test_a_retried_post_with_the_same_idempotency_key_gets_the_first_answer(api: Api) -> None:
    body = {"kind": "audit_verify"}
    first = call(api.server, "POST", "/api/v1/jobs", body, key=api.good, headers={"Idempotency-Key": "retry-1"})
    second = call(api.server, "POST", "/api/v1/jobs", body, key=api.good, headers={"Idempotency-Key": "retry-1"})
    assert first.status == second.status == 202
    assert second.json()["job_id"] == first.json()["job_id"] and second.body == first.body
    assert second.headers.get("Idempotent-Replayed") == "true" and "Idempotent-Replayed" not in first.headers
    jobs = call(api.server, "GET", "/api/v1/jobs?limit=500", key=api.good).json()
    assert sum(1 for j in jobs if j["job_id"] >= first.json()["job_id"] and j["kind"] == "audit_verify") == 1
    other = call(api.server, "POST", "/api/v1/jobs", {"kind": "audit_verify", "params": {}}, key=api.good,
                 headers={"Idempotency-Key": "retry-1"})
    assert other.status == 409
    assert_error_shape(other, "conflict")
    fresh = call(api.server, "POST", "/api/v1/jobs", body, key=api.good, headers={"Idempotency-Key": "retry-2"})
    assert fresh.status == 202 and fresh.json()["job_id"] != first.json()["job_id"]


def test_pushed_rows_are_checked_like_a_file_with_row_field_value_reason(api: Api, dash_city: DashCity) -> None:
    base = {"record_id": "PUSH-1", "worker_id": dash_city.workers_in[0], "grid_id": None, "type": "visit",
            "opened_at": "2025-03-01 09:00:00", "closed_at": "2025-03-01 10:00:00", "status": "closed",
            "outcome": "success", "source": "patrol"}
    with_grid = call(api.server, "GET", "/api/v1/runs", key=api.good)  # any call: the key works
    assert with_grid.status == 200
    workers = call(api.server, "GET", f"/api/v1/runs/{with_grid.json()[0]['run_id']}/workers", key=api.good).json()
    grid = next(w["grid_id"] for w in workers if w["worker_id"] == base["worker_id"])
    rows = [{**base, "grid_id": grid},
            {**base, "record_id": "PUSH-2", "grid_id": "G?"},
            {**base, "record_id": "PUSH-3", "grid_id": grid, "opened_at": "yesterday", "verified": {"x": 1}}]
    answer = call(api.server, "POST", "/api/v1/ingest/work_records/rows?wait=60", {"rows": rows}, key=api.good)
    assert answer.status == 202, answer.body
    job = answer.json()
    assert job["state"] == "done", job
    [result] = job["result"]
    assert (result["read"], result["accepted"], result["rejected"]) == (3, 1, 2)
    rejects = {(r["row_number"], r["column"]): r for r in result["rejects"]}
    assert rejects[(2, "grid_id")]["value"] == "G?" and rejects[(2, "grid_id")]["reason"]
    assert rejects[(3, "opened_at")]["value"] == "yesterday" and "date" in rejects[(3, "opened_at")]["reason"]
    assert (3, "verified") in rejects
    again = call(api.server, "POST", "/api/v1/ingest/work_records/rows?wait=60", {"rows": rows}, key=api.good)
    assert again.json()["result"][0]["already_loaded"] is True  # the same rows again change nothing
    refused = call(api.server, "POST", "/api/v1/ingest/work_records/rows", {"rows": []}, key=api.good)
    assert refused.status == 400 and "rows" in assert_error_shape(refused, "bad_request")["message"]["en"]
    unknown = call(api.server, "POST", "/api/v1/ingest/no_such_kind/rows", {"rows": rows}, key=api.good)
    assert unknown.status == 400 and "no_such_kind" in assert_error_shape(unknown, "bad_request")["message"]["en"]
    # the same rows as an uploaded file: the same rejects, the file's name in the batch
    upload = call(api.server, "POST", "/api/v1/ingest/work_records/files?wait=60",
                  FileUpload("pushed.csv", _csv([{**r, "record_id": r["record_id"] + "F"} for r in rows])),
                  key=api.good).json()
    [filed] = upload["result"]
    assert filed["file"].endswith("/pushed.csv") and (filed["accepted"], filed["rejected"]) == (1, 2)
    assert {(r["row_number"], r["column"]) for r in filed["rejects"]} == set(rejects)
    bad = call(api.server, "POST", "/api/v1/ingest/work_records/files?wait=60",
               FileUpload("bad.csv", b"nothing,useful\n1,2\n"), key=api.good).json()
    assert "missing required column" in bad["result"][0]["refused"]
    none = call(api.server, "POST", "/api/v1/ingest/work_records/files", {"rows": rows}, key=api.good)
    assert none.status == 400 and "file" in assert_error_shape(none, "bad_request")["message"]["en"]


def test_errors_have_one_json_shape_everywhere(api: Api) -> None:
    for method, path, body, status, code in (
        ("GET", "/api/v1/no/such/route", None, 404, "not_found"),
        ("GET", "/api/v1/jobs/999999", None, 404, "not_found"),
        ("GET", "/api/v1/jobs?limit=0", None, 400, "bad_request"),
        ("POST", "/api/v1/jobs", {"kind": "score", "params": {"period": "2025", "draws": -1}}, 400, "bad_request"),
        ("POST", "/api/v1/jobs", {"kind": "no_such_kind"}, 400, "bad_request"),
        ("GET", "/api/v1/runs/no-such-run/workers", None, 404, "not_found"),
        ("DELETE", "/api/v1/runs", None, 404, "not_found"),
    ):
        answer = call(api.server, method, path, body, key=api.good)
        assert answer.status == status, (method, path, answer.status, answer.body[:200])
        assert_error_shape(answer, code)
    draws = call(api.server, "POST", "/api/v1/jobs", {"kind": "score", "params": {"period": "2025", "draws": -1}},
                 key=api.good)
    assert "draws" in draws.json()["error"]["message"]["en"]


def test_a_jobs_progress_streams_as_server_sent_events(api: Api) -> None:
    job = call(api.server, "POST", "/api/v1/jobs", {"kind": "audit_verify"}, key=api.good).json()
    stream = call(api.server, "GET", f"/api/v1/jobs/{job['job_id']}/events", key=api.good)
    assert stream.status == 200 and stream.headers["Content-Type"].startswith("text/event-stream")
    events = [block for block in stream.body.decode().split("\n\n") if block.strip()]
    kinds = [block.split("\n")[0] for block in events]
    assert kinds[-1] == "event: end" and all(k in ("event: progress", "event: end") for k in kinds)
    last = json.loads(events[-1].split("data: ", 1)[1])
    assert last["job_id"] == job["job_id"] and last["state"] == "done" and last["result"]["ok"] is True


def test_user_add_and_an_accounts_key_run_through_the_server(api: Api) -> None:
    import subprocess
    import sys

    from tests.dashboard.liveserver import ROOT, cli_env

    def user_add(*args: str, password: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "dashboard.cli", "user", "add", *args, "--password-stdin",
                               "--db", str(api.server.db)], input=password + "\n", capture_output=True, text=True,
                              env=cli_env(), cwd=ROOT, timeout=120)

    saved = user_add("api_viewer", "--role", "viewer", "--scope", IN_SCOPE, password="long-enough-2")
    assert saved.returncode == 0 and saved.stdout == f"user api_viewer (viewer, scope {IN_SCOPE}) saved\n", saved.stderr
    short = user_add("api_viewer", "--role", "viewer", password="short")
    assert short.returncode == 1 and "at least 8 characters" in short.stderr and "Traceback" not in short.stderr
    made = json.loads(cli("apikey", "add", "viewer's scripts", "--user", "api_viewer", "--db", str(api.server.db),
                          "--json").stdout)
    assert (made["role"], made["scope_unit_id"]) == ("viewer", IN_SCOPE)
    assert call(api.server, "GET", "/api/v1/vetoes", key=made["key"]).status == 200
    assert call(api.server, "GET", f"/api/v1/vetoes?unit={OUT_OF_SCOPE}", key=made["key"]).status == 403
    assert call(api.server, "POST", "/api/v1/jobs", {"kind": "audit_verify"}, key=made["key"]).status == 403


def test_the_cli_reaches_a_server_by_url_with_an_api_key(api: Api, dash_city: DashCity, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.dashboard.liveserver import ROOT, cli_env

    def remote(*args: str, key: str | None = api.good) -> subprocess.CompletedProcess[str]:
        env = cli_env()
        env.pop("GRIDSCORE_API_KEY", None)
        if key is not None:
            env["GRIDSCORE_API_KEY"] = key
        elsewhere = tmp_path / "nowhere.duckdb"  # no local database: everything goes to the server
        return subprocess.run([sys.executable, "-m", "dashboard.cli", "--server", api.server.url, *args,
                               "--db", str(elsewhere)], capture_output=True, text=True, env=env, cwd=ROOT,
                              timeout=300)

    runs = remote("runs", "--json")
    assert runs.returncode == 0, runs.stderr
    assert {r["run_id"] for r in json.loads(runs.stdout)} == {
        r["run_id"] for r in json.loads(cli("runs", "--db", str(api.server.db), "--json").stdout)}
    records = tmp_path / "remote.csv"
    row = {"record_id": "REMOTE-1", "worker_id": dash_city.workers_in[0], "grid_id": "G?", "type": "visit",
           "opened_at": "2025-03-01 09:00:00", "status": "closed"}
    records.write_bytes(_csv([row]))
    loaded = remote("ingest", "work_records", str(records), "--json")
    assert loaded.returncode == 0, loaded.stderr
    result = json.loads(loaded.stdout)
    assert result["file"] == str(records) and result["rejected"] == 1 and result["rejects"][0]["column"] == "grid_id"
    explained = remote("explain", dash_city.workers_in[0], "--period", "2025H1")
    here = cli("explain", dash_city.workers_in[0], "--period", "2025H1", "--db", str(api.server.db))
    assert explained.returncode == 0 and explained.stdout == here.stdout, explained.stderr
    assert "key:" in remote("jobs", "list").stdout  # the jobs name the key that submitted them
    no_key = remote("runs", key=None)
    assert no_key.returncode == 1 and "GRIDSCORE_API_KEY" in no_key.stderr
    bad_key = remote("runs", key="gsk_knotakey_" + "y" * 40)
    assert bad_key.returncode == 1 and "valid API key" in bad_key.stderr and "Traceback" not in bad_key.stderr
    viewer = remote("ingest", "work_records", str(records), key=api.scoped)
    assert viewer.returncode == 1 and "may not manage_data" in viewer.stderr
    not_routed = remote("sample", "--period", "2025")
    assert not_routed.returncode == 1 and "does not run through a remote server" in not_routed.stderr
    assert not os.path.exists(tmp_path / "nowhere.duckdb")
