"""The in-call tools of the caseworker page in Chromium: mute, photo zoom, save, case inbox.

The terminal is made of aiortc like in test_page.py; it uploads a real JPEG over HTTP when
the page asks for a photo. Mute is checked where it matters: the audio the fake terminal
receives from the page (Chromium's fake microphone beeps) turns to digital silence while
muted and comes back after. Screenshots (1280x800) go to test-artifacts/console/.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any, Literal

import aiohttp
import numpy as np
import pytest

from protocol.messages import (
    Answered,
    CallRequest,
    PhotoRequest,
    Queued,
    RtcAnswer,
    RtcOffer,
)
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.console.conftest import PASSWORD, RunningConsole, Seed
from tests.console.helpers import terminal
from tests.console.test_page import wait_until

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
LOADED_JS = """(sel) => {
  const img = document.querySelector(sel);
  return !!(img && img.complete && img.naturalWidth > 0);
}"""
SCALE_JS = """(sel) => Number(document.querySelector(sel).closest('.zoom').dataset.scale || 0)"""
MIC_JS = """() => {
  const s = document.querySelector('[data-test=local-video]').srcObject;
  return s ? s.getAudioTracks().map((t) => t.enabled) : [];
}"""


@pytest.fixture
async def page(console: RunningConsole) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = await browser.new_page(viewport={"width": 1280, "height": 800})
        await page.goto(f"{console.base}/login")
        await page.fill("input[name=username]", "alice")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("[data-test=login]")
        await page.wait_for_selector("[data-test=link-state][data-state=online]")
        yield page
        await browser.close()


class Loudness:
    """Peak sample level of the audio the fake terminal receives, per arrival time."""

    def __init__(self) -> None:
        self.peaks: list[tuple[float, int]] = []
        self.task: asyncio.Task[None] | None = None

    def start(self, track: Any) -> None:
        async def read() -> None:
            while True:
                frame = await track.recv()
                peak = int(np.abs(frame.to_ndarray().astype(np.int32)).max())
                self.peaks.append((time.monotonic(), peak))

        self.task = asyncio.create_task(read())

    async def peak_over(self, seconds: float) -> int:
        start = time.monotonic()
        await asyncio.sleep(seconds)
        window = [p for at, p in self.peaks if at >= start]
        assert len(window) > 20, "no audio frames arrived"
        return max(window)

    async def stop(self) -> None:
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self.task


async def test_mute_zoom_save_and_view_in_the_inbox(
    page: Any, http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    assert await page.is_disabled("[data-test=mute]")
    assert await page.inner_text("[data-test=inbox-count]") == "0"
    t1, _ = await terminal(http, console, seed.a1)
    await t1.send(CallRequest())
    call_id = (await t1.expect(Queued)).call_id
    await page.locator("[data-test=queue-item]").wait_for()
    await page.click("[data-test=answer]")
    await t1.expect(Answered)
    camera, screen = RTCPeerConnection(), RTCPeerConnection()
    loudness = Loudness()
    screen.on("track", lambda track: loudness.start(track) if track.kind == "audio" else None)
    try:
        camera.addTrack(VideoStreamTrack())
        camera.addTrack(AudioStreamTrack())
        screen.addTransceiver("audio", direction="recvonly")
        screen.addTransceiver("video", direction="recvonly")
        legs: list[tuple[Literal["camera", "screen"], Any]] = [
            ("camera", camera),
            ("screen", screen),
        ]
        for leg, pc in legs:
            await pc.setLocalDescription(await pc.createOffer())
            await t1.send(RtcOffer(call_id=call_id, leg=leg, sdp=pc.localDescription.sdp))
        for _ in range(2):
            answer = await t1.expect(RtcAnswer, wait_s=10)
            pc = camera if answer.leg == "camera" else screen
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type="answer"))
        await wait_until(lambda: page.evaluate("window.btConsole.state === 'in-call'"), 15)

        # --- mute: keyboard toggle, visible state, silence at the terminal -------------------
        assert await page.is_enabled("[data-test=mute]")
        assert await loudness.peak_over(1.5) > 1000, "the fake microphone should be audible"
        await page.focus("[data-test=mute]")
        await page.keyboard.press("Enter")
        assert await page.get_attribute("[data-test=mute]", "aria-pressed") == "true"
        assert await page.is_visible("[data-test=mute-badge]")
        assert await page.evaluate(MIC_JS) == [False]
        await asyncio.sleep(0.3)  # frames already on the way
        # Digital silence through Opus decodes to at most a sample value or two (seen: 1);
        # the fake microphone peaks above 1000 (16-bit samples).
        assert await loudness.peak_over(1.5) <= 8, "muted, yet the terminal hears something"
        await page.screenshot(path=str(ARTIFACTS / "call-muted.png"))
        await page.keyboard.press("Space")
        assert await page.get_attribute("[data-test=mute]", "aria-pressed") == "false"
        assert await page.is_hidden("[data-test=mute-badge]")
        assert await page.evaluate(MIC_JS) == [True]
        await asyncio.sleep(0.3)
        assert await loudness.peak_over(1.5) > 1000

        # --- a photo: zoom with buttons, keyboard and wheel ----------------------------------
        jpeg = form_jpeg(1600, 1200)
        await page.click("[data-test=photo]")
        request = await t1.expect(PhotoRequest)
        params = {"call_id": call_id, "request_id": request.request_id}
        headers = {"Authorization": f"Bearer {seed.a1}", "Content-Type": "image/jpeg"}
        async with http.post(
            f"{console.base}/api/v1/photos", params=params, data=jpeg, headers=headers
        ) as resp:
            assert resp.status == 201
        preview = "[data-test=photo-preview]"
        await wait_until(lambda: page.evaluate(LOADED_JS, preview))
        await wait_until(lambda: page.evaluate(SCALE_JS, preview))
        fit = await page.evaluate(SCALE_JS, preview)
        assert 0 < fit < 1
        assert await page.is_disabled("[data-test=photo-item] [data-test=zoom-fit]")
        await page.click("[data-test=photo-item] [data-test=zoom-in]")
        assert await page.evaluate(SCALE_JS, preview) == pytest.approx(fit * 1.25)
        await page.focus("[data-test=photo-item] [data-test=zoom-frame]")
        await page.keyboard.press("+")
        assert await page.evaluate(SCALE_JS, preview) == pytest.approx(fit * 1.25**2)
        await page.keyboard.press("0")
        assert await page.evaluate(SCALE_JS, preview) == pytest.approx(fit)
        box = await page.locator("[data-test=photo-item] [data-test=zoom-frame]").bounding_box()
        await page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        await page.mouse.wheel(0, -300)
        await wait_until(lambda: _bigger(page, preview, fit * 1.5))
        # Two fingers spreading apart (touch screens) zoom in as well.
        await page.keyboard.press("0")
        assert await page.evaluate(SCALE_JS, preview) == pytest.approx(fit)
        await pinch(page, box, 60, 180)  # three times the distance: three times the size
        await wait_until(lambda: _bigger(page, preview, fit * 2.9))
        level = await page.inner_text("[data-test=photo-item] [data-test=zoom-level]")
        assert level.endswith("%") and int(level.split()[0]) > round(fit * 150)
        await page.screenshot(path=str(ARTIFACTS / "photo-preview-zoomed.png"))

        # --- save into the case inbox, then view it there ------------------------------------
        await page.click("[data-test=photo-save]")
        await page.wait_for_selector("[data-test=photo-saved][data-state=saved]")
        await page.wait_for_selector("[data-test=inbox-item]")
        assert await page.inner_text("[data-test=inbox-count]") == "1"
        item = await page.inner_text("[data-test=inbox-item]")
        assert "Rathaus Aldorf" in item and "Alice Amt" in item and "1600 \u00d7 1200" in item
        await page.click("[data-test=inbox-view]")
        await page.wait_for_selector("[data-test=viewer][open]")
        viewer_img = "[data-test=viewer-image]"
        await wait_until(lambda: page.evaluate(LOADED_JS, viewer_img))
        width = await page.evaluate(f"document.querySelector('{viewer_img}').naturalWidth")
        assert width == 1600
        focused = await page.evaluate("document.activeElement.dataset.test")
        assert focused == "zoom-frame", "the viewer's photo should have the keyboard focus"
        await wait_until(lambda: page.evaluate(SCALE_JS, viewer_img))
        viewer_fit = await page.evaluate(SCALE_JS, viewer_img)
        await page.keyboard.press("+")
        assert await page.evaluate(SCALE_JS, viewer_img) == pytest.approx(viewer_fit * 1.25)
        await page.screenshot(path=str(ARTIFACTS / "inbox-viewer.png"))
        await page.keyboard.press("Escape")
        await page.wait_for_selector("[data-test=viewer]:not([open])", state="attached")
        assert await page.evaluate("document.activeElement.dataset.test") == "inbox-view"
        await page.screenshot(path=str(ARTIFACTS / "inbox-list.png"), full_page=True)

        await page.click("[data-test=hangup]")
        await wait_until(lambda: page.evaluate("window.btConsole.state === 'idle'"))
        assert await page.is_disabled("[data-test=mute]")
    finally:
        await loudness.stop()
        await camera.close()
        await screen.close()


async def pinch(page: Any, box: dict[str, float], start: float, end: float) -> None:
    """Two touch points moving apart horizontally from ``start`` to ``end`` px apart."""
    cdp = await page.context.new_cdp_session(page)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    def points(gap: float) -> list[dict[str, float]]:
        return [{"x": cx - gap / 2, "y": cy, "id": 1}, {"x": cx + gap / 2, "y": cy, "id": 2}]

    await cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": points(start)})
    for step in range(1, 11):
        gap = start + (end - start) * step / 10
        await cdp.send(
            "Input.dispatchTouchEvent", {"type": "touchMove", "touchPoints": points(gap)}
        )
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    await cdp.detach()


def form_jpeg(width: int, height: int) -> bytes:
    """A JPEG that looks like a form (lines of "text", boxes), so zoom shows in screenshots."""
    from fractions import Fraction

    import av

    page = np.full((height, width, 3), 250, dtype=np.uint8)
    page[40:140, 60 : width - 60] = (31, 95, 174)  # a blue letterhead
    rng = np.random.default_rng(5)
    for row, top in enumerate(range(200, height - 120, 46)):
        left = 60 + (row % 3) * 40
        for _ in range(int(rng.integers(4, 9))):
            word = int(rng.integers(40, 160))
            if left + word > width - 60:
                break
            page[top : top + 18, left : left + word] = 40  # a "word"
            left += word + 18
    page[height - 300 : height - 120, width - 560 : width - 60] = (225, 235, 250)  # a box
    page[height - 300 : height - 296, width - 560 : width - 60] = 60
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuvj420p"
    codec.time_base = Fraction(1, 25)
    frame = av.VideoFrame.from_ndarray(page, format="rgb24").reformat(format="yuvj420p")
    return bytes([*codec.encode(frame), *codec.encode(None)][0])


async def _bigger(page: Any, selector: str, than: float) -> bool:
    return bool(await page.evaluate(SCALE_JS, selector) > than)
