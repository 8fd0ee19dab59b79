"""The caseworker page shows the inserted card and the terminal's parts during a call."""

from __future__ import annotations

from typing import Any

import aiohttp

from protocol.messages import Answered, CallRequest, CardStatus, Ended, PartsReport, Queued
from tests.console.conftest import RunningConsole, Seed
from tests.console.test_cards import hello_with_parts
from tests.console.test_page import page

__all__ = ["page"]


async def test_card_and_parts_shown_in_call(
    page: Any, http: aiohttp.ClientSession, console: RunningConsole, seed: Seed
) -> None:
    parts = {"camera": "ok", "card_reader": "ok", "printer": "missing"}
    t1 = await hello_with_parts(http, console, seed.a1, parts)
    await t1.send(CallRequest())
    call_id = (await t1.expect(Queued)).call_id
    await page.locator("[data-test=queue-item]").wait_for()
    card = page.locator("[data-test=card]")
    assert await card.is_hidden()
    await page.click("[data-test=answer]")
    await t1.expect(Answered)

    chips = page.locator("[data-test=terminal-parts] [data-part=card_reader]")
    await chips.wait_for()
    assert await chips.inner_text() == "Kartenleser: bereit"
    printer = page.locator("[data-test=terminal-parts] [data-part=printer]")
    assert await printer.get_attribute("data-state") == "missing"

    await t1.send(PartsReport(parts={**parts, "card_reader": "eid"}))
    await t1.send(CardStatus(card="eid", call_id=call_id))
    await page.wait_for_selector("[data-test=card]:has-text('Karte eingesteckt: Personalausweis')")
    await page.evaluate("window.btConsole.terminalParts.refresh()")
    await page.wait_for_selector("[data-part=card_reader]:has-text('Personalausweis')")

    await t1.send(CardStatus(card="egk", call_id=call_id))
    await page.wait_for_selector("[data-test=card]:has-text('Gesundheitskarte (eGK)')")
    await t1.send(CardStatus(card=None, call_id=call_id))
    await card.wait_for(state="hidden")

    await t1.send(CardStatus(card="girocard", call_id=call_id))
    await page.wait_for_selector("[data-test=card]:has-text('girocard')")
    await page.click("[data-test=hangup]")
    ended = await t1.expect(Ended)
    assert ended.reason == "hangup_caseworker"
    await card.wait_for(state="hidden")
    assert await page.locator("[data-test=terminal-parts]").is_hidden()
    await t1.close()
