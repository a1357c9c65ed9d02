"""Benchmark: dashboard callback latency at city scale (p50 / p95 per page).

Builds (once, cached in bench/.cache/) the synthetic city at size "city", simulates
the year's survey and scores the year, then signs in through the real Flask app and
times the Dash Pages router callback (`POST /_dash-update-component`, the request a
browser makes when a page opens or its URL changes) for the overview, rankings and
worker detail, end to end in-process: sign-in check, scope check, domain calls,
figure building and JSON. The baseline is a callback that does no data work (the
finalise dialog opening), so the ratio is what the data work adds.

    python -m bench.bench_dashboard [--runs 40] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import statistics
import time
from pathlib import Path

from bench.bench_generate import write_section

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache" / "dash_city.duckdb"
HEADING = "## Dashboard"
SEED = 20251
YEAR = 2025


def build_city(path: Path) -> None:
    """Generate, survey and score the city (about 4 minutes on 2 cores)."""
    from metrics.runs import score_period
    from surveys.synthetic import simulate
    from warehouse.db import open_db
    from warehouse.synthetic import generate

    tmp = path.with_suffix(".tmp.duckdb")
    for p in (tmp, Path(str(tmp) + ".wal")):
        p.unlink(missing_ok=True)
    with open_db(tmp) as db:
        generate(db, size="city", seed=SEED, year=YEAR)
        simulate(db, period_id=str(YEAR), seed=SEED)
        score_period(db, str(YEAR), draws=200)
        db.checkpoint()
    tmp.rename(path)


def router_payload(pathname: str, search: str) -> dict:
    """The request Dash Pages' router makes when the URL changes."""
    return {
        "output": ".._pages_content.children..._pages_store.data..",
        "outputs": [{"id": "_pages_content", "property": "children"}, {"id": "_pages_store", "property": "data"}],
        "inputs": [{"id": "_pages_location", "property": "pathname", "value": pathname},
                   {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["_pages_location.pathname"],
    }


def baseline_payload() -> dict:
    """A callback without data work: opening the finalise confirmation dialog."""
    return {
        "output": "finalise-store.is_open",
        "outputs": {"id": "finalise-store", "property": "is_open"},
        "inputs": [{"id": "finalise-button", "property": "n_clicks", "value": 1}],
        "changedPropIds": ["finalise-button.n_clicks"],
    }


def rows_payload(search: str, sort: list[dict] | None = None) -> dict:
    """The grid's request for one block of ranking rows (server-side paging)."""
    return {
        "output": "rankings-grid.getRowsResponse",
        "outputs": {"id": "rankings-grid", "property": "getRowsResponse"},
        "inputs": [{"id": "rankings-grid", "property": "getRowsRequest",
                    "value": {"startRow": 0, "endRow": 50, "sortModel": sort or [], "filterModel": {}}}],
        "state": [{"id": "rankings-level", "property": "value", "value": "workers"},
                  {"id": "rankings-search", "property": "value", "value": None},
                  {"id": "_pages_location", "property": "search", "value": search}],
        "changedPropIds": ["rankings-grid.getRowsRequest"],
    }


def timed(client, payload: dict) -> float:
    """Seconds for one callback request (fails loudly on a non-200)."""
    start = time.perf_counter()
    response = client.post("/_dash-update-component", json=payload)
    elapsed = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"{payload['inputs']} → HTTP {response.status_code}: {response.data[:200]!r}")
    return elapsed


def pct(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of `values`."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


def machine() -> str:
    """nproc, memory and versions."""
    import dash
    import duckdb

    mem_gb = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 1024**3
    return (f"{os.cpu_count()} CPUs (nproc), {mem_gb:.0f} GB RAM, {platform.machine()}, "
            f"Python {platform.python_version()}, DuckDB {duckdb.__version__}, Dash {dash.__version__}")


COLD: dict[str, float] = {}


def measure(runs: int) -> tuple[dict[str, list[float]], dict[str, int]]:
    """Latencies per case (after one warm-up request each) and city facts."""
    from dashboard.app import create_app
    from dashboard.auth import add_user
    from dashboard.settings import Settings
    from warehouse.db import open_db

    if not CACHE.exists():
        print("building the city (once) …", flush=True)
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        build_city(CACHE)
    db = open_db(CACHE)
    add_user(db, "bench", "bench-password", role="admin")
    street = db.scalar("SELECT min(unit_id) FROM org_units WHERE level = 'street'")
    add_user(db, "bench_sup", "bench-password", role="supervisor", scope_unit_id=street)
    facts = {"workers": db.scalar("SELECT count(*) FROM workers"),
             "grids": db.scalar("SELECT count(*) FROM org_units WHERE level = 'grid'")}
    workers = db.query("SELECT worker_id FROM workers WHERE grid_id IS NOT NULL")["worker_id"].to_list()
    app = create_app(Settings(db_path=str(CACHE), signin_burst=100), db=db)
    clients = {}
    for name in ("bench", "bench_sup"):
        client = app.server.test_client()
        client.post("/login", data={"user": name, "password": "bench-password"})
        clients[name] = client
    rng = random.Random(SEED)
    period = f"?period={YEAR}"
    cases = {
        "baseline (no data work)": ("bench", baseline_payload),
        "overview": ("bench", lambda: router_payload("/", period)),
        "overview, supervisor (one street)": ("bench_sup", lambda: router_payload("/", period)),
        "rankings (page)": ("bench", lambda: router_payload("/rankings", period)),
        "rankings rows (50, sorted by a random column)": ("bench", lambda: rows_payload(
            period, [{"colId": rng.choice(["total", "results", "name", "rank"]), "sort": rng.choice(["asc", "desc"])}])),
        "worker detail": ("bench", lambda: router_payload("/worker", f"{period}&worker={rng.choice(workers)}")),
    }
    results: dict[str, list[float]] = {}
    for label, (who, make) in cases.items():
        COLD[label] = timed(clients[who], make())  # warm-up (first request, cold caches)
        results[label] = [timed(clients[who], make()) for _ in range(runs)]
        print(f"{label}: p50 {1000 * statistics.median(results[label]):.0f} ms, "
              f"p95 {1000 * pct(results[label], 0.95):.0f} ms", flush=True)
    db.close()
    return results, facts


def section(results: dict[str, list[float]], facts: dict[str, int], runs: int) -> str:
    """The Markdown section for docs/performance.md."""
    base = statistics.median(results["baseline (no data work)"])
    lines = [
        HEADING, "",
        f"Command: `python -m bench.bench_dashboard --runs {runs}` (city size: {facts['workers']:,} workers, "
        f"{facts['grids']:,} grids; year {YEAR} scored with 200 draws; {runs} requests per case after one warm-up).",
        f"Machine: {machine()}; 1-minute load average {os.getloadavg()[0]:.1f} when the runs finished "
        "(the machine is shared with other jobs during the session, so latencies include waiting for a CPU).", "",
        "| callback | first request (cold) | p50 | p95 | max | p50 / baseline p50 |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for label, values in results.items():
        p50 = statistics.median(values)
        lines.append(f"| {label} | {1000 * COLD.get(label, float('nan')):.0f} ms | {1000 * p50:.0f} ms | "
                     f"{1000 * pct(values, 0.95):.0f} ms | "
                     f"{1000 * max(values):.0f} ms | {p50 / base:.1f}× |")
    lines += [
        "",
        "Each figure is one `POST /_dash-update-component` through the Flask app in-process "
        "(session check, role and scope check, metrics/surveys calls, figure building, JSON), "
        "i.e. the server side of opening the page; browser rendering is not included. "
        "Target: p50 ≤ 100 ms, p95 ≤ 300 ms for rankings, worker detail and overview. "
        "Stored runs are immutable, so the dashboard caches a run's worker scores and the "
        "survey estimates per period for a short time; the first request after start-up "
        "pays for loading them (the *first request* column; it is not in the percentiles); "
        "`gridscore serve` loads them in a background thread at start-up, so visitors do not. "
        "Worker detail picks a random worker each time, so its percentiles include that "
        "worker's own queries (indicator lines, adjustments, a sample of ~19 M work records).",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Parse options, measure, print and (optionally) write the section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="requests per case (after one warm-up)")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    args = parser.parse_args(argv)
    results, facts = measure(args.runs)
    text = section(results, facts, args.runs)
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
