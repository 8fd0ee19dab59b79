"""The printer part: a small interface, a CUPS adapter and a fake, chosen by config.

The terminal prints forms the caseworker sends during a call (``print.request``). The
interface is job-shaped rather than page-shaped because CUPS is: a file goes in, a job id
comes out, and the job's IPP state is polled until it is completed, stopped, cancelled or
aborted. :func:`create_printer` returns ``None`` for ``printer = "none"``; the print tool
then answers every request with ``failed`` so the caseworker is not left waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from appliance.errors import ConfigError

JobStatus = Literal["queued", "printing", "done", "failed"]
"""The states a caseworker sees (``print.status``); CUPS's nine IPP states map onto them."""

PRINTERS = ("cups", "fake", "none")


@dataclass(frozen=True)
class JobState:
    """Where one print job stands, with the printer's own words when it failed."""

    status: JobStatus
    message: str = ""


class Printer(Protocol):
    """A printer as the print tool uses it."""

    def health(self) -> str:
        """``ok``, ``missing`` or ``failed`` as of the last :meth:`refresh` (never blocks)."""
        ...

    async def refresh(self) -> str:
        """Ask the printer for its state now and return the new health."""
        ...

    async def submit(self, path: Path, title: str) -> int:
        """Send a PDF to the printer and return its job id (the file may be deleted after)."""
        ...

    async def job_state(self, job_id: int) -> JobState:
        """The current state of a job submitted here."""
        ...

    async def cancel(self, job_id: int) -> None:
        """Cancel a job and purge its data; a job that is already gone is not an error."""
        ...

    def close(self) -> None:
        """Release connections and threads."""
        ...


def create_printer(kind: str, *, name: str = "", server: str = "") -> Printer | None:
    """Build the printer named by the ``printer`` config key (None for ``none``)."""
    if kind == "cups":
        from appliance.parts.printer.cups import CupsPrinter

        return CupsPrinter(destination=name, server=server)
    if kind == "fake":
        from appliance.parts.printer.fake import FakePrinter

        return FakePrinter()
    if kind == "none":
        return None
    raise ConfigError("printer", f"unknown printer {kind!r} (known: {', '.join(PRINTERS)})")
