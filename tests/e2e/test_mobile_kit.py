"""A mobile kit end to end: a one-time code, staff sign-in on the kit, a specialist's call.

Real parts only: the console as its own process, the terminal daemon as ``bt-terminal run``
in the mobile profile (enrolled with ``bt-console add-terminal --mobile``), Debian's
Chromium as the kit's screen and as two caseworkers' browsers. Karl creates a code for a
mobile kit at his console page and types it on the kit's keypad; the kit calls a queue;
Anna sees "Karl on site" and answers; video decodes both ways; she hangs up; Karl signs
out. Screenshots of the sign-in and the staff home go to test-artifacts/e2e/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import (
    PASSWORD,
    Console,
    chromium,
    enroll_terminal,
    frames_decoded,
    login,
    seed_console,
    wait_for,
)
from tests.e2e.terminal_process import TerminalProcess

pytestmark = pytest.mark.e2e

CAMERA_PC = "window.btConsole.pcs.camera"
KIOSK_PC = "window.btKiosk.pc"


@pytest.fixture(scope="module")
def kit(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TerminalProcess]:
    """A console with Adorf (anna, karl) and Bedorf, and a mobile kit of Adorf running."""
    base = tmp_path_factory.mktemp("kit")
    console = Console(base / "console", heartbeat_s=2.0)
    seed_console(console)
    console.cli("add-caseworker", "--municipality", "Adorf", "--display-name", "Karl Klein",
                "karl", password=PASSWORD)  # fmt: skip
    out = console.cli("add-terminal", "--mobile", "--municipality", "Adorf", "Koffer Adorf")
    console.start()
    enroll_terminal(console, out.splitlines()[-1], base / "kit")
    process = TerminalProcess(console, base / "kit", extra_env={"BT_TERMINAL_PROFILE": "mobile"})
    try:
        process.start()
        yield process
    finally:
        process.stop()
        console.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with chromium() as instance:
        yield instance


def screen(page: Any) -> str:
    return str(page.get_attribute("[data-test=state]", "data-screen"))


def test_staff_signs_in_with_a_code_and_calls_a_specialist(
    kit: TerminalProcess, browser: Any, artifacts: Path
) -> None:
    console_url = kit.console.url
    anna = browser.new_context().new_page()
    login(anna, console_url, "anna", PASSWORD)
    karl = browser.new_context().new_page()
    login(karl, console_url, "karl", PASSWORD)
    screen_ = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
    screen_.goto(kit.kiosk_url + "/")
    screen_.wait_for_function("window.btKiosk && window.btKiosk.screen === 'staff-signin'",
                              timeout=10_000)  # fmt: skip
    # The kit cannot call while nobody is signed in: not even through its own API.
    kit.intent("/api/staff/call", {"queue_id": 1})
    assert kit.state() == "idle" and screen(screen_) == "staff-signin"
    screen_.screenshot(path=str(artifacts / "kit-staff-signin.png"))

    karl.click("[data-test=kit-code-new]")
    karl.wait_for_selector("[data-test=kit-code-digits]")
    code = karl.inner_text("[data-test=kit-code-digits]").replace(" ", "")
    assert len(code) == 8 and code.isdigit()
    for digit in code:
        screen_.click(f"[data-test=key-{digit}]")
    clicked = time.monotonic()
    screen_.click("[data-test=staff-code-signin]")
    screen_.wait_for_function("window.btKiosk.screen === 'staff-home'", timeout=10_000)
    signin_ms = (time.monotonic() - clicked) * 1000
    assert screen_.inner_text("[data-test=staff-name]") == "Angemeldet: Karl Klein"
    assert screen_.input_value("[data-test=staff-code]") == ""
    screen_.screenshot(path=str(artifacts / "kit-staff-home.png"))

    queues = screen_.locator("[data-test=staff-queue]")
    assert queues.count() == 1  # Adorf's queue only, not Bedorf's
    queues.first.click()
    item = anna.wait_for_selector("[data-test=queue-item]", timeout=10_000)
    assert "Koffer Adorf" in item.inner_text()
    assert anna.inner_text("[data-test=queue-kit-staff]") == "Mobiler Koffer · Karl Klein vor Ort"
    answered = time.monotonic()
    anna.click("[data-test=queue-item] [data-test=answer]")
    wait_for(lambda: frames_decoded(anna, CAMERA_PC) > 0, 15, 0.02, "caseworker decodes the kit")
    wait_for(lambda: frames_decoded(screen_, KIOSK_PC) > 0, 15, 0.02, "kit decodes the caseworker")
    both_ms = (time.monotonic() - answered) * 1000
    print(f"\nkit: code sign-in to staff home {signin_ms:.0f} ms; "
          f"answer to frames decoded both ways {both_ms:.0f} ms")  # fmt: skip
    assert kit.state() == "in-call"
    assert anna.inner_text("[data-test=call-kit-staff]") == "Mobiler Koffer · Karl Klein vor Ort"
    anna.screenshot(path=str(artifacts / "kit-caseworker-in-call.png"))

    anna.click("[data-test=hangup]")
    screen_.wait_for_function("window.btKiosk.screen === 'staff-home'", timeout=15_000)
    screen_.click("[data-test=staff-signout]")
    screen_.wait_for_function("window.btKiosk.screen === 'staff-signin'", timeout=10_000)
    # Signed out means signed out: the same code does not sign anyone in again.
    for digit in code:
        screen_.click(f"[data-test=key-{digit}]")
    screen_.click("[data-test=staff-code-signin]")
    screen_.wait_for_selector("[data-test=staff-error]:not([hidden])", timeout=10_000)
    assert screen(screen_) == "staff-signin"
    for log in (kit.data_dir / "terminal.log", kit.console.data_dir / "console.log"):
        assert code not in log.read_text(errors="replace"), f"the code is in {log.name}"
