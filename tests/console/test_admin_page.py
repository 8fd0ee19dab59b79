"""The administration page in Debian's Chromium: an admin manages, a supervisor only looks.

Screenshots land in ``test-artifacts/admin-*.png`` (1280x800) for people to look at.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from console.store import Store
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.console.admin_setup import Tenants, call, tenants
from tests.console.conftest import PASSWORD, RunningConsole, Seed

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CODE = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")


@pytest.fixture
async def people(console: RunningConsole, store: Store, seed: Seed) -> AsyncIterator[Tenants]:
    yield await tenants(store)


@pytest.fixture
async def browser(console: RunningConsole) -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        chromium = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        await chromium.close()


async def signed_in(browser: Any, console: RunningConsole, username: str, lang: str) -> Any:
    context = await browser.new_context(
        viewport={"width": 1280, "height": 800},
        locale=lang,
        extra_http_headers={"Accept-Language": lang},
    )
    page = await context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.errors = errors
    page.on("dialog", lambda dialog: dialog.accept())
    await page.goto(f"{console.base}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("[data-test=login]")
    await page.wait_for_url(f"{console.base}/")
    if username == "alice":
        assert not await page.is_visible("[data-test=to-admin]")
        await page.goto(f"{console.base}/admin")
    else:
        await page.click("[data-test=to-admin]")
    await page.wait_for_url(f"{console.base}/admin")
    return page


async def test_admin_manages_offices_people_terminals_and_branding(
    browser: Any, console: RunningConsole, people: Tenants, http: aiohttp.ClientSession
) -> None:
    page = await signed_in(browser, console, "a-adm", "de")
    await page.wait_for_selector("[data-office] h3")
    assert await page.text_content("h1, .app-name") == "Verwaltung"
    # an office, then a queue in it
    await page.fill("[data-test=office-form] input[name=name]", "Ortsteil Nord")
    await page.click("[data-test=office-form] button[type=submit]")
    await page.wait_for_selector("[data-office] h3:text('Ortsteil Nord')")
    await page.select_option("[data-test=queue-form] select[name=office_id]", label="Ortsteil Nord")
    await page.fill("[data-test=queue-form] input[name=name]", "Meldeamt")
    await page.select_option("[data-test=queue-form] select[name=routing]", "ring_all")
    await page.click("[data-test=queue-form] button[type=submit]")
    await page.wait_for_selector("[data-queue] input[value=Meldeamt]")
    _, queues = await call(http, console, people.a["admin"], "GET", "/api/v1/queues")
    meldeamt = next(q for q in queues["queues"] if q["name"] == "Meldeamt")  # type: ignore[index]
    assert meldeamt["routing"] == "ring_all"
    # a person
    await page.fill("[data-test=caseworker-form] input[name=username]", "carla")
    await page.fill("[data-test=caseworker-form] input[name=display_name]", "Carla Cramer")
    await page.fill("[data-test=caseworker-form] input[name=password]", "lang-genug-1")
    await page.click("[data-test=caseworker-form] button[type=submit]")
    await page.wait_for_selector("[data-test=caseworkers] td:text('carla')")
    # a terminal: the one-time code is shown once
    await page.fill("[data-test=terminal-form] input[name=name]", "Bibliothek Nord")
    await page.select_option(
        "[data-test=terminal-form] select[name=office_id]", label="Ortsteil Nord"
    )
    await page.click("[data-test=terminal-form] button[type=submit]")
    await page.wait_for_selector("[data-test=enrollment]:not([hidden])")
    code = (await page.text_content("[data-test=enrollment-code]")).strip()
    assert CODE.match(code), code
    async with http.post(console.base + "/api/v1/enroll", json={"code": code}) as resp:
        assert resp.status == 200
    # branding
    await page.fill("[data-test=welcome-text]", "Willkommen im Rathaus Aldorf")
    await page.eval_on_selector("[data-test=brand-color]", "(e) => { e.value = '#2a7d4f'; }")
    await page.click("[data-test=branding-form] button[type=submit]")
    await page.wait_for_selector("[data-test=status]:text('gespeichert')")
    _, settings = await call(http, console, people.a["admin"], "GET", "/api/v1/municipality")
    assert settings == {
        **settings,
        "brand_color": "#2a7d4f",
        "welcome_text": "Willkommen im Rathaus Aldorf",
    }  # type: ignore[dict-item]
    # a refused change is explained, not swallowed
    await page.fill("[data-test=office-form] input[name=name]", "Ortsteil Nord")
    await page.click("[data-test=office-form] button[type=submit]")
    await page.wait_for_selector("[data-test=status].error")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.evaluate("window.scrollTo(0, 0)")
    await page.screenshot(path=str(ARTIFACTS / "admin-de.png"))
    await page.screenshot(path=str(ARTIFACTS / "admin-de-full.png"), full_page=True)
    assert not [e for e in page.errors if "409" not in e and "CONFLICT" not in e.upper()], (
        page.errors
    )


async def test_supervisor_sees_read_only_in_english(
    browser: Any, console: RunningConsole, people: Tenants
) -> None:
    page = await signed_in(browser, console, "a-sup", "en")
    await page.wait_for_selector("[data-test=caseworkers] td:text('alice')")
    assert await page.is_visible("[data-test=readonly]")
    assert not await page.is_visible("[data-test=office-form]")
    assert not await page.is_visible("[data-test=terminal-form]")
    assert await page.is_disabled("[data-test=welcome-text]")
    assert await page.text_content("#offices-title") == "Offices and queues"
    await page.screenshot(path=str(ARTIFACTS / "admin-en-supervisor.png"))
    assert not page.errors, page.errors


async def test_caseworker_is_refused(
    browser: Any, console: RunningConsole, people: Tenants
) -> None:
    page = await signed_in(browser, console, "alice", "de")
    assert await page.is_visible("[data-test=forbidden]")
    assert not await page.is_visible("[data-test=admin]")
    ARTIFACTS.mkdir(exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "admin-forbidden.png"))
