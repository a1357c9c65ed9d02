"""Load on loopback: survey submissions per second (p95 latency) and supervisors' pages (p95).

`python -m bench.reliability.load --seconds 60 --clients 64 --supervisors 20`:
phase 1 posts complete forms for distinct tokens from `clients` threads for
`seconds` (closed loop, bounded by the token supply); phase 2 has `supervisors`
signed-in scoped accounts render random pages and grid requests for `seconds`.
Prints a JSON summary (throughput, p50/p95/p99, status counts, and for the surveys
what the clients were told against what is stored: lost, duplicated, untruthful) with
the machine's load average before and after.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import threading
import time
from collections import Counter
from pathlib import Path

from bench.reliability.concurrency import form_answers, percentile, post_form, verify_truth
from bench.reliability.dashcall import find, page_payload, payload
from bench.reliability.http import session

PAGES = ("/", "/rankings", "/worker", "/unit", "/vetoes", "/surveys")


def survey_load(base: str, tokens: list[str], *, clients: int, seconds: float,
                outcomes: list | None = None) -> dict[str, object]:
    """Closed-loop submissions of distinct tokens for `seconds` from `clients` threads.

    Every client's `Outcome` is appended to `outcomes` (for `verify_truth`) when given.
    """
    answers = form_answers()
    lock = threading.Lock()
    supply = iter(enumerate(tokens))
    latencies: list[float] = []
    seen = outcomes if outcomes is not None else []
    states: Counter = Counter()
    stop = time.perf_counter() + seconds

    def worker() -> None:
        while time.perf_counter() < stop:
            with lock:
                item = next(supply, None)
            if item is None:
                return
            n, token = item
            outcome = post_form(base, token, f"L-{n:07d}", answers)
            with lock:
                latencies.append(outcome.seconds)
                states[outcome.state] += 1
                seen.append(outcome)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"requests": len(latencies), "seconds": round(elapsed, 1),
            "per_second": round(len(latencies) / elapsed, 1), "states": dict(states),
            "p50_ms": round(1000 * percentile(latencies, 0.5), 1),
            "p95_ms": round(1000 * percentile(latencies, 0.95), 1),
            "p99_ms": round(1000 * percentile(latencies, 0.99), 1)}


def page_load(base: str, accounts: list[str], password: str, *, seconds: float) -> dict[str, object]:
    """Each account signs in and renders random pages / grid pages for `seconds`."""
    lock = threading.Lock()
    latencies: list[float] = []
    statuses: Counter = Counter()
    stop = time.perf_counter() + seconds

    def worker(name: str, seed: int) -> None:
        rng = random.Random(seed)
        client = session()
        client.post(f"{base}/login", data={"user": name, "password": password}, allow_redirects=False)
        deps = client.get(f"{base}/_dash-dependencies").json()
        grid = find(deps, "rankings-grid.getRowsResponse")
        while time.perf_counter() < stop:
            if rng.random() < 0.7:
                body = page_payload(deps, rng.choice(PAGES), "?period=2025")
            else:
                body = payload(grid, {"rankings-grid.getRowsRequest": {"startRow": 0, "endRow": 100},
                                      "rankings-level.value": "workers", "_pages_location.search": "?period=2025"})
            started = time.perf_counter()
            response = client.post(f"{base}/_dash-update-component", json=body, timeout=120)
            took = time.perf_counter() - started
            with lock:
                latencies.append(took)
                statuses[response.status_code] += 1

    threads = [threading.Thread(target=worker, args=(name, n)) for n, name in enumerate(accounts)]
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    return {"supervisors": len(accounts), "requests": len(latencies), "seconds": round(elapsed, 1),
            "per_second": round(len(latencies) / elapsed, 1), "statuses": dict(statuses),
            "p50_ms": round(1000 * percentile(latencies, 0.5), 1),
            "p95_ms": round(1000 * percentile(latencies, 0.95), 1)}


def main(argv: list[str] | None = None) -> int:
    """Full load run on a copy of the small city; prints a JSON summary."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--supervisors", type=int, default=20)
    parser.add_argument("--threads", type=int, default=16)
    parser.add_argument("--work", default="/tmp/gridscore-load")
    args = parser.parse_args(argv)
    from bench.reliability.city import city_file
    from bench.reliability.crash import prepare
    from bench.reliability.server import live_server
    from dashboard.auth import add_user
    from warehouse.db import open_db

    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db_path = work / "load.duckdb"
    tokens = prepare(city_file(), db_path, tokens=int(300 * args.seconds))
    password = "load-test-password"
    accounts = [f"sup{n:02d}" for n in range(args.supervisors)]
    with open_db(db_path) as db:
        streets = db.query("SELECT unit_id FROM org_units WHERE level = 'street' ORDER BY unit_id")["unit_id"]
        for n, name in enumerate(accounts):
            add_user(db, name, password, role="supervisor", scope_unit_id=streets[n % len(streets)])
    load_before = os.getloadavg()
    outcomes: list = []
    with live_server(db_path, threads=args.threads) as base:
        surveys = survey_load(base, tokens, clients=args.clients, seconds=args.seconds, outcomes=outcomes)
        load_mid = os.getloadavg()
        pages = page_load(base, accounts, password, seconds=args.seconds)
    truth = verify_truth(db_path, outcomes)
    surveys.update(stored=truth.stored, lost=truth.lost, duplicated=truth.duplicated, untruthful=truth.lied,
                   server_errors=truth.errors)
    print(json.dumps({"tokens_available": len(tokens), "threads": args.threads, "surveys": surveys,
                      "pages": pages, "loadavg": {"start": load_before, "after_surveys": load_mid,
                                                  "end": os.getloadavg()}}))
    return 0 if truth.lost == truth.lied == truth.duplicated == truth.errors == 0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
