"""The mobile office's schedule in Debian's Chromium: a supervisor adds outpost hours and a
home visit on /visits (and sees the section on /admin); a caseworker sees both read-only,
without forms; a connected terminal gets the new outpost hours at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from console.store import Store
from protocol.messages import MobileOffice
from tests.browser import async_chromium
from tests.console.conftest import PASSWORD, RunningConsole, Seed, cheap_passwords
from tests.console.helpers import sign_in_page
from tests.console.test_fleet import HEALTHY, connect
from tests.console.test_fleet_page import poll

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"


@pytest.fixture
async def browser(console: RunningConsole, store: Store, seed: Seed) -> AsyncIterator[Any]:
    await store.add_caseworker(
        "Aldorf", "sina", "Sina Leitung", cheap_passwords().hash(PASSWORD), role="supervisor"
    )
    async with async_chromium() as chromium:
        yield chromium


async def signed_in(browser: Any, console: RunningConsole, username: str) -> Any:
    context = await browser.new_context(viewport={"width": 1280, "height": 900}, locale="de-DE")
    page = await context.new_page()
    await sign_in_page(page, console, username)
    await page.wait_for_url(f"{console.base}/")
    return page


async def test_supervisor_plans_and_caseworker_reads(
    browser: Any, console: RunningConsole, seed: Seed, http: aiohttp.ClientSession
) -> None:
    terminal = await connect(http, console, seed.a1, HEALTHY)
    page = await signed_in(browser, console, "sina")
    await page.click("[data-test=to-visits]")
    await page.wait_for_url(f"{console.base}/visits")
    await page.wait_for_selector("[data-test=outpost-office] option", state="attached")
    day = (date.today() + timedelta(days=6)).isoformat()
    await page.fill("[data-test=outpost-day]", day)
    await page.fill("[data-test=outpost-starts]", "09:00")
    await page.fill("[data-test=outpost-ends]", "12:00")
    await page.fill("[data-test=outpost-place]", "Gemeindehaus Oberdorf")
    await page.fill("[data-test=outpost-address]", "Dorfstraße 4")
    await page.click("[data-test=outpost-add]")
    await page.wait_for_selector("[data-test=outpost]")
    row = page.locator("[data-test=outpost]")
    assert "Gemeindehaus Oberdorf" in await row.inner_text()
    assert "09:00–12:00" in await row.inner_text()  # noqa: RUF001 - the page's en dash
    got = await terminal.expect(MobileOffice, wait_s=5)
    assert [v.place for v in got.visits] == ["Gemeindehaus Oberdorf"]

    await page.fill("[data-test=home-at]", f"{day}T14:30")
    await page.fill("[data-test=home-place]", "Oberdorf, Lindenweg")
    await page.select_option("[data-test=home-staff]", label="Alice Amt")
    await page.click("[data-test=home-add]")
    await page.wait_for_selector("[data-test=home-visit]")
    visit = page.locator("[data-test=home-visit]")
    assert "Alice Amt" in await visit.inner_text() and "14:30" in await visit.inner_text()
    await page.select_option("[data-test=home-status]", "done")

    async def saved() -> bool:
        return "Gespeichert" in await page.locator("[data-test=visits-status]").inner_text()

    await poll(saved)
    await terminal.silent()  # a home visit never reaches a terminal
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "visits-supervisor.png"), full_page=True)
    await page.goto(f"{console.base}/admin#visits")  # the same section on /admin
    await page.wait_for_selector("#visits [data-test=outpost]")

    reader = await signed_in(browser, console, "alice")
    await reader.goto(f"{console.base}/visits")
    await reader.wait_for_selector("[data-test=home-visit]")
    assert await reader.locator("[data-test=visits-readonly]").count() == 1
    assert await reader.locator("[data-test=outpost-form]").count() == 0
    assert await reader.locator("[data-test=home-form]").count() == 0
    assert await reader.locator("[data-test=visit-delete]").count() == 0
    assert "erledigt" in await reader.locator("[data-test=home-visit]").inner_text()
    await reader.screenshot(path=str(ARTIFACTS / "visits-caseworker.png"), full_page=True)
    await terminal.close()
