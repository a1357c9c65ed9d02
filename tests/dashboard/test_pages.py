"""Page logic as plain functions: shaping, i18n and the views on the scored city."""

from __future__ import annotations

import json
from datetime import date, datetime

import polars as pl
import pytest
from dash import html
from dash._utils import to_json

from dashboard import viewmodel
from dashboard.auth import User
from dashboard.context import make_context
from dashboard.i18n import STRINGS, fmt_date, fmt_pct, fmt_period, t
from dashboard.pages import PAGES, overview, rankings, surveys, worker
from dashboard.shell import build_search, filters_to_search, parse_search
from warehouse.db import Database

ADMIN = User("admin", "admin", None)


def _text(tree: object) -> str:
    """A component tree as JSON text with Chinese left readable."""
    return json.dumps(json.loads(to_json(tree)), ensure_ascii=False)
SCORES = pl.DataFrame({
    "worker_id": ["W1", "W2", "W3", "W4"],
    "name": ["甲", "乙", "丙", "<b>丁</b>"],
    "role": ["grid_worker"] * 4,
    "street_name": ["新华街道", "新华街道", "和平街道", "和平街道"],
    "results": [30.0, 20.0, 35.0, 10.0], "skills": [8.0, 9.0, 7.0, 5.0],
    "satisfaction": [45.0, 40.0, 30.0, 20.0], "deductions": [1.0, 0.0, 2.0, 0.0], "bonus": [0.0, 1.0, 0.0, 0.0],
    "total": [82.0, 70.0, 70.0, 35.0], "grade": ["good", "pass", "pass", "fail"],
    "rank": [1, 2, 2, 4], "rank_low": [1.0, 2.0, 1.0, 4.0], "rank_high": [2.0, 3.0, 3.0, 4.0],
    "eligible": [True, True, False, True], "vetoed": [False, False, False, True],
})


def test_i18n_every_label_has_both_languages() -> None:
    assert all(zh and en for zh, en in STRINGS.values())
    assert t("nav.overview", "zh") == "总览" and t("nav.overview", "en") == "Overview"
    assert t("no.such.key", "zh") == "no.such.key"


def test_i18n_formats_follow_language() -> None:
    assert fmt_period("2025H1", "zh") == "2025年上半年" and fmt_period("2025Q3", "zh") == "2025年第3季度"
    assert fmt_period("2025", "en") == "2025" and fmt_period("2025H2", "en") == "2025 H2"
    assert fmt_date(date(2025, 3, 1), "zh") == "2025年3月1日" and fmt_date(date(2025, 3, 1), "en") == "2025-03-01"
    assert fmt_date(datetime(2025, 3, 1, 9, 5), "zh") == "2025年3月1日 09:05"
    assert fmt_pct(0.652) == "65.2%" and fmt_pct(None) == "—"


def test_shell_search_round_trip_keeps_other_parameters() -> None:
    assert parse_search("?period=2025&unit=D01S01&lang=en") == {"period": "2025", "unit": "D01S01", "lang": "en"}
    assert build_search({"period": "2025", "unit": None, "lang": "en"}) == "?period=2025&lang=en"
    assert filters_to_search("2025H1", "D01S02", "?period=2025&worker=W1&lang=en") == \
        "?period=2025H1&worker=W1&lang=en&unit=D01S02"


def test_headline_counts_grades_and_vetoes() -> None:
    head = viewmodel.headline(SCORES, pl.DataFrame({"rr1": [0.5, 0.7]}))
    assert head.workers == 4 and head.mean == pytest.approx(64.25)
    # W3 is scored, not ranked: its band grade is not published (pagekit.shown_grades)
    assert head.grades == {"excellent": 0, "good": 1, "pass": 1, "fail": 1}
    assert (head.ranked, head.not_ranked, head.graded) == (3, 1, 3)
    assert head.graded + head.ungraded == head.workers and head.graded_not_ranked == 0
    assert head.vetoes == 1 and head.response_rate == pytest.approx(0.6)


def test_grade_mix_shares_sum_to_one_per_street() -> None:
    mix = viewmodel.grade_mix(SCORES)
    sums = mix.group_by("street_name").agg(pl.col("share").sum())
    assert sums["share"].to_list() == pytest.approx([1.0, 1.0])


def test_waterfall_steps_add_up_to_the_total() -> None:
    # deductions are inside the results points (30 = 31 before deductions − 1): 30 + 8 + 45 = 83
    row = {**SCORES.row(0, named=True), "total": 83.0}
    steps = worker.waterfall_steps(row, "zh", {"results": 1.0})
    assert [s[2] for s in steps][-1] == "total"
    assert sum(s[1] for s in steps if s[2] == "relative") == pytest.approx(row["total"])
    assert [s[:2] for s in steps[:3]] == [("工作实绩（扣分前）", 31.0), ("扣分", -1.0), ("工作实绩得分", 30.0)]


def test_whatif_same_weights_changes_nothing_and_never_touches_input() -> None:
    base = {"results": 40.0, "skills": 10.0, "satisfaction": 50.0}
    frame = viewmodel.whatif_frame(SCORES, base, base)
    assert frame["whatif_total"].to_list() == pytest.approx([82.0, 70.0, 70.0, 35.0])
    assert frame["rank_change"].to_list() == [0, 0, 0, 0]
    moved = viewmodel.whatif_frame(SCORES, base, {"results": 100.0, "skills": 0.0, "satisfaction": 0.0})
    assert moved.filter(pl.col("worker_id") == "W3")["whatif_rank"][0] == 1
    assert "whatif_total" not in SCORES.columns


def test_influence_is_the_metrics_share_and_follows_the_whatif_weights() -> None:
    from metrics.scheme import load_scheme

    scheme = load_scheme()
    frame = SCORES.with_columns(
        (sum(pl.col(p.key) * p.weight / 100 for p in scheme.pillars)).alias("total"))  # no adjustments
    shares = viewmodel.influence(frame, scheme)
    assert set(shares) == {p.key for p in scheme.pillars}
    assert sum(shares.values()) == pytest.approx(1.0)
    only = viewmodel.reweighted(scheme, {p.key: (100.0 if i == 0 else 0.0) for i, p in enumerate(scheme.pillars)})
    assert [p.weight for p in only.pillars][1:] == [0.0] * (len(scheme.pillars) - 1)
    assert sum(p.weight for p in only.pillars) == pytest.approx(sum(p.weight for p in scheme.pillars))


def test_survey_progress_flags_grids_below_minimum() -> None:
    counts = pl.DataFrame({"grid_id": ["G1", "G2"], "invited": [40, 40]})
    est = pl.DataFrame({"unit_id": ["G1", "G2"], "respondents": [20, 3]})
    frame = surveys.progress_frame(counts, est)
    assert frame["low_n"].to_list() == [False, True]
    assert frame["rr"].to_list() == pytest.approx([0.5, 0.075])


def test_ranking_rows_have_labels_links_and_markers(dash_db: Database) -> None:
    ctx = make_context(dash_db, ADMIN, period="2025", lang="zh")
    rows = rankings.ranking_rows(SCORES, ctx)
    assert rows["grade"].to_list()[0] == "良好"
    assert rows["rank_interval"][0] == "1–2"
    assert rows["href"][0].startswith("/worker?") and "worker=W1" in rows["href"][0]
    assert "否决" in rows["markers"][3] and "不参评" in rows["markers"][2]
    assert rows["name"][3] == "<b>丁</b>"  # data, rendered as text by the grid


@pytest.mark.parametrize("page", PAGES, ids=lambda p: p.PATH)
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_page_renders_on_the_scored_city(dash_db: Database, page, lang: str) -> None:
    ctx = make_context(dash_db, ADMIN, period="2025", lang=lang)
    tree = page.view(ctx, {"worker": "W000001"} if page is worker else {})
    text = _text(tree)
    assert "dangerously_allow_html" not in text
    if lang == "zh":
        assert t(f"nav.{page.PATH.strip('/') or 'overview'}", "zh") in text
    assert '"data-testid": "denied"' not in text


def test_no_run_shows_the_empty_state(dash_db: Database) -> None:
    ctx = make_context(dash_db, ADMIN, period="2025Q2", lang="zh")
    assert "暂无评分结果" in _text(overview.view(ctx, {}))
    assert "暂无评分结果" in _text(rankings.view(ctx, {}))


def test_overview_figures_serialise(dash_db: Database) -> None:
    ctx = make_context(dash_db, ADMIN, period="2025", lang="en")
    _run, scores = overview.scoped_scores(ctx)
    fig = viewmodel.distribution_figure(scores, "en")
    assert fig["layout"]["title"]["text"] == "Score distribution"
    assert {trace["name"] for trace in fig["data"]} <= {"excellent", "good", "pass", "fail", "scored, not ranked"}
    assert isinstance(overview.view(ctx, {}), html.Div)


def test_rankings_rows_page_sort_filter_and_search(dash_db: Database) -> None:
    search = "?period=2025"
    first = rankings.on_rows(dash_db, ADMIN, {"startRow": 0, "endRow": 50}, "workers", None, search)
    assert len(first["rowData"]) == 50 and first["rowCount"] > 50
    ordered = rankings.on_rows(dash_db, ADMIN, {"startRow": 0, "endRow": 10,
                                                "sortModel": [{"colId": "total", "sort": "desc"}]}, "workers", None, search)
    totals = [r["total"] for r in ordered["rowData"]]
    assert totals == sorted(totals, reverse=True)
    high = rankings.on_rows(dash_db, ADMIN, {"startRow": 0, "endRow": 500, "filterModel": {
        "total": {"filterType": "number", "type": "greaterThan", "filter": 80}}}, "workers", None, search)
    assert high["rowCount"] and all(r["total"] > 80 for r in high["rowData"])
    name = first["rowData"][0]["name"]
    found = rankings.on_rows(dash_db, ADMIN, {"startRow": 0, "endRow": 50}, "workers", name, search)
    assert found["rowCount"] >= 1 and all(name in r["name"] for r in found["rowData"])
    streets = rankings.on_rows(dash_db, ADMIN, {"startRow": 0, "endRow": 50}, "street", None, search)
    assert streets["rowCount"] == 3


def test_veto_action_is_audited_and_shown(dash_city, tmp_path) -> None:
    """Confirming a proposed veto goes through metrics (audited) and the table shows the new status."""
    import shutil

    from dashboard.pages import vetoes
    from warehouse.db import open_db

    copy = tmp_path / "veto.duckdb"
    shutil.copyfile(dash_city.path, copy)
    with open_db(copy) as db:
        proposed = db.scalar("SELECT min(veto_id) FROM veto_events WHERE status = 'proposed'")
        assert proposed is not None, "the seeded city has a proposed veto"
        assessor = User("assessor", "assessor", None)
        assert vetoes.act(db, assessor, proposed, "confirm", "  ") == "vetoes.need_note"
        assert vetoes.act(db, assessor, proposed, "confirm", "督查核实，证据充分") == "vetoes.done"
        assert db.scalar("SELECT status FROM veto_events WHERE veto_id = ?", [proposed]) == "confirmed"
        ctx = make_context(db, assessor, period=db.scalar(
            "SELECT period_id FROM veto_events WHERE veto_id = ?", [proposed]), lang="zh")
        assert "已确认" in _text(vetoes.veto_table(ctx))


def test_quality_flags_become_labelled_counts_per_grid() -> None:
    flags = pl.DataFrame({"grid_id": ["G1", "G1", "G1", "G2"],
                          "flag": ["too_fast", "too_fast", "duplicate_device", "straight_lining"]})
    text = surveys.flag_text(flags, "zh")
    assert text == {"G1": "同一设备重复×1，作答过快×2", "G2": "直线作答×1"}
    assert surveys.flag_text(None, "en") == {}


def test_worker_trend_has_one_point_per_scored_period(dash_db: Database) -> None:
    ctx = make_context(dash_db, ADMIN, period="2025", lang="zh")
    worker_id = dash_db.scalar("SELECT min(worker_id) FROM workers WHERE role = 'grid_worker'")
    frame = worker.worker_trend(ctx, worker_id)
    assert frame["period_id"].to_list() == sorted(set(frame["period_id"].to_list()))
    _run, scores = overview.scoped_scores(ctx)
    stored = scores.filter(pl.col("worker_id") == worker_id)["total"][0]
    assert frame.filter(pl.col("period_id") == "2025")["total"].to_list() == [stored]


def test_unit_page_shows_the_units_own_indicators(dash_db: Database) -> None:
    from dashboard.pages import unit

    ctx = make_context(dash_db, ADMIN, period="2025", unit="D01S01C01", lang="zh")
    text = _text(unit.view(ctx, {}))
    assert "chart-unit-indicators" in text and "chart-heatmap" in text


def test_whatif_panel_on_a_stored_run_shows_metrics_shares(dash_db: Database) -> None:
    from dashboard.pages import scheme

    panel = _text(scheme.on_whatif(dash_db, ADMIN, "?period=2025", [40, 10, 50]))
    assert "whatif-influence" in panel and "whatif-grid" in panel
    rows = json.loads(to_json(scheme.on_whatif(dash_db, ADMIN, "?period=2025", [40, 10, 50])))
    grids = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == "whatif-influence":
                grids.append(node["props"]["rowData"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(rows)
    assert grids and all(r["before"] == r["after"] and r["before"] != "—" for r in grids[0])  # same weights


@pytest.mark.parametrize("values", [[50, 10, 50], [40, 10, 40], [30, 10, 50.5]])
def test_whatif_refuses_weights_that_do_not_add_up_to_100(dash_db: Database, values: list[float]) -> None:
    """Issue 15 finding 8: 50/10/50 (= 110) is refused with the sum, next to the inputs, and nothing simulated."""
    from dashboard.pages import scheme

    panel = _text(scheme.on_whatif(dash_db, ADMIN, "?period=2025", values))
    assert "whatif-grid" not in panel and "whatif-influence" not in panel
    assert "whatif-refused" in panel and "须为 100" in panel
    assert f"现为 {sum(values):g}" in panel
    message, disabled, invalid = scheme.on_weights(values, "?period=2025&lang=en")
    assert disabled and all(invalid)
    assert "must add up to 100; they add up to" in _text(message)


def test_whatif_names_an_input_that_is_not_a_number(dash_db: Database) -> None:
    from dashboard.pages import scheme

    panel = _text(scheme.on_whatif(dash_db, ADMIN, "?period=2025", [None, 10, 50]))
    assert "whatif-grid" not in panel and "工作实绩：请填写 0–100 之间的数字" in panel
    message, disabled, invalid = scheme.on_weights([40, 10, 150], "?period=2025")
    assert disabled and invalid == [False, False, True] and "群众满意度" in _text(message)
    message, disabled, invalid = scheme.on_weights([30, 20, 50], "?period=2025")
    assert not disabled and invalid == [False, False, False] and "whatif-sum-ok" in _text(message)
    assert "whatif-grid" in _text(scheme.on_whatif(dash_db, ADMIN, "?period=2025", [30, 20, 50]))


def test_rankings_csv_is_the_view_as_shown_for_a_chinese_office(dash_db: Database) -> None:
    """Issue 15 finding 9: UTF-8 with BOM, headers in the UI language, rows in the grid's filter and sort."""
    import base64
    import csv
    import io

    request = {"startRow": 0, "endRow": 50, "sortModel": [{"colId": "total", "sort": "asc"}],
               "filterModel": {"total": {"filterType": "number", "type": "greaterThan", "filter": 60}}}
    shown = rankings.on_rows(dash_db, ADMIN, request, "workers", None, "?period=2025")
    download = rankings.on_export(dash_db, ADMIN, "workers", "?period=2025", request, None)
    raw = base64.b64decode(download["content"]) if download.get("base64") else download["content"].encode()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    header, body = rows[0], rows[1:]
    assert header[:6] == ["编号", "岗位内名次", "名次区间", "姓名", "总分", "等次"]
    assert "href" not in header and "grade_code" not in header
    totals = [float(r[header.index("总分")]) for r in body]
    assert len(body) == shown["rowCount"] and totals == sorted(totals) and min(totals) > 60
    assert [r[0] for r in body[:50]] == [r["id"] for r in shown["rowData"]]
    english = rankings.on_export(dash_db, ADMIN, "workers", "?period=2025&lang=en", request, None)
    text = base64.b64decode(english["content"]).decode("utf-8-sig") if english.get("base64") else english["content"]
    assert text.splitlines()[0].startswith("ID,Rank in role,Rank interval,Name,Total,Grade")
    name = body[0][header.index("姓名")]
    searched = rankings.on_export(dash_db, ADMIN, "workers", "?period=2025", None, name)
    found = list(csv.reader(io.StringIO(base64.b64decode(searched["content"]).decode("utf-8-sig"))))[1:]
    assert found and all(name in r[header.index("姓名")] for r in found)


def _find(tree: object, component_id: str) -> dict:
    """The props of the component with `component_id` in a rendered tree."""
    found: list[dict] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("props", {}).get("id") == component_id:
                found.append(node["props"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(to_json(tree)))
    assert found, component_id
    return found[0]


@pytest.mark.parametrize(("path", "params"), [
    ("/worker", {"worker": "W000001", "period": "2025"}),
    ("/rankings", {"level": "community", "period": "2025H1", "unit": "D01S01"}),
    ("/unit", {"subject": "DEP01", "period": "2025"}),
])
def test_language_switch_keeps_every_address_parameter(dash_db: Database, path: str, params: dict) -> None:
    """Issue 15 finding 7: switching language on the worker page kept only period/unit/lang, dropping worker=."""
    from dashboard.shell import render_shell

    ctx = make_context(dash_db, ADMIN, period=params["period"], unit=params.get("unit"), lang="zh")
    href = _find(render_shell(ctx, path, params), "lang-switch")["href"]
    assert href.startswith(path + "?")
    assert parse_search(href[len(path):]) == params | {"lang": "en"}


def test_period_unit_and_level_changes_keep_the_other_parameters() -> None:
    assert parse_search(filters_to_search("2025H1", "", "?period=2025&worker=W000001&lang=en")) == \
        {"period": "2025H1", "worker": "W000001", "lang": "en"}
    assert parse_search(rankings.level_search("community", "?period=2025&unit=D01S01&lang=en")) == \
        {"period": "2025", "unit": "D01S01", "lang": "en", "level": "community"}
    assert "level" not in parse_search(rankings.level_search("workers", "?period=2025&level=street"))
    # the unit page's subject is the unit picked: a new unit in the filter replaces it, a period keeps it
    assert parse_search(filters_to_search("2025", "D01S01", "?period=2025&subject=DEP01")) == \
        {"period": "2025", "unit": "D01S01"}
    assert parse_search(filters_to_search("2025H1", "", "?period=2025&subject=DEP01")) == \
        {"period": "2025H1", "subject": "DEP01"}


def _components(tree: object, kind: str) -> list[dict]:
    """The props of every component of type `kind` in a rendered tree."""
    found: list[dict] = []

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("type") == kind and "props" in node:
                found.append(node["props"])
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(to_json(tree)))
    return found


def _all_grids(db: Database, lang: str) -> list[dict]:
    from dashboard.pages import scheme

    ctx = make_context(db, ADMIN, period="2025", unit="D01S01C01", lang=lang)
    grids: list[dict] = []
    for page in PAGES:
        grids += _components(page.view(ctx, {"worker": "W000001"} if page is worker else {}), "AgGrid")
    grids += _components(scheme.on_whatif(db, ADMIN, f"?period=2025&lang={lang}", [30, 20, 50]), "AgGrid")
    return grids


def test_every_grid_speaks_the_ui_language(dash_db: Database) -> None:
    """Issue 15 finding 10: AG Grid's pager and overlays were English ("Page Size", "No Rows To Show") in zh."""
    zh = _all_grids(dash_db, "zh")
    assert len(zh) >= 6
    for props in zh:
        text = props["dashGridOptions"]["localeText"]
        assert (text["pageSizeSelectorLabel"], text["to"], text["of"], text["noRowsToShow"]) == \
            ("每页行数：", "至", "共", "暂无数据"), props["id"]
    assert all(p["dashGridOptions"]["localeText"]["noRowsToShow"] == "No Rows To Show" for p in _all_grids(dash_db, "en"))


def test_points_show_one_decimal_in_every_grid(dash_db: Database) -> None:
    """Issue 15 finding 10: 88 and 8 showed as "88", "8" beside "87.6"; every decimal column formats to one decimal."""
    checked = 0
    for props in _all_grids(dash_db, "zh"):
        rows = props.get("rowData") or []
        for col in props["columnDefs"]:
            values = [r.get(col["field"]) for r in rows]
            if any(isinstance(v, float) for v in values):
                assert "toFixed(1)" in col.get("valueFormatter", {}).get("function", ""), (props["id"], col["field"])
                checked += 1
    assert checked >= 8
    defs = {c["field"]: c for c in rankings.column_defs("zh")}
    for field in ("total", "results", "skills", "satisfaction", "deductions", "bonus"):
        assert "toFixed(1)" in defs[field]["valueFormatter"]["function"]


def test_unit_heading_does_not_repeat_the_level(dash_db: Database) -> None:
    """Issue 15 finding 10: the unit page title read "翠竹社区 社区"."""
    from dashboard.pages import unit

    ctx = make_context(dash_db, ADMIN, period="2025", unit="D01S01C01", lang="zh")
    heading = _find(unit.view(ctx, {}), "unit-name")["children"]
    assert heading == ctx.tree.names["D01S01C01"] and heading.endswith("社区")
    assert unit.unit_heading("民政局", "部门") == "民政局 部门"


def test_unit_filter_value_has_no_indentation(dash_db: Database) -> None:
    """Issue 15 finding 10: the chosen unit showed its indentation spaces ("　　银河社区")."""
    from dashboard.shell import unit_options

    ctx = make_context(dash_db, ADMIN, period="2025", lang="zh")
    options = json.loads(to_json(unit_options(ctx)))
    assert options
    for option in options:
        label = option["label"]
        text = label if isinstance(label, str) else label["props"]["children"]
        assert text == text.strip().strip("\u3000") and option["search"] == text
    levels = {o["label"]["props"]["className"].split()[-1] for o in options if isinstance(o["label"], dict)}
    assert {"unit-opt-street", "unit-opt-community"} <= levels


def _cell_colour(fig: dict, column: str, row: int) -> str:
    """The colour a heat map cell is painted with (plotly's rule: z placed between zmin and zmax)."""
    for trace in fig["data"]:
        if column not in trace["x"]:
            continue
        x = trace["x"].index(column)
        z = [r[x] for r in trace["z"]]
        if all(v is None for v in z):
            continue  # another column's trace
        value = z[row]
        lo = trace.get("zmin", min(v for row_ in trace["z"] for v in row_ if v is not None))
        hi = trace.get("zmax", max(v for row_ in trace["z"] for v in row_ if v is not None))
        position = 0.0 if hi == lo else (value - lo) / (hi - lo)
        scale = trace["colorscale"]
        if isinstance(scale, str):
            return f"{scale}@{position:.3f}"
        stops = [s for s in scale if s[0] <= position + 1e-9]
        return stops[-1][1] if position < 1.0 - 1e-9 else scale[-1][1]
    raise AssertionError(column)


def test_heatmap_zero_deductions_are_not_the_colour_of_the_weakest_score() -> None:
    """Issue 15 finding 10: deduction 0 was the lowest value of its column, painted like the weakest score."""
    from dashboard.pages import unit

    fig = unit.heatmap_figure(SCORES, "zh")
    names = SCORES.sort("total", descending=True)["name"].to_list()
    weakest = names.index("<b>丁</b>")  # lowest results and satisfaction, no deduction
    no_deduction = SCORES.sort("total", descending=True)["deductions"].to_list().index(0.0)
    deduction = t("col.deductions", "zh")
    assert _cell_colour(fig, deduction, no_deduction) != _cell_colour(fig, t("col.results", "zh"), weakest)
    assert _cell_colour(fig, deduction, weakest) == _cell_colour(fig, deduction, no_deduction)  # both none
    most = SCORES.sort("total", descending=True)["deductions"].to_list().index(2.0)
    assert _cell_colour(fig, deduction, most) != _cell_colour(fig, deduction, no_deduction)


def test_legends_sit_clear_of_the_x_axis_title(dash_db: Database) -> None:
    """Issue 15 finding 10: the histogram's legend (y = -0.2) sat on its 总分 axis title."""
    ctx = make_context(dash_db, ADMIN, period="2025", lang="zh")
    _run, scores = overview.scoped_scores(ctx)
    for fig in (viewmodel.distribution_figure(scores, "zh"), viewmodel.grade_mix_figure(scores, "zh")):
        legend = fig["layout"]["legend"]
        assert legend["y"] >= 1.0 and legend.get("yanchor") == "bottom"
