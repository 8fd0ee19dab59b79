"""The citizen's way through the page: keyboard only, the intents posted, wiping, RTL, idle.

The scripted bridge records every POST, so these tests see exactly what the page asks
of the daemon; the test then publishes the screen the daemon would show next.
"""

from __future__ import annotations

from typing import Any

from tests.kiosk.conftest import ARTIFACTS, VIEWPORT, show
from tests.kiosk.harness import Kiosk, snapshot


def tab_to(page: Any, test_name: str, limit: int = 30) -> None:
    """Press Tab until the element data-test=test_name has the focus."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if (
            page.evaluate("document.activeElement && document.activeElement.dataset.test")
            == test_name
        ):
            return
    raise AssertionError(f"{test_name} not reachable with Tab")


def test_keyboard_only_from_welcome_to_call_and_hang_up(page: Any, kiosk: Kiosk) -> None:
    # choose English with the keyboard
    tab_to(page, "language")
    page.keyboard.press("Enter")
    tab_to(page, "lang-en")
    page.keyboard.press("Space")
    page.wait_for_function("window.btKiosk.language === 'en'")
    assert page.evaluate("document.activeElement.dataset.test") == "language"

    tab_to(page, "call")
    page.keyboard.press("Enter")
    assert kiosk.wait_posted("/api/call") == {}
    show(kiosk, page, snapshot("info"))
    assert page.evaluate("document.activeElement.id") == "h-info", "focus moves to the heading"
    tab_to(page, "continue")
    page.keyboard.press("Space")
    assert kiosk.wait_posted("/api/continue") == {"language": "en"}

    show(kiosk, page, snapshot("waiting"))
    assert "number 2" in page.inner_text('[data-test="position"]')
    assert "3 minutes" in page.inner_text('[data-test="estimated-wait"]')
    show(kiosk, page, snapshot("in-call", chat=[]))
    assert page.locator('[data-test="self-view"]').count() == 1
    tab_to(page, "chat-input")
    page.keyboard.type("Hello, I need a passport")
    page.keyboard.press("Enter")
    assert kiosk.wait_posted("/api/chat") == {"text": "Hello, I need a passport"}
    tab_to(page, "volume")
    page.keyboard.press("ArrowLeft")
    assert page.evaluate("document.querySelector('[data-test=remote-video]').volume") == 0.7
    tab_to(page, "hangup")
    page.keyboard.press("Enter")
    assert kiosk.wait_posted("/api/hangup") == {}
    show(kiosk, page, snapshot("thanks"))
    assert page.locator('[data-test="self-view"]').count() == 0, (
        "own picture removed after the call"
    )
    show(kiosk, page, snapshot("welcome"))
    assert page.evaluate("document.documentElement.lang") == "de"


def test_callback_form_validates_and_sends(page: Any, kiosk: Kiosk) -> None:
    show(kiosk, page, snapshot("waiting"))
    show(kiosk, page, snapshot("no-answer"))
    assert not page.is_visible('[data-test="callback-form"]')
    page.click('[data-test="offer-callback"]')
    assert page.is_visible('[data-test="callback-form"]')
    assert page.evaluate("document.activeElement.dataset.test") == "callback-name"
    page.fill('[data-test="callback-name"]', "Erika Mustermann")
    page.fill('[data-test="callback-phone"]', "abc")
    page.click('[data-test="callback-send"]')
    assert page.is_visible('[data-test="callback-phone-error"]')
    assert not page.is_visible('[data-test="callback-name-error"]')
    assert page.get_attribute('[data-test="callback-phone"]', "aria-invalid") == "true"
    assert page.evaluate("document.activeElement.dataset.test") == "callback-phone"
    assert kiosk.posted("/api/callback") == []
    page.fill('[data-test="callback-phone"]', "0351 123456")
    page.click('[data-test="callback-send"]')
    body = kiosk.wait_posted("/api/callback")
    assert body == {"name": "Erika Mustermann", "phone": "0351 123456", "language": "de",
                    "reason": "no_answer"}  # fmt: skip
    show(kiosk, page, snapshot("no-answer", callback="sending"))
    assert "gesendet" in page.inner_text('[data-test="callback-status"]')
    show(kiosk, page, snapshot("callback-sent"))
    page.click('[data-test="callback-sent-done"]')
    kiosk.wait_posted("/api/reset")

    show(kiosk, page, snapshot("closed"))
    page.click('[data-test="hangup"]')
    kiosk.wait_posted("/api/hangup")
    assert page.get_attribute('[data-test="callback-phone"]', "type") == "tel"
    assert page.get_attribute('[data-test="callback-phone"]', "inputmode") == "tel"


def test_welcome_wipes_everything_of_the_last_citizen(page: Any, kiosk: Kiosk) -> None:
    page.click('[data-test="language"]')
    page.click('[data-test="lang-ar"]')
    page.click('[data-test="text-size"]')
    show(kiosk, page, snapshot("in-call"))
    page.fill('[data-test="chat-input"]', "half typed")
    assert page.locator('[data-test="chat-log"] p').count() == 2
    assert page.get_attribute('[data-test="photo-preview"]', "src") == "/api/photo?n=1"
    show(kiosk, page, snapshot("closed"))
    page.fill('[data-test="callback-name"]', "Erika")
    page.fill('[data-test="callback-phone"]', "0351 1")
    show(kiosk, page, snapshot("welcome"))
    assert page.evaluate("document.documentElement.lang") == "de"
    assert page.evaluate("document.documentElement.dir") == "ltr"
    assert page.evaluate("window.btKiosk.language") == "de"
    assert page.evaluate("document.documentElement.dataset.textSize") == "100"
    assert page.locator('[data-test="chat-log"] p').count() == 0
    assert page.input_value('[data-test="chat-input"]') == ""
    assert page.input_value('[data-test="callback-name"]') == ""
    assert page.input_value('[data-test="callback-phone"]') == ""
    assert page.get_attribute('[data-test="photo-preview"]', "src") is None
    assert page.locator('[data-test="self-view"]').count() == 0


def test_nothing_in_browser_storage_and_nothing_from_elsewhere(page: Any, kiosk: Kiosk) -> None:
    page.click('[data-test="language"]')
    page.click('[data-test="lang-uk"]')
    page.wait_for_function("window.btKiosk.language === 'uk'")
    show(kiosk, page, snapshot("closed"))
    page.fill('[data-test="callback-name"]', "Олена")
    show(kiosk, page, snapshot("in-call"))
    storage = page.evaluate(
        """async () => ({
          local: localStorage.length, session: sessionStorage.length, cookie: document.cookie,
          idb: (await indexedDB.databases()).length,
          caches: 'caches' in window ? (await caches.keys()).length : 0,
        })"""
    )
    assert storage == {"local": 0, "session": 0, "cookie": "", "idb": 0, "caches": 0}
    assert page.context.cookies() == []
    origin = kiosk.url.rstrip("/")
    foreign = [
        u for u in page.requests_seen if not u.startswith(origin) and not u.startswith("data:")
    ]
    assert foreign == []
    show(kiosk, page, snapshot("welcome"))


def test_arabic_is_right_to_left(page: Any, kiosk: Kiosk) -> None:
    page.click('[data-test="language"]')
    page.click('[data-test="lang-ar"]')
    page.wait_for_function("window.btKiosk.language === 'ar'")
    assert page.evaluate("document.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    assert page.evaluate("getComputedStyle(document.body).direction") == "rtl"
    call = page.locator('[data-test="call"]').bounding_box()
    office = page.locator('[data-test="office-hours"]').bounding_box()
    assert call["x"] > office["x"], "the first column (call button) is on the right"
    assert page.get_attribute('[data-test="lang-ar"]', "dir") == "rtl"
    assert page.get_attribute('[data-test="lang-uk"]', "lang") == "uk"
    assert page.get_attribute('[data-test="lang-ls"]', "lang") == "de"
    show(kiosk, page, snapshot("offline"))
    assert page.get_attribute('[data-test="office-phone"]', "dir") == "ltr", (
        "phone digits stay in order"
    )
    show(kiosk, page, snapshot("welcome"))
    assert page.evaluate("document.dir") == "ltr"


def test_hang_up_stays_on_screen_of_the_touch_display_2(page: Any, kiosk: Kiosk) -> None:
    # Raspberry Pi Touch Display 2 in landscape: 1280x720, with a long chat.
    page.set_viewport_size({"width": 1280, "height": 720})
    try:
        lines = [{"sender": "caseworker", "text": f"Zeile {n}", "at": 0.0} for n in range(15)]
        show(kiosk, page, snapshot("in-call", chat=lines))
        box = page.locator('[data-test="hangup"]').bounding_box()
        assert box is not None
        assert box["y"] >= 0 and box["y"] + box["height"] <= 720, f"hang-up off screen: {box}"
        page.screenshot(path=str(ARTIFACTS / "de" / "in-call-1280x720.png"))
    finally:
        page.set_viewport_size(VIEWPORT)


def test_no_context_menu(page: Any, kiosk: Kiosk) -> None:
    prevented = page.evaluate(
        """() => !document.querySelector('[data-test="call"]').dispatchEvent(
             new MouseEvent('contextmenu', {bubbles: true, cancelable: true}))"""
    )
    assert prevented, "a long press or right click must not open Chromium's context menu"


def test_idle_warning_lets_the_citizen_stay(page: Any, kiosk: Kiosk) -> None:
    show(kiosk, page, snapshot("info", idle_timeout_s=3))
    page.wait_for_selector('[data-test="still-here"]', state="visible", timeout=5_000)
    assert page.evaluate("document.activeElement.dataset.test") == "still-here"
    assert page.evaluate("document.querySelector('main').inert"), "the rest waits behind the dialog"
    kiosk.clear()
    page.keyboard.press("Enter")
    kiosk.wait_posted("/api/activity")
    assert not page.is_visible('[data-test="still-here"]')
    # waiting and in-call never time out
    show(kiosk, page, snapshot("waiting", idle_timeout_s=1))
    page.wait_for_timeout(1500)
    assert not page.is_visible('[data-test="still-here"]')


def test_activity_is_posted_at_most_every_five_seconds(page: Any, kiosk: Kiosk) -> None:
    show(kiosk, page, snapshot("info"))
    kiosk.clear()
    for _ in range(30):  # touches every 0.25 s until one is posted (the last post may be recent)
        page.mouse.click(5, 700)
        if kiosk.posted("/api/activity"):
            break
        page.wait_for_timeout(250)
    assert len(kiosk.posted("/api/activity")) == 1
    for _ in range(8):
        page.mouse.click(5, 700)
        page.keyboard.press("Shift")
        page.wait_for_timeout(120)
    assert len(kiosk.posted("/api/activity")) == 1, "throttled to one post per 5 s"


def test_notices_and_print_status_in_the_chosen_language(page: Any, kiosk: Kiosk) -> None:
    page.click('[data-test="language"]')
    page.click('[data-test="lang-tr"]')
    page.wait_for_function("window.btKiosk.language === 'tr'")
    show(kiosk, page, snapshot("in-call", print={"status": "done", "message": ""}))
    assert "Belgeniz" in page.inner_text('[data-test="print-status"]')
    kiosk.bridge.send_notice("Foto gesendet")
    page.wait_for_selector('[data-test="notice"]', state="visible")
    assert page.inner_text('[data-test="notice"]') == "Fotoğraf gönderildi"
    show(kiosk, page, snapshot("in-call", photo=None, print=None))
    assert not page.is_visible('[data-test="photo-preview"]')
    assert not page.is_visible('[data-test="print-status"]')
    show(kiosk, page, snapshot("welcome"))


def test_toolbar_toggles(page: Any, kiosk: Kiosk) -> None:
    sizes = []
    for _ in range(3):
        page.click('[data-test="text-size"]')
        sizes.append(page.evaluate("document.documentElement.dataset.textSize"))
    assert sizes == ["150", "200", "100"]
    page.click('[data-test="contrast"]')
    assert page.evaluate("document.documentElement.dataset.contrast") == "high"
    speech = page.locator('[data-test="speech"]')
    assert speech.get_attribute("aria-pressed") == "false", "spoken prompts are off by default"
    speech.click()
    assert speech.get_attribute("aria-pressed") == "true"
    show(kiosk, page, snapshot("offline"))
    show(kiosk, page, snapshot("welcome"))
    assert page.evaluate("document.documentElement.dataset.contrast") == "normal"
    assert speech.get_attribute("aria-pressed") == "false"
