"""The job runner inside `gridscore serve`.

DuckDB lets the one server process write; several writers inside it would only
fight over the same rows and the same cores, so writing jobs run one at a time
on one thread, in the order they were submitted. Reading jobs (a report, a
backup) start at once on their own thread. Survey intake has its own group-commit
writer (`surveys.intake`) and never waits for a job.

A job reports progress through its `JobContext`; every report is a safe point
where a requested cancel is honoured (the task's open transaction rolls back).
"""

from __future__ import annotations

import logging
import queue
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dashboard.jobs import store
from dashboard.jobs.kinds import KINDS, JobError, check_params
from dashboard.jobs.store import JobInfo
from warehouse.db import Database

log = logging.getLogger("gridscore.jobs")

PROGRESS_EVERY = 0.25  # seconds between progress writes of one job


class JobCancelled(Exception):
    """Raised at a safe point of a job whose cancel was requested."""


@dataclass
class JobContext:
    """What a running job's task sees: the database, its file folder, progress and cancel."""

    job_id: int
    db: Database
    folder: Path
    who: str
    cancel: threading.Event = field(default_factory=threading.Event)
    _last: float = 0.0

    def __call__(self, done: float, total: float | None, unit: str, message: str | None = None) -> None:
        """Record progress (at most every PROGRESS_EVERY s, always at the end); a safe point."""
        if self.cancel.is_set():
            raise JobCancelled
        moment = time.monotonic()
        if moment - self._last >= PROGRESS_EVERY or (total is not None and done >= total):
            self._last = moment
            store.set_progress(self.db, self.job_id, done, total, unit, message)


class JobRunner:
    """Runs the jobs of one server: a writer thread and a thread per reading job."""

    def __init__(self, db: Database, folder: Path) -> None:
        self.db = db
        self.folder = folder
        self._queue: queue.Queue[int | None] = queue.Queue()
        self._contexts: dict[int, JobContext] = {}
        self._lock = threading.Lock()
        self._writer = threading.Thread(target=self._write_loop, name="job-writer", daemon=True)
        self._readers: list[threading.Thread] = []

    def start(self) -> list[int]:
        """Mark what a previous server left running as interrupted; start the writer thread."""
        swept = store.sweep_interrupted(self.db)
        if swept:
            log.warning("jobs interrupted by the last stop: %s", swept)
        self._writer.start()
        return swept

    def stop(self, timeout: float = 5.0) -> None:
        """Ask running jobs to cancel and let the writer thread end."""
        with self._lock:
            for ctx in self._contexts.values():
                ctx.cancel.set()
        self._queue.put(None)
        deadline = time.monotonic() + timeout
        for thread in self.threads():
            thread.join(max(0.0, deadline - time.monotonic()))

    def threads(self) -> list[threading.Thread]:
        """The writer thread and the reading jobs' threads still alive (a stop waits for them)."""
        return [t for t in (self._writer, *self._readers) if t.is_alive()]

    def submit(self, kind: str, params: dict[str, Any], who: str) -> JobInfo:
        """Queue a job (a writing one behind the others; a reading one starts now).

        Raises:
            JobError: unknown kind or bad parameters (nothing is recorded).
        """
        spec = KINDS.get(kind)
        if spec is None:
            raise JobError(f"unknown job kind {kind!r}; one of: {', '.join(sorted(KINDS))}")
        clean = check_params(spec, params)
        job_id = store.insert(self.db, kind=kind, params=clean, who=who, writes=spec.writes)
        folder = self.folder / str(job_id)
        ctx = JobContext(job_id=job_id, db=self.db, folder=folder, who=who)
        with self._lock:
            self._contexts[job_id] = ctx
        if spec.writes:
            self._queue.put(job_id)
        else:
            thread = threading.Thread(target=self._run, args=(job_id,), name=f"job-{job_id}", daemon=True)
            self._readers = [t for t in self._readers if t.is_alive()] + [thread]
            thread.start()
        info = store.get(self.db, job_id)
        assert info is not None
        return info

    def cancel(self, job_id: int) -> JobInfo | None:
        """Cancel a job: a queued one at once, a running one at its next safe point."""
        info = store.get(self.db, job_id)
        if info is None or info.finished:
            return info
        store.request_cancel(self.db, job_id)
        with self._lock:
            ctx = self._contexts.get(job_id)
        if ctx is not None:
            ctx.cancel.set()
        return store.get(self.db, job_id)

    def wait(self, job_id: int, timeout: float = 60.0) -> JobInfo | None:
        """Wait until a job is finished (tests, and the API's `wait` parameter)."""
        deadline = time.monotonic() + timeout
        while True:
            info = store.get(self.db, job_id)
            if info is None or info.finished or time.monotonic() > deadline:
                return info
            time.sleep(0.05)

    def _write_loop(self) -> None:
        while True:
            job_id = self._queue.get()
            if job_id is None:
                return
            try:
                self._run(job_id)
            except Exception:  # noqa: BLE001 — the writer thread must outlive any one job
                log.exception("job %s could not be recorded", job_id)

    def _run(self, job_id: int) -> None:
        with self._lock:
            ctx = self._contexts[job_id]
        info = store.get(self.db, job_id)
        if info is None:
            return
        result, file = None, None
        try:
            if ctx.cancel.is_set():
                state, message = "cancelled", "cancelled before it started"
            else:
                store.mark_running(self.db, job_id)
                ctx.folder.mkdir(parents=True, exist_ok=True)
                outcome = KINDS[info.kind].task(ctx, info.params)
                state, message, result, file = "done", outcome.message, outcome.result, outcome.file
        except JobCancelled:
            state, message = "cancelled", "cancelled; what it was writing was rolled back"
        except Exception as exc:  # noqa: BLE001 — a job's failure is recorded, never fatal to the server
            state, message = "failed", _plain(exc)
        # The folder goes before the end is recorded: whoever sees the job ended sees its files final.
        if file is None:
            shutil.rmtree(ctx.folder, ignore_errors=True)
        try:
            store.finish(self.db, job_id, state=state, message=message, result=result, result_file=file)
        finally:
            with self._lock:
                self._contexts.pop(job_id, None)


def _plain(exc: Exception) -> str:
    """A failure in plain words: the user error's own message, else the kind of fault."""
    from dashboard.commands.common import USER_ERRORS
    from dashboard.reports import ReportError

    if isinstance(exc, (*USER_ERRORS, JobError, ReportError)):
        return str(exc)
    if isinstance(exc, FileNotFoundError):
        return f"file not found: {exc.filename}"
    log.exception("job failed")
    return f"internal error ({type(exc).__name__}: {exc}); the server log has the details"

