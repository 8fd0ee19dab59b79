"""A mobile kit in the fleet view: battery and LTE modem from the terminal's parts report.

Two terminals of Aldorf connect over real sockets, one a kit reporting its battery and
modem; ``GET /api/v1/fleet`` parses them (garbage as unknown) and the /fleet page in
Debian's Chromium shows them in words; a later ``parts`` message (battery low, modem
unplugged) reaches the page without a reload.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp

from console.fleet import BatteryInfo, ModemInfo, battery_info, modem_info
from protocol.messages import PartsReport
from tests.console.conftest import RunningConsole, Seed
from tests.console.test_fleet import HEALTHY, connect
from tests.console.test_fleet_page import admin_page, poll

__all__ = ["admin_page"]  # the fixture, used by name
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "console"
KIT = {
    **HEALTHY,
    "battery": "ok", "battery_level": "55", "battery_charging": "no",
    "modem": "ok", "modem_signal": "70", "modem_access": "lte", "modem_operator": "Telekom.de",
}  # fmt: skip


def test_kit_values_are_parsed_defensively() -> None:
    assert battery_info(HEALTHY) is None and modem_info(HEALTHY) is None  # stationary
    assert battery_info(KIT) == BatteryInfo(health="ok", level=55, charging=False)
    assert modem_info(KIT) == ModemInfo(health="ok", signal=70, access="lte",
                                        operator="Telekom.de")  # fmt: skip
    odd = {"battery": "exploded", "battery_level": "150", "battery_charging": "maybe",
           "modem": "weak", "modem_signal": "-5", "modem_access": "",
           "modem_operator": "\x1b[31m" + "x" * 80}  # fmt: skip
    assert battery_info(odd) == BatteryInfo(health="unknown", level=None, charging=None)
    info = modem_info(odd)
    assert info is not None and info.health == "weak" and info.signal is None
    assert info.access is None and info.operator is not None
    assert len(info.operator) == 40 and "\x1b" not in info.operator
    assert modem_info({"modem": "missing"}) == ModemInfo(
        health="missing", signal=None, access=None, operator=None
    )


async def test_fleet_page_shows_battery_and_lte(
    admin_page: Any, console: RunningConsole, seed: Seed, http: aiohttp.ClientSession
) -> None:
    page = admin_page
    kit = await connect(http, console, seed.a1, KIT)
    fixed = await connect(http, console, seed.a2, HEALTHY)
    status, fleet = await api_fleet(http, console)
    assert status == 200
    entries = {e["terminal_id"]: e for e in fleet["terminals"]}
    assert entries[seed.a1_id]["battery"] == {"health": "ok", "level": 55, "charging": False}
    assert entries[seed.a1_id]["modem"]["operator"] == "Telekom.de"
    assert entries[seed.a2_id]["battery"] is None and entries[seed.a2_id]["modem"] is None

    await page.goto(f"{console.base}/fleet")
    await page.wait_for_selector("[data-test=fleet-row]")
    row = page.locator(f'[data-test=fleet-row][data-terminal="{seed.a1_id}"]')
    other = page.locator(f'[data-test=fleet-row][data-terminal="{seed.a2_id}"]')
    assert await row.locator("[data-test=health-battery]").inner_text() == "Akku OK"
    assert await row.locator("[data-test=battery-detail]").inner_text() == "55 %, im Akkubetrieb"
    assert await row.locator("[data-test=health-modem]").inner_text() == "Mobilfunk OK"
    assert await row.locator("[data-test=modem-detail]").inner_text() == (
        "LTE · Signal 70 % · Telekom.de"
    )
    assert await other.locator("[data-test=kit-none]").inner_text() == "\u2013"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    await page.screenshot(path=str(ARTIFACTS / "fleet-kit.png"), full_page=True)

    # The battery runs low and the modem is pulled out: the next refresh shows it.
    low = {**KIT, "battery": "low", "battery_level": "10", "modem": "missing"}
    for name in ("modem_signal", "modem_access", "modem_operator"):
        low.pop(name)
    await kit.send(PartsReport(parts=low))

    async def shown() -> bool:
        battery = await row.locator("[data-test=health-battery]").inner_text()
        modem = await row.locator("[data-test=health-modem]").inner_text()
        return battery == "Akku schwach" and modem == "kein Modem"

    await poll(shown)
    assert await row.locator("[data-test=modem-detail]").count() == 0
    await page.screenshot(path=str(ARTIFACTS / "fleet-kit-low.png"), full_page=True)
    await kit.close()
    await fixed.close()


async def api_fleet(http: aiohttp.ClientSession, console: RunningConsole) -> tuple[int, Any]:
    """The fleet as an admin of Aldorf sees it (a token of a fresh admin)."""
    from datetime import UTC, datetime

    from console.store.tokens import TokenStore

    admin = await console.store.caseworker_by_username("ada")
    assert admin is not None
    _, token = await TokenStore(console.store.db).create(admin.id, "t", datetime.now(UTC), None)
    async with http.get(
        console.base + "/api/v1/fleet", headers={"Authorization": f"Bearer {token}"}
    ) as resp:
        return resp.status, await resp.json()
