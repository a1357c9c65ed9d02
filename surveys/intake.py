"""Response intake: one `submit` for the web form, phone and paper, safe under retries and races.

A submission is one DuckDB transaction that checks the token (exists, unexpired,
unused), validates the answers against the questionnaire version of the token's
design, stores the response and its answers with no identity, and marks the token
used with disposition "complete".

Races: two submissions of one token both try to update the same invitation row; DuckDB's
optimistic concurrency lets exactly one commit and aborts the other with a
`TransactionException` (or a `ConstraintException` for a duplicate submission id).
The loser rolls back and re-checks from scratch, which then reports the right
outcome: "already_received" (same submission id, same content), a conflict
(same submission id, different content) or a used token.

Group commit: `submit` hands the submission to the database's one writer thread and
waits. The writer takes everything queued (up to `MAX_BATCH`), looks the batch's tokens
and submission ids up in one query each, decides every submission on its own in arrival
order (exactly the outcomes of one-at-a-time intake: a token used earlier in the same
batch is "used", the same submission id again is "already_received" or a conflict),
writes the accepted ones with one statement per table and commits once. Each caller
returns (or raises) only after that COMMIT, so nothing is acknowledged before it is
durable. If the batch transaction fails (a write conflict with another writer, or any
database error) it is rolled back and its submissions are replayed one transaction each.

Device and address fingerprints are hashed with the period's secret salt
(`survey_salts`, created on the period's first fingerprint in the same transaction); the
writer reads a batch's missing salts once and caches them after COMMIT (they never change).

`submit_many` is the bulk equivalent for the simulator: the same checks, vectorised,
producing the same stored rows (the same content hash, scores and codes).
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import secrets
import threading
import time
import uuid
import weakref
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal

import duckdb
import polars as pl

from surveys.errors import AnswersInvalid, SubmissionConflict, SurveyError, TokenRejected
from surveys.questionnaire import content_hash, questionnaire_for, validate_answers
from warehouse.db import Database

CHANNELS = ("web", "phone", "paper")
MAX_ATTEMPTS = 50
MAX_BATCH = 256  # submissions per group-commit transaction
WRITER_IDLE_SECONDS = 2.0  # the writer thread ends after this long with nothing queued

# One round trip: the token's invitation, its questionnaire version, and whatever is
# already stored under this submission id (for the retry / conflict decision).
LOOKUP_SQL = """
WITH invitation AS (
    SELECT invitation_id, design_id, period_id, grid_id, weight_class, expires_at, used_at
    FROM survey_invitations
    WHERE token_hash = $token_hash
),
earlier AS (
    SELECT response_id, content_hash FROM survey_responses WHERE submission_id = $submission_id
)
SELECT i.invitation_id, i.design_id, i.period_id, i.grid_id, i.weight_class, i.expires_at,
       i.used_at, d.questionnaire_version, e.response_id, e.content_hash
FROM invitation i
JOIN survey_designs d USING (design_id)
LEFT JOIN earlier e ON true
"""


@dataclass(frozen=True)
class SubmitResult:
    """Outcome of an accepted submission: "accepted" now, or "already_received" before."""

    status: Literal["accepted", "already_received"]
    response_id: str


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


def _utc_naive(moment: datetime) -> datetime:
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _day(moment: datetime) -> datetime:
    return moment.replace(hour=0, minute=0, second=0, microsecond=0)


def _hour(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def token_state(db: Database, token: str) -> Literal["open", "used", "expired", "unknown"]:
    """Whether a token can still be answered (the form shows the questionnaire only if "open")."""
    row = db.scalar(
        "SELECT CASE WHEN used_at IS NOT NULL THEN 'used' "
        "WHEN expires_at < ? THEN 'expired' ELSE 'open' END "
        "FROM survey_invitations WHERE token_hash = ?",
        [datetime.now(UTC).replace(tzinfo=None), hash_token(token)],
    )
    return row or "unknown"


def _retry_outcome(
    submission_id: str, earlier: tuple[str, str] | None, digest: str | None
) -> SubmitResult:
    """The token is used: the same submission again is fine, anything else is refused."""
    if earlier is None:
        raise TokenRejected("used")
    if digest is not None and earlier[1] == digest:
        return SubmitResult("already_received", earlier[0])
    raise SubmissionConflict(
        f"submission {submission_id} was already received with different answers; nothing was changed"
    )


def _attempt(
    cur: duckdb.DuckDBPyConnection,
    token_hash: str,
    answers: Mapping[str, object],
    *,
    submission_id: str,
    channel: str,
    started_at: datetime | None,
    device: str | None,
    address: str | None,
    entered_by: str | None,
    now: datetime,
    salts: dict[str, str] | None = None,
) -> SubmitResult:
    salts = {} if salts is None else salts
    cur.execute("BEGIN TRANSACTION")
    try:
        rows = cur.execute(
            LOOKUP_SQL, {"token_hash": token_hash, "submission_id": submission_id}
        ).fetchall()
        if not rows:
            raise TokenRejected("unknown")
        (invitation_id, design_id, period_id, grid_id, weight_class, expires_at, used_at,
         version, earlier_id, earlier_hash) = rows[0]
        earlier = (earlier_id, earlier_hash) if earlier_id is not None else None
        q = questionnaire_for(version)
        if used_at is not None:
            try:
                digest = content_hash(version, validate_answers(q, answers))
            except AnswersInvalid:
                digest = None
            result = _retry_outcome(submission_id, earlier, digest)
            cur.execute("ROLLBACK")
            return result
        if expires_at < now:
            raise TokenRejected("expired")
        valid = validate_answers(q, answers)
        digest = content_hash(version, valid)
        if earlier is not None:
            raise SubmissionConflict(
                f"submission id {submission_id} already belongs to another response; use a new id"
            )
        created: dict[str, str] = {}
        if period_id not in salts and (device or address):
            salt = period_salts(cur, [period_id])[0][period_id]
            created = {period_id: salt}
        salt = salts.get(period_id) or created.get(period_id, "")
        response_id = str(uuid.uuid4())
        duration = None
        if started_at is not None:
            duration = (now - _utc_naive(started_at)).total_seconds()
            if duration < 0:
                duration = None
        cur.execute(
            """UPDATE survey_invitations
               SET used_at = ?, disposition = 'complete', disposition_at = ?
               WHERE invitation_id = ? AND used_at IS NULL""",
            [_day(now), _day(now), invitation_id],
        )
        cur.execute(
            "INSERT INTO survey_responses VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                response_id, period_id, design_id, grid_id, weight_class, version, channel,
                submission_id, digest, _hour(now), duration,
                fingerprint(period_id, salt, device), fingerprint(period_id, salt, address), entered_by,
            ],
        )
        cur.execute(  # one statement for all answers (executemany prepares per row)
            "INSERT INTO survey_answers VALUES " + ", ".join(["(?, ?, ?, ?, ?)"] * len(valid)),
            [v for a in valid for v in (response_id, a.item_key, a.answer_code, a.score, a.answer_text)],
        )
        cur.execute("COMMIT")
        salts.update(created)  # committed: safe to cache
        return SubmitResult("accepted", response_id)
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            cur.execute("ROLLBACK")
        raise


@dataclass
class _Pending:
    """One queued submission and, once its batch committed, its outcome."""

    token_hash: str
    answers: Mapping[str, object]
    submission_id: str
    channel: str
    started_at: datetime | None
    device: str | None
    address: str | None
    entered_by: str | None
    clock: datetime | None
    done: threading.Event = field(default_factory=threading.Event)
    result: SubmitResult | None = None
    error: BaseException | None = None

    def finish(self, outcome: SubmitResult | BaseException) -> None:
        if isinstance(outcome, BaseException):
            self.error = outcome
        else:
            self.result = outcome
        self.done.set()


# The batch's invitations (with their questionnaire version) and the responses already
# stored under its submission ids: two index lookups per batch instead of one per token.
BATCH_INVITATIONS_SQL = """
WITH wanted AS (SELECT unnest($hashes) AS token_hash)
SELECT i.token_hash, i.invitation_id, i.design_id, i.period_id, i.grid_id, i.weight_class,
       i.expires_at, i.used_at, d.questionnaire_version
FROM wanted w
JOIN survey_invitations i USING (token_hash)
JOIN survey_designs d USING (design_id)
"""

BATCH_EARLIER_SQL = """
WITH wanted AS (SELECT unnest($ids) AS submission_id)
SELECT r.submission_id, r.response_id, r.content_hash
FROM wanted w
JOIN survey_responses r USING (submission_id)
"""

MARK_USED_SQL = """
UPDATE survey_invitations
SET used_at = accepted.day, disposition = 'complete', disposition_at = accepted.day
FROM (SELECT unnest($ids) AS invitation_id, unnest($days) AS day) AS accepted
WHERE survey_invitations.invitation_id = accepted.invitation_id
  AND survey_invitations.used_at IS NULL
"""


class _BatchConflict(Exception):
    """The batch's writes found the database changed under it: replay one by one."""


def _decide_batch(
    batch: list[_Pending], invitations: dict[str, tuple], stored: dict[str, tuple[str, str]], moment: datetime,
    salts: dict[str, str] | None = None,
) -> tuple[list[SubmitResult | BaseException], list[tuple], list[list], list[list]]:
    """Each submission's outcome in arrival order, as one-at-a-time intake would decide it.

    Returns the outcomes and, for the accepted ones, the invitation updates, response
    rows and answer rows to write. `salts` holds the secret salt of every period in the batch
    whose submissions carry a device or address.
    """
    salts = salts or {}
    used_now: set[str] = set()  # token hashes accepted earlier in this batch
    earlier_now: dict[str, tuple[str, str]] = {}  # submission id → (response id, digest) in this batch
    outcomes: list[SubmitResult | BaseException] = []
    marks: list[tuple] = []
    responses: list[list] = []
    answers: list[list] = []
    for item in batch:
        try:
            row = invitations.get(item.token_hash)
            if row is None:
                raise TokenRejected("unknown")
            (invitation_id, design_id, period_id, grid_id, weight_class, expires_at, used_at, version) = row
            now = item.clock or moment
            earlier = earlier_now.get(item.submission_id) or stored.get(item.submission_id)
            q = questionnaire_for(version)
            if used_at is not None or item.token_hash in used_now:
                try:
                    digest = content_hash(version, validate_answers(q, item.answers))
                except AnswersInvalid:
                    digest = None
                outcomes.append(_retry_outcome(item.submission_id, earlier, digest))
                continue
            if expires_at < now:
                raise TokenRejected("expired")
            valid = validate_answers(q, item.answers)
            digest = content_hash(version, valid)
            if earlier is not None:
                raise SubmissionConflict(
                    f"submission id {item.submission_id} already belongs to another response; use a new id"
                )
            response_id = str(uuid.uuid4())
            duration = None
            if item.started_at is not None:
                duration = (now - _utc_naive(item.started_at)).total_seconds()
                if duration < 0:
                    duration = None
            marks.append((invitation_id, _day(now)))
            responses.append([
                response_id, period_id, design_id, grid_id, weight_class, version, item.channel,
                item.submission_id, digest, _hour(now), duration,
                fingerprint(period_id, salts.get(period_id, ""), item.device),
                fingerprint(period_id, salts.get(period_id, ""), item.address), item.entered_by,
            ])
            answers.extend([response_id, a.item_key, a.answer_code, a.score, a.answer_text] for a in valid)
            used_now.add(item.token_hash)
            earlier_now[item.submission_id] = (response_id, digest)
            outcomes.append(SubmitResult("accepted", response_id))
        except Exception as exc:  # noqa: BLE001 — handed to this submission's caller
            outcomes.append(exc)
    return outcomes, marks, responses, answers


def _insert_rows(cur: duckdb.DuckDBPyConnection, table: str, rows: list[list]) -> None:
    """One INSERT of many rows: a list parameter per column, unnested side by side.

    Cheaper than a multi-row VALUES (a parameter per cell to bind) or executemany
    (a statement per row).
    """
    if not rows:
        return
    columns = list(zip(*rows, strict=True))
    unnested = ", ".join(f"unnest(${n})" for n in range(1, len(columns) + 1))
    cur.execute(f"INSERT INTO {table} SELECT {unnested}", [list(c) for c in columns])


def _commit_batch(
    cur: duckdb.DuckDBPyConnection, batch: list[_Pending], salts: dict[str, str] | None = None
) -> list[SubmitResult | BaseException]:
    """Decide and store a batch in one transaction; raises (after ROLLBACK) if it cannot commit.

    `salts` is the writer's cache of period salts: the batch's missing ones are read (or
    created) once in this transaction and cached only after it commits.
    """
    salts = {} if salts is None else salts
    moment = datetime.now(UTC).replace(tzinfo=None)
    cur.execute("BEGIN TRANSACTION")
    try:
        hashes = sorted({item.token_hash for item in batch})
        ids = sorted({item.submission_id for item in batch})
        invitations = {r[0]: r[1:] for r in cur.execute(BATCH_INVITATIONS_SQL, {"hashes": hashes}).fetchall()}
        stored = {r[0]: (r[1], r[2]) for r in cur.execute(BATCH_EARLIER_SQL, {"ids": ids}).fetchall()}
        need = {invitations[item.token_hash][2] for item in batch
                if item.token_hash in invitations and (item.device or item.address)}
        known, created = period_salts(cur, [p for p in need if p not in salts])
        outcomes, marks, responses, answers = _decide_batch(batch, invitations, stored, moment, salts | known)
        if marks:
            updated = cur.execute(MARK_USED_SQL, {"ids": [m[0] for m in marks], "days": [m[1] for m in marks]}
                                  ).fetchone()
            if updated is None or updated[0] != len(marks):
                raise _BatchConflict(f"{len(marks)} invitations to mark, {updated} marked")
            _insert_rows(cur, "survey_responses", responses)
            _insert_rows(cur, "survey_answers", answers)
        cur.execute("COMMIT")
        salts.update(known)  # committed (or committed before): safe to cache
        return outcomes
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            cur.execute("ROLLBACK")
        raise


def _submit_alone(cur: duckdb.DuckDBPyConnection, item: _Pending, salts: dict[str, str]) -> SubmitResult:
    """One submission in its own transaction, retried after a lost race (the fallback path)."""
    for attempt in range(MAX_ATTEMPTS):
        moment = item.clock or datetime.now(UTC).replace(tzinfo=None)
        try:
            return _attempt(
                cur, item.token_hash, item.answers, submission_id=item.submission_id, channel=item.channel,
                started_at=item.started_at, device=item.device, address=item.address,
                entered_by=item.entered_by, now=moment, salts=salts,
            )
        except (duckdb.TransactionException, duckdb.ConstraintException):
            # Lost a race (same token or same submission id): look again.
            time.sleep(0.001 * (attempt + 1))
    raise SurveyError("the survey database is busy; please submit again")


def _process(db: Database, batch: list[_Pending], salts: dict[str, str] | None = None) -> None:
    """Store a batch with one commit, or (if that fails) each submission alone; finish every item.

    `salts` is the writer's cache of period salts (they never change once created).
    """
    salts = {} if salts is None else salts
    try:
        cur = db.cursor()
    except BaseException as exc:  # noqa: BLE001 — e.g. the database was closed
        for item in batch:
            item.finish(exc)
        return
    try:
        try:
            outcomes = _commit_batch(cur, batch, salts)
        except Exception:  # noqa: BLE001 — replayed one by one below, each with its own outcome
            outcomes = None
        if outcomes is not None:
            for item, outcome in zip(batch, outcomes, strict=True):
                item.finish(outcome)
            return
        for item in batch:
            try:
                item.finish(_submit_alone(cur, item, salts))
            except Exception as exc:  # noqa: BLE001 — raised again in the caller's thread
                item.finish(exc)
    finally:
        for item in batch:  # never leave a caller waiting
            if not item.done.is_set():
                item.finish(SurveyError("the survey database is busy; please submit again"))
        with contextlib.suppress(duckdb.Error):
            cur.close()


class _Writer:
    """The one thread that writes submissions for a database, a batch per transaction."""

    def __init__(self, db: Database) -> None:
        self.db_ref = weakref.ref(db)
        self.queue: deque[_Pending] = deque()
        self.cond = threading.Condition()
        self.running = False
        self.stopping = False
        self.thread: threading.Thread | None = None
        self.batches = 0  # transactions attempted (statistics for tests and benchmarks)
        self.submissions = 0
        self.salts: dict[str, str] = {}  # period → secret salt (committed ones only; used by this thread)

    def put(self, item: _Pending) -> None:
        """Queue a submission; start the thread if it is not running."""
        with self.cond:
            self.queue.append(item)
            if self.running:
                self.cond.notify()
                return
            self.running = True
            thread = self.thread = threading.Thread(target=self._run, name="survey-writer", daemon=True)
        thread.start()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Finish what is queued and end the thread; wait for it unless `timeout` is None."""
        with self.cond:
            self.stopping = True
            self.cond.notify()
            thread = self.thread
        if timeout is not None and thread is not None and thread.is_alive():
            thread.join(timeout)

    def _run(self) -> None:
        try:
            self._loop()  # returns (running = False) once idle
        except BaseException:
            with self.cond:  # a later submission starts a new thread
                self.running = False
            raise

    def _loop(self) -> None:
        while True:
            with self.cond:
                if not self.queue and not self.stopping:
                    self.cond.wait(timeout=WRITER_IDLE_SECONDS)
                if not self.queue:
                    self.running = False
                    return
                batch = [self.queue.popleft() for _ in range(min(len(self.queue), MAX_BATCH))]
                self.batches += 1
                self.submissions += len(batch)
            db = self.db_ref()
            if db is None:
                for item in batch:
                    item.finish(SurveyError("the survey database was closed"))
                del batch
                continue
            _process(db, batch, self.salts)
            del db, batch  # hold no database objects (or tracebacks reaching them) while idle


_WRITERS: dict[int, _Writer] = {}
_WRITERS_LOCK = threading.Lock()
_ALL_WRITERS: weakref.WeakSet[_Writer] = weakref.WeakSet()  # a running thread keeps its writer here


def _forget(key: int, writer: _Writer) -> None:
    """The Database object is gone: drop its writer and let the thread end."""
    with _WRITERS_LOCK:
        if _WRITERS.get(key) is writer:
            del _WRITERS[key]
    writer.stop(timeout=None)


def _writer_for(db: Database) -> _Writer:
    """The database's writer (one per open Database object)."""
    with _WRITERS_LOCK:
        writer = _WRITERS.get(id(db))
        if writer is None or writer.db_ref() is not db:
            writer = _Writer(db)
            _WRITERS[id(db)] = writer
            _ALL_WRITERS.add(writer)
            weakref.finalize(db, _forget, id(db), writer)
        return writer


@atexit.register
def _stop_writers() -> None:
    """End idle writer threads before the interpreter tears DuckDB down."""
    with _WRITERS_LOCK:
        writers = list(_ALL_WRITERS)
    for writer in writers:
        writer.stop()


def writer_stats(db: Database) -> tuple[int, int]:
    """(batches, submissions) the database's writer has taken so far (mean batch size = ratio)."""
    writer = _writer_for(db)
    with writer.cond:
        return writer.batches, writer.submissions


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
    if channel not in CHANNELS:
        raise SurveyError(f"channel must be one of {', '.join(CHANNELS)} (got {channel!r})")
    if not submission_id or not str(submission_id).strip():
        raise SurveyError("submission_id must not be empty")
    item = _Pending(
        token_hash=hash_token(token), answers=dict(answers), submission_id=str(submission_id),
        channel=channel, started_at=started_at, device=device, address=address, entered_by=entered_by,
        clock=_utc_naive(now) if now is not None else None,
    )
    _writer_for(db).put(item)
    item.done.wait()
    if item.error is not None:
        raise item.error
    assert item.result is not None
    return item.result


CONTENT_HASH_SQL = """
sha256(
    first(version) || chr(10) || string_agg(
        item_key || chr(9) || coalesce(answer_code, '') || chr(9) ||
        replace(replace(replace(coalesce(answer_text, ''), '\\', '\\\\'), chr(10), '\\n'), chr(9), '\\t'),
        chr(10) ORDER BY item_pos)
)
"""


def _item_table(version: str) -> pl.DataFrame:
    q = questionnaire_for(version)
    rows = []
    for pos, it in enumerate(q.items):
        if it.kind == "text":
            rows.append((it.key, pos, it.kind, it.required, None, None))
        for code, _zh, _en in it.options:
            rows.append((it.key, pos, it.kind, it.required, code, q.scale.get(code) if it.kind == "scale" else None))
    return pl.DataFrame(
        rows,
        schema={"item_key": pl.String, "item_pos": pl.Int64, "kind": pl.String,
                "required": pl.Boolean, "code": pl.String, "score": pl.Float64},
        orient="row",
    )


def submit_many(
    db: Database,
    submissions: pl.DataFrame,
    answers: pl.DataFrame,
    *,
    now: datetime | None = None,
) -> int:
    """Bulk intake (simulator, benchmarks): the rules of `submit`, vectorised, all or nothing.

    Args:
        db: open database (writable).
        submissions: token, submission_id, channel, duration_seconds (nullable),
            device, address, entered_by (all three nullable).
        answers: token, item_key, value (answer code, or text for text items).
        now: clock (tests).

    Returns:
        Number of responses stored.

    Raises:
        TokenRejected: some token is unknown, used or expired (nothing stored).
        AnswersInvalid: some answer is not an option or a required item is missing.
        SubmissionConflict: a submission id is repeated or already stored.
    """
    moment = _utc_naive(now) if now is not None else datetime.now(UTC).replace(tzinfo=None)
    subs = submissions.with_columns(
        pl.col("token").map_elements(hash_token, return_dtype=pl.String).alias("token_hash")
    )
    for name in ("device", "address", "entered_by"):
        if name not in subs.columns:
            subs = subs.with_columns(pl.lit(None, dtype=pl.String).alias(name))
    if "duration_seconds" not in subs.columns:
        subs = subs.with_columns(pl.lit(None, dtype=pl.Float64).alias("duration_seconds"))
    bad_channel = subs.filter(~pl.col("channel").is_in(list(CHANNELS)))
    if bad_channel.height:
        raise SurveyError(f"channel must be one of {', '.join(CHANNELS)} (got {bad_channel['channel'][0]!r})")
    if subs["submission_id"].n_unique() != subs.height:
        raise SubmissionConflict("submission ids repeat within the batch")
    tag = uuid.uuid4().hex[:12]
    with db.transaction() as cur:
        cur.register(f"_subs_{tag}", subs.select(
            "token_hash", "submission_id", "channel", "duration_seconds", "device", "address", "entered_by"))
        resolved = f"_resolved_{tag}"
        cur.execute(
            f"""CREATE TEMP TABLE {resolved} AS
                SELECT CAST(uuid() AS VARCHAR) AS response_id, s.*, i.invitation_id, i.design_id,
                       i.period_id, i.grid_id, i.weight_class, i.expires_at, i.used_at,
                       d.questionnaire_version AS version
                FROM _subs_{tag} s
                LEFT JOIN survey_invitations i ON i.token_hash = s.token_hash
                LEFT JOIN survey_designs d ON d.design_id = i.design_id"""
        )
        unknown, used, expired, versions = cur.execute(
            f"""SELECT count(*) FILTER (WHERE invitation_id IS NULL),
                       count(*) FILTER (WHERE used_at IS NOT NULL),
                       count(*) FILTER (WHERE expires_at < ?),
                       list(DISTINCT version) FILTER (WHERE version IS NOT NULL)
                FROM {resolved}""",
            [moment],
        ).fetchall()[0]
        for reason, count in (("unknown", unknown), ("used", used), ("expired", expired)):
            if count:
                raise TokenRejected(reason)
        stored = cur.execute(
            f"SELECT count(*) FROM survey_responses r JOIN {resolved} s USING (submission_id)"
        ).fetchall()[0][0]
        if stored:
            raise SubmissionConflict(f"{stored} submission ids are already stored")
        if len(versions) != 1:
            raise SurveyError("bulk intake needs all tokens from one questionnaire version")
        periods = [r[0] for r in cur.execute(
            f"""SELECT DISTINCT period_id FROM {resolved}
                WHERE coalesce(device, '') <> '' OR coalesce(address, '') <> ''""").fetchall()]
        period_salts(cur, periods)
        version = versions[0]
        items = _item_table(version)
        long = answers.select(
            pl.col("token").map_elements(hash_token, return_dtype=pl.String).alias("token_hash"),
            pl.col("item_key").cast(pl.String),
            pl.col("value").cast(pl.String),
        ).filter(pl.col("value").is_not_null() & (pl.col("value").str.strip_chars() != ""))
        choice = long.join(items.filter(pl.col("kind") != "text"), left_on=["item_key", "value"],
                           right_on=["item_key", "code"], how="inner")
        text = long.join(items.filter(pl.col("kind") == "text").select("item_key", "item_pos"),
                         on="item_key", how="inner")
        if choice.height + text.height != long.height:
            bad = long.join(choice.select("token_hash", "item_key"), on=["token_hash", "item_key"], how="anti") \
                      .join(text.select("token_hash", "item_key"), on=["token_hash", "item_key"], how="anti")
            raise AnswersInvalid({bad["item_key"][0]: f"not an option: {bad['value'][0]!r}"})
        required = items.filter(pl.col("required")).select("item_key").unique()
        have = long.group_by("token_hash").agg(pl.col("item_key").is_in(required["item_key"].implode()).sum())
        if (have.height != subs.height) or (have["item_key"] < required.height).any():
            raise AnswersInvalid({"*": "a required item is missing in some submission"})
        canon = pl.concat([
            choice.select("token_hash", "item_key", "item_pos",
                          pl.col("value").alias("answer_code"), "score",
                          pl.lit(None, dtype=pl.String).alias("answer_text")),
            text.select("token_hash", "item_key", "item_pos",
                        pl.lit(None, dtype=pl.String).alias("answer_code"),
                        pl.lit(None, dtype=pl.Float64).alias("score"),
                        pl.col("value").str.strip_chars().alias("answer_text")),
        ])
        cur.register(f"_ans_{tag}", canon)
        cur.execute(
            f"""INSERT INTO survey_responses
                WITH hashed AS (
                    SELECT a.token_hash, {CONTENT_HASH_SQL} AS content_hash
                    FROM (SELECT *, $version AS version FROM _ans_{tag}) a
                    GROUP BY a.token_hash
                )
                SELECT s.response_id, s.period_id, s.design_id, s.grid_id, s.weight_class,
                       s.version, s.channel, s.submission_id, h.content_hash,
                       date_trunc('hour', CAST($now AS TIMESTAMP)), s.duration_seconds,
                       {FINGERPRINT_SQL.format(value="s.device")},
                       {FINGERPRINT_SQL.format(value="s.address")},
                       s.entered_by
                FROM {resolved} s JOIN hashed h USING (token_hash)
                LEFT JOIN survey_salts k ON k.period_id = s.period_id""",
            {"version": version, "now": moment},
        )
        cur.execute(
            f"""INSERT INTO survey_answers
                SELECT s.response_id, a.item_key, a.answer_code, a.score, a.answer_text
                FROM _ans_{tag} a JOIN {resolved} s USING (token_hash)"""
        )
        cur.execute(
            f"""UPDATE survey_invitations
                SET used_at = date_trunc('day', CAST($now AS TIMESTAMP)), disposition = 'complete',
                    disposition_at = date_trunc('day', CAST($now AS TIMESTAMP))
                FROM {resolved} s
                WHERE survey_invitations.invitation_id = s.invitation_id
                  AND survey_invitations.used_at IS NULL""",
            {"now": moment},
        )
        cur.execute(f"DROP TABLE {resolved}")
        cur.unregister(f"_subs_{tag}")
        cur.unregister(f"_ans_{tag}")
    return subs.height
