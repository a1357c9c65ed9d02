"""Group commit: the one writer thread per database that stores queued submissions.

The writer takes everything queued (up to `MAX_BATCH`), looks the batch's tokens and
submission ids up in one query each, decides every submission on its own in arrival
order with `rules.decide` (exactly the outcomes of one-at-a-time intake: a token used
earlier in the same batch is "used", the same submission id again is "already_received"
or a conflict), writes the accepted ones with `rules.store` (one statement per table) and
commits once. Each caller is finished only after that COMMIT, so nothing is acknowledged
before it is durable. If the batch transaction fails (a write conflict with another
writer, or any database error) it is rolled back and its submissions are replayed one
transaction each (`_submit_alone`: the same decide-and-store on a batch of one, retried
after a lost race).

The writer reads a batch's missing period salts once and caches them after COMMIT
(they never change).
"""

from __future__ import annotations

import atexit
import contextlib
import threading
import time
import weakref
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime

import duckdb

from surveys.errors import SurveyError
from surveys.intake.rules import (
    Accepted,
    StoreConflict,
    Submission,
    SubmitResult,
    decide,
    period_salts,
    store,
)
from warehouse.db import Database

MAX_ATTEMPTS = 50
MAX_BATCH = 256  # submissions per group-commit transaction
WRITER_IDLE_SECONDS = 2.0  # the writer thread ends after this long with nothing queued
BUSY = "the survey database is busy; please submit again"


@dataclass
class _Pending(Submission):
    """One queued submission and, once its batch committed, its outcome."""

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


def _decide_batch(
    batch: list[Submission], invitations: dict[str, tuple], stored: dict[str, tuple[str, str]], moment: datetime,
    salts: dict[str, str] | None = None,
) -> tuple[list[SubmitResult | BaseException], list[Accepted]]:
    """Each submission's outcome in arrival order, as one-at-a-time intake would decide it.

    Returns the outcomes and the accepted submissions' rows. `salts` holds the secret salt
    of every period in the batch whose submissions carry a device or address.
    """
    salts = salts or {}
    used_now: set[str] = set()  # token hashes accepted earlier in this batch
    earlier_now: dict[str, tuple[str, str]] = {}  # submission id → (response id, digest) in this batch
    outcomes: list[SubmitResult | BaseException] = []
    accepted: list[Accepted] = []
    for item in batch:
        try:
            row = invitations.get(item.token_hash)
            salt = salts.get(row[2], "") if row is not None else ""
            earlier = earlier_now.get(item.submission_id) or stored.get(item.submission_id)
            decided = decide(item, row, earlier, used=item.token_hash in used_now,
                             now=item.clock or moment, salt=salt)
            if isinstance(decided, Accepted):
                accepted.append(decided)
                used_now.add(item.token_hash)
                earlier_now[item.submission_id] = (decided.result.response_id, decided.digest)
                decided = decided.result
            outcomes.append(decided)
        except Exception as exc:  # noqa: BLE001 — handed to this submission's caller
            outcomes.append(exc)
    return outcomes, accepted


def _commit_batch(
    cur: duckdb.DuckDBPyConnection, batch: list[Submission], salts: dict[str, str] | None = None
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
        known, _created = period_salts(cur, [p for p in need if p not in salts])
        outcomes, accepted = _decide_batch(batch, invitations, stored, moment, salts | known)
        store(cur, accepted)
        cur.execute("COMMIT")
        salts.update(known)  # committed (or committed before): safe to cache
        return outcomes
    except BaseException:
        with contextlib.suppress(duckdb.Error):
            cur.execute("ROLLBACK")
        raise


def _submit_alone(cur: duckdb.DuckDBPyConnection, item: Submission, salts: dict[str, str]) -> SubmitResult:
    """One submission in its own transaction, retried after a lost race (the fallback path)."""
    for attempt in range(MAX_ATTEMPTS):
        try:
            outcome = _commit_batch(cur, [item], salts)[0]
        except (duckdb.TransactionException, duckdb.ConstraintException, StoreConflict):
            # Lost a race (same token or same submission id): look again.
            time.sleep(0.001 * (attempt + 1))
            continue
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome
    raise SurveyError(BUSY)


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
                item.finish(SurveyError(BUSY))
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


def writer_for(db: Database) -> _Writer:
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
    writer = writer_for(db)
    with writer.cond:
        return writer.batches, writer.submissions
