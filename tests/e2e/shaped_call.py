"""A whole call over a shaped link, and what the caseworker receives: shared by test and bench.

The console runs on this side of the link shaper (tests/link_shaper.py), the terminal daemon
and the kiosk's Chromium inside the shaped namespace, the caseworker's Chromium on this side,
as in tests/e2e/test_network_loss.py. :func:`measure` reads the caseworker page's own WebRTC
statistics of the camera leg (what the citizen's terminal sends) over a few seconds: frames
per second decoded and their size, freezes (Chromium's ``freezeCount``: a frame later than
three times the mean frame gap, or 150 ms), audio continuity (the share of samples that were
real sound rather than concealment), and the ICE round trip.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.e2e.harness import (
    Console,
    enroll_terminal,
    frames_decoded,
    seed_console,
    wait_for,
)
from tests.e2e.terminal_process import TerminalProcess, kiosk_and_caseworker
from tests.link_shaper import Shape, ShapedLink, shaped_namespace

CAMERA_PC = "window.btConsole.pcs.camera"
KIOSK_PC = "window.btKiosk.pc"
POOR = Shape(delay_ms=100, loss=0.03, rate_kbit=300)
"""The issue's poor mobile link: 300 kbit/s, 200 ms round trip (100 ms each way), 3 % loss."""

STATS_JS = """async (pc) => {
  const out = { frames: 0, width: 0, height: 0, freezes: 0, freeze_s: 0,
                samples: 0, concealed: 0, audio_packets: 0, rtt_s: null };
  if (!pc) return out;
  const report = await pc.getStats();
  report.forEach((s) => {
    if (s.type === "inbound-rtp" && s.kind === "video") {
      out.frames = s.framesDecoded || 0;
      out.width = s.frameWidth || 0;
      out.height = s.frameHeight || 0;
      out.freezes = s.freezeCount || 0;
      out.freeze_s = s.totalFreezesDuration || 0;
    }
    if (s.type === "inbound-rtp" && s.kind === "audio") {
      out.samples = s.totalSamplesReceived || 0;
      out.concealed = s.concealedSamples || 0;
      out.audio_packets = s.packetsReceived || 0;
    }
  });
  // the pair the transport uses: an earlier nominated pair keeps a stale round trip
  report.forEach((t) => {
    const pair = t.type === "transport" && report.get(t.selectedCandidatePairId);
    if (pair && pair.currentRoundTripTime !== undefined) { out.rtt_s = pair.currentRoundTripTime; }
  });
  return out;
}"""


@dataclass(frozen=True)
class Received:
    """What the caseworker received of the camera leg over ``seconds``."""

    seconds: float
    fps: float
    width: int
    height: int
    freezes: int
    freeze_s: float
    audio_continuity: float
    """Share of the audio samples played that were received sound, not concealment (0..1)."""
    audio_packets: int
    rtt_ms: float | None

    def line(self) -> str:
        """One readable line of the figures."""
        rtt = "?" if self.rtt_ms is None else f"{self.rtt_ms:.0f}"
        return (f"{self.width}x{self.height} at {self.fps:.1f} fps, {self.freezes} freezes "
                f"({self.freeze_s:.1f} s), audio {self.audio_continuity * 100:.1f} % continuous "
                f"({self.audio_packets} packets), round trip {rtt} ms")  # fmt: skip


def _stats(page: Any) -> dict[str, Any]:
    result: dict[str, Any] = page.evaluate(f"async () => ({STATS_JS})({CAMERA_PC})")
    return result


def measure(page: Any, seconds: float) -> Received:
    """The caseworker page's reception of the camera leg over the next ``seconds``."""
    before = _stats(page)
    start = time.monotonic()
    time.sleep(seconds)
    after = _stats(page)
    span = time.monotonic() - start
    samples = after["samples"] - before["samples"]
    concealed = after["concealed"] - before["concealed"]
    continuity = 1 - concealed / samples if samples > 0 else 0.0
    return Received(
        seconds=span,
        fps=(after["frames"] - before["frames"]) / span,
        width=int(after["width"]),
        height=int(after["height"]),
        freezes=int(after["freezes"] - before["freezes"]),
        freeze_s=float(after["freeze_s"] - before["freeze_s"]),
        audio_continuity=max(0.0, continuity),
        audio_packets=int(after["audio_packets"] - before["audio_packets"]),
        rtt_ms=None if after["rtt_s"] is None else float(after["rtt_s"]) * 1000,
    )


def quality_level(page: Any) -> str:
    """The level the caseworker page shows (``full`` when its badge is hidden)."""
    box = page.query_selector("[data-test=quality]")
    if box is None or box.is_hidden():
        return "full"
    return str(box.get_attribute("data-level"))


@dataclass
class ShapedCall:
    """The running pieces."""

    link: ShapedLink
    console: Console
    terminal: TerminalProcess
    anna: Any
    kiosk: Any

    def connect(self) -> None:
        """The citizen asks for a call, Frau A answers, both legs decode frames."""
        self.terminal.intent("/api/call")
        self.terminal.intent("/api/continue", {"language": "de"})
        self.anna.wait_for_selector("[data-test=queue-item]", timeout=15_000)
        self.anna.click("[data-test=queue-item] [data-test=answer]")
        wait_for(lambda: frames_decoded(self.anna, CAMERA_PC) > 0, 20, 0.1, "caseworker frames")
        wait_for(lambda: frames_decoded(self.kiosk, KIOSK_PC) > 0, 20, 0.1, "kiosk frames")

    def in_call(self) -> bool:
        """Both sides still in the call, and the kiosk not reconnecting."""
        caseworker = self.anna.get_attribute("[data-test=call-state]", "data-state")
        kiosk = self.kiosk.get_attribute("[data-test=state]", "data-state")
        reconnecting = bool(self.kiosk.is_visible("[data-test=reconnecting]"))
        return caseworker == "in-call" and kiosk == "in-call" and not reconnecting

    def hang_up(self) -> None:
        """Frau A hangs up; the terminal returns to idle."""
        self.anna.click("[data-test=hangup]")
        wait_for(lambda: self.terminal.state() == "idle", 15, 0.2, "terminal idle")


@contextlib.contextmanager
def shaped_call(base: Path) -> Iterator[ShapedCall]:
    """Console, terminal in a shaped namespace (clean at first), both Chromiums, signed in."""
    with shaped_namespace() as link:
        ns = link.netns
        settings = {"BT_CONSOLE_COOKIE_SECURE": "false"}  # plain http on the link's address
        console = Console(base / "console", heartbeat_s=15.0, host=ns.host_ip, extra_env=settings)
        code = seed_console(console)
        console.start()
        terminal = TerminalProcess(console, base / "terminal", netns=ns,
                                   extra_env={"BT_TERMINAL_LINK_PROBE_S": "5"})  # fmt: skip
        try:
            enroll_terminal(console, code, base / "terminal")
            terminal.start()
            with kiosk_and_caseworker(ns, base, console, terminal) as (kiosk, anna):
                yield ShapedCall(link, console, terminal, anna, kiosk)
        finally:
            link.clear()
            terminal.stop()
            console.stop()
