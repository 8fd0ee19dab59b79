"""The camera leg's side of link adaptation: a track that follows the ladder, and its monitor.

:class:`AdaptiveTrack` wraps a camera track that returns decoded frames (synthetic, V4L2):
it scales each frame to the rung's size (aiortc's VP8/H.264 encoder reopens itself at the new
size, with a keyframe), drops frames above the rung's rate, and on the audio-only rung returns
nothing at all, so aiortc's sender simply waits: the video pauses while the sound goes on. A
track of pre-encoded H.264 (the Pi's hardware encoder) cannot be scaled here; it is sent as
it comes (the rung is still reported, so the citizen and the caseworker are told).

:class:`LinkMonitor` reads the leg's RTCP figures once a second (aiortc's ``getStats``: the
``remote-inbound-rtp`` entries built from the caseworker browser's receiver reports, and the
REMB seen by :func:`watch_remb`), turns them into a :class:`~appliance.media.quality.LinkSample`
over a window of a few seconds (one receiver report covers a fraction of a second: 1 lost packet
out of 10 is not 10 % loss), and hands it to the controller. A change of rung is applied to the
track and reported through ``on_change``.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aiortc import MediaStreamTrack

from appliance.media.quality import LADDER, LinkSample, QualityController, Rung

log = logging.getLogger(__name__)

REMB_FRESH_S = 3.0
"""A REMB older than this is ignored (no video flowing: the receiver stops sending them)."""
WINDOW_S = 3.0
"""Loss is counted over this many seconds of receiver reports."""


class AdaptiveTrack(MediaStreamTrack):
    """Returns ``inner``'s frames scaled and thinned to the current rung (see module doc)."""

    kind = "video"

    def __init__(self, inner: Any, rung: Rung = LADDER[0]) -> None:
        super().__init__()
        self._inner = inner
        self._rung = rung
        self._next_at = 0.0
        self._resumed = asyncio.Event()
        self._resumed.set()
        self.sent = 0

    @property
    def rung(self) -> Rung:
        """The rung being sent."""
        return self._rung

    def set_rung(self, rung: Rung) -> None:
        """Follow ``rung`` from the next frame on."""
        self._rung = rung
        self._next_at = 0.0
        if rung.video:
            self._resumed.set()
        else:
            self._resumed.clear()

    async def recv(self) -> Any:
        """The next frame to send at the current rung."""
        while True:
            frame = await self._inner.recv()  # keep reading: the newest frame on resume
            rung = self._rung
            if rung is LADDER[0]:
                self.sent += 1
                return frame  # the camera's own setting
            if not rung.video:
                continue
            now = time.monotonic()
            if now < self._next_at:
                continue
            self._next_at = max(self._next_at + 1.0 / rung.fps, now - 0.5 / rung.fps)
            if (frame.width, frame.height) != (rung.width, rung.height):
                frame = _scaled(frame, rung.width, rung.height)
            self.sent += 1
            return frame

    def stop(self) -> None:
        """Stop this track and the camera track it wraps."""
        super().stop()
        self._inner.stop()


def _scaled(frame: Any, width: int, height: int) -> Any:
    scaled = frame.reformat(width=width, height=height)
    scaled.pts = frame.pts
    scaled.time_base = frame.time_base
    return scaled


class EncoderCap:
    """Holds a video sender's software encoder to a rung's bitrate, below aiortc's floor.

    aiortc sets its encoder's target from each REMB, clamped to at least 250 kbit/s (VP8) or
    500 kbit/s (H.264): more than a whole 300 kbit/s line. On a capped rung this class keeps
    the REMBs from aiortc (it notes them for the figures) and writes the rung's target into
    the encoder's own field (``_Vp8Encoder__target_bitrate``, name-mangled: aiortc offers no
    way to set it below the floor); the encoder reopens itself at the new rate (its >10 %
    rule). Back on the full rung the REMBs reach aiortc again. Pre-encoded H.264 from the
    Pi's hardware encoder has no software encoder here: nothing to cap.
    """

    def __init__(self, sender: Any, seen: Callable[[int], None]) -> None:
        from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, unpack_remb_fci

        self._sender = sender
        self.cap_bps: int | None = None
        self.last_remb: int | None = None
        handle = sender._handle_rtcp_packet

        async def handle_and_note(packet: Any) -> None:
            if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
                try:
                    bitrate, ssrcs = unpack_remb_fci(packet.fci)
                except ValueError:
                    bitrate, ssrcs = 0, []
                if sender._ssrc in ssrcs:
                    self.last_remb = bitrate
                    seen(bitrate)
                    if self.cap_bps is not None:
                        return  # capped: aiortc would raise the target to its floor
            await handle(packet)

        sender._handle_rtcp_packet = handle_and_note

    def set(self, cap_bps: int | None) -> None:
        """Cap the encoder at ``cap_bps``, or (None) hand the rate back to aiortc's REMB."""
        was, self.cap_bps = self.cap_bps, cap_bps
        encoder = getattr(self._sender, "_RTCRtpSender__encoder", None)
        if encoder is None or not hasattr(encoder, "target_bitrate"):
            return  # not encoding yet (or pre-encoded): :meth:`apply` tries again
        if cap_bps is None:
            if was is not None:
                encoder.target_bitrate = self.last_remb or was  # aiortc's clamp applies
            return
        field = f"_{type(encoder).__name__}__target_bitrate"
        if hasattr(encoder, field) and getattr(encoder, field) != cap_bps:
            setattr(encoder, field, cap_bps)

    def apply(self) -> None:
        """Apply the cap again (the encoder is created with the first frame)."""
        if self.cap_bps is not None:
            self.set(self.cap_bps)


@dataclass(frozen=True)
class Figures:
    """The link as the monitor last saw it, for the screens."""

    rtt_ms: int | None
    loss_pct: float | None
    remb_kbps: int | None


class LinkSampler:
    """Turns cumulative receiver-report counters into windowed samples."""

    def __init__(self, clock: Callable[[], float], window_s: float = WINDOW_S) -> None:
        self._clock = clock
        self._window = window_s
        self._history: collections.deque[tuple[float, int, int]] = collections.deque()
        self._remb: tuple[float, int] | None = None

    def remb(self, bps: int) -> None:
        """The receiver's newest estimate."""
        self._remb = (self._clock(), bps)

    def sample(self, lost: int, received: int, rtt_s: float | None) -> LinkSample:
        """A sample from the senders' summed cumulative ``lost`` and ``received`` counts."""
        now = self._clock()
        self._history.append((now, lost, received))
        while len(self._history) > 2 and now - self._history[1][0] >= self._window:
            self._history.popleft()
        _, lost0, received0 = self._history[0]
        d_lost, d_received = max(lost - lost0, 0), max(received - received0, 0)
        loss = d_lost / (d_lost + d_received) if d_lost + d_received >= 10 else None
        remb = None
        if self._remb is not None and now - self._remb[0] <= REMB_FRESH_S:
            remb = self._remb[1]
        return LinkSample(loss=loss, rtt_s=rtt_s, remb_bps=remb)


def listen(pc: Any, heard: Callable[[], None]) -> None:
    """Call ``heard()`` for every RTCP packet any sender of ``pc`` handles."""
    for sender in pc.getSenders():
        handle = sender._handle_rtcp_packet

        async def handle_and_beat(packet: Any, handle: Any = handle) -> None:
            heard()
            await handle(packet)

        sender._handle_rtcp_packet = handle_and_beat


def figures_of(sample: LinkSample) -> Figures:
    """Rounded figures of a sample for the kiosk and the caseworker."""
    return Figures(
        rtt_ms=None if sample.rtt_s is None else round(sample.rtt_s * 1000),
        loss_pct=None if sample.loss is None else round(sample.loss * 100, 1),
        remb_kbps=None if sample.remb_bps is None else round(sample.remb_bps / 1000),
    )


async def read_counters(pc: Any) -> tuple[int, int, float | None]:
    """Summed ``packetsLost``, ``packetsReceived`` and the largest round trip of ``pc``."""
    lost = received = 0
    rtt: float | None = None
    for sender in pc.getSenders():
        report = await sender.getStats()
        for stats in report.values():
            if getattr(stats, "type", None) != "remote-inbound-rtp":
                continue
            lost += int(stats.packetsLost)
            received += int(stats.packetsReceived)
            if stats.roundTripTime is not None:
                rtt = max(rtt or 0.0, float(stats.roundTripTime))
    return lost, received, rtt


class LinkMonitor:
    """Samples the leg once a second and steps the track along the ladder."""

    def __init__(
        self,
        pc: Any,
        track: AdaptiveTrack | None,
        on_change: Callable[[Rung, Figures], None],
        *,
        controller: QualityController | None = None,
        period_s: float = 1.0,
        heard: Callable[[], None] | None = None,
    ) -> None:
        self._pc = pc
        self._track = track
        self._on_change = on_change
        self._controller = controller or QualityController(clock=time.monotonic)
        self._sampler = LinkSampler(time.monotonic)
        self._period = period_s
        self.figures = Figures(None, None, None)
        self._cap: EncoderCap | None = None
        for sender in pc.getSenders():
            if sender.track is not None and sender.track.kind == "video":
                self._cap = EncoderCap(sender, self._sampler.remb)
        if heard is not None:
            listen(pc, heard)

    @property
    def rung(self) -> Rung:
        """The rung now sent."""
        return self._controller.rung

    async def run(self) -> None:
        """Sample until cancelled; a failure stops the adaptation, never the call."""
        try:
            await self._run()
        except asyncio.CancelledError:
            raise
        except Exception:  # aiortc internals moved: the call goes on at the current rung
            log.exception("link monitor stopped")

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self._period)
            lost, received, rtt = await read_counters(self._pc)
            sample = self._sampler.sample(lost, received, rtt)
            self.figures = figures_of(sample)
            rung = self._controller.observe(sample)
            if self._cap is not None:
                self._cap.apply()
            if rung is None:
                continue
            log.warning("link %s: video now %s", self.figures, rung.name)
            if self._track is not None:
                self._track.set_rung(rung)
            if self._cap is not None and self._track is not None:
                self._cap.set(rung.video_bps)
            self._on_change(rung, self.figures)
