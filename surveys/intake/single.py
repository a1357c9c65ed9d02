"""Single submission: `submit` for the web form, phone and paper, and `token_state` for the form.

`submit` checks its arguments, hands the submission to the database's writer
(`surveys.intake.writer`, group commit) and waits until it is committed or refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

from surveys.errors import SurveyError
from surveys.intake.rules import SubmitResult, check_channel, hash_token, utc_naive
from surveys.intake.writer import _Pending, writer_for
from warehouse.db import Database


def token_state(db: Database, token: str) -> Literal["open", "used", "expired", "unknown"]:
    """Whether a token can still be answered (the form shows the questionnaire only if "open")."""
    row = db.scalar(
        "SELECT CASE WHEN used_at IS NOT NULL THEN 'used' "
        "WHEN expires_at < ? THEN 'expired' ELSE 'open' END "
        "FROM survey_invitations WHERE token_hash = ?",
        [datetime.now(UTC).replace(tzinfo=None), hash_token(token)],
    )
    return row or "unknown"


def submit(
    db: Database,
    token: str,
    answers: Mapping[str, object],
    *,
    submission_id: str,
    channel: Literal["web", "phone", "paper"],
    started_at: datetime | None = None,
    device: str | None = None,
    address: str | None = None,
    entered_by: str | None = None,
    now: datetime | None = None,
) -> SubmitResult:
    """Store one completed questionnaire for a token, exactly once.

    The submission is committed by the database's writer thread together with
    whatever else is queued (group commit); this returns only after that commit.

    Args:
        db: open database (writable).
        token: the household's single-use token (as printed or in the link).
        answers: item key → answer code or label (text for comment items).
        submission_id: id chosen by the client once per filled-in form; a retry
            repeats it.
        channel: "web", "phone" or "paper".
        started_at: when the form was opened (for the completion-time screen).
        device: device / browser fingerprint (hashed with the period's secret salt).
        address: network address (hashed with the period's secret salt).
        entered_by: staff member who keyed in a phone / paper answer.
        now: clock (tests).

    Returns:
        `SubmitResult("accepted", id)` the first time; `("already_received", id)`
        for a retry with the same submission id and the same answers.

    Raises:
        TokenRejected: unknown, expired or used token (`.reason`).
        SubmissionConflict: a used token's submission id again with different
            answers, or a submission id that belongs to another response.
        AnswersInvalid: answers do not fit the questionnaire (`.errors`).
    """
    check_channel(channel)
    if not submission_id or not str(submission_id).strip():
        raise SurveyError("submission_id must not be empty")
    item = _Pending(
        token_hash=hash_token(token), answers=dict(answers), submission_id=str(submission_id),
        channel=channel, started_at=started_at, device=device, address=address, entered_by=entered_by,
        clock=utc_naive(now) if now is not None else None,
    )
    writer_for(db).put(item)
    item.done.wait()
    if item.error is not None:
        raise item.error
    assert item.result is not None
    return item.result
