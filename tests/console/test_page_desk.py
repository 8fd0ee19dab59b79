"""The caseworker page's desk in Chromium: presence, offers, wrap-up, transfer, team view.

The page is driven by the console's messages as the protocol defines them; here they are
handed to the page's own message handler (``btConsole.dispatch``) so that each state can be
shown and checked on its own, in German and English, and what the page sends is recorded
instead of reaching the hub. The flows against the real hub are in tests/e2e/
(test_two_caseworkers.py, test_transfer.py, test_wrap_up.py, test_callback_flow.py).
Screenshots (1280x800) go to test-artifacts/console/.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from protocol.messages import Answered, CallRequest, Queued
from tests.browser import async_chromium
from tests.console.conftest import PASSWORD, RunningConsole, Seed, cheap_passwords
from tests.console.helpers import sign_in_page, terminal
from tests.console.test_page import wait_until

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
WCAG = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_RUN = """([include, tags]) => axe.run(
  {include: include.filter((s) => document.querySelector(s)).map((s) => [s])},
  {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})"""
MINE = ["[data-test=desk]", "[data-test=offers]", ".queue-panel", "[data-test=transfer-dialog]",
        ".call-bar"]  # fmt: skip
RECORD_JS = """() => {
  const api = window.btConsole;
  api.sent = [];
  api.send = (msg) => { api.sent.push(msg); return true; };
}"""


PAGE_ERRORS: list[str] = []
"""Uncaught exceptions in any page of the current test (each test must leave none)."""


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    PAGE_ERRORS.clear()
    async with async_chromium() as instance:
        yield instance
    assert PAGE_ERRORS == [], "uncaught errors in the page"


async def signed_in(browser: Any, console: RunningConsole, username: str, locale: str) -> Any:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale=locale)
    page = await context.new_page()
    page.on("pageerror", lambda error: PAGE_ERRORS.append(str(error)))
    await sign_in_page(page, console, username)
    await page.wait_for_selector("[data-test=link-state][data-state=online]")
    return page


async def dispatch(page: Any, msg: dict[str, Any]) -> None:
    await page.evaluate("(m) => window.btConsole.dispatch(m)", msg)


async def sent(page: Any) -> list[dict[str, Any]]:
    return list(await page.evaluate("() => window.btConsole.sent"))


async def axe_violations(page: Any) -> list[str]:
    """WCAG 2.1 A/AA violations in the page's call and desk parts (axe-core from npm)."""
    if not await page.evaluate("typeof axe !== 'undefined'"):
        # Evaluated over CDP: the page's CSP allows no inline script.
        await page.evaluate(AXE.read_text())
    result = await page.evaluate(AXE_RUN, [MINE, WCAG])
    return [
        f"{v['id']}: {v['help']} at {n['target']}" for v in result["violations"] for n in v["nodes"]
    ]


def now() -> float:
    return time.time()


async def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / f"{name}.png"))


def desk_message(me: int) -> dict[str, Any]:
    return {
        "type": "desk",
        "colleagues": [
            {"caseworker_id": me, "name": "Alice Amt", "state": "busy"},
            {"caseworker_id": 9001, "name": "Anton Amt", "state": "available"},
            {"caseworker_id": 9002, "name": "Berta Bürger", "state": "break"},
            {"caseworker_id": 9003, "name": "Clara Conrad", "state": "wrap_up"},
        ],
        "queues": [
            {"queue_id": 1, "name": "Bürgerservice", "office": "Aldorf", "waiting": 0},
            {"queue_id": 2, "name": "Sozialamt", "office": "Außenstelle", "waiting": 2},
        ],
    }


@pytest.mark.parametrize("locale", ["de-DE", "en-US"])
async def test_presence_offer_wrap_up_and_break(
    browser: Any, console: RunningConsole, seed: Seed, locale: str
) -> None:
    lang = locale[:2]
    page = await signed_in(browser, console, "alice", locale)
    await page.evaluate(RECORD_JS)

    await dispatch(page, {"type": "presence", "state": "available", "since": now() - 300})
    presence = page.locator("[data-test=presence]")
    assert await presence.get_attribute("data-state") == "available"
    assert (await presence.inner_text()).startswith("Verfügbar" if lang == "de" else "Available")
    assert await page.get_attribute("[data-test=presence-available]", "aria-pressed") == "true"
    assert await page.is_hidden("[data-test=wrap-up]")
    assert await page.is_hidden("[data-test=presence-hint]")
    await shot(page, f"desk-available-{lang}")

    offer = {"type": "call.offer", "call_id": "c1", "terminal_name": "Rathaus Aldorf",
             "queue_id": 2, "queue_name": "Sozialamt", "language": "uk", "ring_s": 20,
             "transferred_by": "Anton Amt"}  # fmt: skip
    await dispatch(page, offer)
    card = page.locator("[data-test=offer][data-call-id=c1]")
    await card.wait_for()
    text = await card.inner_text()
    assert "Rathaus Aldorf" in text and "Sozialamt" in text and "Anton Amt" in text
    assert ("Ukrainisch" if lang == "de" else "Ukrainian") in text
    countdown = await page.inner_text("[data-test=offer-countdown]")
    assert "20" in countdown or "19" in countdown
    await shot(page, f"desk-offer-{lang}")
    assert (await page.title()).startswith("Eingehender Anruf" if lang == "de" else "Incoming call")
    assert await axe_violations(page) == []
    await page.click("[data-test=offer-decline]")
    assert {"type": "call.decline", "call_id": "c1"} in await sent(page)
    assert await card.count() == 0
    assert not (await page.title()).startswith(("Eingehender", "Incoming"))

    await dispatch(page, {**offer, "call_id": "c2"})
    await page.locator("[data-test=offer][data-call-id=c2]").wait_for()
    await dispatch(page, {"type": "call.offer_ended", "call_id": "c2"})
    assert await page.locator("[data-test=offer]").count() == 0

    until = now() + 42
    await dispatch(page, {"type": "presence", "state": "wrap_up", "since": now(),
                          "wrap_up_until": until})  # fmt: skip
    await page.wait_for_selector("[data-test=wrap-up]:visible")
    left = await page.inner_text("[data-test=wrap-up-left]")
    assert "0:4" in left, left
    await shot(page, f"desk-wrap-up-{lang}")
    assert await axe_violations(page) == []
    await page.click("[data-test=wrap-up-ready]")
    assert (await sent(page))[-1] == {"type": "presence.set", "state": "available"}

    await dispatch(page, {"type": "presence", "state": "break", "since": now()})
    assert await page.get_attribute("[data-test=presence-break]", "aria-pressed") == "true"
    assert await page.is_disabled("[data-test=presence-break]")
    assert await page.is_visible("[data-test=presence-hint]")
    await shot(page, f"desk-break-{lang}")
    await page.click("[data-test=presence-available]")
    assert (await sent(page))[-1] == {"type": "presence.set", "state": "available"}


async def test_queue_shows_service_and_who_transferred_it(
    browser: Any, console: RunningConsole, seed: Seed
) -> None:
    page = await signed_in(browser, console, "alice", "de-DE")
    entry = {"call_id": "q1", "terminal_id": "t", "terminal_name": "Rathaus Aldorf",
             "since": now() - 65, "waited_s": 65, "language": "tr", "queue_id": 2,
             "queue_name": "Sozialamt", "transferred_by": "Anton Amt"}  # fmt: skip
    await dispatch(page, {"type": "queue", "now": now(), "entries": [entry]})
    item = page.locator("[data-test=queue-item]")
    assert await page.inner_text("[data-test=queue-service]") == "Sozialamt"
    assert "Anton Amt" in await page.inner_text("[data-test=queue-transferred-by]")
    assert "Türkisch" in await item.inner_text()
    # Taking a call from the list on purpose is allowed on a break too (it ends the break).
    await dispatch(page, {"type": "presence", "state": "break", "since": now()})
    assert await page.is_enabled("[data-test=answer]")
    await dispatch(page, {"type": "presence", "state": "busy", "since": now()})
    await wait_until(lambda: page.is_disabled("[data-test=answer]"))


@pytest.mark.parametrize("locale", ["de-DE", "en-US"])
async def test_transfer_dialog_lists_available_colleagues_and_queues(
    browser: Any, console: RunningConsole, seed: Seed, http: aiohttp.ClientSession, locale: str
) -> None:
    lang = locale[:2]
    page = await signed_in(browser, console, "alice", locale)
    me = int(await page.get_attribute("main.layout", "data-caseworker-id") or 0)
    assert me > 0
    presence = await page.get_attribute("[data-test=presence]", "data-state")
    if presence and presence != "available":
        await page.click("[data-test=presence-available]")
    t1, _ = await terminal(http, console, seed.a1)
    await t1.send(CallRequest())
    call_id = (await t1.expect(Queued)).call_id
    await page.click("[data-test=queue-item] [data-test=answer]")
    await t1.expect(Answered)
    await wait_until(lambda: page.is_enabled("[data-test=transfer]"))

    await page.evaluate(RECORD_JS)
    await dispatch(page, desk_message(me))
    await page.click("[data-test=transfer]")
    await page.wait_for_selector("[data-test=transfer-dialog]:visible")
    rows = page.locator("[data-test=transfer-colleague]")
    assert await rows.count() == 3, "herself is not a target"
    states = {await rows.nth(i).get_attribute("data-state"): rows.nth(i) for i in range(3)}
    assert await states["available"].locator("button").is_enabled()
    assert await states["break"].locator("button").is_disabled()
    assert await states["wrap_up"].locator("button").is_disabled()
    assert await page.locator("[data-test=transfer-queue]").count() == 2
    await shot(page, f"desk-transfer-dialog-{lang}")
    assert await axe_violations(page) == []

    await states["available"].locator("button").click()
    assert (await sent(page))[-1] == {"type": "call.transfer", "call_id": call_id,
                                      "to_caseworker_id": 9001}  # fmt: skip
    assert "Anton Amt" in await page.inner_text("[data-test=transfer-status]")
    # The console refuses (the colleague went away): the choice is open again.
    await dispatch(page, {"type": "error", "code": "unavailable", "message": "gone"})
    await wait_until(lambda: states["available"].locator("button").is_enabled())
    await page.locator("[data-test=transfer-queue]", has_text="Sozialamt").locator("button").click()
    assert (await sent(page))[-1] == {"type": "call.transfer", "call_id": call_id,
                                      "to_queue_id": 2}  # fmt: skip
    # The console ends the call for this caseworker: the dialog closes, the notice says why.
    await dispatch(page, {"type": "call.ended", "call_id": call_id, "reason": "hangup_caseworker"})
    await wait_until(lambda: page.is_hidden("[data-test=transfer-dialog]"))
    notice = await page.inner_text("[data-test=notices]")
    assert "Sozialamt" in notice


async def test_supervisor_sees_the_team(browser: Any, console: RunningConsole, seed: Seed) -> None:
    hashed = cheap_passwords().hash(PASSWORD)
    await console.store.add_caseworker("Aldorf", "sue", "Sue Super", hashed, role="supervisor")
    worker = await signed_in(browser, console, "alice", "de-DE")
    boss = await signed_in(browser, console, "sue", "de-DE")
    for page in (worker, boss):
        await dispatch(page, desk_message(12345))
    assert await worker.is_hidden("[data-test=team]")
    assert await boss.is_visible("[data-test=team]")
    team = boss.locator("[data-test=team-colleague]")
    assert await team.count() == 4
    waiting = "[data-test=team-queue][data-queue-id='2'] [data-test=team-queue-waiting]"
    assert await boss.inner_text(waiting) == "2 wartend"
    await shot(boss, "desk-supervisor-de")


async def test_office_status_of_several_offices(
    browser: Any, console: RunningConsole, seed: Seed
) -> None:
    page = await signed_in(browser, console, "alice", "de-DE")
    status = page.locator("[data-test=office-status]")
    week = [{"weekday": 1, "opens": "08:00", "closes": "12:00"}]
    office = {"type": "office", "timezone": "Europe/Berlin", "hours": week}
    await dispatch(page, {**office, "office": "Aldorf", "open": True})
    await dispatch(page, {**office, "office": "Außenstelle", "open": True})
    assert await status.inner_text() == "Geöffnet"  # the same state once, not per office
    assert await status.get_attribute("data-state") == "open"
    monday_8 = 1_764_572_400  # Mon 2025-12-01 08:00 Europe/Berlin
    await dispatch(page, {**office, "office": "Außenstelle", "open": False, "next_open": monday_8})
    text = await status.inner_text()
    assert text.startswith("Aldorf: Geöffnet · Außenstelle: Geschlossen \u2013 öffnet Mo"), text
    assert "08:00" in text
    assert await status.get_attribute("data-state") == "mixed"
