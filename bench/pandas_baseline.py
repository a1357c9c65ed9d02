"""A straightforward pandas implementation of the same scheme: the benchmark's baseline.

What a competent analyst would write without DuckDB: load the period's work records and
the event tables into pandas, compute each indicator with boolean masks and `groupby`,
normalise, weight, deduct, add the bonus, apply vetoes and grade — worker totals only
(no roll-ups, no Monte Carlo, nothing stored). `tests/metrics/test_pandas_baseline.py`
checks it gives the engine's totals on the small city, so the timing ratio compares like
with like.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

import numpy as np
import pandas as pd
import polars as pl

from metrics.inputs import area_estimates, survey_estimates
from metrics.scheme import RecordFilter, Scheme
from surveys.estimate import TREE_SQL, estimate_frame
from warehouse.db import Database


def _mask(df: pd.DataFrame, f: RecordFilter) -> pd.Series:
    m = pd.Series(True, index=df.index)
    for col, codes in f.codes:
        m &= df[col].isin(codes)
    if f.has_due is not None:
        m &= df["due_at"].notna() if f.has_due else df["due_at"].isna()
    if f.on_time is not None:
        ot = df["closed_at"].notna() & df["due_at"].notna() & (df["closed_at"] <= df["due_at"])
        m &= ot if f.on_time else ~ot
    if f.verified is not None:
        m &= df["verified"].eq(f.verified).fillna(False).astype(bool)
    return m


def _count(df: pd.DataFrame, f: RecordFilter) -> pd.Series:
    sub = df[_mask(df, f)]
    if f.distinct:
        return sub.dropna(subset=[f.distinct]).groupby("worker_id")[f.distinct].nunique()
    return sub.groupby("worker_id").size()


def _half_up(x: pd.Series, decimals: int) -> pd.Series:
    f = 10.0**decimals
    return (np.floor(x * f + 0.5 + 1e-9) / f).round(decimals)


def baseline_totals(db: Database, period_id: str, scheme: Scheme) -> pd.DataFrame:
    """Worker totals and grades for a period, computed in pandas (index worker_id)."""
    per = db.conn.execute("SELECT starts_on, ends_on FROM periods WHERE period_id = ?", [period_id]).fetchall()[0]
    starts = datetime.combine(per[0], time.min)
    ends = datetime.combine(per[1] + timedelta(days=1), time.min)
    months = (per[1].year - per[0].year) * 12 + per[1].month - per[0].month + 1
    sub_periods = [r[0] for r in db.conn.execute(
        "SELECT s.period_id FROM periods s, periods p WHERE p.period_id = ? "
        "AND s.starts_on >= p.starts_on AND s.ends_on <= p.ends_on", [period_id]).fetchall()]
    overlapping = [r[0] for r in db.conn.execute(
        "SELECT s.period_id FROM periods s, periods p WHERE p.period_id = ? "
        "AND s.starts_on <= p.ends_on AND s.ends_on >= p.starts_on", [period_id]).fetchall()]

    # the columns the scheme can filter on, as pyarrow-backed pandas (object strings for
    # 20 M rows would need ~6 GB), then filtered in pandas
    cols = "record_id, worker_id, type, status, outcome, warning_level, source, verified, " \
           "opened_at, due_at, closed_at, household_id"
    records = db.conn.sql(f"SELECT {cols} FROM work_records").arrow().read_all().to_pandas(types_mapper=pd.ArrowDtype)
    records = records[(records["opened_at"] >= starts) & (records["opened_at"] < ends)
                      & (records["status"] != "cancelled")]
    workers = db.conn.sql("SELECT * FROM workers").df()
    p0, p1 = pd.Timestamp(per[0]), pd.Timestamp(per[1])
    workers = workers[(pd.to_datetime(workers["in_post_from"]) <= p1)
                      & (workers["in_post_to"].isna() | (pd.to_datetime(workers["in_post_to"]) >= p0))]
    workers = workers.set_index("worker_id").sort_index()
    households = db.conn.sql("SELECT * FROM households").df()
    hh = households[households["active"]].groupby("grid_id").size()
    served = workers["grid_id"].map(hh).fillna(0)

    # results pillar items
    items: dict[str, pd.Series] = {}
    applicable: dict[str, pd.Series] = {}
    for ind in scheme.indicators:
        num = _count(records, ind.numerator).reindex(workers.index, fill_value=0).astype(float)
        d = ind.denominator
        if d.households:
            den = served.astype(float)
        elif d.per_year is not None:
            den = pd.Series(d.per_year * months / 12.0, index=workers.index)
        else:
            den = _count(records, d).reindex(workers.index, fill_value=0).astype(float)
        x = num / den.where(den > 0)
        if ind.bands:
            s = pd.Series(np.nan, index=workers.index)
            for b in ind.bands:
                s[(x >= b.low) & (x < b.high)] = b.points
            s[x == ind.bands[-1].high] = ind.bands[-1].points
        elif ind.direction == "higher":
            s = 100 * ((x - ind.floor) / (ind.target - ind.floor)).clip(0, 1)
        else:
            s = 100 * ((ind.floor - x) / (ind.floor - ind.target)).clip(0, 1)
        # an indicator the worker's role is not assessed on is no item of theirs (scheme roles)
        applies = workers["role"].map(lambda r, k=ind.key: scheme.role_rule(r).applies(k))
        items[ind.key] = s.where(applies)
        applicable[ind.key] = applies.astype(float)

    # deduction events
    inspections = db.conn.sql("SELECT * FROM inspections").df()
    complaints = db.conn.sql("SELECT * FROM complaints").df()
    d0, d1 = p0, p1
    ins = inspections[(pd.to_datetime(inspections["inspected_on"]) >= d0) & (pd.to_datetime(inspections["inspected_on"]) <= d1)]
    rb = pd.to_datetime(inspections["rectify_by"])
    ra = pd.to_datetime(inspections["rectified_at"])
    overdue = inspections[(rb >= d0) & (rb <= d1) & ((ra > rb) | ra.isna())]
    rc = pd.to_datetime(complaints["received_on"])
    valid = complaints[complaints["valid"] & (rc >= d0) & (rc <= d1)]
    spot = records[records["verified"].eq(False).fillna(False).astype(bool)]
    counts = {
        "inspection": ins.groupby("worker_id").size(),
        "rectification_overdue": overdue.groupby("worker_id").size(),
        "valid_complaint": valid.groupby("worker_id").size(),
        "failed_spot_check": spot.groupby("worker_id").size(),
    }
    recorded = ins.groupby("worker_id")["deduction"].sum()
    for ded in scheme.deductions:
        total = pd.Series(0.0, index=workers.index)
        zero = pd.Series(False, index=workers.index)
        for event, pts in ded.events:
            if pts is None:
                total += recorded.reindex(workers.index, fill_value=0.0)
            else:
                total += counts[event].reindex(workers.index, fill_value=0) * pts
            if event in ded.zeroing:
                zero |= counts[event].reindex(workers.index, fill_value=0) > 0
        items[ded.key] = (100 * (ded.full - total).clip(lower=0) / ded.full).where(~zero, 0.0)

    pillar_scores: dict[str, pd.Series] = {}
    for p in scheme.pillars:
        if p.source == "indicators":
            weights = {i.key: i.weight for i in scheme.indicators if i.pillar == p.key}
            weights.update({d.key: d.weight for d in scheme.deductions if d.pillar == p.key})
            num = sum(items[k].fillna(0) * w for k, w in weights.items())
            obs = sum(items[k].notna() * w for k, w in weights.items())
            cover = obs / sum(applicable.get(k, 1.0) * w for k, w in weights.items())
            pillar_scores[p.key] = (num / obs).where((obs > 0) & (cover >= p.min_coverage - 1e-9))
        elif p.source == "skill_assessments":
            sa = db.conn.sql("SELECT * FROM skill_assessments").df()
            sa = sa[sa["period_id"].isin(overlapping)]
            per_item = sa.groupby(["worker_id", "item"]).agg(s=("score", "sum"), m=("max_score", "sum"))
            ratio = per_item["s"] / per_item["m"]
            pillar_scores[p.key] = (100 * ratio.groupby(level=0).mean()).reindex(workers.index)
        else:
            grid_survey = survey_estimates(db, period_id, level="grid")
            est = grid_survey.to_pandas().set_index("unit_id")
            col = "shrunk" if p.value == "shrunk" else "mean"
            value = workers["grid_id"].map(est[col])
            source = workers["role"].map(lambda r: scheme.role_rule(r).satisfaction)
            value[source != "grid"] = np.nan
            # served grids (worker_areas, else the own grid) and department areas: the grids'
            # published values combined (metrics.inputs.area_estimates), as the grid values
            # come from the survey layer
            listed = db.conn.sql("SELECT worker_id, unit_id FROM worker_areas").df()
            depts = db.conn.sql("SELECT dept_id, unit_id FROM departments").df().set_index("dept_id")["unit_id"]
            rows = []
            for w, src in source.items():
                if src == "served_grids":
                    units = listed.loc[listed["worker_id"] == w, "unit_id"].tolist()
                    if not units and isinstance(workers.at[w, "grid_id"], str):
                        units = [workers.at[w, "grid_id"]]
                    rows += [(w, u) for u in units]
                elif src == "department_area" and workers.at[w, "dept_id"] in depts.index:
                    rows.append((w, depts[workers.at[w, "dept_id"]]))
            if rows:
                areas = pl.DataFrame(rows, schema={"area_id": pl.String, "unit_id": pl.String}, orient="row")
                area_est = area_estimates(areas, grid_survey, estimate_frame(db, period_id, level="grid"),
                                          db.query(TREE_SQL)).to_pandas().set_index("unit_id")
                value = value.fillna(area_est[col].reindex(workers.index))
            pillar_scores[p.key] = value

    base = sum(pillar_scores[p.key] * p.weight / 100 for p in scheme.pillars)
    bonus_events = db.conn.sql("SELECT * FROM bonus_events").df()
    bonus_events = bonus_events[bonus_events["period_id"].isin(sub_periods)]
    bonus = bonus_events.groupby("worker_id")["points"].sum().reindex(workers.index, fill_value=0.0).clip(upper=scheme.bonus_cap)
    total = _half_up((base + bonus).clip(upper=scheme.cap), scheme.decimals)

    grades = pd.Series(None, index=workers.index, dtype=object)
    for g in sorted(scheme.grades, key=lambda g: g.low):
        inside = (total >= g.low) & ((total < g.high) | ((g.high == scheme.cap) & (total <= g.high)))
        grades[inside] = g.key
    vetoes = db.conn.sql("SELECT * FROM veto_events").df()
    acting = vetoes[vetoes["period_id"].isin(sub_periods) & vetoes["status"].isin(scheme.veto.acting_statuses)
                    & (vetoes["scope"] == "worker") & (vetoes["severity"] == "fail")]
    grades[grades.index.isin(acting["subject_id"])] = "fail"
    return pd.DataFrame({"total": total, "grade": grades})
