"""The fleet page's update location in Debian's Chromium: an admin sets it, a supervisor reads it.

The admin types an address the page refuses, then a valid one; the connected terminal
(reporting an older version) receives ``update.offer`` and its row says the update is
offered, while the one already on that version says current. A supervisor sees the
location without a form. The page's CSP forbids Playwright's eval-based waiting, so the test
polls from Python.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from console.store import Store
from protocol.messages import UpdateOffer
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.console.conftest import PASSWORD, RunningConsole, Seed, cheap_passwords
from tests.console.test_fleet import HEALTHY, connect
from tests.console.test_fleet_page import poll

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
URL = "https://updates.example.org/bt/0.2.0.raucb"


async def signed_in(pw: Any, console: RunningConsole, user: str, lang: str) -> tuple[Any, Any]:
    browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    page = await browser.new_page(
        viewport={"width": 1280, "height": 900}, extra_http_headers={"Accept-Language": lang}
    )
    await page.goto(f"{console.base}/login")
    await page.fill("input[name=username]", user)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("[data-test=login]")
    await page.wait_for_url(f"{console.base}/")
    await page.goto(f"{console.base}/fleet")
    await page.wait_for_selector("[data-test=fleet-row]")
    return browser, page


async def test_admin_sets_the_location_and_the_rollout_shows(
    console: RunningConsole, store: Store, seed: Seed, http: aiohttp.ClientSession
) -> None:
    from playwright.async_api import async_playwright

    hashed = cheap_passwords().hash(PASSWORD)
    await store.add_caseworker("Aldorf", "ada", "Ada Admin", hashed, role="admin")
    await store.add_caseworker("Aldorf", "sven", "Sven Super", hashed, role="supervisor")
    old = await connect(http, console, seed.a1, HEALTHY, software="bt-terminal/0.1.0")
    new = await connect(http, console, seed.a2, HEALTHY, software="bt-terminal/0.2.0")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    async with async_playwright() as pw:
        browser, page = await signed_in(pw, console, "ada", "de")
        current = page.locator("[data-test=update-current]")

        async def shown() -> str:
            return str(await current.inner_text())

        assert "Kein Update-Ort" in await poll(shown)
        message = page.locator("[data-test=update-message]")

        async def said() -> str:
            return str(await message.inner_text())

        await page.fill("[data-test=update-url]", "http://updates.example.org/b.raucb")
        await page.fill("[data-test=update-version]", "0.2.0")
        await page.click("[data-test=update-save]")
        assert "https://" in await poll(said)  # refused in the page, nothing sent
        await old.silent()

        await page.fill("[data-test=update-url]", URL)
        await page.fill("[data-test=update-sha256]", "AB" * 32)
        await page.click("[data-test=update-save]")
        offer = await old.expect(UpdateOffer, wait_s=5)
        assert offer == UpdateOffer(url=URL, version="0.2.0", sha256="ab" * 32)
        await new.silent()
        assert "1 verbundenen" in await poll(said)
        assert "Version 0.2.0" in await shown() and URL in await shown()

        row_old = page.locator(f'[data-test=fleet-row][data-terminal="{seed.a1_id}"]')
        row_new = page.locator(f'[data-test=fleet-row][data-terminal="{seed.a2_id}"]')

        async def badges() -> tuple[str, str] | None:
            if not await row_old.locator("[data-test=update-state]").count():
                return None
            return (
                str(await row_old.locator("[data-test=update-state]").inner_text()),
                str(await row_new.locator("[data-test=update-state]").inner_text()),
            )

        assert await poll(badges) == ("Update angeboten", "aktuell")
        rollout = await page.locator("[data-test=update-rollout]").inner_text()
        assert rollout == "1 von 2 Terminals melden Version 0.2.0."
        await page.screenshot(path=str(ARTIFACTS / "fleet-update-admin.png"), full_page=True)
        await browser.close()

        browser, page = await signed_in(pw, console, "sven", "en")

        async def read_only() -> str:
            return str(await page.locator("[data-test=update-current]").inner_text())

        assert "Offered: version 0.2.0" in await poll(read_only)
        assert await page.locator("[data-test=update-form]").count() == 0
        assert "Only admins" in await page.locator("[data-test=update-readonly]").inner_text()
        await page.screenshot(path=str(ARTIFACTS / "fleet-update-supervisor.png"), full_page=True)
        await browser.close()
    await old.close()
    await new.close()
