"""Issue 15 finding 5: no raw codes on any page or export of the scored test city.

The codes come from their declarations (warehouse.enums, metrics.reasons, the scheme's
veto categories, deduction events, bonus categories, pillar sources and directions, the
synthetic city's veto categories). Every page's visible text (in zh and en), the rankings
CSV, the annual report's HTML (what its PDF prints), the Excel workbook and a worker's
score sheet are scanned: a code may only reach a reader through the catalogue.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import polars as pl
import pytest
from dash._utils import to_json

from dashboard.auth import User
from dashboard.context import make_context
from dashboard.pages import overview, rankings, scheme, surveys, unit, vetoes, worker
from dashboard.reports import build_report
from dashboard.reports.html import render_html
from dashboard.reports.sheet import worker_sheet_html
from dashboard.reports.xlsx import render_xlsx
from metrics import reasons
from metrics.results import worker_scores
from metrics.runs import latest_run
from metrics.scheme import DEDUCTION_EVENTS, load_scheme
from warehouse import enums
from warehouse.db import Database
from warehouse.synthetic.events import BONUS_CATEGORIES, VETO_CATEGORIES

ADMIN = User("admin", "admin", None)


def declared_codes() -> set[str]:
    """Every code a stored row or the scheme may carry."""
    scheme = load_scheme()
    codes: set[str] = set()
    for table in (enums.GRADES, enums.WORKER_ROLES, enums.VETO_SCOPES, enums.VETO_SEVERITIES, enums.VETO_STATUSES,
                  enums.WORK_TYPES, enums.WORK_STATUSES, enums.WORK_OUTCOMES, enums.ORG_LEVELS):
        codes |= set(table)
    codes |= {c for c in (*reasons.INELIGIBLE_REASONS, *reasons.MISSING_REASONS, *reasons.GRADE_REASONS) if "<" not in c}
    codes.add(f"in_post_lt_{scheme.eligibility.min_months_in_post:g}m")
    codes |= {c.key for c in scheme.veto.categories} | set(VETO_CATEGORIES)
    codes |= set(DEDUCTION_EVENTS) | {k for k, _ in BONUS_CATEGORIES} | {k for k, _ in scheme.bonus_categories}
    codes |= {p.key for p in scheme.pillars} | {p.source for p in scheme.pillars} | {i.direction for i in scheme.indicators}
    codes |= {f"{p.key}_missing" for p in scheme.pillars}
    return codes


CODES = declared_codes()
# a word a sentence may hold in English ("pass", "open", "visit") is a code only in Chinese text;
# a code with an underscore or a ';' list of codes is never a word in either language
EN_CODES = {c for c in CODES if "_" in c}


def _find(text: str, lang: str) -> set[str]:
    codes = CODES if lang == "zh" else EN_CODES
    words = set(re.findall(r"[A-Za-z][A-Za-z0-9_.]*", text))
    hits = {c for c in codes if c in words}
    if ";" in text:
        hits |= {m for m in re.findall(r"[a-z_0-9]+(?:;[a-z_0-9]+)+", text)}
    return hits


def page_text(html_text: str) -> str:
    """The text of an HTML document as read (no styles, no tags, entities decoded)."""
    body = re.sub(r"<style.*?</style>", " ", html_text, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", body))


def visible(tree: object) -> str:
    """The text a reader sees in a component tree: children, grid cells and headers, figure labels."""
    out: list[str] = []

    def walk(node: object, key: str = "") -> None:
        if isinstance(node, str):
            if key in ("children", "headerName", "label", "placeholder", "text", "name", "title", "x", "y"):
                out.append(node)
        elif isinstance(node, list):
            for v in node:
                walk(v, key)
        elif isinstance(node, dict):
            if "props" in node:
                walk(node["props"], "")
                return
            for k, v in node.items():
                if k == "rowData":
                    out.extend(str(x) for row in v for c, x in row.items() if c not in ("href", "id", "grade_code"))
                elif k not in ("id", "className", "style", "field", "href", "measure", "type", "mode", "cellStyle",
                               "getRowId", "rowModelType", "columnSize", "dashGridOptions", "defaultColDef"):
                    walk(v, k)

    walk(json.loads(to_json(tree)))
    return "\n".join(out)


@pytest.fixture(scope="module")
def pages(dash_db: Database) -> dict[str, str]:
    run = latest_run(dash_db, "2025")
    scores = worker_scores(dash_db, run.run_id)
    pick = [
        scores.filter(pl.col("vetoed"))["worker_id"][0],
        scores.filter(~pl.col("eligible") & pl.col("total").is_not_null() & ~pl.col("vetoed"))["worker_id"][0],
        *scores.filter(pl.col("total").is_null())["worker_id"].head(2).to_list(),
        scores.sort("deductions", descending=True)["worker_id"][0],
    ]
    out: dict[str, str] = {}
    for lang in ("zh", "en"):
        ctx = make_context(dash_db, ADMIN, period="2025", lang=lang)
        out[f"overview.{lang}"] = visible(overview.view(ctx, {}))
        for level in rankings.LEVELS:
            frame = rankings.level_frame(ctx, level)
            out[f"rankings.{level}.{lang}"] = (visible(rankings.view(ctx, {"level": level}))
                                               + "\n" + rankings.ranking_rows(frame, ctx, level=level)
                                               .drop("href", "grade_code", "id").write_csv(include_header=False))
            out[f"csv.{level}.{lang}"] = rankings.export_csv(ctx, level=level)  # headers and rows
        for wid in pick:
            out[f"worker.{wid}.{lang}"] = visible(worker.view(ctx, {"worker": wid}))
        for name, mod in (("vetoes", vetoes), ("surveys", surveys), ("scheme", scheme)):
            out[f"{name}.{lang}"] = visible(mod.view(ctx, {}))
        for subject in ("D01S01", "D01S01C01", "D01S01C01G01", scores["dept_id"].drop_nulls()[0]):
            out[f"unit.{subject}.{lang}"] = visible(unit.view(ctx, {"subject": subject}))
        out[f"report.html.{lang}"] = page_text(render_html(build_report(dash_db, period_id="2025", lang=lang), charts={}))
    for wid in pick:
        if scores.filter(pl.col("worker_id") == wid)["total"][0] is not None:
            out[f"sheet.{wid}.zh"] = page_text(worker_sheet_html(dash_db, run.run_id, wid))
    return out


def test_the_declarations_hold_the_codes_the_city_stores(dash_db: Database) -> None:
    run = latest_run(dash_db, "2025")
    scores = worker_scores(dash_db, run.run_id)
    stored = {c for v in scores["ineligible_reason"].drop_nulls().to_list() for c in reasons.split_reasons(v)}
    stored |= set(scores["satisfaction_reason"].drop_nulls().to_list()) | set(scores["results_reason"].drop_nulls())
    stored |= set(dash_db.query("SELECT DISTINCT category FROM veto_events")["category"].to_list())
    assert stored and all(reasons.declared(c) or c in CODES for c in stored), stored - CODES


def test_no_page_shows_a_raw_code(pages: dict[str, str]) -> None:
    hits = {name: sorted(_find(text, name.rsplit(".", 1)[1])) for name, text in pages.items()}
    hits = {k: v for k, v in hits.items() if v}
    assert hits == {}, "\n".join(f"{k}: {v}" for k, v in hits.items())


def test_no_excel_sheet_shows_a_raw_code(dash_db: Database, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    path = render_xlsx(build_report(dash_db, period_id="2025", lang="zh"), tmp_path / "report.xlsx")
    book = load_workbook(path, read_only=True)
    hits: dict[str, list[str]] = {}
    for ws in book.worksheets:
        text = "\n".join(str(v) for row in ws.iter_rows(values_only=True) for v in row if isinstance(v, str))
        if found := _find(text, "zh"):
            hits[ws.title] = sorted(found)
    assert hits == {}
