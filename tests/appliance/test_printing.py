"""The print tool with the fake printer and a fake console serving the PDF (aiohttp)."""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from aiohttp import web

from appliance.errors import PrinterError
from appliance.parts.printer.fake import FakePrinter
from appliance.printing import PrintTool, check_pdf
from protocol.messages import PrintRequest, PrintStatus, TerminalToConsole
from tests.cupsd import make_damaged_pdf, make_pdf

CREDENTIAL = "term1.secret"


@dataclass
class FakeConsole:
    base: str
    pdfs: dict[str, bytes]
    fetched: list[str] = field(default_factory=list)


@dataclass
class Sent:
    messages: list[TerminalToConsole] = field(default_factory=list)

    async def send(self, message: TerminalToConsole) -> bool:
        self.messages.append(message)
        return True

    def statuses(self) -> list[str]:
        return [m.status for m in self.messages if isinstance(m, PrintStatus)]


@pytest.fixture
async def console() -> AsyncIterator[FakeConsole]:
    pdfs: dict[str, bytes] = {}
    fake = FakeConsole("", pdfs)

    async def job(request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {CREDENTIAL}":
            return web.Response(status=401)
        job_id = request.match_info["job_id"]
        fake.fetched.append(job_id)
        if job_id not in pdfs:
            return web.Response(status=404)
        return web.Response(body=pdfs.pop(job_id), content_type="application/pdf")

    app = web.Application()
    app.router.add_get("/api/v1/print-jobs/{job_id}", job)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    fake.base = f"http://127.0.0.1:{port}"
    yield fake
    await runner.cleanup()


def make_tool(console: FakeConsole, printer: FakePrinter | None, tmp_path: Path) -> PrintTool:
    return PrintTool(
        printer=printer,
        signaling=Sent(),
        console_url=console.base,
        credential=CREDENTIAL,
        spool_dir=tmp_path / "spool",
        poll_s=0.01,
    )


def sent(tool: PrintTool) -> Sent:
    signaling = tool._signaling
    assert isinstance(signaling, Sent)
    return signaling


def request(console: FakeConsole, job_id: str, pdf: bytes) -> PrintRequest:
    console.pdfs[job_id] = pdf
    return PrintRequest(call_id="c1", job_id=job_id, size=len(pdf))


async def test_prints_and_reports_queued_printing_done(
    console: FakeConsole, tmp_path: Path
) -> None:
    printer = FakePrinter()
    tool = make_tool(console, printer, tmp_path)
    modes: list[int] = []
    submit = printer.submit

    async def spy(path: Path, title: str) -> int:
        modes.append(stat.S_IMODE(os.stat(path).st_mode))
        return await submit(path, title)

    printer.submit = spy  # type: ignore[method-assign]
    pdf = make_pdf()
    await tool.on_message(request(console, "job1", pdf), "c1")
    assert sent(tool).statuses() == ["queued", "printing", "done"]
    assert all(isinstance(m, PrintStatus) and m.job_id == "job1" for m in sent(tool).messages)
    assert printer.jobs[1].data == pdf
    assert modes == [0o600]
    assert stat.S_IMODE(tool.spool_dir.stat().st_mode) == 0o700
    assert list(tool.spool_dir.iterdir()) == []  # deleted right after submission


async def test_printer_failure_is_reported_with_its_reason(
    console: FakeConsole, tmp_path: Path
) -> None:
    printer = FakePrinter()
    printer.fail_next("Filter pdftopdf failed")
    tool = make_tool(console, printer, tmp_path)
    await tool.on_message(request(console, "job1", make_pdf()), "c1")
    last = sent(tool).messages[-1]
    assert isinstance(last, PrintStatus)
    assert (last.status, last.message) == ("failed", "Filter pdftopdf failed")
    assert sent(tool).statuses() == ["queued", "failed"]


async def test_damaged_or_foreign_files_never_reach_the_printer(
    console: FakeConsole, tmp_path: Path
) -> None:
    printer = FakePrinter()
    tool = make_tool(console, printer, tmp_path)
    truncated = make_pdf()[:-40]
    await tool.on_message(request(console, "cut", truncated), "c1")
    await tool.on_message(request(console, "html", b"<html>login</html>"), "c1")
    assert sent(tool).statuses() == ["failed", "failed"]
    assert printer.jobs == {}


async def test_download_refused_size_mismatch_and_no_printer(
    console: FakeConsole, tmp_path: Path
) -> None:
    tool = make_tool(console, FakePrinter(), tmp_path)
    await tool.on_message(PrintRequest(call_id="c1", job_id="gone", size=10), "c1")
    console.pdfs["short"] = make_pdf()
    await tool.on_message(PrintRequest(call_id="c1", job_id="short", size=99), "c1")
    await tool.on_message(PrintRequest(call_id="c1", job_id="../../etc", size=10), "c1")
    messages = [m.message for m in sent(tool).messages if isinstance(m, PrintStatus)]
    assert "404" in messages[0] and "expected 99" in messages[1] and "invalid" in messages[2]
    assert console.fetched == ["gone", "short"]
    none = make_tool(console, None, tmp_path)
    await none.on_message(request(console, "j", make_pdf()), "c1")
    assert [m.message for m in sent(none).messages] == ["this terminal has no printer"]  # type: ignore[union-attr]


async def test_call_end_cancels_unfinished_jobs_and_wipes_the_spool(
    console: FakeConsole, tmp_path: Path
) -> None:
    printer = FakePrinter()
    tool = make_tool(console, printer, tmp_path)
    submitted = asyncio.Event()
    submit = printer.submit

    async def slow_printer(path: Path, title: str) -> int:
        job_id = await submit(path, title)
        printer.hold(job_id)
        submitted.set()
        return job_id

    printer.submit = slow_printer  # type: ignore[method-assign]
    task = asyncio.create_task(tool.on_message(request(console, "job1", make_pdf()), "c1"))
    await asyncio.wait_for(submitted.wait(), 5)
    (tool.spool_dir / "leftover.pdf").write_bytes(b"x")  # as if a download were mid-way
    await tool.on_call_end("c1")
    assert task.cancelled()
    assert printer.jobs[1].cancelled
    assert sent(tool).statuses() == ["queued"]
    assert list(tool.spool_dir.iterdir()) == []
    (tool.spool_dir / "after-power-cut.pdf").write_bytes(b"x")
    tool2 = make_tool(console, printer, tmp_path)  # a restart wipes what is left
    assert list(tool2.spool_dir.iterdir()) == []


def test_cheap_pdf_check() -> None:
    check_pdf(make_pdf())
    check_pdf(make_damaged_pdf())  # structurally plausible: CUPS's filter judges the rest
    for bad in (b"", b"GIF89a", make_pdf()[:-10], b"%PDF-1.4\n" + b"x" * 5000):
        with pytest.raises(PrinterError):
            check_pdf(bad)


def test_printer_config_keys() -> None:
    from appliance.config import load_config
    from appliance.errors import ConfigError

    default = load_config(env={})
    assert (default.printer, default.printer_name, default.cups_server) == ("cups", "", "")
    env = {
        "BT_TERMINAL_PRINTER": "fake",
        "BT_TERMINAL_PRINTER_NAME": " ",
        "BT_TERMINAL_CUPS_SERVER": "h:1",
    }
    config = load_config(env=env)
    assert (config.printer, config.printer_name, config.cups_server) == ("fake", "", "h:1")
    with pytest.raises(ConfigError, match="printer"):
        load_config(env={"BT_TERMINAL_PRINTER": "laser"})
