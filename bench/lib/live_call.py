"""One call running through the whole system, for benches that measure during a call.

Console process, terminal daemon process (:mod:`tests.e2e.terminal_process`), and
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

from bench.lib.processes import rss_bytes
from tests.e2e.harness import (
    PASSWORD,
    Console,
    enroll_terminal,
    frames_decoded,
    login,
    seed_console,
    wait_for,
)
from tests.e2e.terminal_process import TerminalProcess

CAMERA_PC = "window.btConsole.pcs.camera"
"""The caseworker page's peer connection of the terminal's camera (aiortc -> Chromium)."""
REMOTE_VIDEO = "document.querySelector('[data-test=remote-video]')"
"""The caseworker page's video element showing the citizen."""


INBOUND_VIDEO_JS = """async () => {
  const pc = %s;
  const stats = await pc.getStats();
  let inbound = null;
  stats.forEach((r) => { if (r.type === 'inbound-rtp' && r.kind === 'video') inbound = r; });
  if (!inbound) return {bytes: 0, frames: 0, codec: 'none'};
  const codec = inbound.codecId ? stats.get(inbound.codecId) : null;
  return {bytes: inbound.bytesReceived || 0, frames: inbound.framesDecoded || 0,
          codec: codec ? codec.mimeType : 'unknown'};
}"""


@dataclass(frozen=True)
class InboundVideo:
    """A receiving peer connection's video counters at one moment."""

    bytes: int
    frames: int
    codec: str
    """MIME type of the negotiated codec, e.g. ``video/VP8``."""


def inbound_video(page: Any, pc_expr: str) -> InboundVideo:
    """The video counters of the peer connection at ``pc_expr`` in ``page``."""
    raw = page.evaluate(INBOUND_VIDEO_JS % pc_expr)
    return InboundVideo(int(raw["bytes"]), int(raw["frames"]), str(raw["codec"]))


@dataclass
class LiveCall:
    """A call in progress and everything taking part in it."""

    console: Console
    terminal: TerminalProcess
    caseworker: Any
    kiosk: Any
    idle_rss: int
    """The daemon's resident memory once started, before the call."""


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
        idle_rss = rss_bytes(terminal.pid)
        contexts = [browser.new_context(), browser.new_context()]
        try:
            caseworker, kiosk = (context.new_page() for context in contexts)
            login(caseworker, console.url, "anna", PASSWORD)
            kiosk.goto(terminal.kiosk_url + "/")
            kiosk.wait_for_selector('[data-test=state][data-state="idle"]')
            terminal.intent("/api/call")
            terminal.intent("/api/continue", {"language": "de"})
            caseworker.wait_for_selector("[data-test=queue-item]", timeout=15_000)
            caseworker.click("[data-test=queue-item] [data-test=answer]")
            try:
                wait_for(lambda: frames_decoded(caseworker, CAMERA_PC) > 0, 30, 0.1, "camera")
                wait_for(lambda: frames_decoded(kiosk, "window.btKiosk.pc") > 0, 30, 0.1, "screen")
            except AssertionError as err:
                raise RuntimeError(f"{err}; the daemon logged:\n{terminal.log_tail()}") from err
            yield LiveCall(console, terminal, caseworker, kiosk, idle_rss)
            caseworker.click("[data-test=hangup]")
            wait_for(lambda: terminal.state() == "idle", 15, 0.1, "terminal idle again")
        finally:
            for context in contexts:  # a second call in the same browser starts without them
                context.close()
            terminal.stop()
    finally:
        console.stop()
