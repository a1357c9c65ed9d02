"""Small hand-made data for tests: a seeded org tree and good rows of every ingest kind.

`seed_reference(db)` writes a tiny city straight into the tables (one district,
one street, one community, two grids, a department, three workers, three
households, two periods) so ingest tests can check foreign keys without the
synthetic generator. `good_rows(kind)` gives a few valid all-text rows of a kind
that reference it; `write_table` writes a frame as CSV, XLSX or Parquet.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from warehouse.db import Database

REFERENCE_SQL = """
INSERT INTO org_units (unit_id, name, name_en, level, parent_id) VALUES
    ('D01', '一区', 'District 1', 'district', NULL),
    ('D01S01', '一街道', 'Street 1', 'street', 'D01'),
    ('D01S01C01', '一社区', 'Community 1', 'community', 'D01S01'),
    ('D01S01C01G01', '第一网格', 'Grid 1', 'grid', 'D01S01C01'),
    ('D01S01C01G02', '第二网格', 'Grid 2', 'grid', 'D01S01C01');
INSERT INTO departments (dept_id, name, name_en, kind, unit_id) VALUES
    ('DEP01', '民政局', 'Civil Affairs Bureau', 'functional', 'D01');
INSERT INTO workers (worker_id, name, role, grid_id, dept_id, in_post_from, in_post_to) VALUES
    ('W000001', '张三', 'grid_worker', 'D01S01C01G01', NULL, DATE '2024-01-01', NULL),
    ('W000002', '李四', 'grid_worker', 'D01S01C01G02', NULL, DATE '2024-01-01', NULL),
    ('W000003', '王五', 'grid_police', 'D01S01C01G01', 'DEP01', DATE '2023-06-01', NULL);
INSERT INTO households (household_id, grid_id, size, tags, registered_on, active) VALUES
    ('H0000001', 'D01S01C01G01', 3, 'elderly', DATE '2020-05-01', true),
    ('H0000002', 'D01S01C01G01', 1, NULL, NULL, true),
    ('H0000003', 'D01S01C01G02', 4, NULL, NULL, true);
INSERT INTO periods (period_id, kind, starts_on, ends_on) VALUES
    ('2025', 'year', DATE '2025-01-01', DATE '2025-12-31'),
    ('2025H1', 'half', DATE '2025-01-01', DATE '2025-06-30');
"""


def seed_reference(db: Database) -> None:
    """Write the tiny reference city (org tree, department, workers, households, periods)."""
    cur = db.cursor()
    try:
        cur.execute(REFERENCE_SQL)
    finally:
        cur.close()


_GOOD: dict[str, dict[str, list[str | None]]] = {
    "org_units": {
        "unit_id": ["D01S02", "D01S02C01", "D01S02C01G01"],
        "name": ["二街道", "二社区", "二社区第一网格"],
        "name_en": ["Street 2", None, None],
        "level": ["street", "社区", "grid"],
        "parent_id": ["D01", "D01S02", "D01S02C01"],
    },
    "departments": {
        "dept_id": ["DEP02", "DEP03"],
        "name": ["司法局", "一街道办事处"],
        "name_en": ["Justice Bureau", None],
        "kind": ["functional", "街道办事处"],
        "unit_id": ["D01", "D01S01"],
    },
    "workers": {
        "worker_id": ["W000101", "W000102"],
        "name": ["赵六", "钱七"],
        "role": ["grid_worker", "综治协管员"],
        "grid_id": ["D01S01C01G02", None],
        "dept_id": [None, "DEP01"],
        "in_post_from": ["2025-01-01", "2024/03/15"],
        "in_post_to": [None, "2025-12-31"],
    },
    "worker_areas": {
        "worker_id": ["W000102", "W000102"],
        "unit_id": ["D01S01C01G01", "D01S01C01G02"],
    },
    "households": {
        "household_id": ["H0000101", "H0000102", "H0000103"],
        "grid_id": ["D01S01C01G01", "D01S01C01G02", "D01S01C01G02"],
        "size": ["2", "5", "1"],
        "tags": ["elderly,low_income", None, "流动人口"],
        "registered_on": ["2021-03-01", None, "2024-11-30"],
        "active": ["是", "true", None],
    },
    "household_identities": {
        "household_id": ["H0000001", "H0000002"],
        "contact_name": ["张大爷", "刘阿姨"],
        "phone": ["13800000001", "13800000002"],
        "address": ["幸福路1号", "幸福路2号"],
    },
    "periods": {
        "period_id": ["2025Q1", "2025Q2"],
        "kind": ["quarter", "季度"],
        "starts_on": ["2025-01-01", "2025-04-01"],
        "ends_on": ["2025-03-31", "2025-06-30"],
    },
    "work_records": {
        "record_id": ["R0001", "R0002", "R0003"],
        "worker_id": ["W000001", "W000002", "W000001"],
        "grid_id": ["D01S01C01G01", "D01S01C01G02", "D01S01C01G01"],
        "type": ["visit", "矛盾纠纷调解", "dispute"],
        "opened_at": ["2025-03-01 09:00:00", "2025-03-02 10:00", "2025-04-01"],
        "due_at": [None, "2025-03-09 18:00:00", "2025-04-10"],
        "closed_at": ["2025-03-01 09:30:00", "2025-03-05 16:30:00", None],
        "status": ["closed", "已办结", "open"],
        "outcome": ["success", "部分解决", None],
        "warning_level": [None, "黄色", "red"],
        "source": ["patrol", "群众反映", "hotline"],
        "verified": ["true", "否", None],
        "household_id": ["H0000001", None, None],
    },
    "skill_assessments": {
        "assessment_id": ["S001", "S002"],
        "worker_id": ["W000001", "W000002"],
        "period_id": ["2025", "2025"],
        "item": ["政策法规考试", "调解实务"],
        "score": ["8.5", "10"],
        "max_score": ["10", "10"],
        "rater": ["exam", "panel"],
        "assessed_on": ["2025-06-15", None],
    },
    "inspections": {
        "inspection_id": ["I001", "I002"],
        "unit_id": ["D01S01C01G01", "D01S01C01"],
        "worker_id": ["W000001", None],
        "kind": ["covert", "明察"],
        "inspected_on": ["2025-04-10", "2025-05-01"],
        "finding": ["台账不全", "公示栏未更新"],
        "deduction": ["1", "0.5"],
        "rectify_by": ["2025-04-30", None],
        "rectified_at": ["2025-04-25", None],
    },
    "complaints": {
        "complaint_id": ["C001", "C002"],
        "worker_id": ["W000001", None],
        "unit_id": [None, "D01S01C01"],
        "received_on": ["2025-05-20", "2025-06-01"],
        "channel": ["hotline", "网上"],
        "valid": ["是", "false"],
        "resolved": ["yes", None],
        "summary": ["上门服务不及时", None],
    },
    "bonus_events": {
        "bonus_id": ["B001", "B002"],
        "worker_id": ["W000002", None],
        "unit_id": [None, "D01S01C01"],
        "period_id": ["2025", "2025H1"],
        "category": ["见义勇为", "先进集体"],
        "points": ["2", "1.5"],
        "evidence": ["表彰文件〔2025〕3号", "通报〔2025〕9号"],
        "approved_by": ["王主任", "王主任"],
        "event_on": ["2025-07-01", None],
    },
    "veto_events": {
        "veto_id": ["V01", "V02"],
        "category": ["重大安全事故", "群体性事件"],
        "scope": ["worker", "社区"],
        "subject_id": ["W000001", "D01S01C01"],
        "period_id": ["2025", "2025"],
        "event_on": ["2025-08-03", None],
        "evidence": ["事故调查报告", "情况通报"],
        "severity": ["fail", "限定等次"],
        "status": ["proposed", "已确认"],
    },
}


def good_rows(kind: str) -> pl.DataFrame:
    """A few valid rows of `kind` (all text, English headers) referencing `seed_reference`."""
    return pl.DataFrame(_GOOD[kind], schema={c: pl.String for c in _GOOD[kind]})


def write_table(frame: pl.DataFrame, path: Path, *, encoding: str = "utf-8") -> Path:
    """Write `frame` to `path` by its extension (.csv in `encoding`, .xlsx, .parquet)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        text = frame.write_csv()
        path.write_bytes(text.encode(encoding))
    elif suffix == ".xlsx":
        frame.write_excel(path, autofit=False)
    elif suffix == ".parquet":
        frame.write_parquet(path)
    else:
        raise ValueError(f"unsupported extension {suffix}")
    return path
