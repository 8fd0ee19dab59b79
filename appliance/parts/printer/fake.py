"""A printer without paper: records jobs and walks them through the states on each poll.

Ships in the package (``printer = "fake"``) for demos and tests. Each job advances one step
per :meth:`FakePrinter.job_state` call (queued -> printing -> done) unless a test steers it
with the verbs :meth:`fail_next`, :meth:`hold`, :meth:`stop` and :meth:`start`.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from pathlib import Path

from appliance.errors import PrinterError
from appliance.parts.printer import JobState, JobStatus

_NEXT: dict[JobStatus, JobStatus] = {"queued": "printing", "printing": "done"}


@dataclass
class FakeJob:
    """One job as the fake printer saw it."""

    job_id: int
    title: str
    data: bytes
    status: JobStatus = "queued"
    message: str = ""
    cancelled: bool = False
    held: bool = False


class FakePrinter:
    """In-memory printer with verbs for tests."""

    def __init__(self) -> None:
        self.jobs: dict[int, FakeJob] = {}
        self._next_id = 1
        self._health = "ok"
        self._fail_next: str | None = None
        self.refuse_submit: str | None = None
        """If set, :meth:`submit` raises PrinterError with this text."""

    # --- verbs for tests ------------------------------------------------------------------

    def fail_next(self, message: str = "filter failed") -> None:
        """The next submitted job fails on its first poll with ``message``."""
        self._fail_next = message

    def hold(self, job_id: int) -> None:
        """Keep a job queued until :meth:`release` (a slow printer)."""
        self.jobs[job_id].held = True

    def release(self, job_id: int) -> None:
        """Let a held job advance again."""
        self.jobs[job_id].held = False

    def stop(self) -> None:
        """Like ``cupsdisable``: health becomes ``failed``."""
        self._health = "failed"

    def start(self) -> None:
        """Like ``cupsenable``: health becomes ``ok``."""
        self._health = "ok"

    # --- Printer ---------------------------------------------------------------------------

    def health(self) -> str:
        """``ok`` or ``failed`` (after :meth:`stop`)."""
        return self._health

    async def refresh(self) -> str:
        """Nothing to ask: the health is what the verbs set."""
        return self._health

    async def submit(self, path: Path, title: str) -> int:
        """Record the file's bytes and return a new job id."""
        if self.refuse_submit is not None:
            raise PrinterError(self.refuse_submit)
        job = FakeJob(self._next_id, title, await asyncio.to_thread(path.read_bytes))
        self._next_id += 1
        if self._fail_next is not None:
            job.message, self._fail_next = self._fail_next, None
        self.jobs[job.job_id] = job
        return job.job_id

    async def job_state(self, job_id: int) -> JobState:
        """Advance the job one step and return its state."""
        job = self.jobs.get(job_id)
        if job is None:
            raise PrinterError(f"no job {job_id}")
        if job.cancelled:
            return JobState("failed", "job cancelled")
        if job.message and job.status != "failed":
            job.status = "failed"
        elif not job.held and self._health == "ok":
            job.status = _NEXT.get(job.status, job.status)
        return JobState(job.status, job.message if job.status == "failed" else "")

    async def cancel(self, job_id: int) -> None:
        """Mark a job cancelled (unless it already finished)."""
        job = self.jobs.get(job_id)
        if job is not None and job.status not in ("done", "failed"):
            job.cancelled = True

    def close(self) -> None:
        """Nothing to release."""
