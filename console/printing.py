"""Print jobs between the caseworker's upload and the terminal's download, in memory only.

A caseworker sends a PDF during a call (``POST /api/v1/calls/<call_id>/print``); the console
keeps it just long enough for the call's terminal to fetch it (``GET
/api/v1/print-jobs/<job_id>``), then forgets it: after the one successful download, or when
the call ends, whichever comes first. Forms carry personal data, and the console is not a
document store, so nothing is written to disk.

Bounds, so that one browser cannot fill the console's memory: a PDF is at most 20 MiB
(:data:`MAX_PDF_BYTES`), a call has at most :data:`MAX_JOBS_PER_CALL` jobs waiting for the
terminal, and all waiting jobs together stay under ``budget_bytes`` (default 256 MiB, a dozen
maximal forms). Beyond these the upload is refused (429 / 503) rather than an older job
silently dropped: the caseworker sees why at once.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from console.errors import ConsoleError

MAX_PDF_BYTES = 20 * 1024 * 1024
"""Largest accepted PDF; a scanned multi-page form is 1-5 MB."""
MAX_JOBS_PER_CALL = 4
"""PDFs of one call waiting for the terminal to fetch them."""
DEFAULT_BUDGET_BYTES = 256 * 1024 * 1024


class PrintRefusedError(ConsoleError):
    """A print upload was refused; ``code`` and ``status`` say why."""

    code = "print_refused"
    status = 400

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


@dataclass(frozen=True)
class PrintJob:
    """One PDF waiting for its terminal."""

    job_id: str
    call_id: str
    terminal_id: str
    pdf: bytes
    created: float


class PrintJobs:
    """The bounded in-memory store; see the module docstring."""

    def __init__(
        self,
        *,
        budget_bytes: int = DEFAULT_BUDGET_BYTES,
        clock: Callable[[], float] = time.monotonic,
        new_id: Callable[[], str] = lambda: secrets.token_urlsafe(16),
    ) -> None:
        self.budget_bytes = budget_bytes
        self._clock = clock
        self._new_id = new_id
        self._jobs: dict[str, PrintJob] = {}

    @property
    def held_bytes(self) -> int:
        """Bytes of all waiting PDFs."""
        return sum(len(job.pdf) for job in self._jobs.values())

    def __len__(self) -> int:
        return len(self._jobs)

    def add(self, call_id: str, terminal_id: str, pdf: bytes) -> PrintJob:
        """Keep a PDF for ``terminal_id``; raises PrintRefusedError beyond the bounds."""
        if len(pdf) > MAX_PDF_BYTES:
            raise PrintRefusedError("too_large", 413, f"a PDF may be at most {MAX_PDF_BYTES} bytes")
        if sum(1 for job in self._jobs.values() if job.call_id == call_id) >= MAX_JOBS_PER_CALL:
            raise PrintRefusedError(
                "too_many_jobs", 429, "the terminal has not fetched the previous PDFs yet"
            )
        if self.held_bytes + len(pdf) > self.budget_bytes:
            raise PrintRefusedError("busy", 503, "too many PDFs are waiting; try again shortly")
        job = PrintJob(self._new_id(), call_id, terminal_id, pdf, self._clock())
        self._jobs[job.job_id] = job
        return job

    def take(self, job_id: str, terminal_id: str) -> PrintJob | None:
        """Hand a job to its terminal and forget it; None for anyone else or unknown ids."""
        job = self._jobs.get(job_id)
        if job is None or job.terminal_id != terminal_id:
            return None
        del self._jobs[job_id]
        return job

    def call_ended(self, call_id: str) -> None:
        """Forget every job of a call that is over."""
        for job_id in [j.job_id for j in self._jobs.values() if j.call_id == call_id]:
            del self._jobs[job_id]
