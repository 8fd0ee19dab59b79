"""The real printer: CUPS through pycups (libcups), on one worker thread of its own.

Why pycups and not the command-line tools (``lp``, ``lpstat``, ``cancel``): the terminal must
tell the caseworker whether a form really came out, and only the IPP ``job-state`` says so.
``lpstat`` does not print it; measured with CUPS 2.4.2 (Debian 12), ``lpstat -W completed``
lists cancelled jobs next to completed ones with the same "Alerts" line, and a job whose
filter failed on a corrupt PDF (IPP state ``processing-stopped``, reason
``job-completed-with-errors``) shows up under ``-W not-completed`` like a job still waiting.
Telling these apart from lpstat means scraping localised text. pycups returns the IPP
attributes themselves (``job-state`` 3..9, ``job-printer-state-message``,
``printer-state``, ``printer-state-reasons``), in-process, without forking a tool per poll.
The cost is a build dependency (``libcups2-dev``); on the Pi image the venv uses system site
packages, where Debian's ``python3-cups`` provides the same module.

libcups is blocking and its connection objects are not thread-safe, so every call runs on a
dedicated single worker thread. That also scopes ``cups_server``: libcups keeps the server
name per thread (``cupsSetServer``), and ``printFile`` looks the destination up through that
per-thread server rather than through the connection, so setting it on the worker thread
points everything at the configured scheduler without touching the rest of the process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, TypeVar

from appliance.errors import PrinterError
from appliance.parts.printer import JobState

log = logging.getLogger(__name__)

T = TypeVar("T")

# IPP enums (RFC 8011 5.3.7 job-state, 5.4.12 printer-state); the same numbers as cups.IPP_*.
JOB_PENDING, JOB_HELD, JOB_PROCESSING, JOB_STOPPED = 3, 4, 5, 6
JOB_CANCELED, JOB_ABORTED, JOB_COMPLETED = 7, 8, 9
PRINTER_STOPPED = 5
IPP_NOT_FOUND = 0x0406

PRINTER_ATTRIBUTES = [
    "printer-state",
    "printer-state-reasons",
    "printer-state-message",
    "printer-is-accepting-jobs",
]
JOB_ATTRIBUTES = ["job-state", "job-state-reasons", "job-printer-state-message"]


class CupsPrinter:
    """A CUPS destination (``destination``; empty = the server's default destination)."""

    def __init__(self, *, destination: str = "", server: str = "", cups_module: Any = None) -> None:
        self._destination = destination
        self._server = server
        self._module = cups_module  # tests may inject; else imported on the worker thread
        self._executor: ThreadPoolExecutor | None = None
        self._conn: Any = None  # touched only on the worker thread
        self._health = "missing"
        self.detail = "not checked yet"
        """Why the health is what it is (for logs)."""

    def health(self) -> str:
        """The health found by the last :meth:`refresh`."""
        return self._health

    async def refresh(self) -> str:
        """Ask CUPS for the destination's state; stopped, rejecting or ``*-error`` is failed."""
        try:
            health, detail = await self._run(self._check)
        except PrinterError as err:
            health, detail = "missing", str(err)
        if (health, detail) != (self._health, self.detail):
            log.info("printer %s: %s", health, detail)
        self._health, self.detail = health, detail
        return health

    async def submit(self, path: Path, title: str) -> int:
        """Print ``path`` (a PDF) on the destination; CUPS copies it, so it may be deleted after."""

        def call() -> int:
            conn, _ = self._connection()
            return int(conn.printFile(self._dest(conn), str(path), title, {}))

        return await self._run(call)

    async def job_state(self, job_id: int) -> JobState:
        """Map the IPP job state onto queued, printing, done or failed."""

        def call() -> dict[str, Any]:
            conn, cups = self._connection()
            try:
                return dict(conn.getJobAttributes(job_id, requested_attributes=JOB_ATTRIBUTES))
            except cups.IPPError as err:
                if _ipp_status(err) != IPP_NOT_FOUND:
                    raise
                return {"job-printer-state-message": "CUPS no longer knows the job"}

        return job_state_from(await self._run(call))

    async def cancel(self, job_id: int) -> None:
        """Cancel and purge a job; one that is already gone is fine."""

        def call() -> None:
            conn, cups = self._connection()
            try:
                conn.cancelJob(job_id, purge_job=True)
            except cups.IPPError as err:
                if _ipp_status(err) != IPP_NOT_FOUND:
                    raise

        await self._run(call)

    def close(self) -> None:
        """Stop the worker thread (pending calls are dropped)."""
        if self._executor is not None:
            self._executor.shutdown(wait=False, cancel_futures=True)
            self._executor = None

    # --- on the worker thread ---------------------------------------------------------------

    def _check(self) -> tuple[str, str]:
        conn, cups = self._connection()
        dest = self._dest(conn)
        try:
            attrs = conn.getPrinterAttributes(dest, requested_attributes=PRINTER_ATTRIBUTES)
        except cups.IPPError as err:
            if _ipp_status(err) == IPP_NOT_FOUND:
                return "missing", f"no CUPS destination {dest!r}"
            raise
        return printer_health_from(dest, dict(attrs))

    def _connection(self) -> tuple[Any, Any]:
        cups = self._module
        if cups is None:
            import cups  # type: ignore[import-not-found,no-redef]

            self._module = cups
        if self._conn is None:
            if self._server:
                cups.setServer(self._server)  # per thread in libcups: see the module docstring
            self._conn = cups.Connection()
        return self._conn, cups

    def _dest(self, conn: Any) -> str:
        if self._destination:
            return self._destination
        default = conn.getDefault()
        if not default:
            raise PrinterError("CUPS has no default destination and printer_name is empty")
        return str(default)

    async def _run(self, call: Callable[[], T]) -> T:
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="cups")
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, self._guarded, call)

    def _guarded(self, call: Callable[[], T]) -> T:
        """Translate libcups's errors into PrinterError; drop the connection after a failure."""
        try:
            return call()
        except PrinterError:
            raise
        except ImportError as err:
            raise PrinterError(f"pycups is not installed: {err}") from err
        except RuntimeError as err:  # pycups: "failed to connect to server"
            self._conn = None
            raise PrinterError(f"CUPS unreachable: {err}") from err
        except Exception as err:
            # cups.IPPError / cups.HTTPError: the module is imported lazily, so match by name.
            if type(err).__name__ not in ("IPPError", "HTTPError"):
                raise
            self._conn = None
            raise PrinterError(f"CUPS refused: {_describe(err)}") from err


def printer_health_from(dest: str, attrs: dict[str, Any]) -> tuple[str, str]:
    """Health and reason from a destination's IPP printer attributes."""
    reasons = attrs.get("printer-state-reasons") or []
    if isinstance(reasons, str):
        reasons = [reasons]
    message = str(attrs.get("printer-state-message") or "")
    errors = [r for r in reasons if str(r).endswith("-error")]
    if attrs.get("printer-state") == PRINTER_STOPPED:
        return "failed", f"{dest} stopped: {message or ', '.join(map(str, reasons))}"
    if attrs.get("printer-is-accepting-jobs") is False:
        return "failed", f"{dest} rejects jobs: {message}"
    if errors:
        return "failed", f"{dest}: {', '.join(map(str, errors))} {message}".strip()
    return "ok", f"{dest} ready"


def job_state_from(attrs: dict[str, Any]) -> JobState:
    """Map IPP ``job-state`` and friends onto what the caseworker sees."""
    state = attrs.get("job-state")
    message = str(attrs.get("job-printer-state-message") or "")
    reasons = attrs.get("job-state-reasons") or ""
    reasons_text = reasons if isinstance(reasons, str) else ", ".join(map(str, reasons))
    if state in (JOB_PENDING, JOB_HELD):
        return JobState("queued", message if state == JOB_HELD else "")
    if state == JOB_PROCESSING:
        return JobState("printing")
    if state == JOB_COMPLETED:
        return JobState("done")
    if state is None:
        return JobState("failed", message or "CUPS reported no job state")
    why = {JOB_STOPPED: "stopped", JOB_CANCELED: "cancelled", JOB_ABORTED: "aborted"}
    label = why.get(state if isinstance(state, int) else -1, f"unknown state {state!r}")
    # A filter's "DEBUG:" line is its last progress note, not why it stopped: the caseworker
    # gets the IPP reasons instead (seen when CUPS is polled before the filter's error line).
    detail = message if message and not message.startswith("DEBUG:") else reasons_text
    return JobState("failed", f"job {label}: {detail}" if detail else f"job {label}")


def _ipp_status(err: BaseException) -> int | None:
    first = err.args[0] if err.args else None
    return first if isinstance(first, int) else None


def _describe(err: BaseException) -> str:
    args = [str(a) for a in err.args]
    return " ".join(args) or type(err).__name__
