"""The PC/SC reader against a real pcscd with the vpcd virtual reader and a virtual card.

pcscd is started by the fixture (see ``vpcd.py``): nothing on the machine needs to run
before, and a missing pcscd or vpcd driver fails the test with the package to install.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import aiohttp
import pytest

from appliance.config import Config
from appliance.daemon import Terminal
from appliance.parts.cards.pcsc import PcscCardReader
from protocol.messages import CardStatus, PartsReport
from tests.appliance.cards.test_atr import EGK, EID, GIROCARD
from tests.appliance.cards.vpcd import Pcscd, VirtualCard, free_port_pair
from tests.appliance.fakes import FakeConsole, wait_for
from tests.terminal_thread import terminal_in_thread


@pytest.fixture
def pcscd(tmp_path: Path) -> Iterator[Pcscd]:
    daemon = Pcscd(tmp_path / "pcscd", free_port_pair())
    daemon.start()
    yield daemon
    daemon.stop()


@pytest.fixture
def cards(pcscd: Pcscd) -> Iterator[list[VirtualCard]]:
    made: list[VirtualCard] = []
    yield made
    for card in made:
        card.remove()


def card(pcscd: Pcscd, made: list[VirtualCard], atr: str) -> VirtualCard:
    virtual = VirtualCard(pcscd.port, atr)
    made.append(virtual)
    return virtual


async def test_insert_remove_and_pcscd_restart(pcscd: Pcscd, cards: list[VirtualCard]) -> None:
    changes: list[str | None] = []
    reader = PcscCardReader(changes.append, backoff_max_s=1.0)
    task = asyncio.create_task(reader.run())
    try:
        await wait_for(lambda: reader.health() == "ok")
        eid = card(pcscd, cards, EID)
        eid.insert()
        started = time.monotonic()
        await wait_for(lambda: reader.health() == "eid")
        print(f"eID recognised {time.monotonic() - started:.2f} s after insertion")
        assert eid.apdus == []  # only the ATR is used: no command reaches the card
        eid.remove()
        await wait_for(lambda: reader.health() == "ok")

        eid.insert()
        await wait_for(lambda: reader.health() == "eid")
        pcscd.stop()  # the card goes with the service
        await wait_for(lambda: reader.health() == "missing")
        eid.remove()
        pcscd.start()
        started = time.monotonic()
        await wait_for(lambda: reader.health() == "ok", within=10)
        print(f"reader back {time.monotonic() - started:.2f} s after pcscd restarted")
        egk = card(pcscd, cards, EGK)
        egk.insert()
        await wait_for(lambda: reader.health() == "egk")
        assert changes == ["eid", None, "eid", None, "egk"]
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task


async def test_no_pcscd_is_missing_until_it_starts(tmp_path: Path) -> None:
    daemon = Pcscd(tmp_path / "pcscd", free_port_pair())
    reader = PcscCardReader(lambda card: None, backoff_max_s=0.5)
    task = asyncio.create_task(reader.run())
    try:
        await asyncio.sleep(0.3)
        assert reader.health() == "missing"
        daemon.start()
        await wait_for(lambda: reader.health() == "ok", within=10)
    finally:
        task.cancel()
        daemon.stop()
        with pytest.raises(asyncio.CancelledError):
            await task


@pytest.fixture
async def console() -> AsyncIterator[FakeConsole]:
    fake = FakeConsole(heartbeat_s=0.5)
    await fake.start()
    yield fake
    await fake.stop()


@pytest.fixture
def terminal(console: FakeConsole, tmp_path: Path, pcscd: Pcscd) -> Iterator[Terminal]:
    config = replace(
        Config(),
        console_url=console.url,
        data_dir=tmp_path,
        kiosk_port=0,
        pin_factory="mock",
        printer="none",
        card_reader="pcsc",
    )
    with terminal_in_thread(config, "secret") as term:
        yield term


async def test_daemon_reports_card_to_console_and_healthz(
    terminal: Terminal, console: FakeConsole, pcscd: Pcscd, cards: list[VirtualCard]
) -> None:
    health_url = f"http://127.0.0.1:{terminal.kiosk_port}/healthz"

    async def card_reader_health() -> str:
        async with http.get(health_url) as resp:
            return str((await resp.json())["parts"]["card_reader"])

    async with aiohttp.ClientSession() as http:
        await wait_for(lambda: terminal.coordinator.state == "idle")
        await wait_for(lambda: terminal.parts()["card_reader"] == "ok")
        assert await card_reader_health() == "ok"

        giro = card(pcscd, cards, GIROCARD)
        giro.insert()
        await wait_for(lambda: CardStatus(card="girocard") in console.received)
        assert await card_reader_health() == "girocard"
        await wait_for(
            lambda: any(
                isinstance(m, PartsReport) and m.parts.get("card_reader") == "girocard"
                for m in console.received
            )
        )
        giro.remove()
        await wait_for(lambda: CardStatus(card=None) in console.received)
        assert await card_reader_health() == "ok"
