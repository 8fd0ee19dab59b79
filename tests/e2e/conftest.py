"""Fixtures for whole-system tests: a console process, an in-process terminal, Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import (
    PASSWORD,
    Console,
    chromium,
    enroll_terminal,
    running_terminal,
    seed_console,
)

__all__ = ["PASSWORD", "World"]


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
    code = seed_console(console)
    console.start()
    enroll_terminal(console, code, base / "terminal")
    try:
        yield World(console=console, credential_dir=base / "terminal")
    finally:
        console.stop()


@pytest.fixture(scope="module")
def terminal(world: World) -> Iterator[Any]:
    """The terminal daemon on a background loop, button on gpiozero's MockFactory."""
    with running_terminal(world.console, world.credential_dir) as running:
        yield running


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
