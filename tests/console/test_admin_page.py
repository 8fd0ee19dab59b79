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

from console.i18n import Translations
from console.store import Store
from tests.browser import async_chromium
from tests.console.admin_setup import Tenants, call, tenants
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import sign_in_page

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
WEB = Path(__file__).resolve().parents[2] / "web" / "console"
KEY = re.compile(r"""\bt\(\s*["']((?:admin|base)\.[a-z0-9_.]+[a-z0-9_])["']""")
CODE = re.compile(r"^[A-Z2-9]{4}-[A-Z2-9]{4}-[A-Z2-9]{4}$")


@pytest.fixture
async def people(console: RunningConsole, store: Store, seed: Seed) -> AsyncIterator[Tenants]:
    yield await tenants(store)


@pytest.fixture
async def browser(console: RunningConsole) -> AsyncIterator[Any]:
    async with async_chromium() as chromium:
        yield chromium


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
    await sign_in_page(page, console, username)
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
    assert await page.text_content("h1") == "Verwaltung"
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
        **settings,  # type: ignore[dict-item]
        "brand_color": "#2a7d4f",
        "welcome_text": "Willkommen im Rathaus Aldorf",
    }
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


PAGES = (
    ("/", "console"), ("/fleet", "fleet"), ("/dashboard", "dashboard"), ("/visits", "visits"),
    ("/admin", "admin"),
)  # fmt: skip


@pytest.mark.parametrize("lang", ["de", "en"])
async def test_one_header_on_all_five_pages(
    browser: Any, console: RunningConsole, people: Tenants, lang: str
) -> None:
    page = await signed_in(browser, console, "a-adm", lang)
    ARTIFACTS.mkdir(exist_ok=True)
    labels: list[list[str]] = []
    for path, name in PAGES:
        await page.goto(console.base + path)
        nav = page.locator("[data-test=site-nav]")
        labels.append(await nav.locator("a").all_inner_texts())
        current = nav.locator("[aria-current=page]")
        assert await current.count() == 1, name
        assert await current.get_attribute("href") == path
        await page.screenshot(path=str(ARTIFACTS / f"header-{name}-{lang}.png"))
        # the whole header is one line at 1280 px (one line is about 62 px high, two 105),
        # and nothing sticks out on the right
        bar = await page.locator("header.topbar").bounding_box()
        assert bar is not None and bar["height"] < 80, (name, bar)
        out = await page.locator("[data-test=logout]").bounding_box()
        assert out is not None and out["x"] + out["width"] <= 1280 - 16, (name, out)
        # the account menu opens from the keyboard and offers "sign out everywhere"
        await page.focus("[data-test=account] summary")
        await page.keyboard.press("Enter")
        assert await page.is_visible("[data-test=logout-all]"), name
        if name == "console":
            await page.screenshot(path=str(ARTIFACTS / f"header-account-menu-{lang}.png"))
        await page.keyboard.press("Enter")
    assert all(each == labels[0] for each in labels), labels
    assert len(labels[0]) == 5


async def test_admin_sets_office_hours_and_a_holiday(
    browser: Any, console: RunningConsole, people: Tenants, http: aiohttp.ClientSession
) -> None:
    page = await signed_in(browser, console, "a-adm", "de")
    hours = page.locator("[data-test=office-hours]").first
    await hours.locator("[data-test=hours-week]").wait_for()
    office_id = int(await hours.get_attribute("data-office-hours") or "0")
    hours_path = f"/api/v1/offices/{office_id}/hours"
    assert "immer geöffnet" in await hours.inner_text()  # no hours yet: always open
    assert "geschlossen" not in await hours.locator("[data-test=hours-week]").inner_text()
    # Monday 08:00-12:00, copied to Tuesday-Friday
    monday = hours.locator("tr[data-weekday='1']")
    await monday.locator("[data-test=add-span]").click()
    await monday.locator("[data-test=opens]").fill("08:00")
    await monday.locator("[data-test=closes]").fill("12:00")
    await hours.locator("[data-test=copy-monday]").click()
    # an overlapping second period on Wednesday is refused next to the form, in German
    wednesday = hours.locator("tr[data-weekday='3']")
    await wednesday.locator("[data-test=add-span]").click()
    await wednesday.locator("[data-test=opens]").nth(1).fill("11:00")
    await wednesday.locator("[data-test=closes]").nth(1).fill("13:00")
    await hours.locator("[data-test=save-hours]").click()
    error = hours.locator("[data-test=hours-error]")
    await error.wait_for()
    assert "Mittwoch" in await error.inner_text() and "überschneiden" in await error.inner_text()
    _, week = await call(http, console, people.a["admin"], "GET", hours_path)
    assert week["week"] == []  # type: ignore[index]  # nothing was saved
    await wednesday.locator("[data-test=remove-span]").nth(1).click()
    await hours.locator("[data-test=save-hours]").click()
    await page.wait_for_selector("[data-test=status]:text('Sprechzeiten')")
    _, week = await call(http, console, people.a["admin"], "GET", hours_path)
    assert week["week"] == [  # type: ignore[index]
        {"weekday": day, "opens": "08:00", "closes": "12:00"} for day in range(1, 6)
    ]
    # a holiday with a note
    hours = page.locator("[data-test=office-hours]").first
    await hours.locator("[data-test=exception-day]").fill("2030-12-25")
    await hours.locator("[data-test=exception-note]").fill("1. Weihnachtstag")
    await hours.locator("[data-test=exception-form] button[type=submit]").click()
    await page.wait_for_selector("[data-exception][data-day='2030-12-25']")
    # special hours on the same day are refused, with the reason in German
    await hours.locator("[data-test=exception-day]").fill("2030-12-25")
    await hours.locator("[data-test=exception-kind]").select_option("special")
    await hours.locator("[data-test=exception-opens]").fill("09:00")
    await hours.locator("[data-test=exception-closes]").fill("11:00")
    await hours.locator("[data-test=exception-form] button[type=submit]").click()
    refused = hours.locator("[data-test=exception-error]")
    await refused.wait_for()
    assert "Feiertag" in await refused.inner_text()
    _, found = await call(
        http, console, people.a["admin"], "GET", f"/api/v1/offices/{office_id}/exceptions"
    )
    assert found == {
        "exceptions": [
            {
                "id": found["exceptions"][0]["id"],  # type: ignore[index]
                "day": "2030-12-25",
                "opens": None,
                "closes": None,
                "note": "1. Weihnachtstag",
            }
        ]
    }
    row = hours.locator("tr[data-weekday='1']")
    assert await row.locator("[data-test=opens]").input_value() == "08:00"
    await hours.scroll_into_view_if_needed()
    await page.screenshot(path=str(ARTIFACTS / "admin-hours-de.png"))
    # removing the holiday
    await hours.locator("[data-exception] [data-test=remove-exception]").click()
    await page.wait_for_selector("[data-exception]", state="detached")
    _, found = await call(
        http, console, people.a["admin"], "GET", f"/api/v1/offices/{office_id}/exceptions"
    )
    assert found == {"exceptions": []}
    assert not [e for e in page.errors if "400" not in e], page.errors


async def test_supervisor_sees_office_hours_read_only(
    browser: Any, console: RunningConsole, people: Tenants, http: aiohttp.ClientSession
) -> None:
    _, offices = await call(http, console, people.a["admin"], "GET", "/api/v1/offices")
    office_id = offices["offices"][0]["id"]  # type: ignore[index]
    week = {"week": [{"weekday": 2, "opens": "09:00", "closes": "15:00"}]}
    status, _ = await call(
        http, console, people.a["admin"], "PUT", f"/api/v1/offices/{office_id}/hours", week
    )
    assert status == 200
    day = {"day": "2031-01-01", "note": "New Year"}
    status, _ = await call(
        http, console, people.a["admin"], "POST", f"/api/v1/offices/{office_id}/exceptions", day
    )
    assert status == 201
    page = await signed_in(browser, console, "a-sup", "en")
    hours = page.locator("[data-test=office-hours]").first
    await hours.locator("[data-exception]").wait_for()
    tuesday = hours.locator("tr[data-weekday='2']")
    assert await tuesday.locator("[data-test=span-text]").inner_text() == "09:00\u201315:00"
    assert not await hours.locator("input[data-test=opens]").count()  # text, not inputs
    assert "New Year" in await hours.locator("[data-test=exceptions]").inner_text()
    for control in ("save-hours", "add-span", "copy-monday", "exception-form", "remove-exception"):
        assert not await hours.locator(f"[data-test={control}]").first.is_visible(), control
    # and the API refuses the supervisor's change
    status, _ = await call(
        http, console, people.a["supervisor"], "PUT", f"/api/v1/offices/{office_id}/hours", week
    )
    assert status == 403
    await hours.scroll_into_view_if_needed()
    await page.screenshot(path=str(ARTIFACTS / "admin-hours-en-supervisor.png"))
    assert not page.errors, page.errors


def test_every_header_and_admin_word_is_in_german_and_english() -> None:
    files = [WEB / "static" / n for n in ("admin.js", "admin_hours.js", "visits.js")] + [
        WEB / "templates" / n
        for n in (
            "_nav.html",
            "admin.html",
            "fleet.html",
            "dashboard.html",
            "_visits.html",
            "visits.html",
        )
    ]
    used = {key for f in files for key in KEY.findall(f.read_text())}
    nav = (WEB / "templates" / "_nav.html").read_text()
    used |= set(re.findall(r"'(base\.nav\.[a-z]+)'", nav))
    used |= {f"admin.hours.day.{day}" for day in range(1, 8)}
    assert {"base.nav.console", "base.nav.admin", "admin.hours.save_week"} <= used
    catalogs = Translations.load(WEB / "translations")
    for lang in ("de", "en"):
        assert not used - catalogs.keys(lang), (lang, sorted(used - catalogs.keys(lang)))
    # the old per-page labels back to the console are gone
    for old in ("admin.nav.console", "fleet.nav.console", "usage.back"):
        assert old not in catalogs.keys("de")
