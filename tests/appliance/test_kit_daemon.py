"""A mobile kit's daemon end to end: ``power = "sysfs"`` on a fake power-supply tree and
``modem = "mmcli"`` on a stand-in mmcli printing recorded output; the console gets both in
the ``parts`` report, /healthz lists them, and the kiosk page's state carries the battery.
Only a kit (``profile = "mobile"``) gets the offline-capture outbox and its kiosk routes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from appliance.config import Config
from appliance.daemon import Terminal
from protocol.messages import Hello, PartsReport
from tests.appliance.fakes import FakeConsole, wait_for
from tests.appliance.test_kit_parts import fake_mmcli, supply
from tests.terminal_thread import terminal_in_thread


@pytest.fixture
async def console() -> AsyncIterator[FakeConsole]:
    fake = FakeConsole(heartbeat_s=0.5)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def kit(console: FakeConsole, tmp_path: Path) -> Iterator[Terminal]:
    sysfs = tmp_path / "power_supply"
    supply(sysfs, "AC", type="Mains", online="0")
    supply(sysfs, "BAT0", type="Battery", present="1", capacity="12", status="Discharging")
    mmcli = fake_mmcli(tmp_path, "list.json", "connected-lte.json")
    config = replace(
        Config(), console_url=console.url, data_dir=tmp_path / "data", kiosk_port=0,
        pin_factory="mock", ice_host_addresses=("127.0.0.1",), printer="fake",
        card_reader="fake", power="sysfs", power_supply_dir=sysfs, modem="mmcli",
        mmcli=str(mmcli),
    )  # fmt: skip
    with terminal_in_thread(config, "secret") as term:
        yield term


def reported(console: FakeConsole) -> dict[str, str]:
    """The kit entries of the latest hello or parts report."""
    latest: dict[str, str] = {}
    for message in console.received:
        if isinstance(message, Hello | PartsReport):
            latest = message.parts
    return {k: v for k, v in latest.items() if k.startswith(("battery", "modem"))}


async def test_the_kit_reports_battery_and_modem(kit: Terminal, console: FakeConsole) -> None:
    expected = {
        "battery": "low", "battery_level": "10", "battery_charging": "no",
        "modem": "ok", "modem_signal": "70", "modem_access": "lte", "modem_operator": "Telekom.de",
    }  # fmt: skip
    await wait_for(lambda: reported(console) == expected, within=10)
    base = f"http://127.0.0.1:{kit.kiosk_port}"
    async with aiohttp.ClientSession() as http:
        async with http.get(base + "/healthz") as resp:
            health = await resp.json()
        assert health["parts"]["battery"] == "low" and health["parts"]["modem"] == "ok"
        for _ in range(50):
            async with http.get(base + "/api/state") as resp:
                state = await resp.json()
            if state.get("battery"):
                break
            await asyncio.sleep(0.1)
    assert state["battery"] == {"level": 10, "charging": False, "low": True}


@pytest.mark.parametrize("profile", ["kiosk", "mobile"])
async def test_only_a_mobile_kit_has_an_outbox(
    console: FakeConsole, tmp_path: Path, profile: str
) -> None:
    """The outbox, its upload task and ``/api/outbox*`` are built for ``profile = "mobile"``
    alone: a stationary terminal answers 404 there and makes no outbox folder."""
    data_dir = tmp_path / "data"
    config = replace(
        Config(), console_url=console.url, data_dir=data_dir, kiosk_port=0, pin_factory="mock",
        ice_host_addresses=("127.0.0.1",), printer="fake", card_reader="fake", profile=profile,
    )  # fmt: skip
    mobile = profile == "mobile"
    with terminal_in_thread(config, "secret") as term:
        await wait_for(lambda: any(isinstance(m, Hello) for m in console.received), within=10)
        assert (term.outbox is not None) == mobile
        await wait_for(lambda: term.outbox is None or term.outbox.running, within=10)
        base = f"http://127.0.0.1:{term.kiosk_port}"
        async with aiohttp.ClientSession() as http:
            async with http.get(base + "/api/outbox") as resp:
                assert resp.status == (200 if mobile else 404)
                assert ("pending" in await resp.json()) == mobile
            async with http.post(base + "/api/outbox/capture", json={}) as resp:
                answer = await resp.json()
            # the kit's outbox answers (it has no console key from this fake console yet)
            expected = ("no_key", 409) if mobile else ("not_found", 404)
            assert (answer["error"]["code"], resp.status) == expected, answer
    assert (data_dir / "outbox").is_dir() == mobile
