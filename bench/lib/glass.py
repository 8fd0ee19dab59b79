"""Glass-to-glass delay in Chromium pages: read the clock stamps of the frames a page shows.

:func:`install` puts ``clockstamp.js`` into a page (through the DevTools protocol, so the
console page's Content-Security-Policy, which forbids inline scripts, does not stop it)
and checks its layout constants against :mod:`appliance.parts.camera.clockstamp`.
:func:`watch` reads every frame a ``<video>`` shows for some seconds;
:func:`chromium_reference` measures the same from a stamped canvas in one page, over an
RTCPeerConnection, to a video in another page: Chromium to Chromium, the reference.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from appliance.parts.camera import clockstamp

SCRIPT = Path(__file__).with_name("clockstamp.js")
GATHERED_JS = """const gathered = (pc) => new Promise((resolve) => {
  if (pc.iceGatheringState === 'complete') { resolve(); return; }
  pc.addEventListener('icegatheringstatechange', () => {
    if (pc.iceGatheringState === 'complete') { resolve(); }
  });
  setTimeout(resolve, 2000);  // as the console page: no trickle ICE, 2 s at most
});"""


@dataclass(frozen=True)
class Watched:
    """What a page saw of a video for some seconds."""

    delays_ms: list[float]
    unreadable: int
    frames: int
    width: int
    height: int


def install(page: Any) -> None:
    """Load clockstamp.js into ``page`` and check it agrees with the Python stamp."""
    page.evaluate(f"() => {{\n{SCRIPT.read_text(encoding='utf-8')}\n}}")
    js = page.evaluate("() => window.btClockstamp.constants")
    python = {
        "cells": clockstamp.CELLS,
        "sync": list(clockstamp.SYNC),
        "timeBits": clockstamp.TIME_BITS,
        "checkBits": clockstamp.CHECK_BITS,
        "minCell": clockstamp.MIN_CELL,
    }
    if js != python:
        raise RuntimeError(f"clockstamp.js {js} disagrees with clockstamp.py {python}")


def watch(page: Any, video_expr: str, seconds: float) -> Watched:
    """Read the stamps of every frame the video at ``video_expr`` shows for ``seconds``."""
    raw = page.evaluate(f"(seconds) => window.btClockstamp.watch({video_expr}, seconds)", seconds)
    return Watched(
        delays_ms=[float(d) for d in raw["delays"]],
        unreadable=int(raw["unreadable"]),
        frames=int(raw["frames"]),
        width=int(raw["width"]),
        height=int(raw["height"]),
    )


def chromium_reference(browser: Any, seconds: float, size: tuple[int, int], fps: int) -> Watched:
    """Stamped canvas -> RTCPeerConnection -> another page's video: the delays seen there."""
    sender = browser.new_context().new_page()
    receiver = browser.new_context().new_page()
    try:
        for page in (sender, receiver):
            install(page)
        offer = sender.evaluate(
            """async ([width, height, fps]) => {
              GATHERED
              const canvas = window.btClockstamp.stampedCanvas(width, height, fps);
              const stream = canvas.captureStream(fps);
              const pc = new RTCPeerConnection();
              window.benchPc = pc;
              stream.getTracks().forEach((t) => pc.addTrack(t, stream));
              await pc.setLocalDescription(await pc.createOffer());
              await gathered(pc);
              return pc.localDescription.sdp;
            }""".replace("GATHERED", GATHERED_JS),
            [size[0], size[1], fps],
        )
        answer = receiver.evaluate(
            """async (sdp) => {
              GATHERED
              const pc = new RTCPeerConnection();
              window.benchPc = pc;
              const video = document.createElement('video');
              video.muted = true; video.autoplay = true; video.playsInline = true;
              document.body.appendChild(video);
              window.benchVideo = video;
              pc.addEventListener('track', (e) => {
                video.srcObject = new MediaStream([e.track]);
              });
              await pc.setRemoteDescription({type: 'offer', sdp});
              await pc.setLocalDescription(await pc.createAnswer());
              await gathered(pc);
              return pc.localDescription.sdp;
            }""".replace("GATHERED", GATHERED_JS),
            offer,
        )
        sender.evaluate(
            "async (sdp) => window.benchPc.setRemoteDescription({type: 'answer', sdp})", answer
        )
        receiver.wait_for_function("() => window.benchVideo.readyState >= 2", timeout=15_000)
        return watch(receiver, "window.benchVideo", seconds)
    finally:
        sender.context.close()
        receiver.context.close()
