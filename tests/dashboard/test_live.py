"""The server is the hub: with a real `gridscore serve` holding the database, the CLI's
`runs`, `ingest`, `score`, `report` and `jobs` run through it with their usual output
and exit codes, the commands that would replace the database refuse naming the server,
the survey form answers meanwhile, and a kill -9 leaves the running job `interrupted`.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from dashboard.live.credentials import path_for
from tests.dashboard.conftest import DashCity
from tests.dashboard.liveserver import LiveServer, cli, start_server
from warehouse.db import open_db

pytestmark = [pytest.mark.timeout(600), pytest.mark.slow]


def _record_files(db: Path, folder: Path, *, files: int, rows: int, tag: str) -> list[Path]:
    """`files` CSV files of new work records (ids `tag…`), copied from the city's own rows."""
    folder.mkdir(parents=True, exist_ok=True)
    with open_db(db, read_only=True) as database:
        base = database.query(f"SELECT * EXCLUDE (batch_id) FROM work_records ORDER BY record_id LIMIT {rows}")
    paths = []
    for n in range(files):
        frame = base.with_columns(pl.format(f"{tag}{n:03d}-{{}}", pl.int_range(pl.len())).alias("record_id"))
        path = folder / f"{tag}-{n:03d}.csv"
        frame.write_csv(path)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def copies(dash_city: DashCity, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """Two copies of the scored city: one a server will hold, one for in-process runs."""
    folder = tmp_path_factory.mktemp("live")
    served, direct = folder / "served.duckdb", folder / "direct.duckdb"
    shutil.copyfile(dash_city.path, served)
    shutil.copyfile(dash_city.path, direct)
    return served, direct


@pytest.fixture(scope="module")
def server(copies: tuple[Path, Path]) -> Iterator[LiveServer]:
    served, _ = copies
    live = start_server(served, served.with_name("server.log"))
    try:
        yield live
    finally:
        live.stop()


def test_credential_file_is_owner_only_and_names_the_server(server: LiveServer) -> None:
    cred = path_for(server.db)
    assert cred.stat().st_mode & 0o777 == 0o600
    data = json.loads(cred.read_text())
    assert data["pid"] == server.proc.pid and data["url"] == server.url
    port = int(server.url.rsplit(":", 1)[1])
    assert port > 0 and f":{port}/" in server.log.read_text()


def test_runs_through_the_server_prints_what_the_file_would(server: LiveServer, copies: tuple[Path, Path]) -> None:
    _, direct = copies
    for extra in ([], ["--json"]):
        here = cli("runs", "--db", str(direct), *extra)
        there = cli("runs", "--db", str(server.db), *extra)
        assert here.returncode == there.returncode == 0, there.stderr
        assert there.stdout == here.stdout
    assert len(json.loads(there.stdout)) >= 2


def test_ingest_through_the_server_same_output_rejects_and_exit_codes(
        server: LiveServer, copies: tuple[Path, Path], tmp_path: Path) -> None:
    _, direct = copies
    [good] = _record_files(direct, tmp_path, files=1, rows=40, tag="LIVE")
    frame = pl.read_csv(good)
    frame = frame.with_columns(pl.when(pl.int_range(pl.len()) == 3).then(pl.lit("G?")).otherwise(pl.col("grid_id"))
                               .alias("grid_id"))
    frame.write_csv(good)
    for extra in ([], ["--json"]):
        here = cli("ingest", "work_records", str(good), "--db", str(direct), *extra)
        there = cli("ingest", "work_records", str(good), "--db", str(server.db), *extra)
        assert here.returncode == there.returncode == 0, there.stderr
        assert there.stdout == here.stdout
    first = json.loads(cli("ingest", "work_records", str(good), "--db", str(server.db), "--json").stdout)
    assert first["rejected"] == 1 and first["accepted"] == 39 and first["already_loaded"]
    assert first["rejects"][0]["row_number"] == 4 and first["rejects"][0]["column"] == "grid_id"
    # a file refused whole: exit 1, the same one-line error
    bad = tmp_path / "bad.csv"
    bad.write_text("nothing,useful\n1,2\n", encoding="utf-8")
    here = cli("ingest", "work_records", str(bad), "--db", str(direct))
    there = cli("ingest", "work_records", str(bad), "--db", str(server.db))
    assert here.returncode == there.returncode == 1
    assert there.stderr == here.stderr and there.stderr.strip().count("\n") == 0
    unknown = cli("ingest", "no_such_kind", str(good), "--db", str(server.db))
    assert unknown.returncode == 1 and "no_such_kind" in unknown.stderr and "Traceback" not in unknown.stderr


def test_score_and_report_through_the_server(server: LiveServer, tmp_path: Path) -> None:
    scored = cli("score", "--period", "2025", "--draws", "20", "--db", str(server.db), "--json")
    assert scored.returncode == 0, scored.stderr
    summary = json.loads(scored.stdout)
    runs = json.loads(cli("runs", "--db", str(server.db), "--json").stdout)
    assert runs[0]["run_id"] == summary["run_id"] and runs[0]["status"] == "draft"
    pdf = tmp_path / "x.pdf"
    made = cli("report", "--period", "2025", "--format", "pdf", "--out", str(pdf), "--db", str(server.db))
    assert made.returncode == 0, made.stderr
    assert made.stdout == f"wrote {pdf}\n"
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 10_000
    sheet = json.loads(cli("report", "--period", "2025", "--format", "xlsx", "--out", str(tmp_path / "r.xlsx"),
                           "--db", str(server.db), "--json").stdout)
    assert sheet["run_id"] == summary["run_id"] and sheet["path"] == str(tmp_path / "r.xlsx")
    assert (tmp_path / "r.xlsx").read_bytes()[:2] == b"PK"
    missing = cli("report", "--period", "1999", "--out", str(tmp_path / "n.pdf"), "--db", str(server.db))
    assert missing.returncode == 1 and missing.stderr.strip().startswith("error:") and missing.stderr.strip().count("\n") == 0
    assert not (tmp_path / "n.pdf").exists()


def test_commands_that_would_replace_the_database_refuse_naming_the_server(
        server: LiveServer, tmp_path: Path) -> None:
    snapshot = tmp_path / "snap"
    for args in (["init"], ["generate"], ["demo", "--no-serve"], ["restore", str(snapshot)]):
        done = cli(*args, "--db", str(server.db))
        assert done.returncode == 1, (args, done.stdout)
        assert f"held by the gridscore server at {server.url} (process {server.proc.pid})" in done.stderr, args
    assert server.db.exists() and cli("runs", "--db", str(server.db)).returncode == 0


def test_jobs_lists_shows_and_api_errors_have_one_shape(server: LiveServer) -> None:
    listed = json.loads(cli("jobs", "list", "--db", str(server.db), "--json").stdout)
    assert listed and {j["kind"] for j in listed} >= {"ingest", "score", "report"}
    assert all(j["who"] for j in listed)
    shown = cli("jobs", "show", str(listed[-1]["job_id"]), "--db", str(server.db))
    assert shown.returncode == 0 and f"job {listed[-1]['job_id']} " in shown.stdout
    assert cli("jobs", "show", "99999", "--db", str(server.db)).returncode == 1
    status, body = server.request("GET", "/api/v1/runs", token=None)
    assert status == 401 and json.loads(body)["error"]["code"] == "unauthorized"
    status, body = server.request("GET", "/api/v1/runs", token="wrong")
    assert status == 401
    status, body = server.request("POST", "/api/v1/jobs", {"kind": "score", "params": {"draws": -1, "period": "2025"}})
    error = json.loads(body)["error"]
    assert status == 400 and "draws" in error["message"]["en"] and error["message"]["zh"].startswith("请求有误")
    status, body = server.request("GET", "/api/v1/jobs/99999")
    assert status == 404 and json.loads(body)["error"]["code"] == "not_found"


def _wait(server: LiveServer, job_id: int, predicate, timeout: float = 120) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = server.job(job_id)
        if predicate(job):
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} stuck: {job}")


def _batches_whole(db: Path, files: list[Path]) -> int:
    """Each file of `files` is stored whole or not at all; how many are stored."""
    with open_db(db, read_only=True) as database:
        counts = database.query(
            "SELECT b.file_name, count(w.record_id) AS n FROM ingest_batches b "
            "LEFT JOIN work_records w ON w.batch_id = b.batch_id GROUP BY b.file_name")
    stored = {Path(name).name: n for name, n in counts.iter_rows()}
    expected = {p.name: pl.read_csv(p).height for p in files}
    loaded = [name for name in expected if name in stored]
    assert all(stored[name] == expected[name] for name in loaded), (stored, expected)
    return len(loaded)


def test_cancel_a_running_ingest_keeps_whole_files_and_survey_form_answers(
        server: LiveServer, dash_city: DashCity, copies: tuple[Path, Path], tmp_path: Path) -> None:
    _, direct = copies
    files = _record_files(direct, tmp_path, files=60, rows=3000, tag="CANCEL")
    status, body = server.request("POST", "/api/v1/jobs", {"kind": "ingest", "params": {
        "kind": "work_records", "files": [str(p) for p in files]}})
    assert status == 202, body
    job_id = json.loads(body)["job_id"]
    _wait(server, job_id, lambda j: j["state"] == "running" and j["progress"]["done"] >= 2)
    status, form = server.request("GET", f"/s/{dash_city.tokens[0]}", token=None)
    assert status == 200 and b"<form" in form
    cancelled = cli("jobs", "cancel", str(job_id), "--db", str(server.db))
    assert cancelled.returncode == 0, cancelled.stderr
    job = _wait(server, job_id, lambda j: j["state"] not in ("queued", "running"))
    assert job["state"] == "cancelled" and "rolled back" in job["message"]
    assert 2 <= _batches_whole_via_server(server, files) < len(files)


def _batches_whole_via_server(server: LiveServer, files: list[Path]) -> int:
    """Stop the server to read the file, then start it again (the module's server)."""
    server.stop()
    try:
        return _batches_whole(server.db, files)
    finally:
        fresh = start_server(server.db, server.log)
        server.proc, server.url, server.token = fresh.proc, fresh.url, fresh.token


def test_kill_9_mid_job_leaves_it_interrupted_and_the_batch_whole(
        dash_city: DashCity, copies: tuple[Path, Path], tmp_path: Path) -> None:
    _, direct = copies
    db = tmp_path / "crash.duckdb"
    shutil.copyfile(dash_city.path, db)
    files = _record_files(direct, tmp_path / "in", files=60, rows=3000, tag="CRASH")
    live = start_server(db, tmp_path / "crash.log")
    status, body = live.request("POST", "/api/v1/jobs", {"kind": "ingest", "params": {
        "kind": "work_records", "files": [str(p) for p in files]}})
    job_id = json.loads(body)["job_id"]
    _wait(live, job_id, lambda j: j["state"] == "running" and j["progress"]["done"] >= 2)
    live.kill9()
    assert path_for(db).exists()  # left behind by the crash; the next start replaces it
    assert cli("runs", "--db", str(db)).returncode == 0  # dead server: the CLI opens the file itself
    loaded = _batches_whole(db, files)
    assert 2 <= loaded < len(files)
    again = start_server(db, tmp_path / "crash2.log")
    try:
        job = again.job(job_id)
        assert job["state"] == "interrupted" and job["ended_at"] and "interrupted" in job["message"]
        listed = cli("jobs", "list", "--db", str(db))
        assert "interrupted" in listed.stdout
    finally:
        assert again.stop() == 0
    assert not path_for(db).exists()


def test_backup_audit_finalise_and_veto_through_the_server(server: LiveServer, copies: tuple[Path, Path],
                                                           tmp_path: Path) -> None:
    _, direct = copies
    here = cli("audit", "verify", "--db", str(direct), "--json")
    there = cli("audit", "verify", "--db", str(server.db), "--json")
    assert here.returncode == there.returncode == 0, there.stderr
    assert json.loads(there.stdout)["ok"] and json.loads(there.stdout)["runs_checked"] >= 2
    snap = tmp_path / "snap"
    backed = cli("backup", "--out", str(snap), "--db", str(server.db), "--json")
    assert backed.returncode == 0, backed.stderr
    tables = {t["table"]: t["rows"] for t in json.loads(backed.stdout)["tables"]}
    assert (snap / "manifest.json").exists() and tables["jobs"] >= 1 and tables["score_runs"] >= 2
    restored = cli("restore", str(snap), "--db", str(tmp_path / "restored.duckdb"))
    assert restored.returncode == 0, restored.stderr  # a new file: not held by the server
    with open_db(direct, read_only=True) as database:
        veto_id = database.scalar("SELECT veto_id FROM veto_events WHERE status = 'proposed' ORDER BY veto_id")
    confirmed = cli("veto", "confirm", veto_id, "--actor", "审核员", "--evidence", "现场核实", "--db", str(server.db))
    assert confirmed.returncode == 0, confirmed.stderr
    assert confirmed.stdout.startswith(f"veto {veto_id}: proposed → confirmed (by 审核员)")
    again = cli("veto", "confirm", veto_id, "--actor", "审核员", "--evidence", "x", "--db", str(server.db))
    here = cli("veto", "confirm", veto_id, "--actor", "审核员", "--evidence", "x", "--db", str(direct))
    assert here.returncode == 0  # the direct copy had it proposed still
    assert again.returncode == 1 and again.stderr.strip().startswith("error:") and veto_id in again.stderr
    drafts = [r for r in json.loads(cli("runs", "--db", str(server.db), "--json").stdout) if r["status"] == "draft"]
    final = cli("finalise", drafts[0]["run_id"], "--actor", "科长", "--db", str(server.db))
    assert final.returncode == 0, final.stderr
    assert final.stdout.startswith(f"run {drafts[0]['run_id']} is final (by 科长 at ")
    twice = cli("finalise", drafts[0]["run_id"], "--actor", "科长", "--db", str(server.db))
    assert twice.returncode == 1 and "final" in twice.stderr


# Every command of the CLI while a server holds the database: through the server, refused
# by design (it would replace the database), or not through the server yet (it names the
# server and says to stop it). A new command must be put in one of these.
THROUGH_SERVER = {"runs", "ingest", "score", "report", "backup", "audit verify", "finalise", "veto confirm",
                  "veto appeal", "veto uphold", "veto overturn", "jobs list", "jobs show", "jobs follow",
                  "jobs cancel", "sample", "followup", "estimate", "responses import", "appeal", "export-parquet",
                  "explain", "apikey add", "apikey list", "apikey revoke", "user add"}
REFUSE_BY_DESIGN = {"init", "generate", "demo", "restore"}
NO_DATABASE = {"template", "serve", "verify-export", "score-parquet"}
NOT_YET: set[str] = set()  # every command that reads or writes the database now runs through the server


def _command_paths() -> set[str]:
    import typer.main

    from dashboard.cli import app

    def walk(command, prefix: tuple[str, ...]):
        children = getattr(command, "commands", None)
        if not children:
            yield " ".join(prefix)
            return
        for name, child in children.items():
            yield from walk(child, (*prefix, name))

    return set(walk(typer.main.get_command(app), ()))


def test_every_command_is_classified_and_the_not_yet_ones_name_the_server(server: LiveServer) -> None:
    classified = THROUGH_SERVER | REFUSE_BY_DESIGN | NO_DATABASE | NOT_YET
    assert _command_paths() == classified
    for args in [name.split() for name in sorted(NOT_YET)]:
        done = cli(*args, "--db", str(server.db))
        assert done.returncode == 1, args
        assert f"held by the gridscore server at {server.url}" in done.stderr and "stop the server" in done.stderr
        assert f"`gridscore {args[0]}" in done.stderr  # names the command, not "this command"


def _same(args: list[str], server: LiveServer, direct: Path, *, code: int = 0) -> str:
    """Run a command on the direct copy and through the server: same exit code and output."""
    here = cli(*args, "--db", str(direct))
    there = cli(*args, "--db", str(server.db))
    assert here.returncode == there.returncode == code, (args, there.stderr)
    assert there.stdout == here.stdout, args
    assert there.stderr == here.stderr or code == 0, args
    return there.stdout


def test_survey_commands_appeal_and_export_run_through_the_server(
        server: LiveServer, copies: tuple[Path, Path], tmp_path: Path) -> None:
    _, direct = copies
    estimates = json.loads(_same(["estimate", "--period", "2025", "--level", "street", "--json"], server, direct))
    assert len(estimates) >= 2 and all("mean" in row and "rr3" in row for row in estimates)
    table = _same(["estimate", "--period", "2025", "--level", "street"], server, direct)
    assert "satisfaction 2025 by street" in table
    bad_level = _same(["estimate", "--period", "2025", "--level", "planet"], server, direct, code=1)
    assert bad_level == ""
    follow = json.loads(_same(["followup", "--period", "2025Q4", "--seed", "11", "--json"], server, direct))
    assert follow["seed"] == 11 and follow["followed_up"] == sum(g["followed_up"] for g in follow["grids"])
    listed = tmp_path / "follow.csv"
    there = cli("followup", "--period", "2025Q4", "--seed", "11", "--out", str(listed), "--db", str(server.db))
    assert there.returncode == 0, there.stderr
    assert listed.exists() and listed.read_text(encoding="utf-8-sig").count("\n") == follow["followed_up"] + 1
    drawn = json.loads(_same(["sample", "--period", "2025Q3", "--seed", "5", "--json"], server, direct))
    assert drawn["invited"] == sum(s["invited"] for s in drawn["strata"]) > 0
    with open_db(direct, read_only=True) as database:
        run_id, worker = database.query(
            "SELECT s.run_id, s.worker_id FROM score_workers s JOIN score_runs r USING (run_id) "
            "WHERE r.status = 'final' ORDER BY s.worker_id LIMIT 1").row(0)
    appealed = _same(["appeal", run_id, worker, "--field", "grade", "--after", "good",
                      "--reason", "漏记一项工作", "--actor", "科长"], server, direct)
    assert appealed.startswith("appeal ") and appealed.rstrip().endswith("→ good") and f"{worker} grade" in appealed
    refused = _same(["appeal", run_id, worker, "--field", "rank", "--after", "1",
                     "--reason", "x", "--actor", "科长"], server, direct, code=1)
    assert refused == ""
    bad = tmp_path / "answers.csv"
    bad.write_text("nothing,useful\n1,2\n", encoding="utf-8")
    _same(["responses", "import", str(bad)], server, direct, code=1)
    exported = cli("export-parquet", "--out", str(tmp_path / "pq"), "--db", str(server.db), "--json")
    assert exported.returncode == 0, exported.stderr
    manifest = json.loads(exported.stdout)
    assert (tmp_path / "pq" / "manifest.json").exists() and manifest["rows"] > 0
    assert cli("verify-export", "--source", str(tmp_path / "pq")).returncode == 0
    with open_db(direct, read_only=True) as database:
        worker = database.scalar("SELECT worker_id FROM workers ORDER BY worker_id LIMIT 1")
    # the final run is the same in both copies (other tests score and finalise on the server only)
    for args in (["explain", worker, "--run", run_id], ["explain", worker, "--run", run_id, "--json"]):
        assert worker in _same(args, server, direct)
    _same(["explain", "W999999", "--run", run_id], server, direct, code=1)


def test_a_stop_right_after_start_exits_cleanly(dash_city: DashCity, tmp_path: Path) -> None:
    """SIGTERM while the start-up cache warm-up still queries DuckDB: exit 0, credential file gone.

    (Closing the database under that query exited 1 ("connection is busy"), and letting the
    interpreter finalise around it aborted the process, SIGABRT -6; each start used to hit
    one of them more often than not.)
    """
    db = tmp_path / "stop.duckdb"
    shutil.copyfile(dash_city.path, db)
    for attempt in range(3):
        live = start_server(db, tmp_path / f"stop{attempt}.log")
        code = live.stop()
        assert code == 0, (attempt, code, live.log.read_text()[-3000:])
        assert not path_for(db).exists()
    assert cli("runs", "--db", str(db)).returncode == 0

