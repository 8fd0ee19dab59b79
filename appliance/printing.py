"""The print tool: a caseworker's PDF comes out of the terminal's printer during the call.

The console announces a job with ``print.request``; the PDF itself travels over HTTPS
(``GET /api/v1/print-jobs/<job_id>`` with the terminal's bearer credential), never over the
signaling socket, whose messages are capped at 64 KiB. The tool then:

1. writes the PDF to a private file (0600, in a 0700 spool directory under the data dir),
2. checks it cheaply (``%PDF-`` header, ``startxref`` and ``%%EOF`` in the tail): a truncated
   download or an HTML error page is refused here with a clear reason instead of being fed
   to the printer,
3. submits it, reports ``queued``, deletes the file (CUPS keeps its own copy until the job
   is done) and polls the job, reporting ``printing``, then ``done`` or ``failed`` with the
   printer's reason. A job CUPS stops (its PDF filter fails on a damaged file) is cancelled
   and purged so the form does not linger in the printer's queue.

When the call ends, unfinished jobs of the call are cancelled and purged and the spool files
deleted: a form meant for one citizen must not come out for the next one. Every status
is also handed to ``on_status``, which the daemon turns into a ``PrintChanged`` event so
the citizen sees on the kiosk that their form is printing. The spool directory
is also wiped when the tool is built, in case the terminal lost power mid-job.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import re
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

from appliance.errors import PrinterError
from appliance.parts.printer import JobState, JobStatus, Printer
from appliance.ports import Signaling
from protocol.messages import PrintRequest, PrintStatus

log = logging.getLogger(__name__)

MAX_PDF_BYTES = 20 * 1024 * 1024
"""The console refuses larger uploads; the same cap guards the download."""
JOB_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")
TAIL_BYTES = 1024
"""``%%EOF`` must be within the last 1024 bytes (the tolerance of common PDF readers)."""


def check_pdf(data: bytes) -> None:
    """Raise PrinterError unless ``data`` looks like a whole PDF (header, xref pointer, EOF)."""
    if not data.startswith(b"%PDF-"):
        raise PrinterError("not a PDF (no %PDF- header)")
    tail = data[-TAIL_BYTES:]
    if b"%%EOF" not in tail or b"startxref" not in data[-TAIL_BYTES - 64 :]:
        raise PrinterError("the PDF is incomplete or damaged (no startxref/%%EOF at its end)")


@dataclass
class _CallJobs:
    """What the tool holds for one call."""

    tasks: set[asyncio.Task[None]] = field(default_factory=set)
    open_jobs: set[int] = field(default_factory=set)
    files: set[Path] = field(default_factory=set)


class PrintTool:
    """CallTool for ``print.request``; see the module docstring."""

    handles: tuple[type, ...] = (PrintRequest,)

    def __init__(
        self,
        *,
        printer: Printer | None,
        signaling: Signaling,
        console_url: str,
        credential: str,
        spool_dir: Path,
        poll_s: float = 0.5,
        job_timeout_s: float = 600.0,
        download_timeout_s: float = 60.0,
        on_status: Callable[[str, str, str], None] | None = None,
    ) -> None:
        self._printer = printer
        self._on_status = on_status  # (call_id, status, message) for the kiosk
        self._signaling = signaling
        self._base = console_url.rstrip("/")
        self._credential = credential
        self.spool_dir = spool_dir
        self._poll_s = poll_s
        self._job_timeout_s = job_timeout_s
        self._download_timeout_s = download_timeout_s
        self._calls: dict[str, _CallJobs] = {}
        wipe_spool(spool_dir)

    async def on_message(self, message: object, call_id: str) -> None:
        """Fetch, check, print and follow one job, reporting each step to the console."""
        if not isinstance(message, PrintRequest):
            return
        jobs = self._calls.setdefault(call_id, _CallJobs())
        task = asyncio.current_task()
        if task is not None:
            jobs.tasks.add(task)
        try:
            await self._print(message, jobs)
        except PrinterError as err:
            log.warning("print job %s failed: %s", message.job_id, err)
            await self._report(message, "failed", str(err))
        finally:
            if task is not None:
                jobs.tasks.discard(task)

    async def on_call_end(self, call_id: str) -> None:
        """Cancel the call's unfinished jobs and delete its spool files."""
        jobs = self._calls.pop(call_id, None)
        if jobs is None:
            return
        for task in list(jobs.tasks):
            task.cancel()
        for task in list(jobs.tasks):
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        for job_id in list(jobs.open_jobs):
            await self._cancel(job_id)
        # Every spool file not held by another call goes (one call at a time in practice).
        keep = {path for other in self._calls.values() for path in other.files}
        await asyncio.to_thread(_delete_except, self.spool_dir, keep)

    # --- one job ------------------------------------------------------------------------------

    async def _print(self, msg: PrintRequest, jobs: _CallJobs) -> None:
        if self._printer is None:
            raise PrinterError("this terminal has no printer")
        if not JOB_ID.fullmatch(msg.job_id):
            raise PrinterError("invalid job id")
        if not 0 < msg.size <= MAX_PDF_BYTES:
            raise PrinterError(f"size {msg.size} outside 1..{MAX_PDF_BYTES} bytes")
        data = await self._download(msg)
        check_pdf(data)
        path = await asyncio.to_thread(write_private, self.spool_dir, data)
        jobs.files.add(path)
        try:
            job_id = await self._submit(self._printer, path, f"Buergerterminal {msg.job_id}", jobs)
        finally:
            path.unlink(missing_ok=True)
            jobs.files.discard(path)
        await self._report(msg, "queued", "")
        state = await self._follow(self._printer, job_id, msg)
        jobs.open_jobs.discard(job_id)
        if state.status == "failed":
            await self._cancel(job_id)  # a stopped job would otherwise stay in the queue
            raise PrinterError(state.message or "the printer failed")

    async def _submit(self, printer: Printer, path: Path, title: str, jobs: _CallJobs) -> int:
        """Submit; if the call ends meanwhile, still learn the job id so it can be cancelled."""
        submit = asyncio.ensure_future(printer.submit(path, title))
        try:
            job_id = await asyncio.shield(submit)
        except asyncio.CancelledError:
            with contextlib.suppress(Exception):
                await self._cancel(await submit)
            raise
        jobs.open_jobs.add(job_id)
        return job_id

    async def _follow(self, printer: Printer, job_id: int, msg: PrintRequest) -> JobState:
        last: JobStatus = "queued"
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self._job_timeout_s
        while True:
            state = await printer.job_state(job_id)
            if state.status != last and state.status != "failed":
                await self._report(msg, state.status, state.message)
                last = state.status
            if state.status in ("done", "failed"):
                return state
            if loop.time() > deadline:
                return JobState("failed", f"not printed within {self._job_timeout_s:.0f} s")
            await asyncio.sleep(self._poll_s)

    async def _download(self, msg: PrintRequest) -> bytes:
        url = f"{self._base}/api/v1/print-jobs/{msg.job_id}"
        headers = {"Authorization": f"Bearer {self._credential}"}
        timeout = aiohttp.ClientTimeout(total=self._download_timeout_s)
        try:
            async with (
                aiohttp.ClientSession(timeout=timeout) as session,
                session.get(url, headers=headers) as resp,
            ):
                if resp.status != 200:
                    raise PrinterError(f"the console answered {resp.status} for the PDF")
                data = await resp.content.read(MAX_PDF_BYTES + 1)
        except (aiohttp.ClientError, TimeoutError) as err:
            raise PrinterError(f"cannot fetch the PDF from the console: {err}") from err
        if len(data) > MAX_PDF_BYTES:
            raise PrinterError("the PDF is larger than 20 MiB")
        if len(data) != msg.size:
            raise PrinterError(f"got {len(data)} bytes of the PDF, expected {msg.size}")
        return data

    async def _cancel(self, job_id: int) -> None:
        if self._printer is None:
            return
        try:
            await self._printer.cancel(job_id)
        except PrinterError as err:
            log.warning("cancelling print job %s failed: %s", job_id, err)

    async def _report(self, msg: PrintRequest, status: JobStatus, message: str) -> None:
        log.info("print job %s: %s %s", msg.job_id, status, message)
        if self._on_status is not None:
            self._on_status(msg.call_id, status, message)
        await self._signaling.send(
            PrintStatus(call_id=msg.call_id, job_id=msg.job_id, status=status, message=message)
        )


def wipe_spool(spool_dir: Path) -> None:
    """Delete everything in the spool directory and (re)create it with mode 0700."""
    if spool_dir.exists():
        shutil.rmtree(spool_dir)
    spool_dir.mkdir(mode=0o700, parents=True)


def _delete_except(spool_dir: Path, keep: set[Path]) -> None:
    for path in spool_dir.iterdir():
        if path not in keep:
            path.unlink(missing_ok=True)


def write_private(spool_dir: Path, data: bytes) -> Path:
    """Write ``data`` to a new file readable only by this user (created 0600, never wider)."""
    path = spool_dir / f"{secrets.token_hex(8)}.pdf"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return path
