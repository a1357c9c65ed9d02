"""Intake: single-use tokens, retries, conflicts, races, and the bulk path's equality."""

from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import polars as pl
import pytest

from surveys.design import SampleOptions, draw_sample
from surveys.errors import AnswersInvalid, SubmissionConflict, SurveyError, TokenRejected
from surveys.intake import submit, submit_many, token_state
from warehouse.db import Database

ANSWERS = {"overall": "满意", "responsiveness": "satisfied", "attitude": "very_satisfied",
           "problem_solved": "基本满意", "visited": "yes", "comment": "谢谢"}


# The suite keeps this small (each commit is a durable write); bench/bench_surveys.py
# runs the full 10,000 tokens from 200 threads.
N_MANY = 100


def _tokens(db: Database, **kw) -> list[str]:
    return draw_sample(db, "2025", seed=1, **kw).tokens["token"].to_list()


def _count(db: Database, table: str) -> int:
    return db.scalar(f"SELECT count(*) FROM {table}")


def test_submit_stores_response_without_identity(register_db: Database) -> None:
    token = _tokens(register_db)[0]
    assert token_state(register_db, token) == "open"
    result = submit(register_db, token, ANSWERS, submission_id="s1", channel="web",
                    started_at=datetime.now(UTC) - timedelta(seconds=90), device="ua", address="10.0.0.1")
    assert result.status == "accepted"
    assert token_state(register_db, token) == "used"
    row = register_db.query("SELECT * FROM survey_responses").row(0, named=True)
    assert row["response_id"] == result.response_id and 85 < row["duration_seconds"] < 120
    assert row["submitted_at"].minute == 0 and row["submitted_at"].second == 0
    assert not {"household_id", "token", "token_hash", "invitation_id"} & set(row)
    assert all(token not in str(v) and "H" + "D01" not in str(v) for v in row.values())
    inv = register_db.query("SELECT * FROM survey_invitations WHERE used_at IS NOT NULL").row(0, named=True)
    assert inv["disposition"] == "complete" and inv["used_at"].hour == 0
    assert _count(register_db, "survey_answers") == 6


def test_submit_retry_same_content_already_received(register_db: Database) -> None:
    token = _tokens(register_db)[0]
    first = submit(register_db, token, ANSWERS, submission_id="s1", channel="web")
    again = submit(register_db, token, {**ANSWERS, "overall": "satisfied"}, submission_id="s1", channel="web")
    assert again.status == "already_received" and again.response_id == first.response_id
    assert _count(register_db, "survey_responses") == 1


def test_submit_retry_different_content_conflicts_never_overwrites(register_db: Database) -> None:
    token = _tokens(register_db)[0]
    submit(register_db, token, ANSWERS, submission_id="s1", channel="web")
    with pytest.raises(SubmissionConflict):
        submit(register_db, token, {**ANSWERS, "overall": "不满意"}, submission_id="s1", channel="web")
    assert register_db.scalar("SELECT answer_code FROM survey_answers WHERE item_key = 'overall'") == "satisfied"


def test_submit_token_replay_refused(register_db: Database) -> None:
    token = _tokens(register_db)[0]
    submit(register_db, token, ANSWERS, submission_id="s1", channel="web")
    with pytest.raises(TokenRejected) as info:
        submit(register_db, token, ANSWERS, submission_id="s2", channel="web")
    assert info.value.reason == "used"
    assert _count(register_db, "survey_responses") == 1


def test_submit_expired_token_refused(register_db: Database) -> None:
    token = _tokens(register_db, options=SampleOptions(ttl_days=1))[0]
    with pytest.raises(TokenRejected) as info:
        submit(register_db, token, ANSWERS, submission_id="s1", channel="web",
               now=datetime.now(UTC) + timedelta(days=2))
    assert info.value.reason == "expired"
    assert _count(register_db, "survey_responses") == 0


def test_submit_unknown_token_and_bad_input_refused(register_db: Database) -> None:
    token = _tokens(register_db)[0]
    with pytest.raises(TokenRejected) as info:
        submit(register_db, "0" * 32, ANSWERS, submission_id="s1", channel="web")
    assert info.value.reason == "unknown"
    with pytest.raises(AnswersInvalid) as bad:
        submit(register_db, token, {**ANSWERS, "overall": None}, submission_id="s1", channel="web")
    assert bad.value.errors == {"overall": "required"}
    with pytest.raises(SurveyError):
        submit(register_db, token, ANSWERS, submission_id="s1", channel="fax")  # type: ignore[arg-type]
    assert token_state(register_db, token) == "open" and _count(register_db, "survey_responses") == 0


def test_submit_token_is_forgiving_about_case_and_spaces(register_db: Database) -> None:
    token = _tokens(register_db)[0]
    spaced = " ".join(token.upper()[i:i + 4] for i in range(0, 32, 4))
    assert submit(register_db, spaced, ANSWERS, submission_id="s1", channel="phone").status == "accepted"


def test_submit_50_threads_one_token_exactly_one_stored(register_db: Database) -> None:
    token = _tokens(register_db)[0]
    barrier = threading.Barrier(50)

    def attempt(i: int) -> str:
        barrier.wait()
        try:
            return submit(register_db, token, ANSWERS, submission_id=f"s{i}", channel="web").status
        except TokenRejected as exc:
            return exc.reason

    with ThreadPoolExecutor(50) as pool:
        outcomes = list(pool.map(attempt, range(50)))
    assert outcomes.count("accepted") == 1 and outcomes.count("used") == 49
    assert _count(register_db, "survey_responses") == 1 and _count(register_db, "survey_answers") == 6


def test_submit_same_submission_from_many_threads_one_row(register_db: Database) -> None:
    token = _tokens(register_db)[0]
    with ThreadPoolExecutor(20) as pool:
        outcomes = list(pool.map(lambda _i: submit(register_db, token, ANSWERS, submission_id="same",
                                                    channel="web").status, range(20)))
    assert outcomes.count("accepted") == 1 and outcomes.count("already_received") == 19
    assert _count(register_db, "survey_responses") == 1


def test_submit_many_tokens_many_threads_none_lost_none_duplicated(register_db: Database) -> None:
    db = register_db
    tokens = draw_sample(db, "2025", seed=2, options=SampleOptions(margin=1, response_rate=1.0)).tokens
    tokens = tokens["token"].to_list()[:N_MANY]
    assert len(tokens) == N_MANY
    with ThreadPoolExecutor(50) as pool:
        results = list(pool.map(
            lambda t: submit(db, t, ANSWERS, submission_id=uuid.uuid4().hex, channel="web"), tokens))
    assert {r.status for r in results} == {"accepted"}
    assert _count(db, "survey_responses") == N_MANY
    assert db.scalar("SELECT count(DISTINCT response_id) FROM survey_responses") == N_MANY
    assert _count(db, "survey_answers") == N_MANY * 6
    assert db.scalar("SELECT count(*) FROM survey_invitations WHERE used_at IS NOT NULL") == N_MANY


def test_submit_many_stores_the_same_rows_as_submit(register_db: Database) -> None:
    tokens = _tokens(register_db)
    now = datetime(2026, 1, 5, 10, 30, tzinfo=UTC)
    submit(register_db, tokens[0], ANSWERS, submission_id="one", channel="paper", entered_by="S1",
           device="d", now=now)
    subs = pl.DataFrame({"token": [tokens[1]], "submission_id": ["two"], "channel": ["paper"],
                         "duration_seconds": [None], "device": ["d"], "address": [None], "entered_by": ["S1"]},
                        schema_overrides={"duration_seconds": pl.Float64, "address": pl.String})
    answers = pl.DataFrame({"token": tokens[1], "item_key": list(ANSWERS),
                            "value": ["satisfied", "satisfied", "very_satisfied", "fairly_satisfied", "yes", "谢谢"]})
    assert submit_many(register_db, subs, answers, now=now) == 1
    rows = register_db.query(
        "SELECT * EXCLUDE (response_id, submission_id, grid_id, weight_class) FROM survey_responses ORDER BY submission_id")
    assert rows.row(0) == rows.row(1)
    ans = register_db.query(
        """SELECT r.submission_id, a.item_key, a.answer_code, a.score, a.answer_text
           FROM survey_answers a JOIN survey_responses r USING (response_id) ORDER BY a.item_key""")
    one = ans.filter(pl.col("submission_id") == "one").drop("submission_id")
    two = ans.filter(pl.col("submission_id") == "two").drop("submission_id")
    assert one.equals(two)
    with pytest.raises(TokenRejected):
        submit_many(register_db, subs.with_columns(pl.lit("three").alias("submission_id")), answers, now=now)
