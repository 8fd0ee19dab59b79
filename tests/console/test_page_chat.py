"""The caseworker page in Chromium: language, chat, callbacks and office status.

The terminal is a protocol-speaking test client (no media): chat works from the moment the
call is assigned, so the page's part is checked without a peer connection. Screenshots go
to test-artifacts/console/.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from console.hours import Schedule, parse_week
from protocol.messages import (
    Answered,
    CallbackAccepted,
    CallbackRequest,
    CallRequest,
    Chat,
    Ended,
    Hangup,
    Queued,
)
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import terminal
from tests.console.test_page import page, wait_until

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
__all__ = ["page"]  # the fixture, imported for use here


async def text_of(page: Any, selector: str) -> str:
    return str(await page.locator(selector).inner_text())


async def test_language_chat_and_wipe(
    page: Any, http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    t1, _ = await terminal(http, console, seed.a1)
    await t1.send(CallRequest(language="uk"))
    call_id = (await t1.expect(Queued)).call_id
    await page.wait_for_selector("[data-test=queue-language]")
    assert await text_of(page, "[data-test=queue-language]") == "Ukrainisch"
    assert await page.is_disabled("[data-test=chat-input]")
    await page.click("[data-test=answer]")
    await t1.expect(Answered)
    await page.wait_for_selector("[data-test=call-language]")
    assert "Sprache: Ukrainisch" in await text_of(page, "[data-test=call-peer]")

    await wait_until(lambda: page.is_enabled("[data-test=chat-input]"))
    await page.fill("[data-test=chat-input]", "Guten Tag, wie kann ich helfen?")
    await page.press("[data-test=chat-input]", "Enter")  # Enter sends
    line = await t1.expect(Chat)
    assert (line.text, line.sender, line.call_id) == (
        "Guten Tag, wie kann ich helfen?",
        "caseworker",
        call_id,
    )
    assert await page.input_value("[data-test=chat-input]") == ""
    await t1.send(Chat(call_id=call_id, text="Добрий день <b>nicht fett</b>"))
    citizen = page.locator("[data-test=chat-line][data-sender=citizen]")
    await citizen.wait_for()
    assert "Добрий день <b>nicht fett</b>" in await citizen.inner_text()  # text, not HTML
    assert await citizen.locator(".chat-text").get_attribute("lang") == "uk"
    await page.fill("[data-test=chat-input]", "Einen Moment bitte.")
    await page.click("[data-test=chat-send]")
    assert (await t1.expect(Chat)).text == "Einen Moment bitte."
    log = page.locator("[data-test=chat-log]")
    assert await log.get_attribute("role") == "log"
    assert await page.locator("[data-test=chat-line]").count() == 3
    assert "Bürger/in" in await log.inner_text() and "Sie" in await log.inner_text()
    await page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)

    await t1.send(Hangup(call_id=call_id))
    await t1.expect(Ended)
    await wait_until(lambda: page.evaluate("window.btConsole.state === 'idle'"))
    assert await page.locator("[data-test=chat-line]").count() == 0  # wiped with the call
    assert await page.is_disabled("[data-test=chat-input]")


async def test_callbacks_and_office_status(
    page: Any, http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    status = page.locator("[data-test=office-status]")
    await status.wait_for()
    assert await status.get_attribute("data-state") == "open"
    t1, _ = await terminal(http, console, seed.a1)
    for n, (name, phone, language, reason) in enumerate(
        [
            ("Erika Muster", "+49 3591 123-45", "ar", "closed"),
            ("Hans Beispiel", "03591 987 65", None, "no_answer"),
        ]
    ):
        await t1.send(
            CallbackRequest(
                request_id=f"r{n}", name=name, phone=phone, language=language, reason=reason
            )
        )
        await t1.expect(CallbackAccepted)
    items = page.locator("[data-test=callback-item]")
    two = "document.querySelectorAll('[data-test=callback-item]').length === 2"
    await wait_until(lambda: page.evaluate(two))
    first = items.nth(0)
    assert await first.locator("[data-test=callback-name]").inner_text() == "Erika Muster"
    phone = first.locator("[data-test=callback-phone]")
    assert await phone.get_attribute("href") == "tel:+49359112345"
    info = await first.locator("[data-test=callback-info]").inner_text()
    assert "Rathaus Aldorf" in info and "Arabisch" in info and "Öffnungszeiten" in info
    assert await first.locator("[data-test=callback-age]").inner_text() == "gerade eben"
    assert await text_of(page, "[data-test=callbacks-count]") == "2"

    # Closing the office (as set-hours would) shows in the header at the next evaluation.
    console.hub.office.set_schedules({1: Schedule(spans=parse_week(["Mo 00:00-00:01"]))})
    console.hub.refresh_office()
    await wait_until(
        lambda: page.evaluate(
            "document.querySelector('[data-test=office-status]').dataset.state === 'closed'"
        )
    )
    assert "öffnet Mo" in await status.inner_text()
    await page.screenshot(path=str(ARTIFACTS / "callbacks.png"), full_page=True)

    await first.locator("[data-test=callback-done]").click()
    await wait_until(
        lambda: page.evaluate(
            "document.querySelector('[data-test=callback-item]').dataset.status === 'done'"
        )
    )
    assert await text_of(page, "[data-test=callbacks-count]") == "1"
    await items.nth(1).locator("[data-test=callback-failed]").click()
    await wait_until(
        lambda: page.evaluate(
            "document.querySelectorAll('[data-test=callback-item][data-status=failed]').length"
        )
    )
    assert await text_of(page, "[data-test=callbacks-count]") == "0"
    assert await items.nth(0).locator("[data-test=callback-done]").count() == 0
