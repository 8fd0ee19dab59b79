"""Fixtures for whole-system tests: a console process, an in-process terminal, Chromium."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import BIN, Console, LoopThread, chromium

PASSWORD = "correct horse battery"


@dataclass
class World:
    """Two municipalities with a caseworker each, and one enrolled terminal in the first."""

    console: Console
    credential_dir: Path
    terminal_name: str = "Rathaus Adorf"


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    """A running console with municipalities A and B and an enrolled terminal in A."""
    base = tmp_path_factory.mktemp("world")
    console = Console(base / "console", heartbeat_s=2.0)
    console.data_dir.mkdir()
    console.cli("migrate")
    console.cli("add-municipality", "Adorf")
    console.cli("add-municipality", "Bedorf")
    console.cli("add-caseworker", "--municipality", "Adorf", "--display-name", "Frau A", "anna",
                password=PASSWORD)  # fmt: skip
    console.cli("add-caseworker", "--municipality", "Bedorf", "--display-name", "Herr B", "bert",
                password=PASSWORD)  # fmt: skip
    code = console.cli("add-terminal", "--municipality", "Adorf", "Rathaus Adorf").splitlines()[-1]
    console.start()
    terminal_dir = base / "terminal"
    env = dict(os.environ, BT_TERMINAL_DATA_DIR=str(terminal_dir),
               BT_TERMINAL_CONSOLE_URL=console.url)  # fmt: skip
    subprocess.run([str(BIN / "bt-terminal"), "enroll", "--code", code], env=env, check=True,
                   capture_output=True)  # fmt: skip
    try:
        yield World(console=console, credential_dir=terminal_dir)
    finally:
        console.stop()


@pytest.fixture(scope="module")
def terminal(world: World) -> Iterator[Any]:
    """The terminal daemon on a background loop, button on gpiozero's MockFactory."""
    from gpiozero.pins.mock import MockFactory, MockPWMPin

    from appliance.config import Config
    from appliance.credentials import load_credential
    from appliance.daemon import build_terminal

    config = Config(
        console_url=world.console.url,
        data_dir=world.credential_dir,
        kiosk_port=0,
        pin_factory="mock",
        ice_host_addresses=("127.0.0.1",),
        ended_linger_s=0.5,
        hold_to_cancel_s=1.0,
    )
    loop = LoopThread()

    async def build() -> Any:
        return build_terminal(
            config,
            load_credential(config.data_dir),
            pin_factory=MockFactory(pin_class=MockPWMPin),
        )

    built = loop.call(build())
    running = loop.submit(built.run())
    try:
        yield built
    finally:
        loop.call(built.stop())
        running.result(timeout=15)
        loop.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    """One headless Chromium for caseworkers and the kiosk screen."""
    with chromium() as instance:
        yield instance


@pytest.fixture(scope="module")
def artifacts() -> Path:
    """Where screenshots of the pages go (kept by CI as test artifacts)."""
    path = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
    path.mkdir(parents=True, exist_ok=True)
    return path
