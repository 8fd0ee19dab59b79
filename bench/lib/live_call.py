"""One call running through the whole system, for benches that measure during a call.

Console process, terminal daemon process (:mod:`bench.lib.terminal_process`), and
Debian's Chromium with the caseworker's page and the kiosk page, as in the end-to-end
tests (tests/e2e/harness.py). The citizen's two presses are the kiosk's intents, the
caseworker answers in the page; the block runs while both pages decode video.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.lib.terminal_process import TerminalProcess
from tests.e2e.harness import (
    PASSWORD,
    Console,
    enroll_terminal,
    frames_decoded,
    login,
    seed_console,
    wait_for,
)

CAMERA_PC = "window.btConsole.pcs.camera"
"""The caseworker page's peer connection of the terminal's camera (aiortc -> Chromium)."""
REMOTE_VIDEO = "document.querySelector('[data-test=remote-video]')"
"""The caseworker page's video element showing the citizen."""


@dataclass
class LiveCall:
    """A call in progress and everything taking part in it."""

    console: Console
    terminal: TerminalProcess
    caseworker: Any
    kiosk: Any


@contextlib.contextmanager
def live_call(
    base: Path, browser: Any, camera_size: str = "640x480", camera_fps: int = 25
) -> Iterator[LiveCall]:
    """Start everything, make the call, yield while it runs, hang up and stop everything."""
    console = Console(base / "console")
    code = seed_console(console)
    console.start()
    try:
        enroll_terminal(console, code, base / "terminal")
        terminal = TerminalProcess(console, base / "terminal", camera_size, camera_fps)
        terminal.start()
        try:
            caseworker = browser.new_context().new_page()
            login(caseworker, console.url, "anna", PASSWORD)
            kiosk = browser.new_context().new_page()
            kiosk.goto(terminal.kiosk_url + "/")
            kiosk.wait_for_selector('[data-test=state][data-state="idle"]')
            terminal.intent("/api/call")
            terminal.intent("/api/continue", {"language": "de"})
            caseworker.wait_for_selector("[data-test=queue-item]", timeout=15_000)
            caseworker.click("[data-test=queue-item] [data-test=answer]")
            wait_for(lambda: frames_decoded(caseworker, CAMERA_PC) > 0, 20, 0.1, "camera leg")
            wait_for(lambda: frames_decoded(kiosk, "window.btKiosk.pc") > 0, 20, 0.1, "screen")
            yield LiveCall(console, terminal, caseworker, kiosk)
            caseworker.click("[data-test=hangup]")
            wait_for(lambda: terminal.state() == "idle", 15, 0.1, "terminal idle again")
        finally:
            terminal.stop()
    finally:
        console.stop()
