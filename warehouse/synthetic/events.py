"""Per-worker and per-unit events of the year: skills, inspections, complaints, bonuses, vetoes.

All small tables (a few rows per worker or grid), drawn whole from the staff arrays.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import polars as pl

from warehouse.synthetic.calendar import days_in_year
from warehouse.synthetic.org import COMMUNITY_STAFF, GRID_WORKER, Staff, Tree

SKILL_ITEMS: tuple[tuple[str, float], ...] = (
    ("mediation_practice", 10.0),
    ("information_system", 10.0),
    ("policy_knowledge_interview", 10.0),
)
"""Panel-rated skill items with full marks; plus the written exam (`policy_exam`, 100)."""
PANEL = 3
RATERS_PER_DISTRICT = 6

FINDINGS: tuple[tuple[str, float], ...] = (
    ("台账记录不完整 (incomplete ledger)", 1.0),
    ("走访记录与实际不符 (visit records do not match reality)", 2.0),
    ("隐患未及时上报 (hazard not reported in time)", 2.0),
    ("矛盾纠纷排查台账缺失 (dispute screening ledger missing)", 1.0),
    ("网格员未在岗 (grid worker absent from post)", 1.5),
    ("信息系统数据未及时更新 (system data not updated)", 0.5),
)
NO_FINDING = "未发现问题 (no problem found)"

COMPLAINT_TEXTS: tuple[str, ...] = (
    "反映网格员上门走访不及时",
    "代办事项办理拖延",
    "对矛盾纠纷调解结果不满意",
    "网格员服务态度生硬",
    "热线工单回复不及时",
    "小区环境卫生问题反映后未处理",
)
COMPLAINT_CHANNELS: tuple[str, ...] = ("hotline", "letter", "visit", "online")

BONUS_CATEGORIES: tuple[tuple[str, float], ...] = (
    ("commendation", 2.0),
    ("innovation", 1.0),
    ("emergency_response", 2.0),
    ("good_deed", 1.0),
)
"""Bonus categories and their points."""

VETO_CATEGORIES: tuple[str, ...] = (
    "major_safety_incident",
    "mass_incident",
    "falsified_records",
    "law_violation",
)
VETO_EVIDENCE: dict[str, str] = {
    "major_safety_incident": "辖区发生较大安全事故，造成不良影响",
    "mass_incident": "矛盾纠纷化解不力引发群体性事件",
    "falsified_records": "督查发现走访台账弄虚作假",
    "law_violation": "违反工作纪律被立案查处",
}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def _ids(prefix: str, n: int, width: int = 8) -> pl.Series:
    return pl.select(
        pl.concat_str(pl.lit(prefix), pl.int_range(1, n + 1).cast(pl.String).str.zfill(width))
    ).to_series()


def _dates(year: int, day: np.ndarray) -> pl.Series:
    return pl.Series((np.datetime64(date(year, 1, 1), "D") + day).astype("datetime64[D]"))


def skill_assessments(rng: np.random.Generator, staff: Staff, tree: Tree, year: int) -> pl.DataFrame:
    """A written exam plus panel-rated items (three raters with their own leniency) per worker.

    Workers who joined after October are not yet assessed.
    """
    n_d = len(tree.district_ids)
    leniency = rng.normal(0.0, 0.4, size=n_d * RATERS_PER_DISTRICT)
    assessed = np.nonzero(staff.start_day < 300)[0]
    q = staff.facet("skill")[assessed]
    n = len(assessed)
    district = staff.district[assessed]

    exam = np.clip(np.round(74 + 8 * q + rng.normal(0, 6, size=n)), 0, 100)
    frames = [
        pl.DataFrame(
            {
                "worker": assessed,
                "item": pl.Series(["policy_exam"] * n),
                "score": exam,
                "max_score": np.full(n, 100.0),
                "rater": pl.Series(["exam"] * n),
                "day": np.full(n, days_in_year(year) - 27),
            }
        )
    ]
    for k, (item, full) in enumerate(SKILL_ITEMS):
        # each worker's panel: three distinct raters of their district
        first = rng.integers(0, RATERS_PER_DISTRICT, size=n)
        for j in range(PANEL):
            rater = district * RATERS_PER_DISTRICT + (first + 2 * j) % RATERS_PER_DISTRICT
            raw = 7.2 + 0.8 * q + leniency[rater] + rng.normal(0, 0.5, size=n)
            frames.append(
                pl.DataFrame(
                    {
                        "worker": assessed,
                        "item": pl.Series([item] * n),
                        "score": np.clip(np.round(raw * 2) / 2, 0, full),
                        "max_score": np.full(n, full),
                        "rater": pl.select(
                            pl.concat_str(
                                tree.district_ids.gather(district), pl.lit("-R"),
                                pl.Series(rater % RATERS_PER_DISTRICT + 1).cast(pl.String),
                            )
                        ).to_series(),
                        "day": np.full(n, days_in_year(year) - 22 + k),
                    }
                )
            )
    allrows = pl.concat(frames)
    return pl.DataFrame(
        {
            "assessment_id": _ids(f"SA{year}-", allrows.height),
            "worker_id": staff.worker_ids.gather(allrows["worker"]),
            "period_id": pl.Series([str(year)] * allrows.height),
            "item": allrows["item"],
            "score": allrows["score"],
            "max_score": allrows["max_score"],
            "rater": allrows["rater"],
            "assessed_on": _dates(year, allrows["day"].to_numpy()),
        }
    )


def inspections(rng: np.random.Generator, staff: Staff, tree: Tree, year: int) -> pl.DataFrame:
    """Open and covert checks of grids and communities, with deductions and rectification.

    Grid checks hold the grid worker responsible (worse workers → more findings, later
    rectification); community checks name no worker and follow the community staff.
    """
    gw = np.nonzero((staff.role == GRID_WORKER) & (staff.start_day < days_in_year(year) - 5))[0]
    w = np.repeat(gw, rng.poisson(2.5, size=len(gw)))
    grid_rows = _inspection_rows(
        rng, staff.facet("conduct")[w], year,
        unit_ids=tree.grid_ids.gather(staff.area_lo[w]), worker_ids=staff.worker_ids.gather(w),
    )
    # community checks: quality = mean conduct of the community's staff
    n_c = len(tree.community_ids)
    cs = np.nonzero(staff.role == COMMUNITY_STAFF)[0]
    comm_of = tree.grid_community[staff.area_lo[cs]]
    total = np.bincount(comm_of, weights=staff.facet("conduct")[cs], minlength=n_c)
    mean_q = total / np.maximum(np.bincount(comm_of, minlength=n_c), 1)
    c = np.repeat(np.arange(n_c), rng.poisson(2.0, size=n_c))
    comm_rows = _inspection_rows(
        rng, mean_q[c], year,
        unit_ids=tree.community_ids.gather(c), worker_ids=pl.Series([None] * len(c), dtype=pl.String),
    )
    rows = pl.concat([grid_rows, comm_rows])
    return rows.insert_column(0, _ids(f"IN{year}-", rows.height, 6).alias("inspection_id"))


def _inspection_rows(
    rng: np.random.Generator, q: np.ndarray, year: int, *, unit_ids: pl.Series, worker_ids: pl.Series
) -> pl.DataFrame:
    n_days = days_in_year(year)
    n = len(q)
    day = rng.integers(0, n_days - 5, size=n)
    problem = rng.random(n) >= _sigmoid(0.2 + 0.9 * q)
    which = rng.integers(0, len(FINDINGS), size=n)
    finding = pl.Series([f for f, _ in FINDINGS] + [NO_FINDING]).gather(np.where(problem, which, len(FINDINGS)))
    deduction = np.where(problem, np.array([d for _, d in FINDINGS])[which], 0.0)
    window = rng.choice(np.array([7, 15, 30]), size=n)
    on_time = rng.random(n) < _sigmoid(1.5 + 1.0 * q)
    fix_after = np.where(on_time, rng.integers(1, window + 1), window + 1 + rng.exponential(12, size=n).astype(np.int64))
    rectified = day + fix_after
    has_rectified = problem & (rectified < n_days)
    frame = pl.DataFrame(
        {
            "unit_id": unit_ids,
            "worker_id": worker_ids,
            "kind": pl.Series(["open", "covert", "spot_check"]).gather(rng.choice(3, size=n, p=[0.4, 0.3, 0.3])),
            "inspected_on": _dates(year, day),
            "finding": finding,
            "deduction": deduction,
            "rectify_by": _dates(year, day + window),
            "rectified_at": _dates(year, np.minimum(rectified, n_days - 1)),
        }
    )
    return frame.with_columns(
        pl.when(pl.Series(problem)).then(pl.col("rectify_by")).alias("rectify_by"),
        pl.when(pl.Series(has_rectified)).then(pl.col("rectified_at")).alias("rectified_at"),
    )


def complaints(rng: np.random.Generator, staff: Staff, tree: Tree, year: int) -> pl.DataFrame:
    """Residents' complaints about grid workers; worse workers draw more, and more valid ones."""
    gw = np.nonzero((staff.role == GRID_WORKER) & (staff.start_day < days_in_year(year) - 1))[0]
    per = rng.poisson(1.2 * np.exp(-0.4 * staff.facet("conduct")[gw]))
    w = np.repeat(gw, per)
    n = len(w)
    q = staff.facet("conduct")[w]
    day = rng.integers(staff.start_day[w], days_in_year(year))
    valid = rng.random(n) < _sigmoid(-0.6 - 0.7 * q)
    return pl.DataFrame(
        {
            "complaint_id": _ids(f"CP{year}-", n, 6),
            "worker_id": staff.worker_ids.gather(w),
            "unit_id": tree.grid_ids.gather(staff.area_lo[w]),
            "received_on": _dates(year, day),
            "channel": pl.Series(COMPLAINT_CHANNELS).gather(rng.choice(4, size=n, p=[0.5, 0.1, 0.15, 0.25])),
            "valid": pl.Series(valid),
            "resolved": pl.Series(rng.random(n) < 0.85),
            "summary": pl.Series(COMPLAINT_TEXTS).gather(rng.integers(0, len(COMPLAINT_TEXTS), size=n)),
        }
    )


def bonus_events(rng: np.random.Generator, staff: Staff, tree: Tree, year: int) -> pl.DataFrame:
    """Bonus points for a minority of (mostly better) workers, with evidence and approver."""
    n_all = len(staff.role)
    got = rng.random(n_all) < _sigmoid(-2.4 + 0.9 * staff.facet("conduct"))
    got &= staff.start_day < days_in_year(year) - 1  # in post during the year
    w = np.nonzero(got)[0]
    n = len(w)
    cat = rng.integers(0, len(BONUS_CATEGORIES), size=n)
    doc_no = pl.Series(rng.integers(1, 200, size=n)).cast(pl.String)
    return pl.DataFrame(
        {
            "bonus_id": _ids(f"BN{year}-", n, 6),
            "worker_id": staff.worker_ids.gather(w),
            "unit_id": tree.grid_ids.gather(staff.area_lo[w]),
            "period_id": pl.Series([str(year)] * n),
            "category": pl.Series([c for c, _ in BONUS_CATEGORIES]).gather(cat),
            "points": np.array([p for _, p in BONUS_CATEGORIES])[cat],
            "evidence": pl.select(
                pl.concat_str(pl.lit(f"区委政法委〔{year}〕"), doc_no, pl.lit("号"))
            ).to_series(),
            "approved_by": pl.Series(["区考核办"] * n),
            "event_on": _dates(year, rng.integers(staff.start_day[w], days_in_year(year))),
        }
    )


def veto_events(rng: np.random.Generator, staff: Staff, tree: Tree, year: int) -> pl.DataFrame:
    """A few one-vote vetoes: confirmed, proposed, one under appeal, one overturned, plus a community veto.

    Subjects are grid workers drawn with weight exp(-1.5 q), so vetoes fall mostly on
    weak workers. Larger cities get proportionally more, with appeals in between.
    """
    gw = np.nonzero((staff.role == GRID_WORKER) & (staff.start_day < days_in_year(year) - 21))[0]
    base = ("confirmed", "confirmed", "proposed", "appealed", "overturned")
    extra = ("confirmed", "proposed", "appealed", "upheld", "confirmed")
    n_worker = max(len(base), int(round(len(gw) * 0.012)))
    statuses = (base + extra * n_worker)[:n_worker]
    weights = np.exp(-1.5 * staff.facet("conduct")[gw])
    chosen = rng.choice(gw, size=min(n_worker, len(gw)), replace=False, p=weights / weights.sum())
    n = len(chosen)
    cat = rng.integers(0, len(VETO_CATEGORIES), size=n)
    cat[0] = VETO_CATEGORIES.index("falsified_records")
    severity = np.where(rng.random(n) < 0.75, 0, rng.integers(1, 3, size=n))
    worker_rows = pl.DataFrame(
        {
            "category": pl.Series(VETO_CATEGORIES).gather(cat),
            "scope": pl.Series(["worker"] * n),
            "subject_id": staff.worker_ids.gather(chosen),
            "severity": pl.Series(["fail", "grade_cap", "no_award"]).gather(severity),
            "status": pl.Series(statuses[:n]),
            "day": rng.integers(np.maximum(staff.start_day[chosen], 30), days_in_year(year) - 20),
        }
    )
    n_comm = max(1, len(tree.community_ids) // 50)
    comm = rng.choice(len(tree.community_ids), size=n_comm, replace=False)
    community_rows = pl.DataFrame(
        {
            "category": pl.Series(["major_safety_incident"] * n_comm),
            "scope": pl.Series(["community"] * n_comm),
            "subject_id": tree.community_ids.gather(comm),
            "severity": pl.Series(["grade_cap"] * n_comm),
            "status": pl.Series(["confirmed"] * n_comm),
            "day": rng.integers(30, days_in_year(year) - 20, size=n_comm),
        }
    )
    rows = pl.concat([worker_rows, community_rows])
    return pl.DataFrame(
        {
            "veto_id": _ids(f"VT{year}-", rows.height, 4),
            "category": rows["category"],
            "scope": rows["scope"],
            "subject_id": rows["subject_id"],
            "period_id": pl.Series([str(year)] * rows.height),
            "event_on": _dates(year, rows["day"].to_numpy()),
            "evidence": rows["category"].replace_strict(VETO_EVIDENCE, return_dtype=pl.String),
            "severity": rows["severity"],
            "status": rows["status"],
        }
    )
