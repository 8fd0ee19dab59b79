"""The /fleet page in Debian's Chromium: the table, health words, and an admin's restart.

Two terminals of Aldorf connect over real sockets, one without a camera; the admin's page
must show both with their health in words, refresh by itself when a terminal leaves, and
restart a terminal after the confirmation (the terminal receives ``terminal.restart``).
The page's CSP forbids Playwright's eval-based waiting, so the test polls from Python.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from console.store import Store
from protocol.messages import TerminalRestart
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.console.conftest import PASSWORD, RunningConsole, Seed, cheap_passwords
from tests.console.test_fleet import HEALTHY, connect

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"


@pytest.fixture
async def admin_page(console: RunningConsole, store: Store, seed: Seed) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    await store.add_caseworker(
        "Aldorf", "ada", "Ada Admin", cheap_passwords().hash(PASSWORD), role="admin"
    )
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="de-DE")
        page = await context.new_page()
        await page.goto(f"{console.base}/login")
        await page.fill("input[name=username]", "ada")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("[data-test=login]")
        await page.wait_for_url(f"{console.base}/")
        yield page
        await browser.close()


async def poll(check: Any, timeout_s: float = 15.0) -> Any:
    for _ in range(int(timeout_s * 10)):
        value = await check()
        if value:
            return value
        await asyncio.sleep(0.1)
    raise AssertionError(f"timed out after {timeout_s} s")


async def test_admin_sees_health_and_restarts_a_terminal(
    admin_page: Any, console: RunningConsole, seed: Seed, http: aiohttp.ClientSession
) -> None:
    page = admin_page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    a1 = await connect(http, console, seed.a1, HEALTHY)
    a2 = await connect(http, console, seed.a2, {**HEALTHY, "camera": "missing"})
    await page.click("[data-test=to-fleet]")  # the console page links here for admins
    await page.wait_for_selector("[data-test=fleet-row]")
    row1 = page.locator(f'[data-test=fleet-row][data-terminal="{seed.a1_id}"]')
    row2 = page.locator(f'[data-test=fleet-row][data-terminal="{seed.a2_id}"]')
    assert await row2.locator("[data-test=health-camera]").inner_text() == "fehlt"
    assert await row2.locator("[data-test=health-microphone]").inner_text() == "OK"
    assert await row1.locator("[data-test=health-camera]").inner_text() == "OK"
    assert await row1.locator("[data-test=health-card_reader]").inner_text() == "unbekannt"
    assert await row1.locator("[data-test=online]").inner_text() == "verbunden"
    assert await row1.locator("[data-test=ip]").inner_text() == "127.0.0.1"
    rows = await page.locator("[data-test=fleet-row]").count()
    assert rows == 2  # Bestadt's terminal is not shown

    # A terminal leaves: the table says so within a refresh, without a reload.
    await a2.close()

    async def a2_offline() -> bool:
        return str(await row2.locator("[data-test=online]").inner_text()) == "getrennt"

    await poll(a2_offline)
    assert await row2.locator("[data-test=restart]").count() == 0  # offline: no restart

    page.once("dialog", lambda dialog: asyncio.ensure_future(dialog.accept()))
    await row1.locator("[data-test=restart]").click()
    restart = await a1.expect(TerminalRestart, wait_s=5)
    assert restart.reason

    async def said() -> str:
        return str(await page.locator("[data-test=fleet-message]").inner_text())

    assert "startet neu" in await poll(said)
    await page.screenshot(path=str(ARTIFACTS / "fleet-after-restart.png"))
    await a1.close()


async def test_supervisor_page_has_no_restart(
    console: RunningConsole, store: Store, seed: Seed, http: aiohttp.ClientSession
) -> None:
    from playwright.async_api import async_playwright

    await store.add_caseworker(
        "Aldorf", "sven", "Sven Super", cheap_passwords().hash(PASSWORD), role="supervisor"
    )
    a1 = await connect(http, console, seed.a1, HEALTHY)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        page = await browser.new_page(extra_http_headers={"Accept-Language": "en"})
        await page.goto(f"{console.base}/login")
        await page.fill("input[name=username]", "sven")
        await page.fill("input[name=password]", PASSWORD)
        await page.click("[data-test=login]")
        await page.wait_for_url(f"{console.base}/")
        await page.goto(f"{console.base}/fleet")
        await page.wait_for_selector("[data-test=fleet-row]")
        assert await page.locator("[data-test=restart]").count() == 0
        assert await page.locator("[data-test=health-camera]").first.inner_text() == "OK"
        assert "online" in await page.locator("[data-test=fleet-summary]").inner_text()
        await browser.close()
    await a1.close()
