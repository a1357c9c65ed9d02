"""Group commit: a batch decides every submission exactly as one-at-a-time intake would."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from surveys.design import SampleOptions, draw_sample
from surveys.errors import AnswersInvalid, SubmissionConflict, SurveyError, TokenRejected
from surveys.intake import hash_token, submit, writer, writer_stats
from surveys.intake.writer import _Pending, _process
from warehouse.db import Database

ANSWERS = {"overall": "满意", "responsiveness": "satisfied", "attitude": "very_satisfied",
           "problem_solved": "基本满意", "visited": "yes", "comment": "谢谢"}
OTHER = {**ANSWERS, "overall": "不满意"}
BAD = {**ANSWERS, "overall": None}


def _script(tokens: list[str], prefix: str) -> list[tuple[str, dict, str]]:
    """(token, answers, submission id) in arrival order, covering every outcome and in-batch repeat."""
    a, b, c, d, e = tokens
    return [
        (a, ANSWERS, f"{prefix}1"),        # accepted
        (a, ANSWERS, f"{prefix}1"),        # same id, same answers → already_received
        (a, OTHER, f"{prefix}1"),          # same id, other answers → conflict
        (a, ANSWERS, f"{prefix}2"),        # token used earlier in the batch → used
        (b, ANSWERS, f"{prefix}1"),        # id belongs to another response → conflict
        (b, BAD, f"{prefix}3"),            # invalid answers → AnswersInvalid, token stays open
        (b, ANSWERS, f"{prefix}4"),        # then accepted
        ("0" * 32, ANSWERS, f"{prefix}5"),  # unknown
        (c, ANSWERS, f"{prefix}6"),        # expired (clock below)
        (d, BAD, f"{prefix}7"),            # invalid, then a retry with the same id that is valid
        (d, ANSWERS, f"{prefix}7"),        # accepted
        (e, ANSWERS, f"{prefix}8"),        # accepted
        (e, BAD, f"{prefix}8"),            # used token, same id, invalid answers → conflict
    ]


def _kind(outcome: object) -> str:
    if isinstance(outcome, TokenRejected):
        return f"rejected:{outcome.reason}"
    if isinstance(outcome, BaseException):
        return type(outcome).__name__
    return outcome.status  # type: ignore[attr-defined]


def _clock(token: str, expired: str) -> datetime | None:
    return datetime.now(UTC).replace(tzinfo=None) + timedelta(days=60) if token == expired else None


def test_batch_outcomes_equal_one_at_a_time_outcomes(register_db: Database) -> None:
    tokens = draw_sample(register_db, "2025", seed=1, options=SampleOptions(ttl_days=30)).tokens["token"].to_list()
    one_by_one, batched = tokens[:5], tokens[5:10]
    expected = []
    for token, answers, sid in _script(one_by_one, "seq"):
        try:
            expected.append(_kind(submit(register_db, token, answers, submission_id=sid, channel="web",
                                         now=_clock(token, one_by_one[2]))))
        except SurveyError as exc:
            expected.append(_kind(exc))
    batch = [_Pending(token_hash=hash_token(t), answers=a, submission_id=s, channel="web", started_at=None,
                      device=None, address=None, entered_by=None, clock=_clock(t, batched[2]))
             for t, a, s in _script(batched, "bat")]
    _process(register_db, batch)  # one transaction for all thirteen
    got = [_kind(p.error if p.error is not None else p.result) for p in batch]
    assert got == expected
    assert expected == ["accepted", "already_received", "SubmissionConflict", "rejected:used",
                        "SubmissionConflict", "AnswersInvalid", "accepted", "rejected:unknown",
                        "rejected:expired", "AnswersInvalid", "accepted", "accepted", "SubmissionConflict"]
    assert batch[1].result == batch[0].result.__class__("already_received", batch[0].result.response_id)
    stored = register_db.query(
        """SELECT left(submission_id, 3) AS side, count(*) AS n FROM survey_responses
           GROUP BY side ORDER BY side""")
    assert stored.rows() == [("bat", 4), ("seq", 4)]
    assert register_db.scalar("SELECT count(*) FROM survey_answers") == 8 * 6
    assert register_db.scalar("SELECT count(*) FROM survey_invitations WHERE used_at IS NOT NULL") == 8
    assert isinstance(batch[5].error, AnswersInvalid) and isinstance(batch[2].error, SubmissionConflict)


def test_concurrent_submissions_share_commits(register_db: Database) -> None:
    """Fifty callers at once: every one stored once, in fewer transactions than submissions."""
    tokens = draw_sample(register_db, "2025", seed=2, options=SampleOptions(margin=1, response_rate=1.0)
                         ).tokens["token"].to_list()[:50]
    barrier = threading.Barrier(50)

    def one(n: int) -> str:
        barrier.wait()
        return submit(register_db, tokens[n], ANSWERS, submission_id=f"g{n}", channel="web").status

    with ThreadPoolExecutor(50) as pool:
        statuses = list(pool.map(one, range(50)))
    batches, submissions = writer_stats(register_db)
    assert statuses == ["accepted"] * 50
    assert register_db.scalar("SELECT count(DISTINCT submission_id) FROM survey_responses") == 50
    assert submissions == 50 and batches < 50, (batches, submissions)


def test_batch_that_cannot_commit_is_replayed_one_by_one(register_db: Database, monkeypatch) -> None:
    """Another transaction holding the invitation row: the batch fails, the replay waits and stores once."""
    token = draw_sample(register_db, "2025", seed=3).tokens["token"][0]
    other = register_db.cursor()
    other.execute("BEGIN TRANSACTION")
    other.execute("UPDATE survey_invitations SET disposition = 'partial' WHERE token_hash = ?", [hash_token(token)])
    replaying = threading.Event()  # set when the writer falls back to one-by-one (the real function runs)
    alone = writer._submit_alone

    def observed(*args, **kwargs):
        replaying.set()
        return alone(*args, **kwargs)

    monkeypatch.setattr(writer, "_submit_alone", observed)
    outcome: list[object] = []
    worker = threading.Thread(target=lambda: outcome.append(
        submit(register_db, token, ANSWERS, submission_id="held", channel="phone")))
    worker.start()
    assert replaying.wait(timeout=30), "the batch committed although another transaction held its row"
    other.execute("ROLLBACK")
    other.close()
    worker.join(timeout=30)
    assert [r.status for r in outcome] == ["accepted"]  # type: ignore[attr-defined]
    assert register_db.scalar("SELECT count(*) FROM survey_responses WHERE submission_id = 'held'") == 1
    assert register_db.scalar(
        "SELECT disposition FROM survey_invitations WHERE token_hash = ?", [hash_token(token)]) == "complete"


def test_writer_thread_ends_when_idle_and_restarts(register_db: Database, monkeypatch) -> None:
    monkeypatch.setattr(writer, "WRITER_IDLE_SECONDS", 0.05)
    tokens = draw_sample(register_db, "2025", seed=4).tokens["token"].to_list()
    submit(register_db, tokens[0], ANSWERS, submission_id="w1", channel="web")
    for thread in [t for t in threading.enumerate() if t.name == "survey-writer"]:
        thread.join(timeout=10)  # it ends on its own once idle
    assert not [t for t in threading.enumerate() if t.name == "survey-writer"]
    assert submit(register_db, tokens[1], ANSWERS, submission_id="w2", channel="web").status == "accepted"
