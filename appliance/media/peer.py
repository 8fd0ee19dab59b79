"""The camera leg: an aiortc peer connection sending camera video and microphone audio.

One leg per call, built from the ICE servers the console handed out in
``call.answered``. The list is always passed explicitly, even when empty, because
aiortc falls back to a public Google STUN server when ``iceServers`` is None, which
would leak the terminal's address and break offline demos. aiortc finishes ICE
gathering inside ``setLocalDescription``, so the offer it returns carries every
candidate (no trickle ICE in the protocol).

A camera without a picture (``track()`` returns None) gives an audio-only offer: the
call goes ahead without video. A track whose data is already encoded (the Pi 4's
hardware H.264) names its codec in ``encoded_as``, and only that codec is offered, since
aiortc packetises such data as it is.

The connection state is watched: ``failed`` (ICE or DTLS gave up) is reported through
``on_failed`` and the coordinator hangs up; aiortc has no ICE restart. aioice's checks
retransmit for up to about a minute before it gives up, so a leg that is not connected
``connect_timeout_s`` after the answer is reported as failed too, with the relay choice in
the message: the citizen and the caseworker see the call end instead of a frozen screen.

TURN: aiortc uses a single TURN URL, so :mod:`appliance.media.relay_choice` picks the first
reachable one of the console's list before the connection is built. For ``turns:`` aiortc
passes ``ssl=True`` to aioice, which hands it to ``loop.create_connection``: asyncio's
default context, the system CAs only, certificate and host name checked. A municipality's
relay with a certificate of its own PKI would fail that check (and aioice drops the failed
allocation silently), so the leg replaces the flag on each aioice ``Connection`` with the
terminal's trust context (:mod:`appliance.trust`: system CAs plus ``/data/config/ca.pem``),
checks still on.

Poor links: with ``on_quality`` the leg wraps a camera track of decoded frames in an
:class:`~appliance.media.adaptive.AdaptiveTrack` and, once answered, runs a
:class:`~appliance.media.adaptive.LinkMonitor` that steps it along the quality ladder
(:mod:`appliance.media.quality`) from the caseworker browser's RTCP reports, reporting each
change; ``on_rtcp`` hears every RTCP packet (the heartbeat's evidence that the network is
only congested, :mod:`appliance.media.pulse`). A monitor that fails stops adapting, never
the call.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from collections.abc import Callable
from typing import Any

from appliance.errors import MediaError
from appliance.media.quality import Rung
from appliance.media.relay_choice import RelayChoice, choose_relay
from protocol.messages import IceServer

log = logging.getLogger(__name__)

TrackFactory = Callable[[], Any]
"""Returns a fresh aiortc MediaStreamTrack, or None when the part is missing.

A fresh track per call: aiortc stops a sender's track when the connection closes.
"""


def rtc_ice_servers(servers: list[IceServer]) -> list[Any]:
    """Convert protocol ICE servers to aiortc's RTCIceServer objects."""
    from aiortc import RTCIceServer

    return [
        RTCIceServer(urls=list(s.urls), username=s.username, credential=s.credential)
        for s in servers
    ]


def codecs_of(mime_type: str) -> list[Any]:
    """aiortc's send codecs of one MIME type (e.g. ``video/H264``), for a pre-encoded track."""
    from aiortc import RTCRtpSender

    kind = mime_type.split("/")[0]
    codecs = [
        c for c in RTCRtpSender.getCapabilities(kind).codecs
        if c.mimeType.lower() == mime_type.lower()
    ]  # fmt: skip
    if not codecs:
        raise MediaError(f"aiortc cannot send {mime_type}")
    return codecs


def use_tls_context(pc: Any, context: ssl.SSLContext) -> int:
    """Give every aioice Connection of ``pc`` that will speak TLS to TURN ``context``.

    aiortc builds one ICE gatherer per transceiver when it is added and keeps its aioice
    ``Connection`` in ``_connection``; gathering starts in ``setLocalDescription``, so this
    runs between the two. Returns how many connections were changed."""
    changed = 0
    for transceiver in pc.getTransceivers():
        connection = transceiver.sender.transport.transport.iceGatherer._connection
        if connection.turn_ssl is True:
            connection.turn_ssl = context
            changed += 1
    return changed


def set_opus_bitrate(pc: Any, bps: int) -> int:
    """Give the audio senders that negotiated Opus an encoder at ``bps``; how many got one.

    aiortc creates a sender's encoder with the first frame, at a fixed 96 kbit/s. Right after
    ``setRemoteDescription`` no frame has been sent yet (the connection still has to do ICE and
    DTLS), so an encoder put in its place now is the one used. A sender that already encodes,
    or negotiated another codec, is left alone."""
    from aiortc.codecs.opus import OpusEncoder

    changed = 0
    for transceiver in pc.getTransceivers():
        sender = transceiver.sender
        codecs = getattr(transceiver, "_codecs", [])
        if transceiver.kind != "audio" or not codecs:
            continue
        if codecs[0].mimeType.lower() != "audio/opus":
            continue
        if getattr(sender, "_RTCRtpSender__encoder", "missing") is not None:
            continue
        encoder = OpusEncoder()
        encoder.codec.bit_rate = bps
        sender._RTCRtpSender__encoder = encoder
        changed += 1
    return changed


CONNECT_TIMEOUT_S = 15.0
"""From the caseworker's answer to a connected leg. A relayed call over TURN/TLS connects
in well under two seconds (tests/e2e/test_turn_tcp.py); fifteen leaves room for a slow
mobile line while the citizen still sees an honest message instead of a frozen screen."""


class AiortcCameraLeg:
    """Implements :class:`appliance.ports.CameraLeg` with aiortc."""

    def __init__(
        self,
        *,
        ice_servers: list[IceServer],
        video: TrackFactory,
        audio: TrackFactory,
        on_failed: Callable[[str], None],
        tls_context: ssl.SSLContext | None = None,
        connect_timeout_s: float = CONNECT_TIMEOUT_S,
        on_quality: Callable[[Rung, Any], None] | None = None,
        on_rtcp: Callable[[], None] | None = None,
        audio_bitrate: int | None = None,
    ) -> None:
        self._ice_servers = list(ice_servers)
        self._tls_context = tls_context if tls_context is not None else ssl.create_default_context()
        self._connect_timeout_s = connect_timeout_s
        self._pc: Any = None
        self._relay: RelayChoice | None = None
        self._watchdog: asyncio.Task[None] | None = None
        self._video = video
        self._audio = audio
        self._on_failed = on_failed
        self._closed = False
        self._failed = False
        self._on_quality = on_quality
        self._on_rtcp = on_rtcp
        self._audio_bitrate = audio_bitrate
        self._adaptive: Any = None
        self._monitor: asyncio.Task[None] | None = None

    @property
    def connection_state(self) -> str:
        """aiortc's connectionState (new, connecting, connected, failed, closed)."""
        return "new" if self._pc is None else str(self._pc.connectionState)

    @property
    def relay(self) -> RelayChoice | None:
        """The TURN URL chosen for this leg (None before the offer)."""
        return self._relay

    def _state_changed(self) -> None:
        state = self._pc.connectionState
        log.info("camera leg connection %s", state)
        if state == "failed" and not self._closed:
            self._fail("connection failed")

    def _fail(self, detail: str) -> None:
        if self._failed:  # the watchdog and a later "failed" state report it once
            return
        self._failed = True
        relay = f"; {self._relay.describe()}" if self._relay is not None else ""
        self._on_failed(detail + relay)

    async def offer(self) -> str:
        """Choose the relay, add the tracks, create the offer, gather ICE, return the SDP."""
        from aiortc import RTCConfiguration, RTCPeerConnection

        tracks = [track for track in (self._video(), self._audio()) if track is not None]
        if self._on_quality is not None:
            tracks = [self._adapting(track) for track in tracks]
        if not tracks:
            raise MediaError("neither camera nor microphone available")
        self._relay = await choose_relay(self._ice_servers, self._tls_context)
        log.info("camera leg: %s", self._relay.describe())
        servers = rtc_ice_servers(self._relay.servers)
        self._pc = RTCPeerConnection(RTCConfiguration(iceServers=servers))
        self._pc.on("connectionstatechange", self._state_changed)
        for track in tracks:
            transceiver = self._pc.addTransceiver(track, direction="sendonly")
            encoded_as = getattr(track, "encoded_as", None)
            if encoded_as is not None:
                transceiver.setCodecPreferences(codecs_of(encoded_as))
        use_tls_context(self._pc, self._tls_context)
        offer = await self._pc.createOffer()
        await self._pc.setLocalDescription(offer)
        local = self._pc.localDescription
        if local is None:
            raise MediaError("no local description after setLocalDescription")
        return str(local.sdp)

    async def apply_answer(self, sdp: str) -> None:
        """Apply the caseworker's SDP answer; the leg must connect within the timeout."""
        from aiortc import RTCSessionDescription

        if self._closed:
            return
        if self._pc is None:
            raise MediaError("answer before offer")
        try:
            await self._pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        except (ValueError, RuntimeError) as err:
            raise MediaError(f"answer refused: {err}") from err
        if self._audio_bitrate is not None:
            set_opus_bitrate(self._pc, self._audio_bitrate)
        self._watchdog = asyncio.create_task(self._watch_connect())
        if self._on_quality is not None:
            self._start_monitor(self._on_quality)

    def _start_monitor(self, on_quality: Callable[[Rung, Any], None]) -> None:
        """Watch the link and step the video along the ladder (media/adaptive.py)."""
        from appliance.media.adaptive import LinkMonitor

        try:
            monitor = LinkMonitor(self._pc, self._adaptive, on_quality, heard=self._on_rtcp)
        except Exception:  # adapting is an extra: the call goes on at full quality without it
            log.exception("link monitor not started")
            return
        self._monitor = asyncio.create_task(monitor.run())

    def _adapting(self, track: Any) -> Any:
        """A video track of decoded frames, wrapped to follow the link (media/adaptive.py)."""
        if track.kind != "video" or getattr(track, "encoded_as", None) is not None:
            return track
        from appliance.media.adaptive import AdaptiveTrack

        self._adaptive = AdaptiveTrack(track)
        return self._adaptive

    async def _watch_connect(self) -> None:
        await asyncio.sleep(self._connect_timeout_s)
        if not self._closed and self._pc.connectionState != "connected":
            state = self._pc.connectionState
            self._fail(f"not connected {self._connect_timeout_s:g} s after the answer ({state})")

    async def close(self) -> None:
        """Close the peer connection (stops its tracks); idempotent."""
        if self._closed:
            return
        self._closed = True
        for task in (self._watchdog, self._monitor):
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        if self._pc is not None:
            await self._pc.close()
