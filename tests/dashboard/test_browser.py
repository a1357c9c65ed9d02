"""Real-browser tests: Debian chromium (headless) against the real server on loopback.

One server process (waitress, as `gridscore serve` runs it) over a copy of the
dashboard city; screenshots go to artifacts/screenshots/.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from tests.dashboard.conftest import IN_SCOPE, PASSWORD, DashCity
from warehouse.db import open_db

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
SHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
        "--disable-component-update", "--no-first-run"]
# binds port 0 (any free port) and prints the port it got once it listens; then stdout is stderr
SERVER = """
import os, sys
from waitress import create_server
from dashboard.app import create_app
from dashboard.settings import Settings
app = create_app(Settings(db_path=sys.argv[1]))
server = create_server(app.server, host="127.0.0.1", port=0, threads=8, ident="gridscore")
print(server.effective_port, flush=True)
os.dup2(2, 1)  # nothing more on the pipe the test stopped reading
server.run()
"""


@dataclass
class Server:
    url: str
    db_path: Path
    process: subprocess.Popen

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        if self.process.stdout is not None:
            self.process.stdout.close()


@pytest.fixture(scope="module")
def server(dash_city: DashCity, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian chromium is not installed")
    db_path = tmp_path_factory.mktemp("browser") / "dash.duckdb"
    shutil.copyfile(dash_city.path, db_path)
    process = subprocess.Popen([sys.executable, "-c", SERVER, str(db_path)], cwd=ROOT, stdout=subprocess.PIPE,
                               text=True)
    assert process.stdout is not None
    port = process.stdout.readline().strip()  # "" if the server died first
    if not port.isdigit():
        process.kill()
        pytest.fail(f"server did not start (exit code {process.wait()})")
    url = f"http://127.0.0.1:{port}"
    with urllib.request.urlopen(url + "/healthz", timeout=60) as r:  # listening already: answers once serving
        assert r.status == 200
    srv = Server(url=url, db_path=db_path, process=process)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    SHOTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield b
        b.close()


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=False)


def _wait_page(page) -> None:
    page.wait_for_selector("#lang-switch")
    page.wait_for_selector("#page-title")


def _nav(page, nav_id: str, ready: str) -> None:
    """Client-side navigation by the top bar (no page reload), then wait for `ready`."""
    page.click(f"#{nav_id}")
    page.wait_for_selector(ready)


def test_supervisor_journey(server: Server, browser) -> None:
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page.set_default_timeout(45000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server.url + "/")
    assert "/login" in page.url
    page.fill("#user", "admin")
    page.fill("#password", PASSWORD)
    page.click("#signin")
    page.wait_for_selector("[data-testid=kpi-workers]")
    page.wait_for_selector("[data-testid=chart-distribution] .main-svg")
    assert page.locator("#nav-overview").inner_text() == "总览"
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    _shot(page, "overview")
    # drill down: overview → rankings → worker
    page.click("#drill-rankings")
    page.wait_for_selector(".drill-link")
    _shot(page, "rankings")
    first = page.locator(".drill-link").first
    name = first.inner_text()
    first.click()
    page.wait_for_selector("#worker-name")
    page.wait_for_selector("[data-testid=chart-waterfall] .main-svg")
    assert name in page.locator("#worker-name").inner_text()
    _shot(page, "worker")
    # issue 15.1: on the page itself, the drawn waterfall steps add up to the total shown
    drawn = page.evaluate("""() => {
        const t = document.querySelector('[data-testid=chart-waterfall] .js-plotly-plot').data[0];
        return {y: t.y, measure: t.measure, text: t.text};
    }""")
    shown_total = float(page.locator("[data-testid=worker-total] .fs-3").inner_text().replace(",", ""))
    relative = [y for y, m in zip(drawn["y"], drawn["measure"], strict=True) if m == "relative"]
    assert abs(sum(relative) - shown_total) < 1e-6 and abs(drawn["y"][-1] - shown_total) < 1e-6
    assert drawn["text"] == [f"{y:,.1f}" for y in drawn["y"]]
    # filter: pick a street in the org filter; the URL keeps it and the rankings narrow
    _nav(page, "nav-rankings", ".drill-link")
    page.click("#filter-unit")
    page.keyboard.type("新华")
    page.keyboard.press("Enter")
    page.wait_for_function("location.search.includes('unit=D01S01')")
    page.wait_for_selector(".drill-link")
    # every other page, by the navigation bar (the unit filter stays in the URL)
    for nav_id, shot in (("nav-unit", "unit"), ("nav-vetoes", "vetoes"), ("nav-surveys", "surveys"),
                         ("nav-scheme", "scheme"), ("nav-finalise", "finalise")):
        _nav(page, nav_id, f"#page-title[data-page={shot}]")
        assert "unit=D01S01" in page.url
        assert page.locator("[data-testid=denied]").count() == 0
        if shot == "scheme":
            page.click("#whatif-apply")
            page.wait_for_selector("#whatif-grid")
        _shot(page, shot)
    # language switch keeps the page and turns the labels English
    page.click("#lang-switch")
    page.wait_for_selector("#nav-overview:text('Overview')")
    page.wait_for_selector("#page-title:text('Finalise')")
    assert "lang=en" in page.url
    page.wait_for_function("document.documentElement.lang === 'en'")
    _shot(page, "finalise_en")
    # sign out: back to the sign-in page and the session is gone
    page.click("#signout")
    page.wait_for_selector("#signin")
    page.goto(server.url + "/rankings")
    assert "/login" in page.url
    assert errors == []
    page.close()


WATERFALL_JS = """() => {
  const plot = document.querySelector('[data-testid=chart-waterfall] .js-plotly-plot');
  const d = plot.data[0];
  const points = [...plot.querySelectorAll('.waterfalllayer g.point')];
  return {y: d.y, measure: d.measure, text: d.text, drawn: points.length,
          labels: points.map(p => { const t = p.querySelector('text'); return t ? t.textContent : null; })};
}"""


def _number(text: str) -> float:
    """A number as the page prints it ("1,234.5", "−4.4", "+0.5")."""
    return float(text.strip().replace(",", "").replace("−", "-").replace("+", ""))


def _waterfall_total(page) -> float:
    """The waterfall drawn on the worker page, read from the plot itself, checked step by step
    the way plotly draws it ("relative" steps add, "absolute" sets, "total" bars show the running
    sum): every printed subtotal equals the printed steps before it, and each bar's plotted value
    the running sum within rounding. Returns the last total as printed."""
    fig = page.evaluate(WATERFALL_JS)
    assert fig["drawn"] == len(fig["y"]) > 1, fig
    running = printed = 0.0
    total = None
    for y, measure, text, label in zip(fig["y"], fig["measure"], fig["text"], fig["labels"], strict=True):
        shown = label or text  # the label drawn on the bar, else the figure's text for it
        value = _number(shown) if shown else float(y)
        if measure == "relative":
            running += float(y)
            printed += value
        elif measure == "absolute":
            running, printed = float(y), value
        else:  # "total": a bar the height of everything before it
            assert measure == "total", measure
            assert abs(value - printed) < 1e-6, (fig, value, printed)
            if y is not None:
                assert abs(float(y) - running) < 0.05 + 1e-9, (fig, y, running)
            total = value
    assert total is not None, fig
    return total


def _click_drill(page, container: str) -> str:
    """Follow the first drill-down link inside `container`; returns the linked name."""
    link = page.locator(f"#{container} .drill-link").first
    link.wait_for()
    name = link.inner_text()
    link.click()
    return name


def _unit_page(page, name: str, level: str) -> None:
    """Wait until the unit page for `name` (a `level`: 街道, 社区, 网格) is shown, with the
    org filter on it and no refusal."""
    page.wait_for_function(
        "([n, l]) => { const h = document.querySelector('#unit-name');"
        " return h && h.innerText.includes(n) && h.innerText.includes(l); }", arg=[name, level])
    page.wait_for_function(
        "n => { const f = document.querySelector('#filter-unit'); return f && f.innerText.includes(n); }",
        arg=name)
    assert page.locator("[data-testid=denied], [data-testid=bad-unit]").count() == 0


@pytest.mark.slow
@pytest.mark.parametrize("user", ["admin", "sup"])
def test_drill_down_to_a_worker_whose_waterfall_adds_up(server: Server, browser, user: str) -> None:
    """Overview → street → community → grid → worker, as the admin and as the street
    supervisor (whose overview is their street): on the worker page the waterfall's drawn
    steps add up to the total the page shows (issue 15, acceptance 1)."""
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page.set_default_timeout(45000)
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(server.url + "/login")
    page.fill("#user", user)
    page.fill("#password", PASSWORD)
    page.click("#signin")
    page.wait_for_selector("[data-testid=kpi-workers]")
    if user == "admin":
        street = _click_drill(page, "overview-sub-units")  # the city's streets
    else:  # the supervisor's overview is their street: its communities are listed, the street is the unit page
        street = page.locator("#filter-unit").inner_text().strip()
        page.wait_for_selector("#overview-sub-units .drill-link")
        _nav(page, "nav-unit", "#unit-name")
    _unit_page(page, street, "街道")
    _shot(page, f"drill_street_{user}")
    community = _click_drill(page, "unit-sub-units")
    _unit_page(page, community, "社区")
    grid = _click_drill(page, "unit-sub-units")
    _unit_page(page, grid, "网格")
    grid_id = parse_qs(urlparse(page.url).query)["unit"][0]
    if user == "sup":
        assert grid_id.startswith(IN_SCOPE)
    _shot(page, f"drill_grid_{user}")
    worker = _click_drill(page, "unit-members")
    page.wait_for_selector("[data-testid=chart-waterfall] .main-svg")
    page.wait_for_function("n => document.querySelector('#worker-name').innerText.includes(n)", arg=worker)
    assert parse_qs(urlparse(page.url).query)["unit"] == [grid_id]
    shown = _number(page.locator("[data-testid=worker-total] .fs-3").inner_text())
    assert _waterfall_total(page) == pytest.approx(shown, abs=1e-6)
    _shot(page, f"drill_worker_{user}")
    assert errors == []
    page.close()


def _signed_in(browser, server: Server, user: str = "admin"):
    page = browser.new_page(viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page.set_default_timeout(45000)
    page.goto(server.url + "/login")
    page.fill("#user", user)
    page.fill("#password", PASSWORD)
    page.click("#signin")
    page.wait_for_selector("#page-title")
    return page


def _params(page) -> dict[str, str]:
    from urllib.parse import parse_qsl, urlsplit

    return dict(parse_qsl(urlsplit(page.url).query))


def test_address_state_survives_language_period_and_filter_switches(server: Server, browser,
                                                                    dash_city: DashCity) -> None:
    """Issue 15 finding 7: the worker page keeps worker= across language and period switches;
    the rankings keep their level (in the address) across language and unit switches."""
    page = _signed_in(browser, server)
    worker_id = dash_city.workers_in[0]
    page.goto(f"{server.url}/worker?period=2025&worker={worker_id}")
    page.wait_for_selector("#worker-name")
    page.click("#lang-switch")
    page.wait_for_selector("#page-title:text('Worker')")
    page.wait_for_selector("#nav-overview:text('Overview')")
    assert _params(page) == {"period": "2025", "worker": worker_id, "lang": "en"}
    page.wait_for_selector("#worker-name")
    page.click("#filter-period")
    page.locator(".dash-dropdown-option", has_text="2025 H1").first.click()
    page.wait_for_function("location.search.includes('period=2025H1')")
    assert _params(page) == {"period": "2025H1", "worker": worker_id, "lang": "en"}
    page.wait_for_selector("#worker-name")
    # rankings: the level is in the address and survives a language and a unit switch
    page.goto(f"{server.url}/rankings?period=2025")
    page.wait_for_selector(".drill-link")
    page.locator("#rankings-level label", has_text="社区").click()
    page.wait_for_function("location.search.includes('level=community')")
    page.click("#lang-switch")
    page.wait_for_selector("#page-title:text('Rankings')")
    assert _params(page) == {"period": "2025", "level": "community", "lang": "en"}
    assert page.locator("#rankings-level input[value=community]").is_checked()
    page.wait_for_selector("#nav-overview:text('Overview')")  # the shell re-rendered in English too
    page.click("#filter-unit")
    page.locator(".dash-dropdown-option", has_text="新华街道").first.click()
    page.wait_for_function("location.search.includes('unit=D01S01')")
    assert _params(page) == {"period": "2025", "level": "community", "lang": "en", "unit": "D01S01"}
    page.close()


def _boxes_overlap(a: dict | None, b: dict | None) -> bool:
    if not a or not b:
        return False
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


def test_chinese_all_the_way_for_the_street_supervisor(server: Server, browser) -> None:
    """Issue 15 finding 10 on the page: grid chrome in Chinese, one decimal, legend clear of the axis
    title, the chosen unit without indentation."""
    page = _signed_in(browser, server, "sup")
    page.wait_for_selector("[data-testid=chart-distribution] .legend")
    chart = page.locator("[data-testid=chart-distribution]")
    legend = chart.locator(".legend").first.bounding_box()
    title = chart.locator(".xtitle").first.bounding_box()
    assert title and legend and not _boxes_overlap(legend, title)
    assert page.locator("#filter-unit .dash-dropdown-value").inner_text() == "新华街道"
    page.click("#nav-rankings")
    page.wait_for_selector(".drill-link")
    pager = page.locator(".ag-paging-panel").inner_text()
    assert "每页行数" in pager and "至" in pager and "共" in pager and "Page" not in pager
    totals = page.locator(".ag-center-cols-container [col-id=total]").all_inner_texts()
    assert totals and all(re.fullmatch(r"\d+\.\d", v) for v in totals if v), totals[:5]
    page.fill("#rankings-search", "没有这个人")
    page.wait_for_selector(".ag-overlay:has-text('暂无数据')")
    _shot(page, "rankings_zh_empty")
    page.close()


def _answer_all(page) -> None:
    names = page.eval_on_selector_all("input[type=radio]", "els => [...new Set(els.map(e => e.name))]")
    for name in names:
        page.locator(f"input[type=radio][name='{name}']").first.check()


def test_survey_form_on_a_phone(server: Server, browser, dash_city: DashCity) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                  locale="zh-CN")
    page = context.new_page()
    token = dash_city.tokens[10]
    page.goto(f"{server.url}/s/{token}")
    assert page.locator("h1").inner_text() == "居民满意度调查"
    _shot(page, "survey_form")
    page.click("button[type=submit]")  # nothing answered: the browser blocks the submit
    assert page.locator("h1").count() == 1 and page.locator("form").count() == 1
    _answer_all(page)
    page.click("button[type=submit]")
    page.wait_for_selector("text=感谢您的参与")
    _shot(page, "survey_thanks")
    page.goto(f"{server.url}/s/{token}")  # the used token
    assert page.locator("text=该调查链接无法使用").count() == 1
    _shot(page, "survey_used")
    # double tap on another token
    other = dash_city.tokens[11]
    page.goto(f"{server.url}/s/{other}")
    _answer_all(page)
    page.locator("button[type=submit]").dblclick()
    page.wait_for_selector("text=感谢您的参与")
    context.close()


def test_double_tap_stored_one_response(server: Server) -> None:
    server.stop()
    with open_db(server.db_path, read_only=True) as db:
        assert db.scalar("SELECT count(*) FROM survey_responses WHERE period_id = '2025Q4'") == 2
