"""Benchmark: the city-scale annual report as PDF and as Excel.

Builds (once, cached in bench/.cache/ keyed by size and seed) a synthetic city,
simulates the year's survey and scores the year, then times, in this process:

* PDF: `build_report` + charts (plotly.js in the report browser) + `render_pdf`
  (Chromium print, one part per CPU printed in parallel), the whole `gridscore
  report --format pdf` work after start-up; also with `jobs=1` (one print job);
* Excel: `build_report` + `render_xlsx`;
* baselines in the same run: printing a one-page HTML with the same Chromium
  (the fixed cost of a PDF), and `polars.DataFrame.write_excel` of the worker table
  (plain cells, no report formatting).

Median of `--runs` after one warm-up (imports, the browser start, loading
plotly.js); the warm-up (cold) time is reported too. Writes the `## Reports` section of
docs/performance.md.

    python -m bench.bench_reports [--runs 3] [--seed 20251] [--no-write]
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bench.bench_generate import write_section

ROOT = Path(__file__).resolve().parent.parent
HEADING = "## Reports"
YEAR = 2025
PDF_GOAL = 20.0
XLSX_GOAL = 10.0


def city_path(size: str, seed: int) -> Path:
    """The cached scored city for (size, seed), built on first use."""
    path = ROOT / "bench" / ".cache" / f"reports-{size}-s{seed}.duckdb"
    if path.exists():
        return path
    from metrics.runs import score_period
    from surveys.synthetic import simulate
    from warehouse.db import open_db
    from warehouse.synthetic import generate

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".building")
    tmp.unlink(missing_ok=True)
    print(f"building the {size} city (seed {seed}) into {path} …", flush=True)
    with open_db(tmp) as db:
        generate(db, size=size, seed=seed, year=YEAR)  # type: ignore[arg-type]
        simulate(db, period_id=str(YEAR), seed=seed)
        score_period(db, str(YEAR), seed=seed, draws=200)
        db.checkpoint()
    tmp.rename(path)
    return path


_cpu: list[float] = []  # CPU seconds of each `timed` call: this process + every Chromium process


def _descends(pid: int, parents: dict[int, int], ancestor: int) -> bool:
    """Whether `pid` is a descendant of `ancestor` (other sessions' Chromiums are not counted)."""
    for _ in range(64):
        pid = parents.get(pid, 0)
        if pid == ancestor:
            return True
        if pid <= 1:
            return False
    return False


class ChromiumCpu:
    """Sample /proc for this process's Chromium processes (Playwright's) and sum their CPU time.

    Chromium's processes are not reaped by this process, so `getrusage` misses them;
    each is sampled every 0.1 s and its last seen utime+stime counted (a process that
    exits between samples loses at most 0.1 s, so this slightly underestimates).
    """

    def __init__(self) -> None:
        self.seen: dict[int, float] = {}
        self.start: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)

    @staticmethod
    def _sample() -> dict[int, float]:
        tick = os.sysconf("SC_CLK_TCK")
        me = os.getpid()
        out: dict[int, float] = {}
        parents: dict[int, int] = {}
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/stat", encoding="ascii", errors="replace") as fh:
                    stat = fh.read()
            except OSError:
                continue
            comm = stat[stat.find("(") + 1: stat.rfind(")")]
            fields = stat[stat.rfind(")") + 2:].split()
            parents[int(entry)] = int(fields[1])
            if comm.startswith(("chrom", "headless")):
                out[int(entry)] = (int(fields[11]) + int(fields[12])) / tick
        return {pid: cpu for pid, cpu in out.items() if _descends(pid, parents, me)}

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.seen.update(self._sample())
            self._stop.wait(0.1)

    def __enter__(self) -> ChromiumCpu:
        self.start = self._sample()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.seen.update(self._sample())

    @property
    def seconds(self) -> float:
        """CPU seconds Chromium processes spent while sampling."""
        return sum(v - self.start.get(pid, 0.0) for pid, v in self.seen.items())


def _cpu_now() -> float:
    me = resource.getrusage(resource.RUSAGE_SELF)
    return me.ru_utime + me.ru_stime


def timed(fn: Callable[[], object]) -> float:
    """Wall seconds one call of `fn` takes; its CPU seconds (Chromium included) go to `_cpu`."""
    cpu = _cpu_now()
    with ChromiumCpu() as chromium:
        started = time.perf_counter()
        fn()
        wall = time.perf_counter() - started
    _cpu.append(_cpu_now() - cpu + chromium.seconds)
    return wall


def machine() -> str:
    """nproc, memory, platform and versions, one line."""
    from importlib import metadata as importlib_metadata

    import duckdb
    import polars

    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (f"{os.cpu_count()} CPUs (nproc), {mem:.0f} GB RAM, {platform.machine()}, Python "
            f"{platform.python_version()}, DuckDB {duckdb.__version__}, polars {polars.__version__}, "
            f"playwright {importlib_metadata.version('playwright')}, Debian chromium")


@dataclass(frozen=True)
class Result:
    """What one benchmark run measured (seconds are medians unless named cold)."""

    size: str
    seed: int
    runs: int
    workers: int
    grids: int
    pages: int
    pdf_mb: float
    xlsx_mb: float
    cold_pdf: float
    cold_xlsx: float
    pdf: float
    pdf_serial: float
    pdf_serial_cpu: float
    xlsx: float
    build: float
    charts: float
    html: float
    base_pdf: float
    base_xlsx: float
    pdf_cpu: float
    xlsx_cpu: float
    load: float


def run(runs: int, seed: int, size: str) -> Result:
    """Measure the PDF and Excel reports and their baselines."""
    from dashboard.reports import build_report, render_html, render_pdf, render_xlsx
    from dashboard.reports.charts import chart_images, shutdown
    from dashboard.reports.pdf import html_to_pdf
    from warehouse.db import open_db

    path = city_path(size, seed)
    db = open_db(path, read_only=True, migrate=False)
    out = Path(tempfile.mkdtemp(prefix="gridscore-bench-reports-"))
    try:
        def pdf(jobs: int | None = None) -> None:
            report = build_report(db, period_id=str(YEAR))
            render_pdf(report, out / "report.pdf", charts=chart_images(report.figures), jobs=jobs)

        def xlsx() -> None:
            render_xlsx(build_report(db, period_id=str(YEAR)), out / "report.xlsx")

        cores = os.cpu_count() or 1  # one part per CPU, as render_pdf's default
        cold_pdf = timed(lambda: pdf(cores))
        _cpu.clear()
        pdf_times = [timed(lambda: pdf(cores)) for _ in range(runs)]
        pdf_cpu = statistics.median(_cpu)
        _cpu.clear()
        serial_times = [timed(lambda: pdf(1)) for _ in range(runs)]
        serial_cpu = statistics.median(_cpu)
        shutdown()  # the idle browser would otherwise count in the Excel CPU time
        cold_xlsx = timed(xlsx)
        _cpu.clear()
        xlsx_times = [timed(xlsx) for _ in range(runs)]
        xlsx_cpu = statistics.median(_cpu)
        report = build_report(db, period_id=str(YEAR))
        build_times = [timed(lambda: build_report(db, period_id=str(YEAR))) for _ in range(runs)]
        charts = chart_images(report.figures)  # the browser and plotly.js are warm again after the Excel runs
        chart_times = [timed(lambda: chart_images(report.figures)) for _ in range(runs)]
        html_times = [timed(lambda: render_html(report, charts=charts)) for _ in range(runs)]
        one_page = "<!doctype html><meta charset='utf-8'><body style='font-family:\"Noto Sans CJK SC\"'>网格</body>"
        base_pdf = [timed(lambda: html_to_pdf(one_page, out / "one.pdf")) for _ in range(runs)]
        base_xlsx = [timed(lambda: report.workers.write_excel(out / "plain.xlsx")) for _ in range(runs)]
        info = subprocess.run(["pdfinfo", str(out / "report.pdf")], capture_output=True, text=True, check=True).stdout
        pages = int(next(ln.split()[-1] for ln in info.splitlines() if ln.startswith("Pages:")))
        med = statistics.median
        return Result(
            size=size, seed=seed, runs=runs, workers=report.workers.height, grids=report.satisfaction.height,
            pages=pages, pdf_mb=(out / "report.pdf").stat().st_size / 2**20,
            xlsx_mb=(out / "report.xlsx").stat().st_size / 2**20, cold_pdf=cold_pdf, cold_xlsx=cold_xlsx,
            pdf=med(pdf_times), pdf_serial=med(serial_times), pdf_serial_cpu=serial_cpu, xlsx=med(xlsx_times), build=med(build_times), charts=med(chart_times),
            html=med(html_times),
            base_pdf=med(base_pdf), base_xlsx=med(base_xlsx), pdf_cpu=pdf_cpu, xlsx_cpu=xlsx_cpu,
            load=os.getloadavg()[0],
        )
    finally:
        shutdown()
        db.close()


def section(r: Result, command: str) -> str:
    """The markdown section."""
    ok_pdf = "✓" if r.pdf <= PDF_GOAL else "✗"
    ok_xlsx = "✓" if r.xlsx <= XLSX_GOAL else "✗"
    cores = os.cpu_count() or 1
    return "\n".join([
        HEADING,
        "",
        f"Command: `{command}` (size {r.size}, seed {r.seed}: {r.workers:,} workers, {r.grids:,} grids; year "
        f"{YEAR} scored with 200 draws; whole-city report; median of {r.runs} runs after one warm-up).",
        f"Machine: {machine()}.",
        "",
        f"Load average when the run ended: {r.load:.1f} (on {cores} CPUs). Other work shares the machine, so "
        "wall times depend on the load; the CPU column (this process plus its own Chromium processes, "
        "sampled from /proc) is the load-independent cost.",
        "",
        "| output | median wall | median CPU | cold wall (first in process) | goal | baseline (same run) | "
        "wall ratio to baseline |",
        "| --- | ---: | ---: | ---: | ---: | --- | ---: |",
        f"| annual report PDF ({r.pages} A4 pages, {r.pdf_mb:.1f} MB), one print job (`jobs=1`) | {r.pdf_serial:.1f} s | {r.pdf_serial_cpu:.1f} s | — | ≤ {PDF_GOAL:.0f} s "
        f"{'✓' if r.pdf_serial <= PDF_GOAL else '✗'} | a one-page print with the same warm browser: "
        f"{r.base_pdf:.2f} s | {r.pdf_serial / r.base_pdf:.0f}× |",
        f"| the same PDF in {cores} parts printed in parallel (`jobs={cores}`, the default) | "
        f"{r.pdf:.1f} s | {r.pdf_cpu:.1f} s | {r.cold_pdf:.1f} s | ≤ {PDF_GOAL:.0f} s {ok_pdf} | "
        f"one print job (row above) | {r.pdf / r.pdf_serial:.2f}× |",
        f"| annual report Excel ({r.xlsx_mb:.1f} MB) | {r.xlsx:.1f} s | {r.xlsx_cpu:.1f} s | {r.cold_xlsx:.1f} s | "
        f"≤ {XLSX_GOAL:.0f} s {ok_xlsx} | `polars.write_excel` of the worker table: {r.base_xlsx:.1f} s | "
        f"{r.xlsx / r.base_xlsx:.1f}× |",
        "",
        f"Parts of the PDF time (medians, warm): reading the run into the report model {r.build:.1f} s, the "
        f"three charts (plotly.js to SVG in the kept page) {r.charts:.2f} s, rendering the HTML {r.html:.1f} s; "
        "the rest is Chromium's layout and print. The cold figures include Python imports, starting Chromium and loading plotly.js (the CLI "
        "pays them once per command, the dashboard once per process).",
        "",
    ])


def main(argv: list[str] | None = None) -> None:
    """Parse options, measure, print and (optionally) write the section."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="timed runs per output (median reported)")
    parser.add_argument("--seed", type=int, default=20251, help="synthetic city seed")
    parser.add_argument("--size", default="city", help="synthetic city size (small, city)")
    parser.add_argument("--no-write", action="store_true", help="do not update docs/performance.md")
    args = parser.parse_args(argv)
    result = run(args.runs, args.seed, args.size)
    command = "python -m bench.bench_reports" + (f" --runs {args.runs}" if args.runs != 3 else "")
    text = section(result, command)
    print(text)
    if not args.no_write:
        write_section(text)


if __name__ == "__main__":
    main()
