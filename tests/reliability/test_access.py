"""Access control against the live server with real sessions.

One waitress server (subprocess, 127.0.0.1) over the reliability city: every account ×
page/callback/download × unit (in scope, out of scope, none) — a scoped account never
gets a byte about workers outside its subtree, out-of-scope downloads and callbacks are
403; token brute force finds nothing and meets the rate limiter; a session cookie
captured before sign-out is refused after it; residents' identities never appear; a
grid cut to fewer than k respondents (and rescored) shows no satisfaction value or
interval in any page, callback, download or report body, while a normal grid's do show.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

from bench.reliability.dashcall import find, page_payload, payload
from bench.reliability.http import survey_state
from bench.reliability.server import live_server
from dashboard.auth import COOKIE_NAME
from tests.reliability.conftest import ACCOUNTS, IN_SCOPE, OUT_OF_SCOPE, PASSWORD, RelCity
from tests.reliability.smallgroups import Group, hidden_figures_in, make_small_grid
from warehouse.db import open_db

pytestmark = pytest.mark.slow  # reliability: real servers, crash and fuzz trials

GUESSES = int(os.environ.get("GRIDSCORE_REL_GUESSES", "2000"))
FULL = os.environ.get("GRIDSCORE_REL_FULL") == "1"  # adds the PDF score sheet (Chromium) to the matrix
PAGES = ("/", "/rankings", "/worker", "/unit", "/vetoes", "/surveys", "/scheme", "/finalise")
SMALL_GRID, CONTROL_GRID = IN_SCOPE + "C01G01", IN_SCOPE + "C01G04"  # cut to 3 respondents / left as drawn


@dataclass
class Live:
    base: str
    out_workers: set[str]
    identities: list[str]
    bodies: list[tuple[str, str, str, int, str]] = field(default_factory=list)  # user, what, unit, status, body
    brute: Counter = field(default_factory=Counter)
    stale_after_signout: int = 0
    fresh_before_signout: int = 0
    small: Group | None = None
    control: Group | None = None
    focused: list[tuple[str, str, int, str | bytes]] = field(default_factory=list)  # user, what, status, body
    salts: list[str] = field(default_factory=list)  # secret fingerprint salts (survey_salts)


def _session(base: str, name: str) -> requests.Session:
    client = requests.Session()
    response = client.post(f"{base}/login", data={"user": name, "password": PASSWORD}, allow_redirects=False)
    assert response.status_code == 302, response.text[:200]
    return client


def _calls(deps: list[dict], unit: str | None, worker: str) -> list[tuple[str, str, dict | None]]:
    search = "?period=2025" + (f"&unit={unit}" if unit else "")
    calls: list[tuple[str, str, dict | None]] = [
        (f"page:{p}", "", page_payload(deps, p, search + (f"&worker={worker}" if p == "/worker" else "")))
        for p in PAGES
    ]
    grid = find(deps, "rankings-grid.getRowsResponse")
    for level in ("workers", "grids", "communities"):
        calls.append((f"callback:rows:{level}", "", payload(grid, {
            "rankings-grid.getRowsRequest": {"startRow": 0, "endRow": 1000},
            "rankings-level.value": level, "_pages_location.search": search})))
    calls.append(("callback:worker.search", "", payload(find(deps, "worker-pick.options"), {
        "worker-pick.search_value": "W0", "_pages_location.search": search})))
    calls.append(("download:rankings.csv", f"/export/rankings.csv{search}", None))
    calls.append(("download:report.html", f"/export/report/html{search}", None))
    if FULL:
        calls.append(("download:sheet.pdf", f"/export/sheet.pdf{search}&worker={worker}", None))
    return calls


def _focused_calls(deps: list[dict], small: Group, control: Group) -> list[tuple[str, str, dict | None]]:
    """Every view that can show a grid's satisfaction, for the small grid and the control grid."""
    search = "?period=2025"
    calls: list[tuple[str, str, dict | None]] = []
    for group in (small, control):
        for worker in group.workers:
            calls.append((f"page:/worker:{worker}", "", page_payload(deps, "/worker", f"{search}&worker={worker}")))
        calls.append((f"page:/unit:{group.grid_id}", "", page_payload(deps, "/unit", f"{search}&unit={group.grid_id}")))
    community = small.grid_id[:-3]
    for unit in (community, IN_SCOPE):
        for page in ("/", "/rankings", "/unit", "/surveys"):
            calls.append((f"page:{page}:{unit}", "", page_payload(deps, page, f"{search}&unit={unit}")))
        grid = find(deps, "rankings-grid.getRowsResponse")
        for level in ("workers", "grids", "communities"):
            calls.append((f"callback:rows:{level}:{unit}", "", payload(grid, {
                "rankings-grid.getRowsRequest": {"startRow": 0, "endRow": 1000},
                "rankings-level.value": level, "_pages_location.search": f"{search}&unit={unit}"})))
        for kind in ("rankings.csv", "report/html", "report/xlsx"):
            calls.append((f"download:{kind}:{unit}", f"/export/{kind}{search}&unit={unit}", None))
    return calls


@pytest.fixture(scope="module")
def live(rel_city: RelCity, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Live]:
    path = tmp_path_factory.mktemp("access") / "access.duckdb"
    shutil.copyfile(rel_city.path, path)
    with open_db(path) as db:
        outs = db.query("SELECT worker_id FROM workers WHERE grid_id LIKE ? OR grid_id IS NULL AND dept_id IS NULL",
                        [OUT_OF_SCOPE + "%"])
        out_workers = set(outs["worker_id"].to_list())
        worker_out = db.scalar("SELECT min(worker_id) FROM workers WHERE grid_id LIKE ?", [OUT_OF_SCOPE + "%"])
        # names a resident shares with a worker or a unit are not evidence of a leak
        ids = db.query("""SELECT contact_name, phone FROM household_identities
                          WHERE contact_name NOT IN (SELECT name FROM workers)
                            AND contact_name NOT IN (SELECT name FROM org_units)""")
        small, control = make_small_grid(db, "2025", SMALL_GRID, CONTROL_GRID)
        salts = db.query("SELECT salt FROM survey_salts")["salt"].to_list()
    identities = sorted({v for v in ids["contact_name"].to_list() + ids["phone"].to_list() if v and len(v) >= 3})
    # default survey limits (30 burst, 30/min per address): the brute force must meet them
    with live_server(path, survey_burst=30, survey_per_minute=30.0, signin_burst=50) as base:
        state = Live(base=base, out_workers=out_workers, identities=identities, small=small, control=control,
                     salts=salts)
        deps = _session(base, "admin").get(f"{base}/_dash-dependencies").json()
        for name in ACCOUNTS:
            client = _session(base, name)
            for unit in (None, IN_SCOPE, OUT_OF_SCOPE):
                for what, url, body in _calls(deps, unit, worker_out):
                    if body is None:
                        response = client.get(base + url, allow_redirects=False)
                        text = response.text if "pdf" not in url else response.content[:0].decode()
                    else:
                        response = client.post(f"{base}/_dash-update-component", json=body)
                        text = response.text
                    state.bodies.append((name, what, unit or "", response.status_code, text))
        # pages, callbacks and downloads about the small grid and the control grid, as admin and supervisor
        for name in ("admin", "sup"):
            client = _session(base, name)
            for what, url, body in _focused_calls(deps, small, control):
                if body is None:
                    response = client.get(base + url, allow_redirects=False)
                    content: str | bytes = response.content if "xlsx" in url else response.text
                else:
                    response = client.post(f"{base}/_dash-update-component", json=body)
                    content = response.text
                state.focused.append((name, what, response.status_code, content))
        # sign-out: the captured cookie works before, is refused after
        client = _session(base, "sup")
        cookie = client.cookies.get(COOKIE_NAME)
        probe = payload(find(deps, "rankings-grid.getRowsResponse"), {
            "rankings-grid.getRowsRequest": {"startRow": 0, "endRow": 5},
            "rankings-level.value": "workers", "_pages_location.search": "?period=2025"})
        thief = requests.Session()
        thief.cookies.set(COOKIE_NAME, cookie)
        state.fresh_before_signout = thief.post(f"{base}/_dash-update-component", json=probe).status_code
        client.post(f"{base}/logout", allow_redirects=False)
        state.stale_after_signout = thief.post(f"{base}/_dash-update-component", json=probe).status_code
        # token brute force: random well-formed guesses, GET and POST
        guesser = requests.Session()
        for n in range(GUESSES):
            guess = secrets.token_urlsafe(16)
            if n % 2:
                response = guesser.get(f"{base}/s/{guess}")
            else:
                response = guesser.post(f"{base}/s/{guess}", data={"overall": "satisfied"})
            state.brute[survey_state(response.status_code, response.text), response.status_code] += 1
        yield state


def test_access_scoped_accounts_never_see_out_of_scope_workers(live: Live) -> None:
    leaks = []
    for name, what, unit, status, body in live.bodies:
        if ACCOUNTS[name][1] is None or status != 200:
            continue
        found = set(re.findall(r"W\d{6}", body)) & live.out_workers
        if found:
            leaks.append((name, what, unit, sorted(found)[:3]))
    assert not leaks, leaks[:5]


def test_access_out_of_scope_callbacks_and_downloads_are_403(live: Live) -> None:
    wrong = []
    for name, what, unit, status, _body in live.bodies:
        scoped = ACCOUNTS[name][1] is not None
        if unit == OUT_OF_SCOPE and scoped and not what.startswith("page:") and status != 403:
            wrong.append((name, what, status))
        if (unit != OUT_OF_SCOPE or not scoped) and status >= 500:
            wrong.append((name, what, unit, status))
    assert not wrong, wrong[:10]
    allowed = [s for n, w, u, s, _ in live.bodies if n == "admin" and w.startswith(("page:", "callback:rows"))]
    assert allowed and set(allowed) == {200}


def test_access_role_actions_are_enforced(live: Live) -> None:
    """Viewers may not export; only admin/assessor see the finalise page's controls."""
    for name, what, unit, status, _body in live.bodies:
        if ACCOUNTS[name][0] == "viewer" and what.startswith("download:") and unit != OUT_OF_SCOPE:
            assert status in (403, 404), (name, what, unit, status)


def test_access_no_server_errors_anywhere(live: Live) -> None:
    assert not [(n, w, u, s) for n, w, u, s, _ in live.bodies if s >= 500]


def test_access_identities_never_in_any_body(live: Live) -> None:
    assert len(live.identities) > 100
    known = set(live.identities)
    hits = [(n, w, u, sorted(found)[:3]) for n, w, u, _s, body in live.bodies
            for found in [known.intersection(re.findall(r"\d{7,}|[\u4e00-\u9fff]{2,4}", body))] if found]
    assert not hits, hits[:5]


def test_access_fingerprint_salts_never_in_any_body(live: Live) -> None:
    assert live.salts, "the city's web answers carry devices, so their periods have salts"
    hits = [(n, w, u) for n, w, u, _s, body in live.bodies for salt in live.salts if salt in body]
    hits += [(n, w) for n, w, _s, body in live.focused for salt in live.salts
             if salt in (body if isinstance(body, str) else body.decode("latin-1"))]
    assert not hits, hits[:5]


def _about_one(what: str) -> bool:
    """A view of one worker or one grid (its whole body is about that grid)."""
    return what.startswith("page:/worker:") or bool(re.fullmatch(r"page:/unit:\w+G\d\d", what))


def test_access_small_groups_never_show_a_satisfaction_value(live: Live) -> None:
    """No body — the matrix's and the views about the grid — carries the small grid's mean or interval."""
    assert live.small is not None and live.control is not None
    assert live.focused and {s for _n, _w, s, _b in live.focused} == {200}
    leaks = [(n, w, hit) for n, w, _s, body in live.focused
             for hit in hidden_figures_in(body, live.small, whole=_about_one(w))]
    leaks += [(n, w, hit) for n, w, _u, _s, body in live.bodies for hit in hidden_figures_in(body, live.small)]
    assert not leaks, leaks[:5]


def test_access_small_group_check_finds_a_normal_grids_figures(live: Live) -> None:
    """The same search over the same bodies finds the control grid's figures (the check can fail)."""
    assert live.control is not None
    found = {w.split(":")[0] + ":" + w.split(":")[1] for _n, w, _s, body in live.focused
             if hidden_figures_in(body, live.control, whole=_about_one(w))}
    assert {"page:/worker", "download:report/html", "download:report/xlsx"} <= found, sorted(found)


def test_access_signed_out_cookie_is_refused(live: Live) -> None:
    assert live.fresh_before_signout == 200
    assert live.stale_after_signout == 401


def test_access_token_brute_force_finds_nothing_and_is_rate_limited(live: Live) -> None:
    states = Counter()
    for (state, status), count in live.brute.items():
        states[state] += count
        assert status in (200, 429)
    print(f"brute force: {GUESSES} guesses -> {dict(live.brute)}")  # shown with -rP (full run figures)
    assert sum(states.values()) == GUESSES
    assert states["form"] == states["thanks"] == states["error"] == 0, states
    assert states["busy"] > 0 and states["closed"] < GUESSES / 2, states  # the limiter engaged


def test_access_matrix_is_complete(live: Live) -> None:
    per_user = Counter(n for n, *_ in live.bodies)
    assert set(per_user) == set(ACCOUNTS) and len(set(per_user.values())) == 1
    assert len(live.bodies) == len(ACCOUNTS) * 3 * (len(PAGES) + 3 + 1 + 2 + FULL)


def test_access_fixture_paths_exist(rel_city: RelCity) -> None:
    assert Path(rel_city.path).exists()
