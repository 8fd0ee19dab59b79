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
``on_failed`` and the coordinator hangs up; aiortc has no ICE restart.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from appliance.errors import MediaError
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


class AiortcCameraLeg:
    """Implements :class:`appliance.ports.CameraLeg` with aiortc."""

    def __init__(
        self,
        *,
        ice_servers: list[IceServer],
        video: TrackFactory,
        audio: TrackFactory,
        on_failed: Callable[[str], None],
    ) -> None:
        from aiortc import RTCConfiguration, RTCPeerConnection

        self._pc = RTCPeerConnection(RTCConfiguration(iceServers=rtc_ice_servers(ice_servers)))
        self._video = video
        self._audio = audio
        self._on_failed = on_failed
        self._closed = False
        self._pc.on("connectionstatechange", self._state_changed)

    @property
    def connection_state(self) -> str:
        """aiortc's connectionState (new, connecting, connected, failed, closed)."""
        return str(self._pc.connectionState)

    def _state_changed(self) -> None:
        state = self._pc.connectionState
        log.info("camera leg connection %s", state)
        if state == "failed" and not self._closed:
            self._on_failed("connection failed")

    async def offer(self) -> str:
        """Add the tracks, create the offer, gather ICE and return the SDP."""
        tracks = [track for track in (self._video(), self._audio()) if track is not None]
        if not tracks:
            raise MediaError("neither camera nor microphone available")
        for track in tracks:
            transceiver = self._pc.addTransceiver(track, direction="sendonly")
            encoded_as = getattr(track, "encoded_as", None)
            if encoded_as is not None:
                transceiver.setCodecPreferences(codecs_of(encoded_as))
        offer = await self._pc.createOffer()
        await self._pc.setLocalDescription(offer)
        local = self._pc.localDescription
        if local is None:
            raise MediaError("no local description after setLocalDescription")
        return str(local.sdp)

    async def apply_answer(self, sdp: str) -> None:
        """Apply the caseworker's SDP answer."""
        from aiortc import RTCSessionDescription

        if self._closed:
            return
        try:
            await self._pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="answer"))
        except (ValueError, RuntimeError) as err:
            raise MediaError(f"answer refused: {err}") from err

    async def close(self) -> None:
        """Close the peer connection (stops its tracks); idempotent."""
        if self._closed:
            return
        self._closed = True
        await self._pc.close()
