"""A real console (tests/console's fixtures: hypercorn on 127.0.0.1) that hands out codes.

Enrollment in these tests goes through the console's own ``POST /api/v1/enroll``; codes
are created the way an admin's request does (``Enroller.add_terminal``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from console.enroll import Enroller
from tests.console.conftest import (
    RunningConsole,
    backend,
    config,
    console,
    database_url,
    seed,
    store,
    template_db,
)

__all__ = ["backend", "config", "console", "database_url", "seed", "store", "template_db"]

NewCode = Callable[[], Awaitable[str]]


@pytest.fixture
def new_code(console: RunningConsole) -> NewCode:
    """Register a terminal in Aldorf and return its one-time enrollment code."""
    counter = iter(range(1000))

    async def make() -> str:
        _, code = await Enroller(console.store).add_terminal(
            "Aldorf", f"Rathaus Aldorf {next(counter)}", 1
        )
        return code

    return make


@pytest.fixture
def boot_dir(tmp_path: Path) -> Path:
    """An empty stand-in for the FAT partition mounted at /boot/config."""
    path = tmp_path / "boot"
    path.mkdir()
    return path


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A stand-in for the data partition mounted at /data (not created yet)."""
    return tmp_path / "data"
