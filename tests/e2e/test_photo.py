"""A document photo in a real call: caseworker clicks, the terminal uploads, the page shows it;
zoom, save into the encrypted case inbox, open it from there; mute the caseworker's microphone.

Real parts only, as in ``test_call.py``: the console process, the terminal daemon with
aiortc and the synthetic camera (its stills are a 1920x1080 test chart), Chromium as the
caseworker's browser and as the kiosk screen. The video must keep running while the still
is taken and uploaded: the caseworker's decoded frames and the camera's sent frames keep
rising during and after the capture. The figures are printed (run with ``-s``). The
caseworker's page is German (``locale="de-DE"``), as the notices asserted below are.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from appliance.parts.camera.synthetic import STILL_HEIGHT, STILL_WIDTH
from tests.e2e.conftest import PASSWORD, World
from tests.e2e.harness import frames_decoded, login, wait_for

pytestmark = pytest.mark.e2e

CAMERA_PC = "window.btConsole.pcs.camera"
KIOSK_PC = "window.btKiosk.pc"

SCALE_JS = """(sel) => Number(document.querySelector(sel).closest('.zoom').dataset.scale || 0)"""
VIEWER_LOADED_JS = """() => {
  const img = document.querySelector('[data-test="viewer-image"]');
  return img && img.complete && img.naturalWidth > 0 ? [img.naturalWidth, img.naturalHeight] : null;
}"""
KIOSK_AUDIO_JS = """async () => {
  const pc = window.btKiosk.pc;
  if (!pc) return null;
  let energy = null;
  (await pc.getStats()).forEach((r) => {
    if (r.type === 'inbound-rtp' && r.kind === 'audio') energy = r.totalAudioEnergy || 0;
  });
  return energy;
}"""
PENDING_WATCH_JS = """() => {
  const box = document.querySelector('[data-test="photo-pending"]');
  window.pendingShown = !box.hidden;
  new MutationObserver(() => { if (!box.hidden) window.pendingShown = true; })
    .observe(box, { attributes: true, attributeFilter: ["hidden"] });
}"""
PREVIEW_LOADED_JS = """() => {
  const img = document.querySelector('[data-test="photo-preview"]');
  return img && img.complete && img.naturalWidth > 0
    ? [img.naturalWidth, img.naturalHeight, img.dataset.width, img.dataset.height] : null;
}"""


@pytest.fixture(scope="module")
def pages(world: World, terminal: Any, browser: Any) -> dict[str, Any]:
    """Caseworker A and the kiosk screen."""
    anna = browser.new_context(locale="de-DE", viewport={"width": 1280, "height": 800}).new_page()
    login(anna, world.console.url, "anna", PASSWORD)
    kiosk = browser.new_context().new_page()
    kiosk.goto(f"http://127.0.0.1:{terminal.kiosk_port}/")
    wait_for(lambda: terminal.coordinator.state == "idle", 10, what="terminal idle")
    kiosk.wait_for_selector('[data-test=state][data-state="idle"]')
    return {"anna": anna, "kiosk": kiosk}


def start_call(pages: dict[str, Any], terminal: Any) -> None:
    anna, kiosk = pages["anna"], pages["kiosk"]
    if anna.is_visible("[data-test=wrap-up-ready]"):  # wrap-up after the previous call
        anna.click("[data-test=wrap-up-ready]")
    kiosk.click("[data-test=call]")
    kiosk.click("[data-test=continue]")
    anna.wait_for_selector("[data-test=queue-item]", timeout=5_000)
    anna.click("[data-test=queue-item] [data-test=answer]")
    wait_for(lambda: frames_decoded(anna, CAMERA_PC) > 0, 15, what="caseworker decodes frames")
    wait_for(lambda: terminal.coordinator.state == "in-call", 5, what="terminal in call")
    anna.wait_for_selector('[data-test=call-state][data-state="in-call"]', timeout=10_000)


def test_document_photo_during_a_call(
    world: World, pages: dict[str, Any], terminal: Any, artifacts: Any
) -> None:
    anna, kiosk = pages["anna"], pages["kiosk"]
    assert anna.is_disabled("[data-test=photo]"), "photo button enabled outside a call"
    start_call(pages, terminal)
    assert anna.is_enabled("[data-test=photo]")

    frames = [frames_decoded(anna, CAMERA_PC)]
    sent = [terminal.frames_sent]
    anna.evaluate(PENDING_WATCH_JS)  # the notice may show for less than a poll on a fast run
    clicked = time.monotonic()
    anna.click("[data-test=photo]")

    def loaded() -> Any:
        frames.append(frames_decoded(anna, CAMERA_PC))
        sent.append(terminal.frames_sent)
        return anna.evaluate(PREVIEW_LOADED_JS)

    natural_w, natural_h, shown_w, shown_h = wait_for(loaded, 15, 0.1, "photo preview loaded")
    click_to_preview_ms = (time.monotonic() - clicked) * 1000
    assert (natural_w, natural_h) == (STILL_WIDTH, STILL_HEIGHT)
    assert (int(shown_w), int(shown_h)) == (STILL_WIDTH, STILL_HEIGHT)
    size_text = anna.inner_text("[data-test=photo-size]")
    assert str(STILL_WIDTH) in size_text and str(STILL_HEIGHT) in size_text
    assert anna.get_attribute("[data-test=photo-open]", "href", timeout=1_000).startswith(
        "/api/v1/photos/"
    )
    anna.wait_for_selector("[data-test=photo-pending]", state="hidden", timeout=2_000)
    assert anna.evaluate("() => window.pendingShown"), "no 'photo requested' notice while waiting"
    kiosk.wait_for_selector("[data-test=notice]:not([hidden])", timeout=5_000)
    # The citizen sees the photo the caseworker got (kept in memory for this call only).
    wait_for(lambda: terminal.coordinator.view.photo is not None, 5, what="kiosk photo preview")
    preview = terminal.coordinator.view.photo
    assert (preview.width, preview.height) == (STILL_WIDTH, STILL_HEIGHT)

    # The video never stopped: frames rose while the still was taken and uploaded, and after.
    assert frames[-1] > frames[0], f"caseworker decoded no frames during the capture: {frames}"
    assert sent[-1] > sent[0], "the terminal's camera stopped sending during the capture"
    after = (frames_decoded(anna, CAMERA_PC), terminal.frames_sent)
    wait_for(lambda: frames_decoded(anna, CAMERA_PC) > after[0] + 10, 5, what="frames after")
    assert terminal.frames_sent > after[1]
    anna.screenshot(path=artifacts / "console-photo.png", full_page=True)
    kiosk.screenshot(path=artifacts / "kiosk-photo-notice.png")
    print(f"\nphoto click -> preview loaded: {click_to_preview_ms:.0f} ms")

    # Zoom in the preview, then keep the photo: encrypted into the case inbox.
    preview = "[data-test=photo-preview]"
    wait_for(lambda: anna.evaluate(SCALE_JS, preview), 5, what="preview fitted")
    fit = anna.evaluate(SCALE_JS, preview)
    anna.click("[data-test=photo-item] [data-test=zoom-in]")
    assert anna.evaluate(SCALE_JS, preview) == pytest.approx(fit * 1.25)
    anna.click("[data-test=photo-save]")
    anna.wait_for_selector("[data-test=photo-saved][data-state=saved]", timeout=5_000)
    item = anna.wait_for_selector("[data-test=inbox-item]", timeout=5_000)
    assert world.terminal_name in item.inner_text()
    anna.click("[data-test=inbox-view]")
    anna.wait_for_selector("[data-test=viewer][open]")
    assert wait_for(lambda: anna.evaluate(VIEWER_LOADED_JS), 5, what="inbox photo loaded") == [
        STILL_WIDTH, STILL_HEIGHT,
    ]  # fmt: skip
    viewer = "[data-test=viewer-image]"
    wait_for(lambda: anna.evaluate(SCALE_JS, viewer), 5, what="viewer fitted")
    viewer_fit = anna.evaluate(SCALE_JS, viewer)
    anna.keyboard.press("+")
    anna.keyboard.press("+")
    assert anna.evaluate(SCALE_JS, viewer) == pytest.approx(viewer_fit * 1.25**2)
    anna.screenshot(path=artifacts / "console-inbox-viewer.png")
    anna.keyboard.press("Escape")
    anna.wait_for_selector("[data-test=viewer]:not([open])", state="attached")

    anna.click("[data-test=hangup]")
    wait_for(lambda: terminal.coordinator.state == "idle", 10, what="terminal idle")
    anna.wait_for_selector('[data-test=call-state][data-state="idle"]', timeout=10_000)
    assert anna.is_disabled("[data-test=photo]")
    assert terminal.coordinator.view.photo is None and terminal.coordinator.desk.session.empty


def test_a_failed_photo_is_reported_to_the_caseworker(pages: dict[str, Any], terminal: Any) -> None:
    from appliance.errors import CameraError

    anna = pages["anna"]
    start_call(pages, terminal)
    assert anna.locator("[data-test=photo-item]").count() == 0, "last call's photos still shown"

    async def broken() -> Any:
        raise CameraError("sensor timeout")

    terminal.camera.capture_still = broken  # the photo tool holds the same camera object
    try:
        anna.click("[data-test=photo]")
        notice = anna.wait_for_selector(
            "[data-test=notice]:has-text('Das Foto hat nicht geklappt')", timeout=10_000
        )
        assert "Kamera" in notice.inner_text()
        anna.wait_for_selector("[data-test=photo-pending]", state="hidden", timeout=2_000)
        assert anna.locator("[data-test=photo-item]").count() == 0
    finally:
        del terminal.camera.capture_still
    anna.click("[data-test=hangup]")
    wait_for(lambda: terminal.coordinator.state == "idle", 10, what="terminal idle")


def test_mute_silences_the_caseworker_at_the_kiosk(
    pages: dict[str, Any], terminal: Any, artifacts: Any
) -> None:
    """Muting stops the caseworker's sound at the citizen's screen; unmuting brings it back."""
    anna, kiosk = pages["anna"], pages["kiosk"]
    start_call(pages, terminal)

    def energy_over(seconds: float) -> float:
        start = wait_for(lambda: kiosk.evaluate(KIOSK_AUDIO_JS) is not None, 10, what="stats")
        start = kiosk.evaluate(KIOSK_AUDIO_JS)
        time.sleep(seconds)
        return float(kiosk.evaluate(KIOSK_AUDIO_JS) - start)

    wait_for(lambda: energy_over(0.5) > 0, 10, 0.1, "the caseworker's microphone at the kiosk")
    loud = energy_over(2.0)
    anna.focus("[data-test=mute]")
    anna.keyboard.press("Enter")
    assert anna.get_attribute("[data-test=mute]", "aria-pressed") == "true"
    assert anna.is_visible("[data-test=mute-badge]")
    time.sleep(0.5)  # sound already on its way
    quiet = energy_over(2.0)  # digital silence; the decoder may add a trace of comfort noise
    assert quiet < loud / 1000, f"muted, yet the kiosk still receives sound: {quiet} vs {loud}"
    print(f"\nkiosk audio energy over 2 s: {loud:.3g} speaking, {quiet:.3g} muted")
    anna.screenshot(path=artifacts / "console-muted.png")
    anna.keyboard.press("Space")
    assert anna.get_attribute("[data-test=mute]", "aria-pressed") == "false"
    wait_for(lambda: energy_over(0.5) > 0, 10, 0.1, "sound after unmuting")
    anna.click("[data-test=hangup]")
    wait_for(lambda: terminal.coordinator.state == "idle", 10, what="terminal idle")
