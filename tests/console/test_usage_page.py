"""The dashboard page in Debian's Chromium with a month of realistic call records: figures,
charts and (for admins) the audit log render, in German and English, without CSP errors.

Screenshots go to ``$BT_SCREENSHOTS`` when set (else the test's temporary directory).
"""

from __future__ import annotations

import os
import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from console.audit import Actor, AuditLog
from console.store import Store
from console.store.usage import CallRow, UsageStore
from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.console.admin_setup import Tenants, tenants
from tests.console.conftest import PASSWORD, RunningConsole, Seed

BERLIN = ZoneInfo("Europe/Berlin")


async def seed_month(store: Store, seed: Seed, municipality_id: int) -> int:
    """About 30 days of weekday calls at office hours over three services; returns the count."""
    async with store.db.session() as s, s.begin():
        office_id = (
            await s.execute(
                text("SELECT id FROM offices WHERE municipality_id = :m"), {"m": municipality_id}
            )
        ).scalar_one()
        for position, name in ((1, "Soziales"), (2, "Kfz-Zulassung")):
            await s.execute(
                text(
                    "INSERT INTO queues (office_id, municipality_id, name, routing, wrap_up_s,"
                    " ring_s, answer_limit_s, position) VALUES (:o, :m, :n, 'longest_idle', 60,"
                    " 20, 600, :p)"
                ),
                {"o": office_id, "m": municipality_id, "n": name, "p": position},
            )
        queues = list(
            (
                await s.execute(
                    text("SELECT id FROM queues WHERE municipality_id = :m ORDER BY position"),
                    {"m": municipality_id},
                )
            ).scalars()
        )
    rng = random.Random(5)
    today = datetime.now(BERLIN).date()
    rows: list[CallRow] = []
    for back in range(30):
        day = today - timedelta(days=back)
        if day.isoweekday() > 5:
            continue
        busy = 14 if day.isoweekday() in (1, 4) else 8
        for n in range(rng.randint(busy - 4, busy + 4)):
            hour = rng.choice([8, 9, 9, 10, 10, 10, 11, 11, 14, 15, 15, 16, 17])
            local = datetime(day.year, day.month, day.day, hour, rng.randint(0, 59), tzinfo=BERLIN)
            at = local.astimezone(UTC)
            if at > datetime.now(UTC):
                continue
            roll = rng.random()
            outcome = "answered" if roll < 0.8 else "abandoned" if roll < 0.92 else "callback"
            wait = rng.lognormvariate(4.2, 0.7) if outcome == "answered" else rng.uniform(60, 600)
            talk = rng.uniform(120, 900) if outcome == "answered" else None
            rows.append(
                CallRow(
                    call_id=f"d{back}-{n}", municipality_id=municipality_id, office_id=office_id,
                    queue_id=rng.choice([queues[0]] * 3 + queues[1:]),
                    terminal_id=rng.choice([seed.a1_id, seed.a1_id, seed.a2_id]),
                    requested_at=at,
                    answered_at=at + timedelta(seconds=wait) if talk else None,
                    ended_at=at + timedelta(seconds=wait + (talk or 0)), outcome=outcome,
                    wait_s=wait, talk_s=talk, transfers=1 if rng.random() < 0.1 else 0,
                    language=rng.choice(["de", "de", "de", "uk", "ar"]),
                )
            )  # fmt: skip
    await UsageStore(store.db).save(rows)
    audit = AuditLog(store.db)
    now = datetime.now(UTC).timestamp()
    entries: list[tuple[str, str, dict[str, str | int | float]]] = [
        ("Alice Amt", "call.answer", {"waited_s": 42.0}),
        ("Alice Amt", "photo.take", {"photo_id": "p7", "size": 812345}),
        ("Anton Amt", "print.send", {"job_id": "j3", "size": 20480}),
        ("Anton Amt", "call.transfer", {"to_queue_id": queues[1]}),
        ("Admin A", "terminal.restart", {}),
    ]
    for i, (who, action, extra) in enumerate(entries):
        audit.record_at(
            now - 600 + 60 * i, municipality_id, Actor("caseworker", "1", who), action, "call",
            f"c{i}", **extra,
        )  # fmt: skip
    await audit.flush()
    return len(rows)


@pytest.fixture
async def people(console: RunningConsole, store: Store, seed: Seed) -> Tenants:
    return await tenants(store)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        await browser.close()


async def open_dashboard(
    browser: Any, console: RunningConsole, user: str, locale: str, *, via_link: bool = False
) -> Any:
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale=locale)
    page = await context.new_page()
    page.errors = []
    page.on("console", lambda m: page.errors.append(m.text) if m.type == "error" else None)
    await page.goto(f"{console.base}/login")
    await page.fill("input[name=username]", user)
    await page.fill("input[name=password]", PASSWORD)
    await page.click("[data-test=login]")
    await page.wait_for_url(f"{console.base}/")
    if via_link:  # the console page's header links supervisors to the dashboard
        await page.click("[data-test=to-dashboard]")
    else:
        await page.goto(f"{console.base}/dashboard")
    await page.wait_for_selector(".dashboard[data-loaded=true]")
    return page


def shots(tmp_path: Path) -> Path:
    out = Path(os.environ.get("BT_SCREENSHOTS", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    return out


async def test_dashboard_shows_a_month_of_figures_and_the_audit_log(
    browser: Any, console: RunningConsole, store: Store, seed: Seed, people: Tenants, tmp_path: Path
) -> None:
    calls = await seed_month(store, seed, people.a["admin"].municipality_id)
    page = await open_dashboard(browser, console, "a-adm", "de-DE")
    tiles = await page.locator("[data-test=tiles] .tile-value").all_inner_texts()
    assert tiles[0] == f"{calls:,}".replace(",", ".")
    assert len(tiles) == 8
    assert await page.locator("[data-test=by-hour] .column").count() == 24
    assert await page.locator("[data-test=by-day] .column").count() == 30
    hidden = await page.locator("[data-test=by-hour] .visually-hidden").all_inner_texts()
    assert "10 Uhr" in " ".join(hidden)
    weekdays = await page.locator("[data-test=by-weekday] tbody th").all_inner_texts()
    assert weekdays[0] == "Montag" and len(weekdays) == 7
    services = await page.locator("[data-test=by-queue] tbody th").all_inner_texts()
    assert {"Bürgerservice (Aldorf)", "Soziales (Aldorf)", "Kfz-Zulassung (Aldorf)"} == set(
        services
    )
    await page.locator("[data-test=audit-rows] tr").nth(4).wait_for()
    audit_rows = await page.locator("[data-test=audit-rows] tr").all_inner_texts()
    assert any("Terminal neu gestartet" in row and "Admin A" in row for row in audit_rows)
    assert any("Dokumentfoto aufgenommen" in row and "size=812345" in row for row in audit_rows)
    href = await page.get_attribute("[data-test=audit-export]", "href")
    assert href.startswith("/api/v1/audit.csv?from=")
    await page.screenshot(path=str(shots(tmp_path) / "dashboard-de.png"), full_page=True)
    await page.screenshot(path=str(shots(tmp_path) / "dashboard-de-top.png"))
    # another range: the quick "7 days" button
    await page.click("[data-days='7']")
    for _ in range(50):
        if await page.locator("[data-test=by-day] .column").count() == 7:
            break
        await page.wait_for_timeout(100)
    assert await page.locator("[data-test=by-day] .column").count() == 7
    assert page.errors == []


async def test_supervisor_sees_figures_in_english_without_the_audit_log(
    browser: Any, console: RunningConsole, store: Store, seed: Seed, people: Tenants, tmp_path: Path
) -> None:
    await seed_month(store, seed, people.a["admin"].municipality_id)
    page = await open_dashboard(browser, console, "a-sup", "en-US", via_link=True)
    assert await page.locator("[data-test=audit]").count() == 0
    heading = await page.locator("#by-hour-title").inner_text()
    assert heading == "Calls by hour of day"
    labels = await page.locator("[data-test=tiles] .tile-label").all_inner_texts()
    assert labels[:2] == ["Calls", "Answered"]
    await page.screenshot(path=str(shots(tmp_path) / "dashboard-en.png"), full_page=True)
    assert page.errors == []


async def test_language_switch_on_the_dashboard_comes_back_to_it(
    browser: Any, console: RunningConsole, store: Store, seed: Seed, people: Tenants
) -> None:
    page = await open_dashboard(browser, console, "a-sup", "de-DE")
    assert await page.locator("#by-day-title").inner_text() == "Anrufe pro Tag"
    await page.click("[data-test=lang-en]")
    await page.wait_for_selector(".dashboard[data-loaded=true]")
    assert page.url.endswith("/dashboard")
    assert await page.locator("#by-day-title").inner_text() == "Calls per day"
    assert page.errors == []
