"""The citizen's whole way through the kiosk with real parts: info, waiting, chat, thanks, wipe.

The console runs as its own process, the terminal daemon with aiortc and its button on
gpiozero's MockFactory, Chromium as the caseworker's console page and as the kiosk. The
flow is driven as a citizen drives it (the arcade button, the kiosk page's own requests)
and checked in the daemon, whose coordinator owns every screen; in the page only the
stable hooks of docs/kiosk-api.md are used. The idle timeout is shortened to 3 s here.
"""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, World
from tests.e2e.harness import frames_decoded, login, running_terminal, wait_for
from tests.e2e.test_call import press

pytestmark = pytest.mark.e2e

IDLE_TIMEOUT_S = 3.0
POST_JS = """async ([path, body]) => {
  const r = await fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'},
                               body: JSON.stringify(body)});
  return r.status;
}"""


@pytest.fixture(scope="module")
def terminal(world: World) -> Iterator[Any]:
    """The terminal daemon with a short idle timeout."""
    with running_terminal(world.console, world.credential_dir,
                          idle_timeout_s=IDLE_TIMEOUT_S) as running:  # fmt: skip
        yield running


@pytest.fixture(scope="module")
def pages(world: World, terminal: Any, browser: Any) -> dict[str, Any]:
    """Caseworker A and the kiosk screen."""
    anna = browser.new_context().new_page()
    login(anna, world.console.url, "anna", PASSWORD)
    kiosk = browser.new_context().new_page()
    kiosk.goto(f"http://127.0.0.1:{terminal.kiosk_port}/")
    wait_for(lambda: terminal.coordinator.state == "idle", 10, what="terminal idle")
    kiosk.wait_for_selector('[data-test=state][data-state="idle"]')
    return {"anna": anna, "kiosk": kiosk}


def self_view_parts(port: int) -> tuple[bytes, bytes]:
    """The first and the fifth JPEG of the live self-view stream (as an <img> reads it)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/self-view", timeout=5) as resp:
        assert resp.headers.get_content_type() == "multipart/x-mixed-replace"
        jpegs = []
        for _ in range(5):
            head = b""
            while not head.endswith(b"\r\n\r\n"):
                head += resp.read(1)
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            jpegs.append(resp.read(length))
            resp.read(2)
    return jpegs[0], jpegs[-1]


def screen(terminal: Any) -> str:
    return str(terminal.coordinator.view.shown)


def test_info_wait_call_chat_thanks_and_wipe(
    pages: dict[str, Any], terminal: Any, artifacts: Any
) -> None:
    anna, kiosk = pages["anna"], pages["kiosk"]
    coordinator = terminal.coordinator
    wait_for(lambda: coordinator.view.office is not None, 10, what="office status from console")
    press(terminal)
    wait_for(lambda: screen(terminal) == "info", 5, what="info screen")
    kiosk.screenshot(path=artifacts / "citizen-info.png")
    assert not terminal.camera.capturing
    assert kiosk.evaluate(POST_JS, ["/api/activity", {}]) == 202  # the page's own origin
    assert kiosk.evaluate(POST_JS, ["/api/continue", {"language": "uk"}]) == 202
    wait_for(lambda: screen(terminal) == "waiting", 5, what="waiting screen")
    wait_for(lambda: terminal.camera.capturing, 5, what="camera on after continue")
    wait_for(lambda: coordinator.view.position == 1, 5, what="queued at position 1")
    assert "estimated_wait_s" in terminal.bridge.snapshot()  # None until answer times exist
    anna.wait_for_selector("[data-test=queue-item]", timeout=5_000)
    kiosk.wait_for_selector('[data-test=state][data-state="queued"]', timeout=5_000)

    anna.click("[data-test=queue-item] [data-test=answer]")
    wait_for(lambda: screen(terminal) == "in-call", 10, what="in call")
    wait_for(lambda: frames_decoded(kiosk, "window.btKiosk.pc") > 0, 15, what="kiosk frames")

    # Chat both ways: the citizen through the kiosk API, the caseworker in the console page.
    assert kiosk.evaluate(POST_JS, ["/api/chat", {"text": "Добрий день"}]) == 202
    anna.wait_for_selector("[data-test=chat-line][data-sender=citizen]", timeout=5_000)
    assert "Добрий день" in anna.inner_text("[data-test=chat-line][data-sender=citizen]")
    anna.fill("[data-test=chat-input]", "Guten Tag, wie kann ich helfen?")
    anna.press("[data-test=chat-input]", "Enter")
    wait_for(lambda: len(coordinator.view.chat) == 2, 5, what="caseworker's line at the kiosk")
    assert [(c.sender, c.text) for c in coordinator.view.chat] == [
        ("citizen", "Добрий день"),
        ("caseworker", "Guten Tag, wie kann ich helfen?"),
    ]
    wait_for(lambda: terminal.bridge.self_view.active, 5, what="self-view active")
    first, later = self_view_parts(terminal.kiosk_port)
    assert first.startswith(b"\xff\xd8") and later.startswith(b"\xff\xd8") and first != later
    kiosk.screenshot(path=artifacts / "citizen-in-call-chat.png")

    anna.click("[data-test=hangup]")
    wait_for(lambda: screen(terminal) == "thanks", 5, what="thanks screen")
    assert terminal.bridge.snapshot()["chat"] == []
    wait_for(lambda: screen(terminal) == "welcome", 10, what="welcome after thanks")
    assert coordinator.desk.session.empty
    snapshot = terminal.bridge.snapshot()
    assert snapshot["chat"] == [] and snapshot["photo"] is None and snapshot["callback"] is None
    wait_for(lambda: not terminal.camera.capturing, 5, what="camera off after the call")
    kiosk.wait_for_selector('[data-test=state][data-state="idle"]', timeout=10_000)


def test_idle_timeout_on_info_wipes_everything(pages: dict[str, Any], terminal: Any) -> None:
    kiosk = pages["kiosk"]
    coordinator = terminal.coordinator
    press(terminal)
    wait_for(lambda: screen(terminal) == "info", 5, what="info screen")
    started = time.monotonic()
    time.sleep(1.5)
    assert kiosk.evaluate(POST_JS, ["/api/activity", {}]) == 202  # a touch: timer restarts
    touched = time.monotonic()
    wait_for(lambda: screen(terminal) == "welcome", IDLE_TIMEOUT_S + 5, what="idle wipe")
    after_touch = time.monotonic() - touched
    assert after_touch > IDLE_TIMEOUT_S - 0.5, "wiped before the idle timeout"
    assert coordinator.desk.session.empty
    snapshot = terminal.bridge.snapshot()
    assert snapshot["chat"] == [] and snapshot["photo"] is None and snapshot["callback"] is None
    assert not terminal.camera.capturing  # it never started: nobody continued
    kiosk.wait_for_selector('[data-test=state][data-state="idle"]', timeout=5_000)
    print(
        f"\ninfo wiped {time.monotonic() - started:.1f} s after it opened, "
        f"{after_touch:.1f} s after the last touch (idle_timeout_s {IDLE_TIMEOUT_S})"
    )
