"""Score runs on the small synthetic city: reproducibility, locking, audit, roll-ups, recovery."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from scipy.stats import spearmanr
from typer.testing import CliRunner

from metrics.audit import verify
from metrics.errors import ScoringError
from metrics.explain import explain_unit, explain_worker
from metrics.results import unit_scores, worker_scores
from metrics.runs import (
    RunLockedError,
    appeal,
    finalise,
    get_run,
    latest_run,
    list_runs,
    rescore,
    score_period,
)
from metrics.vetoes import VetoTransitionError, transition
from tests.conftest import CITY_YEAR
from warehouse.db import Database, open_db

PERIOD = str(CITY_YEAR)
TABLES = ("score_workers", "score_units", "score_indicators", "score_adjustments", "score_uncertainty")


def _table_bytes(db: Database, table: str, run_id: str) -> str:
    cols = [c for c in db.query(f"SELECT * FROM {table} LIMIT 0").columns if c != "run_id"]
    order = ", ".join(cols)
    return db.query(f"SELECT {order} FROM {table} WHERE run_id = ? ORDER BY {order}", [run_id]).write_csv()


def test_build_city_has_a_scored_year(city_path: Path) -> None:
    with open_db(city_path, read_only=True) as db:
        run = latest_run(db, PERIOD)
        assert run is not None and run.status == "draft"
        assert worker_scores(db, run.run_id).height == db.scalar("SELECT count(*) FROM workers")


def test_score_period_same_inputs_identical_tables(city_db: Database) -> None:
    a = score_period(city_db, PERIOD, seed=7, draws=200)
    b = score_period(city_db, PERIOD, seed=7, draws=200)
    assert a.run_id != b.run_id
    assert a.input_fingerprint == b.input_fingerprint
    assert a.output_digest == b.output_digest
    for t in TABLES:
        assert _table_bytes(city_db, t, a.run_id) == _table_bytes(city_db, t, b.run_id), t
    info = get_run(city_db, a.run_id)
    assert (info.seed, info.draws, info.scheme_version) == (7, 200, "2025.2")
    assert info.code_version.startswith("0.")


def test_score_period_unknown_period_refused(city_db: Database) -> None:
    with pytest.raises(ScoringError, match="period '1999' does not exist"):
        score_period(city_db, "1999", draws=0)


def test_finalised_run_refuses_writes(city_db: Database) -> None:
    run = score_period(city_db, PERIOD, draws=0)
    info = finalise(city_db, run.run_id, actor="assessor")
    assert info.status == "final" and info.finalised_by == "assessor"
    with pytest.raises(RunLockedError, match="final and refuses writes"):
        rescore(city_db, run.run_id)
    with pytest.raises(RunLockedError):
        finalise(city_db, run.run_id, actor="assessor")
    assert latest_run(city_db, PERIOD, final_only=True).run_id == run.run_id
    assert run.run_id in list_runs(city_db)["run_id"].to_list()


def test_appeal_on_final_run_is_recorded_and_audited(city_db: Database) -> None:
    run = score_period(city_db, PERIOD, draws=0)
    finalise(city_db, run.run_id, actor="assessor")
    ws = worker_scores(city_db, run.run_id).filter(pl.col("total").is_not_null())
    wid, before = ws["worker_id"][0], ws["total"][0]
    row = appeal(city_db, run.run_id, wid, field="total", after=str(before + 1), reason="record missed", actor="chief")
    r = row.row(0, named=True)
    assert (r["value_before"], r["value_after"], r["actor"]) == (str(before), str(before + 1), "chief")
    assert verify(city_db).ok


def test_audit_verify_catches_one_edited_score_row(city_db: Database) -> None:
    run = score_period(city_db, PERIOD, draws=0)
    assert verify(city_db).ok
    wid = worker_scores(city_db, run.run_id)["worker_id"][0]
    city_db.conn.execute("UPDATE score_workers SET total = total + 0.1 WHERE run_id = ? AND worker_id = ?",
                         [run.run_id, wid])
    report = verify(city_db)
    assert not report.ok
    assert report.problems == (f"run {run.run_id}: score_workers differs from the audited digest (rows edited or deleted)",)


def test_audit_verify_catches_edited_log_row(city_db: Database) -> None:
    score_period(city_db, PERIOD, draws=0)
    city_db.conn.execute("UPDATE audit_log SET actor = 'someone else' WHERE seq = 1")
    report = verify(city_db)
    assert not report.ok
    assert "audit_log seq 1: hash does not match the row's content (row edited)" in report.problems


def test_department_rates_equal_sums_recomputed_in_sql(city_path: Path) -> None:
    with open_db(city_path, read_only=True) as db:
        run = latest_run(db, PERIOD)
        stored = db.query(
            "SELECT subject_id AS dept_id, num, den FROM score_indicators "
            "WHERE run_id = ? AND level = 'department' AND item = 'mediation_success' ORDER BY 1", [run.run_id])
        direct = db.query(
            """
            WITH p AS (SELECT starts_on, ends_on FROM periods WHERE period_id = ?)
            SELECT w.dept_id,
                   count(*) FILTER (WHERE r.type = 'dispute' AND r.status = 'closed' AND r.outcome = 'success')::DOUBLE AS num,
                   count(*) FILTER (WHERE r.type = 'dispute' AND r.status = 'closed')::DOUBLE AS den
            FROM work_records r JOIN workers w USING (worker_id), p
            WHERE r.opened_at >= p.starts_on AND r.opened_at < p.ends_on + INTERVAL 1 DAY
              AND w.in_post_from <= p.ends_on AND (w.in_post_to IS NULL OR w.in_post_to >= p.starts_on)
              AND w.dept_id IS NOT NULL
            GROUP BY w.dept_id ORDER BY 1
            """, [PERIOD])
        joined = stored.join(direct, on="dept_id", how="full", coalesce=True, suffix="_sql").fill_null(0.0)
        assert joined.height > 0
        assert (joined["num"] == joined["num_sql"]).all()
        assert (joined["den"] == joined["den_sql"]).all()


def test_ranking_recovers_latent_quality(city_path: Path) -> None:
    with open_db(city_path, read_only=True) as db:
        run = latest_run(db, PERIOD)
        ws = worker_scores(db, run.run_id).filter(pl.col("eligible") & (pl.col("role") == "grid_worker"))
        truth = db.query("SELECT worker_id, quality FROM synthetic_truth")
        j = ws.join(truth, on="worker_id")
        assert j.height >= 30
        rho = spearmanr(j["total"].to_numpy(), j["quality"].to_numpy()).statistic
        assert rho >= 0.8, rho


def test_veto_workflow_decides_grade_after_rescore(city_db: Database) -> None:
    run = score_period(city_db, PERIOD, draws=0)
    ws = worker_scores(city_db, run.run_id).filter(pl.col("eligible") & (pl.col("role") == "grid_worker"))
    wid = ws["worker_id"][0]
    city_db.conn.execute(
        "INSERT INTO veto_events (veto_id, category, scope, subject_id, period_id, evidence, severity, status) "
        "VALUES ('VT-T1', 'major_safety_incident', 'worker', ?, ?, 'fire', 'fail', 'proposed')", [wid, PERIOD])
    with pytest.raises(VetoTransitionError, match="cannot uphold from status 'proposed'"):
        transition(city_db, "VT-T1", action="uphold", actor="a", evidence="e")
    rescore(city_db, run.run_id)
    assert worker_scores(city_db, run.run_id).filter(pl.col("worker_id") == wid)["vetoed"].item() is False
    transition(city_db, "VT-T1", action="confirm", actor="chief", evidence="report 12")
    rescore(city_db, run.run_id)
    row = worker_scores(city_db, run.run_id).filter(pl.col("worker_id") == wid).row(0, named=True)
    assert (row["grade"], row["vetoed"], row["rank"]) == ("fail", True, None)
    e = explain_worker(city_db, run.run_id, wid)
    assert [v.veto_id for v in e.vetoes if v.deciding] == ["VT-T1"]
    transition(city_db, "VT-T1", action="appeal", actor="worker", evidence="letter")
    transition(city_db, "VT-T1", action="overturn", actor="board", evidence="hearing")
    rescore(city_db, run.run_id)
    assert worker_scores(city_db, run.run_id).filter(pl.col("worker_id") == wid)["vetoed"].item() is False
    assert verify(city_db).ok


def test_explain_worker_points_add_up_to_base(city_path: Path) -> None:
    with open_db(city_path, read_only=True) as db:
        run = latest_run(db, PERIOD)
        ws = worker_scores(db, run.run_id).filter(pl.col("base").is_not_null())
        e = explain_worker(db, run.run_id, ws["worker_id"][0])
        assert sum(p.points for p in e.pillars) == pytest.approx(e.base, abs=1e-6)
        for p in e.pillars:
            assert sum(i.points or 0.0 for i in p.items) == pytest.approx(p.points, abs=1e-6)
        u = unit_scores(db, run.run_id, level="community")
        eu = explain_unit(db, run.run_id, u["unit_id"][0], level="community")
        assert eu.pillars[0].items[0].den is not None


def test_cli_score_and_audit_verify(city_db: Database) -> None:
    from dashboard.cli import app

    path = city_db.path
    city_db.close()
    runner = CliRunner()
    res = runner.invoke(app, ["score", "--period", PERIOD, "--draws", "0", "--db", path, "--json"])
    assert res.exit_code == 0, res.output
    assert '"status": "draft"' in res.stdout
    res = runner.invoke(app, ["audit", "verify", "--db", path])
    assert res.exit_code == 0, res.output
    res = runner.invoke(app, ["finalise", "1999-001", "--actor", "x", "--db", path])
    assert res.exit_code == 1 and "does not exist" in res.output


def test_score_half_year_uses_annual_skill_exam(city_db: Database) -> None:
    run = score_period(city_db, f"{CITY_YEAR}H1", draws=0)
    ws = worker_scores(city_db, run.run_id)
    assert ws["skills"].is_not_null().sum() > 0.9 * ws.height
    assert ws.filter(pl.col("role") == "grid_worker")["results"].is_not_null().all()


def test_cli_explain_prints_tree(city_path: Path) -> None:
    from dashboard.cli import app

    with open_db(city_path, read_only=True) as db:
        run = latest_run(db, PERIOD)
        wid = worker_scores(db, run.run_id).filter(pl.col("role") == "grid_worker")["worker_id"][0]
    res = CliRunner().invoke(app, ["explain", wid, "--db", str(city_path)])
    assert res.exit_code == 0, res.output
    assert "矛盾纠纷调解成功率" in res.stdout and "群众满意度" in res.stdout


def test_cli_score_with_scheme_file_stores_its_text(city_db: Database, tmp_path: Path) -> None:
    from dashboard.cli import app
    from metrics.runs import run_scheme
    from tests.metrics.factories import EXAMPLE_SCHEME

    scheme_file = tmp_path / "example.toml"
    scheme_file.write_text(EXAMPLE_SCHEME, encoding="utf-8")
    path = city_db.path
    city_db.close()
    res = CliRunner().invoke(app, ["score", "--period", PERIOD, "--scheme", str(scheme_file), "--draws", "0",
                                   "--db", path, "--json"])
    assert res.exit_code == 0, res.output
    with open_db(path) as db:
        run = latest_run(db, PERIOD)
        assert run.scheme_version == "1" and run_scheme(db, run.run_id).key == "example"
        wid = worker_scores(db, run.run_id).filter(pl.col("role") == "grid_worker")["worker_id"][0]
        e = explain_worker(db, run.run_id, wid)
        assert [i.item for i in e.pillars[0].items] == ["mediation_success", "hotline_resolution", "supervision"]


def test_cli_bad_scheme_file_one_line_error(tmp_path: Path, city_path: Path) -> None:
    from dashboard.cli import app

    bad = tmp_path / "bad.toml"
    bad.write_text("[scheme]\nkey = 1\n", encoding="utf-8")
    res = CliRunner().invoke(app, ["score", "--period", PERIOD, "--scheme", str(bad), "--db", str(tmp_path / "x.duckdb")])
    assert res.exit_code == 1
    assert "scheme.key: expected str" in res.output


def test_units_have_rank_intervals_within_their_level(city_path: Path) -> None:
    """Departments, communities, streets and grids get Monte Carlo rank intervals like workers (B10, B11)."""
    with open_db(city_path, read_only=True) as db:
        run = latest_run(db, PERIOD)
        assert run is not None and run.draws >= 1000
        for level in ("department", "community", "street", "grid"):
            u = unit_scores(db, run.run_id, level=level)
            stored = db.scalar("SELECT count(*) FROM score_uncertainty WHERE run_id = ? AND level = ?",
                               [run.run_id, level])
            assert stored == u.height, level
            # a pillar no member has a value for is missing (null), never NaN
            for c in ("skills", "satisfaction", "total"):
                assert u[c].is_nan().sum() == 0, (level, c)
            ranked = u.filter(pl.col("rank").is_not_null())
            assert ranked.height >= 2, level
            assert ranked["rank_median"].null_count() == 0, level
            assert (ranked["rank_low"] <= ranked["rank_median"]).all(), level
            assert (ranked["rank_median"] <= ranked["rank_high"]).all(), level
            assert (ranked["rank_low"] >= 1).all() and (ranked["rank_high"] <= ranked["ranked_among"]).all(), level
            if level == "community":  # ten communities, close enough for the draws to move some ranks
                assert (ranked["rank_high"] > ranked["rank_low"]).any()
            p_sum = ranked.select(pl.sum_horizontal(pl.col("^p_grade_.*$"))).to_series()
            assert ((p_sum - 1.0).abs() < 1e-9).all(), level
            unranked = u.filter(pl.col("rank").is_null())
            assert unranked["rank_median"].null_count() == unranked.height, level


def test_unit_skills_error_is_the_members_error_shrunk_by_their_weights(city_path: Path) -> None:
    """A unit's skills score is a weighted mean of members' scores: its Monte Carlo error is σ·√Σw²/Σw."""
    from metrics.inputs import load_period_inputs, unit_inputs
    from metrics.scheme import load_scheme
    from metrics.score import score_subjects

    scheme = load_scheme()
    sigma = next(p.measurement_sd for p in scheme.pillars if p.source == "skill_assessments")
    with open_db(city_path, read_only=True) as db:
        pin = load_period_inputs(db, PERIOD, scheme)
        scores = score_subjects(pin.workers, scheme).scores
        uin = unit_inputs(db, PERIOD, scheme, pin, scores, level="community")
    w = scores.filter(pl.col("skills").is_not_null()).with_columns(
        pl.col("households").clip(lower_bound=1).cast(pl.Float64).alias("w"))
    want = w.group_by("community_id").agg(
        (sigma * (pl.col("w") ** 2).sum().sqrt() / pl.col("w").sum()).alias("want")
    ).rename({"community_id": "subject_id"})
    got = uin.roster.select("subject_id", "skills_se", "members").join(want, on="subject_id")
    assert got.height >= 2
    assert ((got["skills_se"] - got["want"]).abs() < 1e-9).all()
    assert (got.filter(pl.col("members") > 1)["skills_se"] < sigma).all()


def test_grids_roll_up_their_members_like_communities(city_path: Path) -> None:
    """A grid is a unit level (issue 15, finding 6): Σnum/Σden of its workers' indicators, their
    households-weighted skills, the grid's own survey estimate, and one score per grid."""
    from metrics.inputs import survey_estimates

    with open_db(city_path, read_only=True) as db:
        run = latest_run(db, PERIOD)
        grids = unit_scores(db, run.run_id, level="grid")
        workers = worker_scores(db, run.run_id).filter(pl.col("grid_id").is_not_null())
        assert set(grids["unit_id"]) == set(db.query("SELECT unit_id FROM org_units WHERE level = 'grid'")["unit_id"])
        counts = workers.group_by("grid_id").len("n")
        got = grids.join(counts, left_on="unit_id", right_on="grid_id")
        assert (got["members"] == got["n"]).all()
        # rates: Σnum/Σden over the grid's workers, not a mean of their rates
        lines = db.query("SELECT level, subject_id, item, num, den, value FROM score_indicators "
                         "WHERE run_id = ? AND kind = 'indicator' AND level IN ('worker', 'grid')", [run.run_id])
        placed = lines.filter(pl.col("level") == "worker").join(
            workers.select(pl.col("worker_id").alias("subject_id"), "grid_id"), on="subject_id")
        want = placed.group_by("grid_id", "item").agg(pl.col("num").sum(), pl.col("den").sum())
        have = lines.filter(pl.col("level") == "grid").rename({"subject_id": "grid_id"}).join(
            want, on=["grid_id", "item"], suffix="_want")
        assert have.height == want.height > 0
        assert ((have["num"] - have["num_want"]).abs() < 1e-9).all()
        assert ((have["den"] - have["den_want"]).abs() < 1e-9).all()
        pooled = have.filter(pl.col("den") > 0)
        assert ((pooled["value"] - pooled["num"] / pooled["den"]).abs() < 1e-8).all()  # stored to 1e-9
        # skills: households-weighted mean of the members' skills
        sk = workers.filter(pl.col("skills").is_not_null()).with_columns(
            pl.col("households").clip(lower_bound=1).cast(pl.Float64).alias("w")).group_by("grid_id").agg(
            ((pl.col("skills") * pl.col("w")).sum() / pl.col("w").sum()).alias("want"))
        got = grids.join(sk, left_on="unit_id", right_on="grid_id")
        assert got.height > 0 and ((got["skills"] - got["want"]).abs() < 1e-9).all()
        # satisfaction: the grid's own estimate (suppressed grids have none)
        est = survey_estimates(db, PERIOD, level="grid")
        got = grids.join(est.select("unit_id", "shrunk", "respondents"), on="unit_id", how="left")
        shown = got.filter(pl.col("shrunk").is_not_null())
        assert shown.height > 0 and ((shown["satisfaction"] - shown["shrunk"]).abs() < 1e-9).all()
        assert got.filter(pl.col("shrunk").is_null())["satisfaction"].null_count() == \
            got.filter(pl.col("shrunk").is_null()).height
        eu = explain_unit(db, run.run_id, grids["unit_id"][0], level="grid")
        assert eu.level == "grid" and eu.total == grids["total"][0]
