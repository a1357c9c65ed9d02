"""Rebuild the README / docs screenshots (zh-CN) from a fresh demo database.

Why: the screenshots in docs/img must show what the code draws today, not a
hand-made picture from an older build. This script is the one reproducible way to
make them: it builds the demo city, draws a fresh 2025Q4 survey sample (for an open
token), renders the report PDF and a worker score sheet, serves the dashboard on a
free loopback port and drives headless Chromium through the pages.

    python -m bench.screenshots --out docs/img [--work /tmp/shots]

Everything it writes besides the PNGs (database, tokens, PDFs) goes under --work;
nothing is written into the repository except the images in --out.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import duckdb

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync"]
PASSWORD = "gridscore-demo"
VIEWPORT = {"width": 1400, "height": 900}
MAX_BYTES = 300_000


def gridscore(*args: str) -> str:
    """Run one `gridscore` CLI command with this interpreter; returns its stdout (fails loudly)."""
    proc = subprocess.run([sys.executable, "-m", "dashboard.cli", *args], capture_output=True, text=True)
    if proc.returncode != 0:
        raise SystemExit(f"gridscore {' '.join(args)} failed ({proc.returncode}):\n{proc.stderr}{proc.stdout}")
    return proc.stdout


def free_port(lo: int = 8550, hi: int = 8600) -> int:
    """A free loopback port, preferring the range [lo, hi); else any the OS gives."""
    for port in range(lo, hi):
        with socket.socket() as s:
            try:
                s.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def shrink(path: Path) -> None:
    """Keep a PNG under MAX_BYTES: re-encode optimised, then palette-quantise if still too big."""
    from PIL import Image

    img = Image.open(path).convert("RGB")
    img.save(path, optimize=True)
    colors = 256
    while path.stat().st_size > MAX_BYTES and colors >= 32:
        img.quantize(colors=colors, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
        colors //= 2


def pick_worker(db: Path, period: str = "2025") -> str:
    """A ranked, not vetoed grid worker of the period's latest run with the largest deduction
    among the top 20: the waterfall then shows a deduction inside results."""
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute(
            """
            WITH latest_run AS (
                SELECT run_id FROM score_runs WHERE period_id = ? ORDER BY created_at DESC LIMIT 1
            ), top_ranked AS (
                SELECT w.worker_id, w.deductions, w.rank
                FROM score_workers w JOIN latest_run USING (run_id)
                WHERE w.role = 'grid_worker' AND w.rank IS NOT NULL AND NOT coalesce(w.vetoed, false)
                ORDER BY w.rank LIMIT 20
            )
            SELECT worker_id FROM top_ranked WHERE deductions > 0 ORDER BY deductions DESC, rank LIMIT 1
            """, [period]).fetchone()
    if row is None:
        raise SystemExit("no ranked worker with a deduction in the demo run")
    return str(row[0])


def grid_of(db: Path, worker: str) -> str:
    """The grid a worker serves."""
    with duckdb.connect(str(db), read_only=True) as con:
        row = con.execute("SELECT grid_id FROM workers WHERE worker_id = ?", [worker]).fetchone()
    assert row is not None and row[0], worker
    return str(row[0])


def reports(work: Path, out: Path, worker: str) -> None:
    """Report PDF and a worker's score sheet, pages converted with pdftoppm at 60 dpi."""
    db = str(work / "demo.duckdb")
    report, sheet = work / "report.pdf", work / "sheet.pdf"
    gridscore("report", "--period", "2025", "--format", "pdf", "--out", str(report), "--db", db)
    gridscore("report", "--period", "2025", "--worker", worker, "--out", str(sheet), "--db", db)
    pages = work / "pages"
    shutil.rmtree(pages, ignore_errors=True)
    pages.mkdir()
    subprocess.run(["pdftoppm", "-png", "-r", "60", str(report), str(pages / "report")], check=True)
    subprocess.run(["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(sheet), str(pages / "sheet")],
                   check=True)
    found = sorted(pages.glob("report-*.png"))
    # the page holding the rankings tables: the one under the heading "二、排名"
    text = subprocess.run(["pdftotext", "-layout", str(report), "-"], capture_output=True, text=True,
                          check=True).stdout.split("\f")
    ranking_page = next((i for i, p in enumerate(text) if "二、排名" in p), min(3, len(found) - 1))
    chosen = {"report-cover": found[0], "report-summary": found[min(1, len(found) - 1)],
              "report-rankings": found[ranking_page], "report-worker-sheet": next(pages.glob("sheet-*.png"))}
    for name, src in chosen.items():
        dst = out / f"{name}.png"
        shutil.copyfile(src, dst)
        shrink(dst)
        print(f"{dst}  ({src.name})")


class Server:
    """`gridscore serve` on a loopback port, stopped on exit."""

    def __init__(self, db: Path, log: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log.open("w")
        self.proc = subprocess.Popen([sys.executable, "-m", "dashboard.cli", "serve", "--db", str(db),
                                      "--port", str(self.port), "--threads", "4"],
                                     stdout=self.log, stderr=subprocess.STDOUT)

    def __enter__(self) -> Server:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"server exited ({self.proc.returncode}); see {self.log.name}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=5) as r:
                    if r.status == 200:
                        return self
            except OSError:
                time.sleep(0.5)
        raise SystemExit("server did not answer /healthz")

    def __exit__(self, *_: object) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


def browse(url: str, out: Path, worker: str, grid: str, token: str) -> None:
    """Sign in and screenshot each page (zh-CN, 1400x900)."""
    from playwright.sync_api import sync_playwright

    def shot(page, name: str) -> None:  # type: ignore[no-untyped-def]
        page.wait_for_load_state("networkidle")
        page.wait_for_timeout(600)  # plotly's transitions settle
        path = out / f"{name}.png"
        page.screenshot(path=str(path), full_page=False)
        shrink(path)
        print(path)

    def signin(page, user: str) -> None:  # type: ignore[no-untyped-def]
        page.goto(url + "/login")
        page.fill("#user", user)
        page.fill("#password", PASSWORD)
        page.click("#signin")
        page.wait_for_selector("[data-testid=kpi-workers]")
        page.wait_for_selector("[data-testid=chart-distribution] .main-svg")

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        page = browser.new_page(viewport=VIEWPORT, locale="zh-CN")
        page.set_default_timeout(60000)
        signin(page, "admin")
        shot(page, "overview")
        page.goto(url + "/rankings")
        page.wait_for_selector(".drill-link")
        shot(page, "rankings")
        page.goto(url + "/rankings?level=grid")
        page.wait_for_selector(".drill-link")
        shot(page, "rankings-grid")
        page.goto(f"{url}/worker?worker={worker}")
        page.wait_for_selector("[data-testid=chart-waterfall] .main-svg")
        shot(page, "worker")
        page.goto(f"{url}/unit?unit={grid}")
        page.wait_for_selector("#unit-name")
        page.wait_for_selector("#unit-members .drill-link")
        shot(page, "unit-grid")
        for name in ("scheme", "vetoes"):
            page.goto(f"{url}/{name}")
            page.wait_for_selector(f"#page-title[data-page={name}]")
            if name == "scheme":
                page.click("#whatif-apply")
                page.wait_for_selector("#whatif-grid")
            shot(page, name)
        page.close()
        sup = browser.new_page(viewport=VIEWPORT, locale="zh-CN")
        sup.set_default_timeout(60000)
        signin(sup, "street")
        sup.wait_for_selector("#overview-sub-units .drill-link")
        shot(sup, "overview-street")
        sup.close()
        phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=True,
                                    locale="zh-CN").new_page()
        phone.goto(f"{url}/s/{token}")
        phone.wait_for_selector("form")
        shot(phone, "survey_form")
        names = phone.eval_on_selector_all("input[type=radio]", "els => [...new Set(els.map(e => e.name))]")
        for n in names:
            phone.locator(f"input[type=radio][name='{n}']").first.check()
        phone.click("button[type=submit]")
        phone.wait_for_selector("text=感谢您的参与")
        shot(phone, "survey_thanks")
        browser.close()


def main(argv: list[str] | None = None) -> None:
    """Build the demo, render reports, serve, screenshot; images go to --out."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("docs/img"))
    parser.add_argument("--work", type=Path, default=Path("/tmp/shots"))
    args = parser.parse_args(argv)
    work: Path = args.work
    out: Path = args.out
    work.mkdir(parents=True, exist_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    db = work / "demo.duckdb"
    for stale in work.glob("demo.duckdb*"):
        stale.unlink()
    gridscore("demo", "--no-serve", "--db", str(db))
    tokens = work / "tokens.csv"
    gridscore("sample", "--period", "2025Q4", "--seed", "7", "--tokens-out", str(tokens), "--db", str(db))
    token = next(csv.DictReader(io.StringIO(tokens.read_text(encoding="utf-8-sig"))))["token"]
    assert re.fullmatch(r"[0-9a-f]{16,}", token), token
    worker = pick_worker(db)
    grid = grid_of(db, worker)
    print(f"worker {worker}, grid {grid}")
    reports(work, out, worker)
    with Server(db, work / "serve.log") as server:
        browse(server.url, out, worker, grid, token)


if __name__ == "__main__":
    main()
