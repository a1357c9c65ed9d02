"""Concurrency through the real server (waitress on 127.0.0.1) and readers during ingest.

Reduced form of `bench/reliability/concurrency.py`: 1,000 distinct tokens by 50
clients, and 50 simultaneous posts of one token; the full run is 10,000 × 200.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from bench.reliability.concurrency import Truth, submit_concurrently, verify_truth
from bench.reliability.server import live_server
from tests.reliability.conftest import RelCity
from warehouse.db import open_db

pytestmark = pytest.mark.slow  # reliability: real servers, crash and fuzz trials

DISTINCT = 1_000
CLIENTS = 50


@dataclass(frozen=True)
class Runs:
    distinct: Truth
    same_token: Truth
    same_thanks_stored: bool


@pytest.fixture(scope="module")
def runs(rel_city: RelCity, tmp_path_factory: pytest.TempPathFactory) -> Runs:
    import shutil

    path = tmp_path_factory.mktemp("conc") / "conc.duckdb"
    shutil.copyfile(rel_city.path, path)
    tokens = list(rel_city.tokens)
    assert len(tokens) > DISTINCT
    jobs = [(tok, f"C-{n:06d}") for n, tok in enumerate(tokens[:DISTINCT])]
    same = [(tokens[DISTINCT], f"S-{n:03d}") for n in range(50)]
    with live_server(path, threads=8) as base:
        distinct = submit_concurrently(base, jobs, clients=CLIENTS)
        same_outcomes = submit_concurrently(base, same, clients=50, same_moment=True)
    same_truth = verify_truth(path, same_outcomes)
    winner = [o.submission_id for o in same_outcomes if o.state == "thanks"]
    with open_db(path) as db:
        stored = db.scalar("SELECT count(*) FROM survey_responses WHERE submission_id = ?", winner[:1] or ["-"])
    return Runs(verify_truth(path, distinct), same_truth, stored == 1)


def test_concurrency_distinct_tokens_all_stored_once_and_clients_told_truth(runs: Runs) -> None:
    truth = runs.distinct
    assert truth.requests == DISTINCT
    assert truth.states == {"thanks": DISTINCT}, truth
    assert (truth.stored, truth.lost, truth.duplicated, truth.lied, truth.errors) == (DISTINCT, 0, 0, 0, 0)


def test_concurrency_one_token_fifty_times_stores_exactly_one(runs: Runs) -> None:
    truth = runs.same_token
    assert truth.stored == 1 and truth.duplicated == 0
    assert truth.states == {"thanks": 1, "closed": 49}, truth
    assert truth.lied == 0 and truth.errors == 0 and runs.same_thanks_stored


def test_concurrency_readers_during_ingest_never_see_half_a_batch(rel_copy: Path, tmp_path: Path) -> None:
    """A supervisor's work-record list read while files load shows whole files only."""
    from dashboard.data import work_records_sample
    from warehouse.ingest import ingest_file

    per_file, files = 40, 12
    with open_db(rel_copy) as db:
        worker, grid = db.query(
            "SELECT worker_id, grid_id FROM workers WHERE grid_id IS NOT NULL ORDER BY worker_id LIMIT 1").row(0)
        paths = []
        for f in range(files):
            lines = ["record_id,worker_id,grid_id,type,opened_at,status"]
            lines += [f"RZ{f:03d}{n:04d},{worker},{grid},visit,2025-10-{1 + n % 28:02d} 09:00:00,open"
                      for n in range(per_file)]
            path = tmp_path / f"wr-{f}.csv"
            path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            paths.append(path)
        seen: list[int] = []
        done = threading.Event()
        errors: list[BaseException] = []

        def browse() -> None:
            try:
                while not done.is_set() and len(seen) < 5_000:
                    frame = work_records_sample(db, worker, "2025Q4", limit=100_000)
                    seen.append(int(frame["record_id"].str.starts_with("RZ").sum()))
            except BaseException as exc:  # noqa: BLE001 — reported by the assertion below
                errors.append(exc)

        reader = threading.Thread(target=browse)
        reader.start()
        try:
            results = [ingest_file(db, "work_records", p) for p in paths]
        finally:
            done.set()
            reader.join(timeout=60)
        assert not errors, errors
        assert all(r.accepted == per_file and r.rejected == 0 for r in results)
        assert seen and all(n % per_file == 0 for n in seen), sorted(set(seen))
        final = work_records_sample(db, worker, "2025Q4", limit=100_000)
        assert int(final["record_id"].str.starts_with("RZ").sum()) == per_file * files
