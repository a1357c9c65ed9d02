"""Annual reports: PDF text layer and pages, CJK glyphs, Excel numbers, offline HTML, scope.

The city is the shared small city (a draft run for 2025); this module's copy adds a
final run for 2025H1, a worker whose name is a spreadsheet formula and a veto whose
evidence starts with "@", and sign-in accounts. The charts are rendered once
(plotly.js in the report browser, as SVG) and reused by the HTML and the PDF. Page PNGs go to artifacts/reports/.
"""

from __future__ import annotations

import json
import math
import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from typer.testing import CliRunner

from dashboard.access import AccessDenied
from dashboard.auth import User, add_user
from dashboard.i18n import fmt_num
from dashboard.reports import (
    build_report,
    render_html,
    render_pdf,
    render_worker_sheet,
    render_xlsx,
)
from dashboard.reports.charts import chart_images, shutdown
from dashboard.reports.html import render_parts
from dashboard.reports.pdf import html_to_pdf, split
from metrics.results import unit_scores, worker_scores
from warehouse.db import Database, open_db

ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts" / "reports"
EVIL_NAME = '=HYPERLINK("http://x","y")'
EVIL_EVIDENCE = "@SUM(1+1)*cmd|' /C calc'!A0"
PASSWORD = "correct-horse-1"


@pytest.fixture(scope="module")
def rep_db(city_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """A module copy of the city with hostile text, a final half-year run and accounts."""
    from metrics.runs import finalise, score_period

    path = tmp_path_factory.mktemp("reports") / "city.duckdb"
    shutil.copyfile(city_path, path)
    db = open_db(path)
    with db.transaction() as cur:
        cur.execute("UPDATE workers SET name = ? WHERE worker_id = (SELECT min(worker_id) FROM workers "
                    "WHERE role = 'grid_worker')", [EVIL_NAME])
        cur.execute("UPDATE veto_events SET evidence = ? WHERE veto_id = (SELECT min(veto_id) FROM veto_events "
                    "WHERE period_id = '2025')", [EVIL_EVIDENCE])
    half = score_period(db, "2025H1", draws=30)
    finalise(db, half.run_id, actor="test")
    for name, role, scope in (("assessor", "assessor", None), ("sup", "supervisor", "D01S01"),
                              ("viewer", "viewer", None)):
        add_user(db, name, PASSWORD, role=role, scope_unit_id=scope)
    try:
        yield db
    finally:
        shutdown()
        db.close()


@pytest.fixture(scope="module")
def report(rep_db: Database):
    return build_report(rep_db, period_id="2025")


@pytest.fixture(scope="module")
def charts(report) -> dict[str, bytes]:
    return chart_images(report.figures)


@pytest.fixture(scope="module")
def pdf_path(report, charts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = render_pdf(report, tmp_path_factory.mktemp("pdf") / "report.pdf", charts=charts, jobs=1)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for old in ARTIFACTS.glob("report-*.png"):
        old.unlink()
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(ARTIFACTS / "report")], check=True)
    return path


@pytest.fixture(scope="module")
def split_pdf_path(report, charts, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The same report printed as three parts in parallel, joined, footers laid over."""
    docs = split(render_parts(report, charts=charts), 3, min_cells=0)
    assert len(docs) == 3
    return html_to_pdf(docs, tmp_path_factory.mktemp("split") / "report.pdf", footer_title=report.title)


def _run(*args: str) -> str:
    return subprocess.run(list(args), check=True, capture_output=True, text=True).stdout


def _view_rows(db: Database, run_id: str) -> pl.DataFrame:
    """The rankings view's rows (its own shaping) for the whole city."""
    from dashboard.context import make_context
    from dashboard.pagekit import with_points
    from dashboard.pages.rankings import ranking_rows

    ctx = make_context(db, User("admin", "admin", None), period="2025")
    return ranking_rows(with_points(worker_scores(db, run_id)), ctx, level="workers")


def _pgm(path: Path) -> tuple[int, int, bytes]:
    data = path.read_bytes()
    magic, w, h, _maxval, pixels = data.split(maxsplit=4)
    assert magic == b"P5"
    return int(w), int(h), pixels


@pytest.mark.slow  # Chromium prints the charts / PDF
def test_report_pdf_is_a4_and_text_layer_has_the_views_numbers(rep_db: Database, report, pdf_path: Path) -> None:
    info = _run("pdfinfo", str(pdf_path))
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert pages >= 5
    sizes = _run("pdfinfo", "-f", "1", "-l", str(pages), str(pdf_path))
    assert len(re.findall(r"size:\s+59[45]\.\d+ x 84[12]\.\d+ pts \(A4\)", sizes)) == pages
    text = _run("pdftotext", "-layout", str(pdf_path), "-")
    lines = text.splitlines()
    view = _view_rows(rep_db, report.run.run_id).filter(pl.col("name") != EVIL_NAME)
    scored = view.filter(pl.col("total").is_not_null())
    sample = scored.gather_every(max(1, scored.height // 10))
    assert sample.height >= 8
    for name, wid, total in sample.select("name", "id", "total").iter_rows():
        hit = [ln for ln in lines if wid in ln]
        assert hit, f"{wid} missing from the PDF"
        assert name in hit[0] and f" {fmt_num(total)} " in hit[0] + " ", (name, total, hit[0])
    plain = _run("pdftotext", str(pdf_path), "-")
    assert "草稿（未定稿" in plain and report.run.run_id in plain
    assert re.search(r"第 1 页 / 共 \d+ 页", text)
    assert "没有上一考核期的评分结果" in text  # no 2024 run in the city
    assert "附录" in text and "矛盾纠纷调解成功率" in text  # methodology from the scheme in force
    assert len(list(ARTIFACTS.glob("report-*.png"))) == pages


@pytest.mark.slow  # Chromium prints the charts / PDF
def test_report_pdf_printed_in_parallel_parts_has_the_same_rows_and_running_page_numbers(
        pdf_path: Path, split_pdf_path: Path) -> None:
    whole = _run("pdftotext", "-layout", str(pdf_path), "-")
    joined = _run("pdftotext", "-layout", str(split_pdf_path), "-")
    pages = int(re.search(r"Pages:\s+(\d+)", _run("pdfinfo", str(split_pdf_path))).group(1))
    sizes = _run("pdfinfo", "-f", "1", "-l", str(pages), str(split_pdf_path))
    assert len(re.findall(r"\(A4\)", sizes)) == pages
    numbers = [(int(a), int(b)) for a, b in re.findall(r"第 (\d+) 页 / 共 (\d+) 页", joined)]
    assert numbers == [(i, pages) for i in range(1, pages + 1)]  # one footer per page, numbered through

    def rows(text: str) -> list[str]:
        return [" ".join(ln.split()) for ln in text.splitlines() if re.search(r"\bW\d{6}\b", ln)]

    assert rows(joined) == rows(whole) and len(rows(whole)) > 100
    assert all("草" in page for page in joined.split("\f")[:pages])  # the 草稿 watermark is on every page
    assert pages - int(re.search(r"Pages:\s+(\d+)", _run("pdfinfo", str(pdf_path))).group(1)) in (0, 1, 2)


@pytest.mark.slow  # Chromium prints the charts / PDF
def test_report_pdf_renders_cjk_glyphs_not_boxes(pdf_path: Path, tmp_path: Path) -> None:
    title = "网格化管理考核年度报告"
    bbox = _run("pdftotext", "-f", "1", "-l", "1", "-bbox", str(pdf_path), "-")
    m = re.search(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">' + title + "</word>",
                  bbox)
    assert m, "cover title not in the text layer"
    x0, y0, x1, y1 = (float(v) for v in m.groups())
    step = (x1 - x0) / len(title)
    scale = 150 / 72
    glyphs = []
    for i in (0, 1, 2):  # 网 格 化
        out = tmp_path / f"g{i}"
        subprocess.run(["pdftoppm", "-r", "150", "-f", "1", "-l", "1", "-gray", "-x", str(int((x0 + i * step) * scale)),
                        "-y", str(int(y0 * scale)), "-W", str(int(step * scale)), "-H", str(int((y1 - y0) * scale)),
                        str(pdf_path), str(out)], check=True)
        _w, _h, pixels = _pgm(next(tmp_path.glob(f"g{i}*.pgm")))
        ink = sum(1 for p in pixels if p < 128)
        assert ink > 20, f"glyph {title[i]} is blank"
        glyphs.append(pixels)
    assert len(set(glyphs)) == 3  # three different characters, three different bitmaps (a box would repeat)
    fonts = _run("pdffonts", str(pdf_path))
    assert "Type 3" in fonts or "CJK" in fonts  # Noto Sans CJK (CFF) is embedded by Chromium as Type 3


@pytest.mark.slow  # Chromium prints the charts / PDF
def test_report_html_is_self_contained_and_escapes_names(report, charts) -> None:
    page = render_html(report, charts=charts)
    assert page.count("data:image/svg+xml;base64,") == len(charts) == 3
    for svg in charts.values():  # vector charts whose text (titles, legends) is Chinese
        assert svg.startswith(b"<svg") and re.search("[\u4e00-\u9fff]", svg.decode("utf-8"))
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.IGNORECASE)
    assert "<script" not in page.lower() and "<link" not in page.lower()
    assert not re.search(r"url\(|@import|@font-face", page)
    assert EVIL_NAME not in page and "=HYPERLINK(&#34;http://x&#34;,&#34;y&#34;)" in page
    assert 'class="watermark"' in page


def test_report_final_run_has_no_watermark_and_scope_filters(rep_db: Database) -> None:
    final = build_report(rep_db, period_id="2025H1")
    assert not final.draft and 'class="watermark"' not in render_html(final, charts={})
    sup = User("sup", "supervisor", "D01S01")
    scoped = build_report(rep_db, period_id="2025", user=sup)
    assert scoped.unit_id == "D01S01" and scoped.workers.height > 0
    assert set(scoped.workers["street_id"].drop_nulls().unique()) == {"D01S01"}
    assert scoped.satisfaction["unit_id"].str.starts_with("D01S01").all()
    assert scoped.streets["unit_id"].to_list() == ["D01S01"]
    dept = rep_db.scalar("SELECT min(dept_id) FROM workers WHERE dept_id IS NOT NULL")
    by_dept = build_report(rep_db, period_id="2025", unit_id=dept)
    assert by_dept.workers.height > 0 and set(by_dept.workers["dept_id"].unique()) == {dept}
    assert by_dept.departments["unit_id"].to_list() == [dept]
    with pytest.raises(AccessDenied):
        build_report(rep_db, period_id="2025", unit_id="D01S02", user=sup)
    with pytest.raises(AccessDenied):
        build_report(rep_db, period_id="2025", user=User("viewer", "viewer", None))


def test_report_xlsx_numbers_equal_the_run_and_formulas_stay_text(rep_db: Database, report, tmp_path: Path) -> None:
    path = render_xlsx(report, tmp_path / "report.xlsx")
    wb = openpyxl.load_workbook(path)
    run_id = report.run.run_id
    ws = wb["人员排名"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    head = [c.value for c in ws[1]]
    assert "总分" in head and "工作实绩" in head and "名次区间（下限）" in head
    col = {h: i for i, h in enumerate(head)}
    got = pl.DataFrame([list(r) for r in ws.iter_rows(min_row=2, values_only=True)], schema=head, orient="row")
    want = worker_scores(rep_db, run_id)
    assert got.height == want.height
    joined = got.join(want, left_on="编号", right_on="worker_id", how="inner")
    assert joined.height == want.height
    pairs = {"总分": "total", "工作实绩": "results_points", "业务技能": "skills_points",
             "群众满意度": "satisfaction_points", "扣分": "deductions", "加分": "bonus", "岗位内名次": "rank",
             "名次区间（下限）": "rank_low", "名次区间（上限）": "rank_high", "同岗位参评人数": "ranked_among"}
    for sheet_col, run_col in pairs.items():
        a, b = joined[sheet_col].cast(pl.Float64), joined[run_col].cast(pl.Float64)
        assert ((a - b).abs().fill_null(0) < 1e-9).all() and (a.is_null() == b.is_null()).all(), sheet_col
    for row in ws.iter_rows(min_row=2, max_row=ws.max_row):
        for name in ("总分", "工作实绩"):
            cell = row[col[name]]
            assert cell.value is None or (cell.data_type == "n" and cell.number_format == "0.0")
    # text, and quote-prefixed by the one neutraliser (warehouse.safe_cells)
    evil = [r for r in ws.iter_rows(min_row=2) if r[col["姓名"]].value == "'" + EVIL_NAME]
    assert len(evil) == 1 and evil[0][col["姓名"]].data_type == "s"
    for level, sheet in (("community", "社区排名"), ("street", "街道排名"), ("department", "部门得分")):
        ws = wb[sheet]
        head = [c.value for c in ws[1]]
        rows = list(ws.iter_rows(min_row=2, values_only=True))
        want = unit_scores(rep_db, run_id, level=level)
        assert len(rows) == want.height
        lows = [r[head.index("名次区间（下限）")] for r in rows]  # unit rank intervals, as in the run
        assert lows == want["rank_low"].to_list() and any(v is not None for v in lows)
        for r, expected in zip(rows, want["total"].to_list(), strict=True):
            got_total = r[head.index("总分")]
            if expected is None or math.isnan(expected):
                assert got_total is None  # a missing unit total is a blank cell, never text
            else:
                assert got_total == pytest.approx(expected, abs=1e-9)
    ws = wb["网格满意度"]
    head = [c.value for c in ws[1]]
    est = report.satisfaction
    assert [r[head.index("应答户数")] for r in ws.iter_rows(min_row=2, values_only=True)] == est["respondents"].to_list()
    ws = wb["否决事项"]
    cells = [c for r in ws.iter_rows(min_row=2) for c in r if c.value == "'" + EVIL_EVIDENCE]
    assert len(cells) == 1 and cells[0].data_type == "s"


@pytest.mark.slow  # Chromium prints the charts / PDF
def test_worker_sheet_is_one_a4_page_with_the_workers_numbers(rep_db: Database, report, tmp_path: Path) -> None:
    vetoed = report.workers.filter(pl.col("vetoed")).row(0, named=True)
    path = render_worker_sheet(rep_db, report.run.run_id, vetoed["worker_id"], tmp_path / "sheet.pdf")
    info = _run("pdfinfo", str(path))
    assert "Pages:           1" in info and "(A4)" in info
    text = _run("pdftotext", "-layout", str(path), "-")
    assert vetoed["name"] in text and fmt_num(vetoed["total"]) in text and "被考核人签字" in text
    assert "一票否决" in text and "草稿" in text
    subprocess.run(["pdftoppm", "-r", "50", "-png", str(path), str(ARTIFACTS / "sheet")], check=True)
    other = "D01S02" if vetoed["street_id"] != "D01S02" else "D01S01"
    with pytest.raises(AccessDenied):
        render_worker_sheet(rep_db, report.run.run_id, vetoed["worker_id"], tmp_path / "x.pdf",
                            user=User("sup", "supervisor", other))


def test_report_cli_writes_read_only_and_refuses_unknown_period(rep_db: Database, tmp_path: Path) -> None:
    from dashboard.cli import app

    rep_db.checkpoint()
    copy = tmp_path / "cli.duckdb"
    shutil.copyfile(rep_db.path, copy)
    runner = CliRunner()
    out = tmp_path / "r.xlsx"
    result = runner.invoke(app, ["report", "--period", "2025", "--unit", "D01S01", "--format", "xlsx",
                                 "--out", str(out), "--db", str(copy), "--json"])
    assert result.exit_code == 0, result.output
    assert '"run_id"' in result.stdout and out.stat().st_size > 5000
    bad = runner.invoke(app, ["report", "--period", "1999", "--format", "xlsx", "--out", str(out), "--db", str(copy)])
    assert bad.exit_code == 1 and "no score run" in bad.output and "Traceback" not in bad.output


@pytest.mark.slow
def test_export_routes_check_role_and_scope(rep_db: Database) -> None:
    from dashboard.app import create_app
    from dashboard.settings import Settings

    app = create_app(Settings(db_path=rep_db.path, signin_burst=50), db=rep_db)

    def client(name: str):
        c = app.server.test_client()
        assert c.post("/login", data={"user": name, "password": PASSWORD}).status_code == 302
        return c

    sup = client("sup")
    ok = sup.get("/export/report/xlsx?period=2025")
    assert ok.status_code == 200 and ok.headers["Content-Type"].startswith("application/vnd.openxml")
    assert "report-2025-D01S01.xlsx" in ok.headers["Content-Disposition"]
    assert sup.get("/export/report/xlsx?period=2025&unit=D01S02").status_code == 403
    outside = rep_db.scalar("SELECT min(worker_id) FROM workers WHERE grid_id LIKE 'D01S02%'")
    assert sup.get(f"/export/sheet.pdf?period=2025&worker={outside}").status_code == 403
    assert client("viewer").get("/export/report/html?period=2025").status_code == 403
    book = client("assessor").get("/export/report/xlsx?period=2025H1&unit=D01S02")
    assert book.status_code == 200 and book.data[:2] == b"PK"  # a zip (xlsx) container
    assert app.server.test_client().get("/export/report/html?period=2025").status_code == 302  # sign in first


def test_export_buttons_only_for_roles_that_may_export(rep_db: Database) -> None:
    from dash._utils import to_json

    from dashboard.components import export_buttons
    from dashboard.context import make_context

    ctx = make_context(rep_db, User("a", "assessor", None), period="2025")
    text = json.dumps(json.loads(to_json(export_buttons(ctx, worker="W000001"))))
    assert "/export/report/pdf?period=2025" in text and "/export/sheet.pdf?period=2025" in text
    viewer = make_context(rep_db, User("v", "viewer", None), period="2025")
    assert "export" not in to_json(export_buttons(viewer))
