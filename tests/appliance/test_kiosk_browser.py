"""The kiosk page in Debian's headless Chromium (Playwright): states, buttons, screen leg.

The test plays the console (FakeConsole) and the caseworker (an aiortc peer sending
the synthetic camera), so the whole path of the screen leg runs: daemon asks the page
for an offer, the page posts it, the "caseworker" answers, Chromium decodes video and
reports framesDecoded back to the daemon. Screenshots go to test-artifacts/kiosk/.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from appliance.daemon import Terminal
from appliance.parts.camera import create_camera
from protocol.messages import Answered, Ended, RtcAnswer, RtcOffer
from tests.appliance.fakes import FakeConsole, wait_for
from tests.appliance.test_daemon import console, terminal  # noqa: F401 (fixtures)
from tests.browser import CHROMIUM, CHROMIUM_ARGS

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "kiosk"


@pytest.fixture
async def page(terminal: Terminal) -> AsyncIterator[object]:  # noqa: F811
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        await page.goto(f"http://127.0.0.1:{terminal.kiosk_port}/")
        yield page
        await browser.close()


async def state_of(page: object) -> str:
    return await page.get_attribute('[data-test="state"]', "data-state")  # type: ignore[attr-defined, no-any-return]


async def test_kiosk_states_and_screen_leg(
    page: object,
    terminal: Terminal,  # noqa: F811
    console: FakeConsole,  # noqa: F811
) -> None:
    p = page  # playwright Page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await p.wait_for_selector('[data-test="state"][data-state="idle"]', timeout=5000)  # type: ignore[attr-defined]
    assert await p.is_visible('[data-test="call"]')  # type: ignore[attr-defined]
    await p.screenshot(path=str(ARTIFACTS / "idle.png"))  # type: ignore[attr-defined]

    await p.click('[data-test="call"]')  # type: ignore[attr-defined]
    await wait_for(lambda: terminal.coordinator.view.screen == "info")
    assert not terminal.camera.capturing  # type: ignore[attr-defined]  # not before continue
    await p.click('[data-test="continue"]')  # type: ignore[attr-defined]
    await p.wait_for_selector('[data-state="queued"]', timeout=5000)  # type: ignore[attr-defined]
    await wait_for(lambda: terminal.camera.capturing)  # type: ignore[attr-defined]
    await wait_for(lambda: terminal.coordinator.view.position == 1)
    await p.screenshot(path=str(ARTIFACTS / "queued.png"))  # type: ignore[attr-defined]

    # The caseworker answers: an aiortc peer answers the page's screen leg with video.
    caseworker = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    camera = create_camera("synthetic")
    caseworker.addTrack(camera.track())
    await console.send(Answered(call_id="c1", caseworker="Frau Schmidt", ice_servers=[]))
    await wait_for(
        lambda: any(isinstance(m, RtcOffer) and m.leg == "screen" for m in console.received),
        within=5,
    )
    offer = next(m for m in console.received if isinstance(m, RtcOffer) and m.leg == "screen")
    await caseworker.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
    await caseworker.setLocalDescription(await caseworker.createAnswer())
    await console.send(RtcAnswer(call_id="c1", leg="screen", sdp=caseworker.localDescription.sdp))
    await p.wait_for_selector('[data-state="in-call"]', timeout=5000)  # type: ignore[attr-defined]
    await wait_for(lambda: terminal.remote_frames_decoded > 10, within=10)
    assert await p.evaluate("window.btKiosk.pc !== null")  # type: ignore[attr-defined]
    await p.screenshot(path=str(ARTIFACTS / "in-call.png"))  # type: ignore[attr-defined]

    await console.send(Ended(call_id="c1", reason="hangup_caseworker"))
    await p.wait_for_selector('[data-state="ended"]', timeout=5000)  # type: ignore[attr-defined]
    assert await p.evaluate("window.btKiosk.pc === null")  # type: ignore[attr-defined]
    await p.wait_for_selector('[data-state="idle"]', timeout=5000)  # type: ignore[attr-defined]
    await wait_for(lambda: not terminal.camera.capturing)  # type: ignore[attr-defined]
    await caseworker.close()

    await console.stop()
    await p.wait_for_selector('[data-state="offline"]', timeout=5000)  # type: ignore[attr-defined]
    assert not await p.is_visible('[data-test="call"]')  # type: ignore[attr-defined]
    await p.screenshot(path=str(ARTIFACTS / "offline.png"))  # type: ignore[attr-defined]
    await asyncio.sleep(0)
