"""Concurrent survey submission through the real server: nothing lost, nothing doubled, no lies.

`submit_concurrently(base, jobs, clients=…)` posts the form for each (token,
submission id) from `clients` threads (keep-alive sessions) and returns what every
client was told; `verify_truth(db_path, outcomes)` then opens the database (server
stopped) and checks that "thanks" ⇔ the submission id is stored, exactly once.

Full run: `python -m bench.reliability.concurrency --tokens 10000 --clients 200`.
"""

from __future__ import annotations

import argparse
import json
import shutil
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.reliability.http import Outcome, session, survey_state


def form_answers() -> dict[str, str]:
    """A complete valid form post for the default questionnaire (codes as the form sends them)."""
    from bench.reliability.crash import answers_for
    from surveys.questionnaire import load_questionnaire

    return {k: str(v) for k, v in answers_for(load_questionnaire()).items()}


def post_form(base: str, token: str, submission_id: str, answers: dict[str, str],
              *, barrier: threading.Barrier | None = None) -> Outcome:
    """POST one filled-in form and classify the page that came back."""
    data = {**answers, "submission_id": submission_id, "started_at": "2025-11-01T09:00:00"}
    if barrier is not None:
        barrier.wait(timeout=60)
    started = time.perf_counter()
    response = session().post(f"{base}/s/{token}", data=data, timeout=120)
    seconds = time.perf_counter() - started
    return Outcome(token, submission_id, response.status_code,
                   survey_state(response.status_code, response.text), seconds)


def submit_concurrently(base: str, jobs: list[tuple[str, str]], *, clients: int,
                        same_moment: bool = False) -> list[Outcome]:
    """Post every (token, submission_id) from `clients` threads; `same_moment` lines them up."""
    answers = form_answers()
    barrier = threading.Barrier(len(jobs)) if same_moment else None
    with ThreadPoolExecutor(max_workers=clients) as pool:
        return list(pool.map(lambda job: post_form(base, job[0], job[1], answers, barrier=barrier), jobs))


@dataclass(frozen=True)
class Truth:
    """What the clients were told against what is stored."""

    requests: int
    states: dict[str, int]
    stored: int
    duplicated: int
    lost: int
    lied: int
    errors: int


def verify_truth(db_path: str | Path, outcomes: list[Outcome]) -> Truth:
    """Compare each client's page with the stored responses (by submission id)."""
    from warehouse.db import open_db

    sids = [o.submission_id for o in outcomes]
    with open_db(db_path) as db:
        counts = db.query(
            "SELECT submission_id, count(*) AS n FROM survey_responses "
            "WHERE list_contains($ids, submission_id) GROUP BY submission_id", {"ids": sids})
    stored = dict(zip(counts["submission_id"].to_list(), counts["n"].to_list(), strict=True))
    lied = sum((o.state == "thanks") != (o.submission_id in stored) for o in outcomes)
    lost = sum(o.state == "thanks" and o.submission_id not in stored for o in outcomes)
    return Truth(
        requests=len(outcomes),
        states=dict(Counter(o.state for o in outcomes)),
        stored=sum(stored.values()),
        duplicated=sum(n - 1 for n in stored.values()),
        lost=lost,
        lied=lied,
        errors=sum(o.status >= 500 for o in outcomes),
    )


def percentile(values: list[float], q: float) -> float:
    """The q-quantile (nearest rank) of `values` (0 for none)."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main(argv: list[str] | None = None) -> int:
    """Full run: N distinct tokens by C clients, then 50 posts of one token at once."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tokens", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--work", default="/tmp/gridscore-concurrency")
    args = parser.parse_args(argv)
    from bench.reliability.city import city_file
    from bench.reliability.crash import prepare
    from bench.reliability.server import live_server

    work = Path(args.work)
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    db_path = work / "conc.duckdb"
    tokens = prepare(city_file(), db_path, tokens=args.tokens + 1)
    if len(tokens) < args.tokens + 1:
        raise SystemExit(f"only {len(tokens)} tokens drawn")
    jobs = [(tok, f"C-{n:06d}") for n, tok in enumerate(tokens[: args.tokens])]
    same = [(tokens[args.tokens], f"S-{n:03d}") for n in range(50)]
    with live_server(db_path, threads=16) as base:
        started = time.perf_counter()
        outcomes = submit_concurrently(base, jobs, clients=args.clients)
        elapsed = time.perf_counter() - started
        same_outcomes = submit_concurrently(base, same, clients=50, same_moment=True)
    truth = verify_truth(db_path, outcomes)
    same_truth = verify_truth(db_path, same_outcomes)
    print(json.dumps({
        "distinct": truth.__dict__, "seconds": round(elapsed, 1),
        "per_second": round(len(jobs) / elapsed, 1),
        "p95_ms": round(1000 * percentile([o.seconds for o in outcomes], 0.95), 1),
        "same_token": same_truth.__dict__,
    }))
    ok = (truth.stored == args.tokens and truth.lost == truth.lied == truth.duplicated == truth.errors == 0
          and same_truth.stored == 1 and same_truth.lied == 0 and same_truth.errors == 0)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
