"""A whole call on one machine: button, info screen, queue, answer, media, hang up, restart.

Real parts only: the console as its own process, the terminal daemon with aiortc
(its button on gpiozero's MockFactory), Debian's Chromium as the caseworker's
browser and as the kiosk screen. The figures the issue asks for are printed
(run with ``-s``); ``bench/call_setup.py`` measures them over many calls.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, World
from tests.e2e.harness import frames_decoded, get_json, login, wait_for

pytestmark = pytest.mark.e2e

CAMERA_PC = "window.btConsole.pcs.camera"
KIOSK_PC = "window.btKiosk.pc"


@pytest.fixture(scope="module")
def pages(world: World, terminal: Any, browser: Any) -> dict[str, Any]:
    """Caseworker A, caseworker B (another municipality) and the kiosk screen."""
    anna = browser.new_context().new_page()
    login(anna, world.console.url, "anna", PASSWORD)
    bert = browser.new_context().new_page()
    login(bert, world.console.url, "bert", PASSWORD)
    kiosk = browser.new_context().new_page()
    kiosk.goto(f"http://127.0.0.1:{terminal.kiosk_port}/")
    wait_for(lambda: terminal.coordinator.state == "idle", 10, what="terminal idle")
    kiosk.wait_for_selector('[data-test=state][data-state="idle"]')
    return {"anna": anna, "bert": bert, "kiosk": kiosk}


def press(terminal: Any, hold_s: float = 0.15) -> float:
    """Press the terminal's call button through MockFactory as a person would; return when.

    A pause first: edges within the button's 50 ms debounce time of the last one are
    contact bounce, and no hand presses again that fast.
    """
    pin = terminal.button.pin
    time.sleep(0.1)
    started = time.monotonic()
    pin.drive_low()
    time.sleep(hold_s)
    pin.drive_high()
    return started


def request_call(terminal: Any) -> float:
    """Press once (``info``), then again to continue: the call is requested; return when."""
    press(terminal)
    wait_for(lambda: terminal.coordinator.view.screen == "info", 5, what="info screen")
    assert not terminal.camera.capturing, "the camera started before the citizen continued"
    return press(terminal)


def kiosk_state(kiosk: Any) -> str:
    return str(kiosk.get_attribute("[data-test=state]", "data-state"))


def video_playing(page: Any) -> bool:
    """The page's remote <video> has a picture and its clock advances."""
    script = """async () => {
      const v = document.querySelector('[data-test="remote-video"]');
      if (!v || v.readyState < 2 || v.paused || v.videoWidth === 0) return false;
      const t0 = v.currentTime;
      await new Promise((r) => setTimeout(r, 300));
      return v.currentTime > t0;
    }"""
    return bool(page.evaluate(script))


def answer_and_connect(pages: dict[str, Any], terminal: Any) -> dict[str, float]:
    """Answer the waiting call as caseworker A; wait for frames both ways; return timings."""
    anna, kiosk = pages["anna"], pages["kiosk"]
    clicked = time.monotonic()
    anna.click("[data-test=queue-item] [data-test=answer]")
    wait_for(lambda: frames_decoded(anna, CAMERA_PC) > 0, 15, 0.02, "caseworker decodes frames")
    to_caseworker = time.monotonic() - clicked
    wait_for(lambda: frames_decoded(kiosk, KIOSK_PC) > 0, 15, 0.02, "kiosk decodes frames")
    to_kiosk = time.monotonic() - clicked
    wait_for(lambda: terminal.coordinator.state == "in-call", 5, what="terminal in call")
    return {"answer_to_caseworker_frame_ms": to_caseworker * 1000,
            "answer_to_kiosk_frame_ms": to_kiosk * 1000}  # fmt: skip


def assert_media_flows_both_ways(pages: dict[str, Any], terminal: Any) -> None:
    anna, kiosk = pages["anna"], pages["kiosk"]
    seen = (frames_decoded(anna, CAMERA_PC), frames_decoded(kiosk, KIOSK_PC),
            terminal.frames_sent)  # fmt: skip
    wait_for(lambda: terminal.remote_frames_decoded > 0, 5, what="kiosk reports frames")
    reported = terminal.remote_frames_decoded
    time.sleep(1.5)
    assert frames_decoded(anna, CAMERA_PC) > seen[0], "caseworker stopped decoding"
    assert frames_decoded(kiosk, KIOSK_PC) > seen[1], "kiosk stopped decoding"
    assert terminal.frames_sent > seen[2], "terminal camera stopped sending"
    assert terminal.remote_frames_decoded > reported, "terminal's received-frame counter stuck"
    assert video_playing(kiosk), "kiosk's remote video is not playing"
    assert video_playing(anna), "caseworker's remote video is not playing"


def wait_both_idle(pages: dict[str, Any], terminal: Any) -> None:
    wait_for(lambda: terminal.coordinator.state == "idle", 10, what="terminal idle")
    pages["kiosk"].wait_for_selector('[data-test=state][data-state="idle"]', timeout=10_000)
    pages["anna"].wait_for_selector('[data-test=call-state][data-state="idle"]', timeout=10_000)
    assert pages["kiosk"].evaluate(f"{KIOSK_PC} === null")
    assert pages["anna"].evaluate(f"{CAMERA_PC} === null")


def test_call_hung_up_by_the_caseworker(
    pages: dict[str, Any], terminal: Any, artifacts: Any
) -> None:
    anna, bert, kiosk = pages["anna"], pages["bert"], pages["kiosk"]
    pressed = request_call(terminal)
    anna.wait_for_selector("[data-test=queue-item]", timeout=5_000)
    press_to_queue_ms = (time.monotonic() - pressed) * 1000
    wait_for(lambda: kiosk_state(kiosk) == "queued", 5, what="kiosk shows queued")
    assert "Rathaus Adorf" in anna.inner_text("[data-test=queue-item]")
    # Bedorf's caseworker sees nothing of Adorf's queue.
    assert bert.locator("[data-test=queue-item]").count() == 0
    anna.screenshot(path=artifacts / "console-queue.png")

    timings = answer_and_connect(pages, terminal)
    assert_media_flows_both_ways(pages, terminal)
    assert bert.locator("[data-test=queue-item]").count() == 0
    anna.screenshot(path=artifacts / "console-in-call.png")
    kiosk.screenshot(path=artifacts / "kiosk-in-call.png")
    print(f"\nbutton press -> queue entry on the console: {press_to_queue_ms:.0f} ms")
    for name, value in timings.items():
        print(f"{name}: {value:.0f} ms")

    anna.click("[data-test=hangup]")
    wait_both_idle(pages, terminal)


def test_call_hung_up_at_the_kiosk(pages: dict[str, Any], terminal: Any) -> None:
    anna, kiosk = pages["anna"], pages["kiosk"]
    kiosk.click("[data-test=call]")  # the touch button does what the arcade button does
    kiosk.click("[data-test=continue]")
    anna.wait_for_selector("[data-test=queue-item]", timeout=5_000)
    answer_and_connect(pages, terminal)
    assert_media_flows_both_ways(pages, terminal)
    kiosk.click("[data-test=hangup]")
    wait_both_idle(pages, terminal)


def test_holding_the_button_cancels_a_waiting_call(pages: dict[str, Any], terminal: Any) -> None:
    anna = pages["anna"]
    request_call(terminal)
    anna.wait_for_selector("[data-test=queue-item]", timeout=5_000)
    press(terminal, hold_s=1.5)  # hold_to_cancel_s is 1.0 in this fixture
    anna.wait_for_selector("[data-test=queue-item]", state="detached", timeout=5_000)
    wait_for(lambda: terminal.coordinator.state == "idle", 5, what="terminal idle")


def test_console_restart_while_waiting_requeues_within_5_s(
    world: World, pages: dict[str, Any], terminal: Any
) -> None:
    request_call(terminal)
    wait_for(lambda: terminal.coordinator.view.position == 1, 5, what="queued at position 1")
    world.console.stop()
    wait_for(lambda: terminal.coordinator.state == "offline", 5, what="terminal offline")
    pages["anna"].wait_for_selector("[data-test=queue-item]", state="detached", timeout=5_000)
    restarted = time.monotonic()
    world.console.start()
    wait_for(
        lambda: terminal.coordinator.state == "queued" and terminal.coordinator.view.position,
        5,
        what="queued again",
    )
    requeued_s = time.monotonic() - restarted
    print(f"\nconsole restart -> terminal queued again: {requeued_s * 1000:.0f} ms")
    assert requeued_s < 5.0
    # The caseworker's page dropped the stale queue, reconnects by itself and shows the call again.
    pages["anna"].wait_for_selector('[data-test=link-state][data-state="online"]', timeout=10_000)
    pages["anna"].wait_for_selector("[data-test=queue-item]", timeout=5_000)
    health = get_json(world.console.url + "/healthz")
    assert health["terminals_online"] == 1
    pages["anna"].click("[data-test=queue-item] [data-test=answer]")
    wait_for(lambda: terminal.coordinator.state == "in-call", 10, what="answered after restart")
    pages["anna"].click("[data-test=hangup]")
    wait_both_idle(pages, terminal)
