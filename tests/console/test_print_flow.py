"""Printing end to end: caseworker upload -> real console -> terminal daemon -> real CUPS.

The terminal daemon is built by ``build_terminal`` exactly as ``bt-terminal run`` builds it
(printer ``cups`` pointed at a private cupsd through ``cups_server``) and runs in this test's
event loop next to the console; the caseworker is a signed-in aiohttp session and socket.
No browser and no media checks here: tests/e2e covers those.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from appliance.config import Config
from appliance.daemon import PRINT_SPOOL, Terminal, build_terminal
from appliance.events import CallPressed, ContinuePressed
from appliance.media.host_addresses import apply_host_addresses
from protocol.messages import Answer, Assigned, Hangup, PrintStatus, QueueUpdate
from tests.appliance.fakes import wait_for
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import Peer, caseworker, csrf_from
from tests.cupsd import PRINTER, PrivateCups, make_damaged_pdf, make_pdf, private_cups


@pytest.fixture(scope="module")
def cups() -> Iterator[PrivateCups]:
    with private_cups() as server:
        yield server


@pytest.fixture
async def daemon(
    console: RunningConsole, seed: Seed, cups: PrivateCups, tmp_path: Path
) -> AsyncIterator[Terminal]:
    cups.admin("cupsenable", PRINTER)
    config = replace(
        Config(),
        console_url=console.base,
        data_dir=tmp_path / "terminal",
        kiosk_port=0,
        pin_factory="mock",
        ice_host_addresses=("127.0.0.1",),
        ended_linger_s=0.2,
        printer="cups",
        printer_name=PRINTER,
        cups_server=cups.server,
    )
    spool = config.data_dir / PRINT_SPOOL
    spool.mkdir(parents=True)
    (spool / "from-before-a-power-cut.pdf").write_bytes(b"%PDF-old")
    factory = MockFactory(pin_class=MockPWMPin)
    term = build_terminal(config, seed.a1, pin_factory=factory)
    assert list(spool.iterdir()) == []  # wiped at start
    task = asyncio.create_task(term.run())
    yield term
    await term.stop()
    with contextlib.suppress(asyncio.CancelledError):
        await asyncio.wait_for(task, 15)
    factory.reset()
    apply_host_addresses([])


async def statuses_until_final(alice: Peer, job_id: str) -> list[PrintStatus]:
    seen: list[PrintStatus] = []
    while not seen or seen[-1].status not in ("done", "failed"):
        msg = await alice.recv(wait_s=30)
        if isinstance(msg, PrintStatus) and msg.job_id == job_id:
            seen.append(msg)
    return seen


async def test_caseworker_prints_at_the_terminal(
    daemon: Terminal, console: RunningConsole, seed: Seed, cups: PrivateCups
) -> None:
    alice_http, alice, _ = await caseworker(console, "alice")
    try:
        async with alice_http.get(f"{console.base}/") as page:
            csrf = csrf_from(await page.text())
        await wait_for(lambda: console.hub.parts(seed.a1_id).get("printer") == "ok", within=15)
        daemon.coordinator.post(CallPressed("test"))  # opens the information screen
        daemon.coordinator.post(ContinuePressed("de"))  # the citizen continues: the call
        entries: list[object] = []
        while not entries:
            update = await alice.expect(QueueUpdate, wait_s=10)
            entries = list(update.entries)
        call_id = update.entries[0].call_id
        await alice.send(Answer(call_id=call_id))
        while not isinstance(await alice.recv(), Assigned):
            pass
        await wait_for(lambda: daemon.coordinator.state == "in-call")

        async def upload(pdf: bytes) -> str:
            async with alice_http.post(
                f"{console.base}/api/v1/calls/{call_id}/print",
                data=pdf,
                headers={"Content-Type": "application/pdf", "X-CSRF-Token": csrf},
            ) as resp:
                assert resp.status == 202, await resp.text()
                return str((await resp.json())["job_id"])

        cups.output.unlink(missing_ok=True)
        job = await upload(make_pdf())
        seen = await statuses_until_final(alice, job)
        assert seen[0].status == "queued"
        assert seen[-1].status == "done", (seen, cups.log_tail())
        assert {s.status for s in seen} <= {"queued", "printing", "done"}
        assert cups.output.read_bytes().startswith(b"%!PS")

        broken = await upload(make_damaged_pdf())
        seen = await statuses_until_final(alice, broken)
        assert seen[-1].status == "failed", seen
        # why, in CUPS's words: the filter's error line, or the job's IPP reasons when CUPS
        # was asked before the filter's last line reached it (a loaded machine)
        assert "trailer" in seen[-1].message or "stopped" in seen[-1].message.split(":", 1)[1]
        assert "DEBUG" not in seen[-1].message

        spool = daemon.config.data_dir / PRINT_SPOOL
        assert list(spool.iterdir()) == []
        await alice.send(Hangup(call_id=call_id))
        await wait_for(lambda: daemon.coordinator.state in ("ended", "idle"))
        assert len(console.hub.prints) == 0

        cups.admin("cupsdisable", "-r", "Papierstau", PRINTER)
        await wait_for(lambda: console.hub.parts(seed.a1_id).get("printer") == "failed", within=15)
        assert daemon.health_parts()["printer"] == "failed"
    finally:
        cups.admin("cupsenable", PRINTER)
        await alice_http.close()
