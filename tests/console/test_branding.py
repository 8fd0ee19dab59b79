"""A municipality's branding reaches its terminals (OfficeStatus) and its console pages.

The directory loads colour and welcome line with the offices; the hub puts them into every
office status; ``PATCH /api/v1/municipality`` makes the hub reload, so a connected terminal
gets the new status within moments. Console pages carry the colour as ``data-brand-color`` on
<body> and brand.js turns it into ``--brand-color`` (checked in Debian's Chromium); a colour
that is not ``#rrggbb`` never reaches a page or a terminal.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import update

from console.directory import Branding, Directory, load_directory, safe_color
from console.store import Store
from console.store.models import Municipality
from protocol.messages import OfficeStatus
from tests.browser import async_chromium
from tests.console.admin_setup import Tenants, call, tenants
from tests.console.conftest import RunningConsole, Seed
from tests.console.helpers import Peer, sign_in_page, terminal
from tests.console.test_hub import World
from tests.console.test_presence import B1, DIRECTORY, R1

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
GREEN = "#2a7d4f"
WELCOME = "Willkommen im Rathaus Aldorf"


async def set_branding(store: Store, name: str, color: str | None, text: str | None) -> None:
    """Write a municipality's branding straight into the database (as another process might)."""
    async with store.db.session() as s, s.begin():
        await s.execute(
            update(Municipality)
            .where(Municipality.name == name)
            .values(brand_color=color, welcome_text=text)
        )


def test_safe_color_accepts_only_rrggbb() -> None:
    assert safe_color("#2A7D4F") == GREEN
    for bad in (None, "", "red", "#fff", "#2a7d4f; color: red", '#2a7d4f" onload="x', 7):
        assert safe_color(bad) is None, bad


async def test_the_directory_loads_each_municipality_s_branding(store: Store, seed: Seed) -> None:
    assert (await load_directory(store.db)).branding(1) == Branding()
    await set_branding(store, "Aldorf", GREEN.upper(), WELCOME)
    await set_branding(store, "Bestadt", "javascript:alert(1)", None)  # not a colour: dropped
    directory = await load_directory(store.db)
    assert directory.branding(1) == Branding(GREEN, WELCOME)
    assert directory.branding(2) == Branding()


def test_the_hub_puts_branding_into_each_office_s_status() -> None:
    w = World(DIRECTORY)
    r1, b1 = w.terminal(R1), w.terminal(B1)
    assert (r1.office[-1].brand_color, r1.office[-1].welcome_text) == (None, None)
    w.hub.set_directory(
        Directory.build(
            offices=DIRECTORY.offices.values(),
            queues=DIRECTORY.queues.values(),
            caseworkers=DIRECTORY.caseworkers.values(),
            memberships=DIRECTORY.memberships,
            brandings={1: Branding(GREEN, WELCOME)},
        )
    )
    assert (r1.office[-1].brand_color, r1.office[-1].welcome_text) == (GREEN, WELCOME)
    assert b1.office[-1].brand_color is None  # another municipality's terminal: unchanged
    sent = len(r1.office)
    w.tick(1.0)
    w.hub.refresh_office()
    assert len(r1.office) == sent  # unchanged status: not sent again


async def next_office(peer: Peer, wait_s: float = 5.0) -> OfficeStatus:
    return await peer.expect(OfficeStatus, wait_s)


@pytest.fixture
async def people(console: RunningConsole, store: Store, seed: Seed) -> AsyncIterator[Tenants]:
    yield await tenants(store)


async def test_a_change_reaches_the_connected_terminal_within_moments(
    http: aiohttp.ClientSession, console: RunningConsole, seed: Seed, people: Tenants
) -> None:
    a1, _ = await terminal(http, console, seed.a1)
    b1, _ = await terminal(http, console, seed.b1)
    assert a1.office[-1].brand_color is None and a1.office[-1].welcome_text is None
    patch = {"brand_color": "#2A7D4F", "welcome_text": f"  {WELCOME}  "}
    started = time.monotonic()
    status, body = await call(http, console, people.a["admin"], "PATCH", "/api/v1/municipality",
                              json=patch)  # fmt: skip
    assert status == 200, body
    got = await next_office(a1)  # the reload is told, not waited for (RELOAD_S is 60 s)
    took = time.monotonic() - started
    assert (got.brand_color, got.welcome_text) == (GREEN, WELCOME)
    assert took < 2.0, f"{took:.3f} s from PATCH to the terminal's office status"
    print(f"PATCH -> terminal office status: {took * 1000:.0f} ms")
    await b1.silent(0.3)  # Bestadt's terminal hears nothing of Aldorf's branding
    assert all(s.brand_color is None for s in b1.office)
    status, _ = await call(http, console, people.a["admin"], "PATCH", "/api/v1/municipality",
                           json={"brand_color": None, "welcome_text": None})  # fmt: skip
    assert status == 200
    got = await next_office(a1)
    assert (got.brand_color, got.welcome_text) == (None, None)
    for bad in ({"brand_color": "red"}, {"welcome_text": "x" * 501}):
        status, _ = await call(http, console, people.a["admin"], "PATCH",
                               "/api/v1/municipality", json=bad)  # fmt: skip
        assert status == 400, bad
    status, _ = await call(http, console, people.a["supervisor"], "PATCH",
                           "/api/v1/municipality", json={"brand_color": GREEN})  # fmt: skip
    assert status == 403


@pytest.fixture
async def browser(console: RunningConsole) -> AsyncIterator[Any]:
    async with async_chromium() as chromium:
        yield chromium


async def sign_in(browser: Any, console: RunningConsole, username: str) -> Any:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="de-DE")
    page = await context.new_page()
    page.errors = []
    page.on("pageerror", lambda err: page.errors.append(str(err)))
    await sign_in_page(page, console, username)
    await page.wait_for_url(f"{console.base}/")
    return page


async def brand_of(page: Any) -> tuple[str | None, str, str]:
    """data-brand-color on <body>, --brand-color on the root, the top bar's box shadow."""
    await page.wait_for_load_state("load")  # deferred scripts have run
    attr = await page.get_attribute("body", "data-brand-color")
    var = await page.evaluate(
        "getComputedStyle(document.documentElement).getPropertyValue('--brand-color').trim()"
    )
    bar = await page.evaluate(
        "(() => { const b = document.querySelector('.topbar');"
        " return b ? getComputedStyle(b).boxShadow : ''; })()"
    )
    return attr, var, bar


async def test_console_pages_show_the_colour_as_an_accent_stripe(
    browser: Any, console: RunningConsole, store: Store, people: Tenants
) -> None:
    page = await sign_in(browser, console, "a-adm")
    assert (await brand_of(page))[:2] == (None, "")  # no branding: no stripe
    await set_branding(store, "Aldorf", GREEN, WELCOME)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for path in ("/", "/admin", "/fleet", "/dashboard"):
        await page.goto(f"{console.base}{path}")
        attr, var, bar = await brand_of(page)
        assert (attr, var) == (GREEN, GREEN), path
        assert "rgb(42, 125, 79)" in bar, (path, bar)
        name = path.strip("/") or "console"
        await page.screenshot(path=str(ARTIFACTS / f"branding-{name}.png"))
    # accent only: text and buttons keep their own colours
    colors = await page.evaluate(
        "[...document.querySelectorAll('.topbar, .topbar *')]"
        ".map(e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor])"
    )
    assert not [c for c in colors if "rgb(42, 125, 79)" in c]
    bert = await sign_in(browser, console, "b-adm")  # Bestadt sees nothing of Aldorf's
    assert (await brand_of(bert))[:2] == (None, "")
    await set_branding(store, "Aldorf", '#2a7d4f" data-x="1', WELCOME)  # written around the API
    await page.goto(f"{console.base}/admin")
    assert (await brand_of(page))[:2] == (None, "")
    assert await page.get_attribute("body", "data-x") is None
    await page.goto(f"{console.base}/login")  # signed in: redirected, still fine
    assert not page.errors and not bert.errors, page.errors + bert.errors
