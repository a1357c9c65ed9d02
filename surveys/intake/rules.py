"""The write rules of survey intake: the one implementation every intake path uses.

What a submission must satisfy and what it stores, decided here once:

* tokens are matched by the sha256 of their normalised form (`hash_token`);
* the token must exist ("unknown"), be unused (a used token's same submission id with the
  same answers is "already_received", with other answers a `SubmissionConflict`, any other
  submission "used") and unexpired ("expired"); the answers must fit the questionnaire
  version of the token's design; a new submission id must not belong to another response;
* an accepted submission stores one `survey_responses` row (no identity: the received
  time to the hour, device and address only as salted fingerprints) and its answers,
  and marks the invitation used on the day with disposition "complete" — all in the
  caller's transaction, refused whole if another writer got there first (`StoreConflict`).

`surveys.intake.writer` (group commit, used by `submit`) decides each submission with
`decide` and writes with `store`; `surveys.intake.bulk` applies the same checks in
vectorised SQL with the same refusal order (`refuse_tokens`), channel check, fingerprint
(`FINGERPRINT_SQL`, the SQL twin of `fingerprint`), clock truncation and `mark_used`.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

import duckdb

from surveys.errors import AnswersInvalid, SubmissionConflict, SurveyError, TokenRejected
from surveys.questionnaire import content_hash, questionnaire_for, validate_answers
from warehouse.db import Database

CHANNELS = ("web", "phone", "paper")


@dataclass(frozen=True)
class SubmitResult:
    """Outcome of an accepted submission: "accepted" now, or "already_received" before."""

    status: Literal["accepted", "already_received"]
    response_id: str


class StoreConflict(SurveyError):
    """The writes found the database changed under them (another writer used a token first)."""


@dataclass
class Submission:
    """One completed questionnaire as handed in (token already hashed, clock naive UTC)."""

    token_hash: str
    answers: Mapping[str, object]
    submission_id: str
    channel: str
    started_at: datetime | None
    device: str | None
    address: str | None
    entered_by: str | None
    clock: datetime | None


@dataclass(frozen=True)
class Accepted:
    """An accepted submission's rows: the invitation to mark, the response row, its answers."""

    result: SubmitResult
    digest: str
    mark: tuple[str, datetime]
    response: list
    answers: list[list]


def normalise_token(token: str) -> str:
    """Token as stored: spaces and hyphens removed, lowercase (phone entry is forgiving)."""
    return "".join(str(token).split()).replace("-", "").lower()


def hash_token(token: str) -> str:
    """sha256 (hex) of a normalised token: what `survey_invitations.token_hash` holds."""
    return hashlib.sha256(normalise_token(token).encode()).hexdigest()


def fingerprint(period_id: str, salt: str, value: str | None) -> str | None:
    """Hash of a device or network address keyed with the period's secret salt (NULL stays NULL).

    sha256(salt:sha256(period:value)): without the salt (never exported or shown) the
    hash cannot be reversed by trying every address; within a period equal values still
    give equal hashes (the quality screens). The inner hash is the pre-salt formula, so
    migration 6 could upgrade the hashes already stored.
    """
    if value is None or str(value) == "":
        return None
    inner = hashlib.sha256(f"{period_id}:{value}".encode()).hexdigest()
    return hashlib.sha256(f"{salt}:{inner}".encode()).hexdigest()


# SQL twin of `fingerprint` for bulk intake ({value} a column, k the survey_salts row)
FINGERPRINT_SQL = """CASE WHEN {value} IS NULL OR {value} = '' THEN NULL
     ELSE sha256(k.salt || ':' || sha256(s.period_id || ':' || {value})) END"""


def period_salts(cur: duckdb.DuckDBPyConnection, period_ids: list[str]) -> tuple[dict[str, str], dict[str, str]]:
    """The periods' secret salts inside the caller's transaction, creating missing ones.

    Returns (all salts, the ones created now); the created ones exist only once the
    caller's transaction commits, so cache them only after that.
    """
    wanted = sorted(set(period_ids))
    if not wanted:
        return {}, {}
    found = dict(cur.execute(
        "SELECT period_id, salt FROM survey_salts WHERE period_id IN (SELECT unnest($ids))", {"ids": wanted}
    ).fetchall())
    created = {p: secrets.token_hex(32) for p in wanted if p not in found}
    if created:
        now = datetime.now(UTC).replace(tzinfo=None)
        cur.execute(
            "INSERT INTO survey_salts SELECT unnest($ids), unnest($salts), $now",
            {"ids": list(created), "salts": list(created.values()), "now": now},
        )
    return found | created, created


def salt_of(db: Database, period_id: str) -> str:
    """A period's secret salt, created (and committed) if it has none yet."""
    with db.transaction() as cur:
        return period_salts(cur, [period_id])[0][period_id]


def utc_naive(moment: datetime) -> datetime:
    """`moment` as naive UTC (how the database stores times)."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def used_day(moment: datetime) -> datetime:
    """When an invitation counts as used: the day (no finer, so it cannot identify a response)."""
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def received_hour(moment: datetime) -> datetime:
    """When a response counts as received: the hour."""
    return moment.replace(minute=0, second=0, microsecond=0)


def check_channel(channel: object) -> None:
    """Refuse a channel that is not web, phone or paper."""
    if channel not in CHANNELS:
        raise SurveyError(f"channel must be one of {', '.join(CHANNELS)} (got {channel!r})")


def refuse_tokens(unknown: int, used: int, expired: int) -> None:
    """Refuse the first failing token check, in the order every path checks them."""
    for reason, count in (("unknown", unknown), ("used", used), ("expired", expired)):
        if count:
            raise TokenRejected(reason)


def retry_outcome(submission_id: str, earlier: tuple[str, str] | None, digest: str | None) -> SubmitResult:
    """The token is used: the same submission again is fine, anything else is refused."""
    if earlier is None:
        raise TokenRejected("used")
    if digest is not None and earlier[1] == digest:
        return SubmitResult("already_received", earlier[0])
    raise SubmissionConflict(
        f"submission {submission_id} was already received with different answers; nothing was changed"
    )


def decide(
    sub: Submission, invitation: tuple | None, earlier: tuple[str, str] | None, *,
    used: bool, now: datetime, salt: str,
) -> SubmitResult | Accepted:
    """Decide one submission against its token's invitation and what its id already stored.

    Args:
        sub: the submission.
        invitation: (invitation_id, design_id, period_id, grid_id, weight_class, expires_at,
            used_at, questionnaire_version) of the token, None when no invitation has it.
        earlier: (response_id, content_hash) already stored under the submission id.
        used: the token was used by a submission decided earlier in the same transaction.
        now: the clock.
        salt: the secret salt of the token's period (needed when a device or address is given).

    Returns:
        `SubmitResult("already_received", …)` for a retry, else the `Accepted` rows to store.

    Raises:
        TokenRejected, SubmissionConflict, AnswersInvalid: the submission is refused.
    """
    if invitation is None:
        raise TokenRejected("unknown")
    (invitation_id, design_id, period_id, grid_id, weight_class, expires_at, used_at, version) = invitation
    q = questionnaire_for(version)
    if used_at is not None or used:
        try:
            digest = content_hash(version, validate_answers(q, sub.answers))
        except AnswersInvalid:
            digest = None
        return retry_outcome(sub.submission_id, earlier, digest)
    if expires_at < now:
        raise TokenRejected("expired")
    valid = validate_answers(q, sub.answers)
    digest = content_hash(version, valid)
    if earlier is not None:
        raise SubmissionConflict(
            f"submission id {sub.submission_id} already belongs to another response; use a new id"
        )
    response_id = str(uuid.uuid4())
    duration = None
    if sub.started_at is not None:
        duration = (now - utc_naive(sub.started_at)).total_seconds()
        if duration < 0:
            duration = None
    response = [
        response_id, period_id, design_id, grid_id, weight_class, version, sub.channel,
        sub.submission_id, digest, received_hour(now), duration,
        fingerprint(period_id, salt, sub.device), fingerprint(period_id, salt, sub.address), sub.entered_by,
    ]
    answers = [[response_id, a.item_key, a.answer_code, a.score, a.answer_text] for a in valid]
    return Accepted(SubmitResult("accepted", response_id), digest, (invitation_id, used_day(now)), response, answers)


MARK_USED_SQL = """
UPDATE survey_invitations
SET used_at = accepted.day, disposition = 'complete', disposition_at = accepted.day
FROM (SELECT unnest($ids) AS invitation_id, unnest($days) AS day) AS accepted
WHERE survey_invitations.invitation_id = accepted.invitation_id
  AND survey_invitations.used_at IS NULL
"""


def mark_used(cur: duckdb.DuckDBPyConnection, invitation_ids: list[str], days: list[datetime]) -> None:
    """Mark the invitations used (disposition "complete"); refused whole if one was used meanwhile."""
    if not invitation_ids:
        return
    updated = cur.execute(MARK_USED_SQL, {"ids": invitation_ids, "days": days}).fetchone()
    if updated is None or updated[0] != len(invitation_ids):
        raise StoreConflict(f"{len(invitation_ids)} invitations to mark, {updated} marked")


def insert_rows(cur: duckdb.DuckDBPyConnection, table: str, rows: list[list]) -> None:
    """One INSERT of many rows: a list parameter per column, unnested side by side.

    Cheaper than a multi-row VALUES (a parameter per cell to bind) or executemany
    (a statement per row).
    """
    if not rows:
        return
    columns = list(zip(*rows, strict=True))
    unnested = ", ".join(f"unnest(${n})" for n in range(1, len(columns) + 1))
    cur.execute(f"INSERT INTO {table} SELECT {unnested}", [list(c) for c in columns])


def store(cur: duckdb.DuckDBPyConnection, accepted: list[Accepted]) -> None:
    """Write accepted submissions in the caller's transaction: invitations, responses, answers."""
    if not accepted:
        return
    mark_used(cur, [a.mark[0] for a in accepted], [a.mark[1] for a in accepted])
    insert_rows(cur, "survey_responses", [a.response for a in accepted])
    insert_rows(cur, "survey_answers", [row for a in accepted for row in a.answers])
