"""The citizen's whole way with the keyboard alone, on the real system.

Real console process, real terminal daemon, the real kiosk page and the caseworker's
page in Debian's Chromium: choose a language, call, confirm the information screen,
wait, talk and chat with the caseworker, hang up, and find everything of the citizen
wiped from the page and from the daemon afterwards. Then the idle timeout wipes a
citizen who walked away from the information screen.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import PASSWORD, World
from tests.e2e.harness import frames_decoded, login, wait_for
from tests.kiosk.test_flow import tab_to

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def terminal(world: World) -> Any:
    """The daemon with a short idle timeout, so the walk-away test is quick."""
    from tests.e2e.harness import running_terminal

    with running_terminal(world.console, world.credential_dir, idle_timeout_s=4.0) as running:
        yield running


def screen(kiosk: Any) -> str:
    return str(kiosk.get_attribute("[data-test=state]", "data-screen"))


def test_keyboard_only_call_with_chat_then_everything_wiped(
    world: World, terminal: Any, browser: Any
) -> None:
    anna = browser.new_context().new_page()
    login(anna, world.console.url, "anna", PASSWORD)
    kiosk = browser.new_context().new_page()
    kiosk.goto(f"http://127.0.0.1:{terminal.kiosk_port}/")
    kiosk.wait_for_selector('[data-test=state][data-screen="welcome"]')

    tab_to(kiosk, "language")
    kiosk.keyboard.press("Enter")
    tab_to(kiosk, "lang-en")
    kiosk.keyboard.press("Enter")
    kiosk.wait_for_function("window.btKiosk.language === 'en'")
    tab_to(kiosk, "call")
    kiosk.keyboard.press("Enter")
    kiosk.wait_for_selector('[data-test=state][data-screen="info"]')
    assert not terminal.camera.capturing, "camera started before the citizen continued"
    tab_to(kiosk, "continue")
    kiosk.keyboard.press("Enter")
    kiosk.wait_for_selector('[data-test=state][data-screen="waiting"]')

    item = anna.wait_for_selector("[data-test=queue-item]", timeout=5_000)
    assert "Englisch" in item.inner_text(), "the caseworker sees the citizen's language"
    anna.click("[data-test=queue-item] [data-test=answer]")
    kiosk.wait_for_selector('[data-test=state][data-screen="in-call"]', timeout=10_000)
    assert "Englisch" in anna.inner_text("[data-test=call-language]")
    wait_for(lambda: frames_decoded(kiosk, "window.btKiosk.pc") > 0, 15, what="kiosk frames")
    wait_for(lambda: frames_decoded(anna, "window.btConsole.pcs.camera") > 0, 15, what="cw frames")

    tab_to(kiosk, "chat-input")
    kiosk.keyboard.type("I need a new passport")
    kiosk.keyboard.press("Enter")
    # Polled from Python: the console page's CSP (script-src 'self') forbids the eval
    # that Playwright's wait_for_function uses for its repeated checks.
    wait_for(lambda: "I need a new passport" in anna.inner_text("[data-test=chat-log]"), 10,
             what="the caseworker sees the citizen's chat line")  # fmt: skip
    anna.fill("[data-test=chat-input]", "Bitte halten Sie Ihren alten Ausweis in die Kamera.")
    anna.click("[data-test=chat-send]")
    wait_for(lambda: "alten Ausweis" in kiosk.inner_text("[data-test=chat-log]"), 10,
             what="the citizen sees the caseworker's chat line")  # fmt: skip
    assert len(terminal.coordinator.view.chat) == 2

    tab_to(kiosk, "hangup")
    kiosk.keyboard.press("Enter")
    anna.wait_for_selector('[data-test=call-state][data-state="idle"]', timeout=10_000)
    kiosk.wait_for_selector('[data-test=state][data-screen="welcome"]', timeout=15_000)

    # Wiped in the page ...
    assert kiosk.evaluate("window.btKiosk.language") == "de"
    assert kiosk.inner_text("[data-test=chat-log]").strip() == ""
    assert kiosk.evaluate("window.btKiosk.pc") is None
    assert kiosk.locator("[data-test=self-view]").count() == 0
    # ... and in the daemon.
    view = terminal.coordinator.view
    assert (view.shown, view.chat, view.photo, view.callback) == ("welcome", (), None, None)
    assert not terminal.camera.capturing, "camera still running after the call"
    assert anna.inner_text("[data-test=chat-log]").strip() == "", "caseworker's chat cleared"


def test_walking_away_from_the_information_screen_wipes_it(terminal: Any, browser: Any) -> None:
    kiosk = browser.new_context().new_page()
    kiosk.goto(f"http://127.0.0.1:{terminal.kiosk_port}/")
    kiosk.wait_for_selector('[data-test=state][data-screen="welcome"]')
    kiosk.click('[data-test="language"]')
    kiosk.click('[data-test="lang-tr"]')
    kiosk.click("[data-test=call]")
    kiosk.wait_for_selector('[data-test=state][data-screen="info"]')
    # Nobody touches anything: after idle_timeout_s (4 s) the daemon wipes and shows welcome.
    kiosk.wait_for_selector('[data-test=state][data-screen="welcome"]', timeout=15_000)
    assert terminal.coordinator.view.shown == "welcome"
    assert kiosk.evaluate("window.btKiosk.language") == "de"
