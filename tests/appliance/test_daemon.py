"""The whole daemon in-process: built from config, run in a background thread's loop,
driven through the mock button and the kiosk HTTP API against a fake console."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from appliance.config import Config
from appliance.daemon import Terminal
from protocol.messages import (
    Answered,
    CallCancel,
    CallRequest,
    Ended,
    Hangup,
    Message,
    Queued,
    RtcAnswer,
    RtcOffer,
)
from tests.appliance.fakes import FakeConsole, wait_for
from tests.terminal_thread import terminal_in_thread


@pytest.fixture
async def console() -> AsyncIterator[FakeConsole]:
    fake = FakeConsole(heartbeat_s=0.5)
    calls = iter(range(1, 100))

    async def on_message(message: Message) -> None:
        if isinstance(message, CallRequest):
            await fake.send(Queued(call_id=f"c{next(calls)}", position=1))
        elif isinstance(message, CallCancel):
            await fake.send(Ended(call_id=message.call_id, reason="cancelled"))

    fake.on_message = on_message
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def terminal(console: FakeConsole, tmp_path: Path) -> Iterator[Terminal]:
    config = replace(
        Config(),
        console_url=console.url,
        data_dir=tmp_path,
        kiosk_port=0,
        pin_factory="mock",
        ice_host_addresses=("127.0.0.1",),
        ended_linger_s=0.3,
        hold_to_cancel_s=0.3,
        printer="fake",
        card_reader="fake",
    )
    with terminal_in_thread(config, "secret") as term:
        yield term


def press(terminal: Terminal, seconds: float = 0.06) -> None:
    time.sleep(0.1)  # edges within the 50 ms debounce of the last one would be bounce
    terminal.button.pin.drive_low()
    time.sleep(seconds)
    terminal.button.pin.drive_high()


async def test_button_call_answer_and_hold_to_hang_up(
    terminal: Terminal, console: FakeConsole
) -> None:
    await wait_for(lambda: terminal.coordinator.state == "idle")
    base = f"http://127.0.0.1:{terminal.kiosk_port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/healthz") as resp:
            health = await resp.json()
        assert health["status"] == "ok" and health["state"] == "idle"
        assert health["parts"]["console_link"] == "ok"

        press(terminal)  # info
        await wait_for(lambda: terminal.coordinator.view.screen == "info")
        press(terminal)  # continue
        await wait_for(lambda: terminal.coordinator.view.position == 1)
        assert terminal.coordinator.state == "queued"

        # the caseworker answers; the test plays the caseworker's aiortc peer
        answerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        await console.send(Answered(call_id="c1", caseworker="Frau Schmidt", ice_servers=[]))
        await wait_for(lambda: any(isinstance(m, RtcOffer) for m in console.received))
        offer = next(m for m in console.received if isinstance(m, RtcOffer))
        assert offer.leg == "camera" and terminal.coordinator.state == "in-call"
        await answerer.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
        await answerer.setLocalDescription(await answerer.createAnswer())
        await console.send(RtcAnswer(call_id="c1", leg="camera", sdp=answerer.localDescription.sdp))
        await wait_for(lambda: terminal.frames_sent >= 10, within=10)
        await wait_for(lambda: answerer.connectionState == "connected")

        press(terminal, 0.5)  # hold: hang up
        await wait_for(lambda: Hangup(call_id="c1") in console.received)
        assert terminal.coordinator.state == "ended"
        await wait_for(lambda: terminal.coordinator.state == "idle")
        await answerer.close()


async def test_requeued_within_5_s_after_console_restart(
    terminal: Terminal, console: FakeConsole
) -> None:
    await wait_for(lambda: terminal.coordinator.state == "idle")
    async with aiohttp.ClientSession() as http:
        base = f"http://127.0.0.1:{terminal.kiosk_port}"
        async with http.post(base + "/api/call", json={}) as resp:
            assert resp.status == 202
        await wait_for(lambda: terminal.coordinator.view.screen == "info")
        async with http.post(base + "/api/continue", json={"language": "uk"}) as resp:
            assert resp.status == 202
    await wait_for(lambda: terminal.coordinator.view.position == 1)
    await console.stop()
    await wait_for(lambda: terminal.coordinator.state == "offline")
    await asyncio.sleep(0.5)
    started = time.monotonic()
    await console.start()
    await wait_for(lambda: console.types().count("CallRequest") == 2, within=5)
    assert CallRequest(language="uk") in console.received  # asked again in the same language
    await wait_for(lambda: terminal.coordinator.view.position == 1, within=5)
    assert time.monotonic() - started < 5
    assert terminal.coordinator.state == "queued"

    press(terminal, 0.5)  # hold while waiting: cancel
    await wait_for(lambda: CallCancel(call_id="c2") in console.received)
    await wait_for(lambda: terminal.coordinator.state == "idle")
