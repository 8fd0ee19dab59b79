"""The caseworker page in Debian's Chromium, answering a fake terminal made of aiortc.

The terminal side is two aiortc peer connections like the real ones: ``camera`` sends
video and audio, ``screen`` offers receive-only audio and video as the kiosk browser does.
The test checks the page's part of the contract: answering, both SDP answers, remote video
decoded on the camera leg, the caseworker's own camera arriving on the screen leg, hangup.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import pytest

from protocol.messages import (
    Answered,
    CallRequest,
    Ended,
    Queued,
    RtcAnswer,
    RtcOffer,
)
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.console.conftest import PASSWORD, RunningConsole, Seed
from tests.console.helpers import terminal

FRAMES_JS = """async () => {
  const pc = window.btConsole.pcs.camera;
  if (!pc) return 0;
  let frames = 0;
  (await pc.getStats()).forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'video') frames += r.framesDecoded || 0;
  });
  return frames;
}"""


@pytest.fixture
async def page(console: RunningConsole) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = await browser.new_page(locale="de-DE")  # the page's words are checked in German
        await page.goto(f"{console.base}/login")
        await page.fill("input[name=username]", "alice")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("[data-test=login]")
        await page.wait_for_selector("[data-test=link-state][data-state=online]")
        yield page
        await browser.close()


async def wait_until(predicate: Any, timeout_s: float = 10.0) -> Any:
    for _ in range(int(timeout_s * 10)):
        value = await predicate()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s} s")


async def test_answer_call_in_browser(
    page: Any, http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

    t1, _ = await terminal(http, console, seed.a1)
    await t1.send(CallRequest())
    call_id = (await t1.expect(Queued)).call_id
    item = page.locator("[data-test=queue-item]")
    await item.wait_for()
    assert "Rathaus Aldorf" in await item.inner_text()
    await page.click("[data-test=answer]")
    await t1.expect(Answered)

    camera, screen = RTCPeerConnection(), RTCPeerConnection()
    received: list[str] = []
    screen.on("track", lambda track: received.append(track.kind))
    try:
        camera.addTrack(VideoStreamTrack())
        camera.addTrack(AudioStreamTrack())
        screen.addTransceiver("audio", direction="recvonly")
        screen.addTransceiver("video", direction="recvonly")
        for leg, pc in (("camera", camera), ("screen", screen)):
            await pc.setLocalDescription(await pc.createOffer())
            await t1.send(RtcOffer(call_id=call_id, leg=leg, sdp=pc.localDescription.sdp))
        for _ in range(2):
            answer = await t1.expect(RtcAnswer, wait_s=10)
            pc = camera if answer.leg == "camera" else screen
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type="answer"))
            if answer.leg == "screen":
                assert "a=sendonly" in answer.sdp
        await wait_until(lambda: page.evaluate(FRAMES_JS))
        await wait_until(lambda: page.evaluate("window.btConsole.state === 'in-call'"), 10)
        assert await page.get_attribute("[data-test=call-state]", "data-state") == "in-call"
        assert sorted(received) == ["audio", "video"]

        await page.click("[data-test=hangup]")
        assert await t1.expect(Ended) == Ended(call_id=call_id, reason="hangup_caseworker")
        assert await page.evaluate("window.btConsole.pcs.camera === null")
        assert await page.get_attribute("[data-test=call-state]", "data-state") == "idle"
        assert await page.is_disabled("[data-test=hangup]")
    finally:
        await camera.close()
        await screen.close()
