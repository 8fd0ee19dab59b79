"""The camera leg's side of link adaptation: a track that follows the ladder, and its monitor.

:class:`AdaptiveTrack` wraps a camera track that returns decoded frames (synthetic, V4L2):
it scales each frame to the rung's size (aiortc's VP8/H.264 encoder reopens itself at the new
size, with a keyframe), drops frames above the rung's rate, and on the audio-only rung returns
nothing at all, so aiortc's sender simply waits: the video pauses while the sound goes on. A
track of pre-encoded H.264 (the Pi's hardware encoder) cannot be scaled here; it is sent as
it comes (the rung is still reported, so the citizen and the caseworker are told).

:class:`LinkMonitor` reads the leg's RTCP figures once a second (aiortc's ``getStats``: the
``remote-inbound-rtp`` entries built from the caseworker browser's receiver reports, and the
REMB noted by :class:`SenderCap`), turns them into a :class:`~appliance.media.quality.LinkSample`
over the shortest span back from now that holds enough packets (:data:`ENOUGH_PACKETS`, at most
:data:`WINDOW_S`: 1 lost packet out of 10 is not 10 % loss, but at full video one report is
plenty, and every second spent sending too much floods the link), and hands it to the
controller. A change of rung is applied to the track and reported through ``on_change``.
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
WINDOW_S = 5.0
"""Loss is counted over at most this many seconds of receiver reports since the last change
of rung..."""
ENOUGH_PACKETS = 50
"""...and over the shortest span back from now that covers this many packets: at full video
(100-200 packets a second) that is the last report, so a link that turns poor is seen about a
second after it does, before the flood it is drowning in has backed up the signaling socket
behind it; on a low rung (about 10 a second) it is the whole window: 3 % of random loss on
30 packets reads as 8 % ("bad") too often."""


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


RTX_FULL_PER_S = 40.0
"""Retransmissions a second on the full rung: about 350 kbit/s of 1,100-byte packets, ten
times what a good line with 1 % loss asks for at 1.5 Mbit/s."""
RTX_SHARE = 0.5
"""On a capped rung retransmissions may add this share of the rung's video bitrate."""
RTX_PACKET_BITS = 8 * 1100
"""A retransmitted video packet, for turning a bitrate into packets a second."""


def retransmits_per_s(rung: Rung) -> float:
    """How many lost packets a second the sender may send again on ``rung``."""
    if rung.video_bps is None:
        return RTX_FULL_PER_S
    return rung.video_bps * RTX_SHARE / RTX_PACKET_BITS


class RetransmitBudget:
    """A token bucket of retransmissions: ``per_s`` a second, at most one second's worth saved."""

    def __init__(self, clock: Callable[[], float], per_s: float = RTX_FULL_PER_S) -> None:
        self._clock = clock
        self._per_s = per_s
        self._tokens = per_s
        self._at = clock()
        self.refused = 0

    def set_rate(self, per_s: float) -> None:
        """From now on ``per_s`` a second (what is saved shrinks to the new second's worth)."""
        self._refill()
        self._per_s = per_s
        self._tokens = min(self._tokens, max(per_s, 1.0))

    def take(self) -> bool:
        """Whether one more retransmission may go now (it is counted if so)."""
        self._refill()
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        self.refused += 1
        return False

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._tokens + (now - self._at) * self._per_s, max(self._per_s, 1.0))
        self._at = now


class SenderCap:
    """Holds a video sender to a rung: its software encoder's bitrate and its retransmissions.

    aiortc sets its encoder's target from each REMB, clamped to at least 250 kbit/s (VP8) or
    500 kbit/s (H.264): more than a whole 300 kbit/s line. On a capped rung this class keeps
    the REMBs from aiortc (it notes them for the figures) and writes the rung's target into
    the encoder's own field (``_Vp8Encoder__target_bitrate``, name-mangled: aiortc offers no
    way to set it below the floor); the encoder reopens itself at the new rate (its >10 %
    rule). Back on the full rung the REMBs reach aiortc again. Pre-encoded H.264 from the
    Pi's hardware encoder has no software encoder here: nothing to cap.

    aiortc also sends a packet again for every NACK, without limit. On a line that has just
    turned poor that is a storm: the receiver asks for every lost full-size packet, again
    after each round trip, the retransmissions are lost in turn, and 100-140 of them a second
    (about 1 Mbit/s) were measured on a 300 kbit/s line, on top of the video, and for seconds
    after the video had stepped down (the sender's history still holds the big packets). So
    the NACKs go through a :class:`RetransmitBudget` of :func:`retransmits_per_s` for the
    rung; what is over it is not sent again (the receiver conceals it or asks for a
    keyframe).
    """

    def __init__(
        self,
        sender: Any,
        seen: Callable[[int], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        from aiortc.rtp import (
            RTCP_PSFB_APP,
            RTCP_RTPFB_NACK,
            RtcpPsfbPacket,
            RtcpRtpfbPacket,
            unpack_remb_fci,
        )

        self._sender = sender
        self.cap_bps: int | None = None
        self.last_remb: int | None = None
        self.retransmits = RetransmitBudget(clock)
        handle = sender._handle_rtcp_packet

        async def handle_and_note(packet: Any) -> None:
            if isinstance(packet, RtcpRtpfbPacket) and packet.fmt == RTCP_RTPFB_NACK:
                for sequence_number in packet.lost:
                    if self.retransmits.take():
                        await sender._retransmit(sequence_number)
                return
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

    def follow(self, rung: Rung, *, encoder: bool) -> None:
        """Hold the sender to ``rung``; ``encoder``: its encoder's bitrate too (decoded frames)."""
        self.retransmits.set_rate(retransmits_per_s(rung))
        if encoder:
            self.set(rung.video_bps)

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


@dataclass(frozen=True)
class Counters:
    """One stream's cumulative receiver-report figures, as the sender last got them."""

    lost: int
    received: int
    rtt_s: float | None = None


class _LossWindow:
    """Loss over the shortest recent span of one stream's reports that holds enough packets."""

    def __init__(self, window_s: float) -> None:
        self._window = window_s
        self._history: collections.deque[tuple[float, int, int]] = collections.deque()

    def restart(self) -> None:
        """Forget the reports so far: what was sent before does not count any more."""
        self._history.clear()

    def add(self, now: float, counters: Counters) -> tuple[int, int]:
        """Note ``counters`` at ``now``; the (lost, received) packets of the span judged."""
        lost, received = counters.lost, counters.received
        self._history.append((now, lost, received))
        while len(self._history) > 2 and now - self._history[1][0] >= self._window:
            self._history.popleft()
        d_lost = d_received = 0
        for _, lost0, received0 in reversed(self._history):  # the newest span that is enough
            d_lost, d_received = max(lost - lost0, 0), max(received - received0, 0)
            if d_lost + d_received >= ENOUGH_PACKETS:
                break
        return d_lost, d_received


class LinkSampler:
    """Turns cumulative receiver-report counters into windowed samples.

    The video's reports decide while the video flows: it is what the ladder changes, and the
    receiver reports on it every second. The sound's reports come every 5-10 s and each
    covers everything since the last, so the loss of a flood seconds ago would still arrive
    after the video had stepped down and been lost no more: measured, it pushed a "low" rung
    that fitted (3 % loss) on to audio only. With the video paused the sound's reports are
    all there is.
    """

    def __init__(self, clock: Callable[[], float], window_s: float = WINDOW_S) -> None:
        self._clock = clock
        self._video = _LossWindow(window_s)
        self._audio = _LossWindow(window_s)
        self._remb: tuple[float, int] | None = None

    def remb(self, bps: int) -> None:
        """The receiver's newest estimate."""
        self._remb = (self._clock(), bps)

    def restart(self) -> None:
        """Count loss from now on only: the rung changed, what it sent before says nothing."""
        self._video.restart()
        self._audio.restart()

    def sample(self, video: Counters | None, audio: Counters | None = None) -> LinkSample:
        """A sample from the video's and the sound's cumulative counters (None: no report)."""
        now = self._clock()
        loss: float | None = None
        rtt: float | None = None
        for counters, window in ((video, self._video), (audio, self._audio)):
            if counters is None:
                continue
            d_lost, d_received = window.add(now, counters)
            if loss is None and d_lost + d_received >= 10:
                loss, rtt = d_lost / (d_lost + d_received), counters.rtt_s
        if rtt is None:  # no stream with enough packets: the freshest round trip there is
            rtt = next((c.rtt_s for c in (video, audio) if c is not None and c.rtt_s), None)
        remb = None
        if self._remb is not None and now - self._remb[0] <= REMB_FRESH_S:
            remb = self._remb[1]
        return LinkSample(loss=loss, rtt_s=rtt, remb_bps=remb)


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


async def read_counters(pc: Any) -> dict[str, Counters]:
    """The video's and the sound's receiver-report counters of ``pc``, by kind."""
    out: dict[str, Counters] = {}
    for sender in pc.getSenders():
        report = await sender.getStats()
        for stats in report.values():
            if getattr(stats, "type", None) != "remote-inbound-rtp":
                continue
            rtt = None if stats.roundTripTime is None else float(stats.roundTripTime)
            lost, received = int(stats.packetsLost), int(stats.packetsReceived)
            was = out.get(stats.kind)
            if was is not None:  # a second stream of a kind: summed, the larger round trip
                rtt = max(rtt or 0.0, was.rtt_s or 0.0) or None
                lost, received = lost + was.lost, received + was.received
            out[stats.kind] = Counters(lost, received, rtt)
    return out


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
        self._cap: SenderCap | None = None
        for sender in pc.getSenders():
            if sender.track is not None and sender.track.kind == "video":
                self._cap = SenderCap(sender, self._sampler.remb)
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
            counters = await read_counters(self._pc)
            sample = self._sampler.sample(counters.get("video"), counters.get("audio"))
            self.figures = figures_of(sample)
            rung = self._controller.observe(sample)
            if self._cap is not None:
                self._cap.apply()
            if rung is None:
                continue
            log.warning("link %s: video now %s", self.figures, rung.name)
            self._sampler.restart()
            if self._track is not None:
                self._track.set_rung(rung)
            if self._cap is not None:
                self._cap.follow(rung, encoder=self._track is not None)
            self._on_change(rung, self.figures)
