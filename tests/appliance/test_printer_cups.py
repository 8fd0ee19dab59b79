"""The CUPS printer adapter against a real private cupsd (tests/cupsd.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from appliance.parts.printer import JobState
from appliance.parts.printer.cups import CupsPrinter, job_state_from, printer_health_from
from tests.cupsd import PRINTER, PrivateCups, make_damaged_pdf, make_pdf, private_cups


@pytest.fixture(scope="module")
def cups() -> Iterator[PrivateCups]:
    with private_cups() as server:
        yield server


@pytest.fixture
async def printer(cups: PrivateCups) -> AsyncIterator[CupsPrinter]:
    cups.admin("cupsenable", PRINTER)
    cups.admin("cupsaccept", PRINTER)
    adapter = CupsPrinter(destination=PRINTER, server=cups.server)
    yield adapter
    adapter.close()


async def _until_final(printer: CupsPrinter, job_id: int, timeout_s: float = 30.0) -> list[str]:
    seen: list[str] = []
    async with asyncio.timeout(timeout_s):
        while True:
            state = await printer.job_state(job_id)
            if not seen or seen[-1] != state.status:
                seen.append(state.status)
            if state.status in ("done", "failed"):
                seen.append(state.message)
                return seen
            await asyncio.sleep(0.05)


async def test_prints_a_pdf_through_the_filter_chain(
    printer: CupsPrinter, cups: PrivateCups, tmp_path: Path
) -> None:
    pdf = tmp_path / "form.pdf"
    pdf.write_bytes(make_pdf())
    cups.output.unlink(missing_ok=True)
    job_id = await printer.submit(pdf, "Formular")
    pdf.unlink()  # CUPS has its own copy once submitted
    seen = await _until_final(printer, job_id)
    assert seen[-2] == "done", (seen, cups.log_tail())
    assert set(seen[:-2]) <= {"queued", "printing"}
    output = cups.output.read_bytes()
    assert output.startswith(b"%!PS"), output[:100]  # pdftops/ghostscript ran: a real job


async def test_damaged_pdf_is_reported_failed_with_the_filter_reason(
    printer: CupsPrinter, cups: PrivateCups, tmp_path: Path
) -> None:
    pdf = tmp_path / "broken.pdf"
    pdf.write_bytes(make_damaged_pdf())
    job_id = await printer.submit(pdf, "Kaputt")
    seen = await _until_final(printer, job_id)
    assert seen[-2] == "failed", (seen, cups.log_tail())
    assert "stopped" in seen[-1] and "trailer" in seen[-1], seen[-1]  # qpdf's own words
    await printer.cancel(job_id)  # purges the stopped job; cancelling again is fine
    await printer.cancel(job_id)
    gone = await printer.job_state(job_id)
    assert gone.status == "failed" and "no longer" in gone.message


async def test_health_follows_cupsdisable_and_cupsenable(
    printer: CupsPrinter, cups: PrivateCups
) -> None:
    assert printer.health() == "missing"  # nothing asked yet
    assert await printer.refresh() == "ok"
    cups.admin("cupsdisable", "-r", "Papier leer", PRINTER)
    assert await printer.refresh() == "failed"
    assert "Papier leer" in printer.detail
    cups.admin("cupsenable", PRINTER)
    assert await printer.refresh() == "ok"
    cups.admin("cupsreject", PRINTER)
    assert await printer.refresh() == "failed"


async def test_default_destination_and_missing_ones(cups: PrivateCups) -> None:
    cups.admin("cupsaccept", PRINTER)
    unknown = CupsPrinter(destination="nosuch", server=cups.server)
    no_default = CupsPrinter(server=cups.server)
    unreachable = CupsPrinter(destination=PRINTER, server="127.0.0.1:1")
    try:
        assert await unknown.refresh() == "missing"
        assert await no_default.refresh() == "missing"  # no default set yet
        cups.admin("lpadmin", "-d", PRINTER)
        assert await no_default.refresh() == "ok"
        assert await unreachable.refresh() == "missing"
        assert "unreachable" in unreachable.detail or "refused" in unreachable.detail
    finally:
        for adapter in (unknown, no_default, unreachable):
            adapter.close()


def test_ipp_state_mapping() -> None:
    assert job_state_from({"job-state": 3}) == JobState("queued")
    assert job_state_from({"job-state": 5}) == JobState("printing")
    assert job_state_from({"job-state": 9}) == JobState("done")
    debug_only = job_state_from(
        {
            "job-state": 6,
            "job-state-reasons": ["job-stopped"],
            "job-printer-state-message": "DEBUG: pdftops - copying to temp print file",
        }
    )
    assert debug_only == JobState("failed", "job stopped: job-stopped")
    failed = job_state_from({"job-state": 8, "job-state-reasons": ["aborted-by-system"]})
    assert failed == JobState("failed", "job aborted: aborted-by-system")
    assert job_state_from({"job-state": 7}).status == "failed"
    attrs = {"printer-state": 3, "printer-state-reasons": ["media-empty-error"]}
    assert printer_health_from("p", attrs)[0] == "failed"
    assert printer_health_from("p", {"printer-state": 4, "printer-state-reasons": ["none"]}) == (
        "ok",
        "p ready",
    )
