"""The caseworker page's print controls in Debian's Chromium, against a fake aiortc terminal.

The page must be really in a call (a connected camera leg) before printing is enabled, so
the terminal side answers the media like tests/console/test_page.py does; then the page
uploads a PDF, the fake terminal fetches it with its credential and reports progress, and
the status line follows, in the page's language (printing.po).
"""

from __future__ import annotations

from typing import Any

import aiohttp

from console.config import default_web_dir
from console.i18n import Translations
from protocol.messages import (
    Answered,
    CallRequest,
    PrintRequest,
    PrintStatus,
    Queued,
    RtcAnswer,
    RtcOffer,
)
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import terminal
from tests.console.test_page import page, wait_until
from tests.cupsd import make_pdf

__all__ = ["page"]  # the fixture, imported for pytest


async def test_print_from_the_page(
    page: Any, http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    from aiortc import RTCPeerConnection, RTCSessionDescription
    from aiortc.mediastreams import AudioStreamTrack, VideoStreamTrack

    assert await page.is_disabled("[data-test=print-file]")
    assert await page.is_disabled("[data-test=print]")
    t1, _ = await terminal(http, console, seed.a1)
    await t1.send(CallRequest())
    call_id = (await t1.expect(Queued)).call_id
    await page.locator("[data-test=queue-item]").wait_for()
    await page.click("[data-test=answer]")
    await t1.expect(Answered)
    camera = RTCPeerConnection()
    try:
        camera.addTrack(VideoStreamTrack())
        camera.addTrack(AudioStreamTrack())
        await camera.setLocalDescription(await camera.createOffer())
        await t1.send(RtcOffer(call_id=call_id, leg="camera", sdp=camera.localDescription.sdp))
        answer = await t1.expect(RtcAnswer, wait_s=10)
        await camera.setRemoteDescription(RTCSessionDescription(sdp=answer.sdp, type="answer"))
        await wait_until(lambda: page.evaluate("window.btConsole.state === 'in-call'"), 15)

        pdf = make_pdf()
        assert await page.is_enabled("[data-test=print-file]")
        files = [{"name": "antrag.pdf", "mimeType": "application/pdf", "buffer": pdf}]
        await page.set_input_files("[data-test=print-file]", files=files)
        await page.click("[data-test=print]")
        request = await t1.expect(PrintRequest, wait_s=10)
        assert request.size == len(pdf)
        headers = {"Authorization": f"Bearer {seed.a1}"}
        url = f"{console.base}/api/v1/print-jobs/{request.job_id}"
        async with http.get(url, headers=headers) as resp:
            assert resp.status == 200 and await resp.read() == pdf

        status = page.locator("[data-test=print-status]")
        lang = await page.evaluate("document.documentElement.lang")
        texts = Translations.load(default_web_dir() / "translations")
        for state in ("queued", "printing", "done"):
            await t1.send(PrintStatus(call_id=call_id, job_id=request.job_id, status=state))
            await page.wait_for_selector(f"[data-test=print-status][data-state={state}]")
        assert await status.inner_text() == texts.t(lang, "printing.done")

        await page.set_input_files("[data-test=print-file]", files=files)
        await page.click("[data-test=print]")
        second = await t1.expect(PrintRequest, wait_s=10)
        await t1.send(
            PrintStatus(call_id=call_id, job_id=second.job_id, status="failed", message="x")
        )
        await page.wait_for_selector("[data-test=print-status][data-state=failed]")
        assert await status.inner_text() == texts.t(lang, "printing.failed")

        await page.click("[data-test=hangup]")
        await wait_until(lambda: page.evaluate("window.btConsole.state === 'idle'"))
        assert await page.is_disabled("[data-test=print]")
    finally:
        await camera.close()
