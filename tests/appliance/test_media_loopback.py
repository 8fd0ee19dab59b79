"""The camera leg answered by a second aiortc peer in the same process, over loopback."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import aioice.ice
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

from appliance.media.host_addresses import apply_host_addresses
from appliance.media.peer import AiortcCameraLeg
from appliance.parts.camera import create_camera
from appliance.parts.camera.synthetic import read_frame_number
from appliance.parts.microphone import create_microphone
from tests.appliance.fakes import wait_for


@pytest.fixture
def loopback() -> Iterator[None]:
    apply_host_addresses(["127.0.0.1"])
    yield
    apply_host_addresses([])


def test_host_address_patch_restores() -> None:
    original = aioice.ice.get_host_addresses
    apply_host_addresses(["127.0.0.1", "::1"])
    assert aioice.ice.get_host_addresses(True, False) == ["127.0.0.1"]
    assert aioice.ice.get_host_addresses(True, True) == ["127.0.0.1", "::1"]
    apply_host_addresses([])
    assert aioice.ice.get_host_addresses is original


async def test_camera_leg_delivers_frames(loopback: None) -> None:
    camera, microphone = create_camera("synthetic"), create_microphone("synthetic")
    failures: list[str] = []
    leg = AiortcCameraLeg(
        ice_servers=[], video=camera.track, audio=microphone.track, on_failed=failures.append
    )
    answerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    numbers: list[int | None] = []
    kinds: list[str] = []
    consumers: list[asyncio.Future[None]] = []

    @answerer.on("track")
    def on_track(track: object) -> None:
        kinds.append(track.kind)  # type: ignore[attr-defined]
        if track.kind == "video":  # type: ignore[attr-defined]

            async def consume() -> None:
                while True:
                    frame = await track.recv()  # type: ignore[attr-defined]
                    numbers.append(read_frame_number(frame.to_ndarray(format="rgb24")))

            consumers.append(asyncio.ensure_future(consume()))

    try:
        offer = await leg.offer()
        assert "127.0.0.1" in offer and "typ host" in offer
        await answerer.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await answerer.setLocalDescription(await answerer.createAnswer())
        await leg.apply_answer(answerer.localDescription.sdp)
        await wait_for(lambda: len(numbers) >= 10, within=10)
        assert sorted(kinds) == ["audio", "video"]
        assert leg.connection_state == "connected"
        readable = [n for n in numbers if n is not None]
        assert len(set(readable)) >= 5  # the drawn number changes from frame to frame
        assert camera.frames_sent >= 10
        assert failures == []
    finally:
        await leg.close()
        await answerer.close()
        for consumer in consumers:
            consumer.cancel()
    assert leg.connection_state == "closed"


async def test_adapting_leg_follows_the_ladder_and_hears_rtcp(loopback: None) -> None:
    from appliance.media.quality import LADDER

    camera, microphone = create_camera("synthetic"), create_microphone("synthetic")
    heard: list[int] = []
    leg = AiortcCameraLeg(ice_servers=[], video=camera.track, audio=microphone.track,
                          on_failed=lambda _: None, on_quality=lambda rung, figures: None,
                          on_rtcp=lambda: heard.append(1), audio_bitrate=24000)  # fmt: skip
    answerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    sizes: list[tuple[int, int]] = []
    consumers: list[asyncio.Future[None]] = []

    @answerer.on("track")
    def on_track(track: object) -> None:
        if track.kind == "video":  # type: ignore[attr-defined]

            async def consume() -> None:
                while True:
                    frame = await track.recv()  # type: ignore[attr-defined]
                    sizes.append((frame.width, frame.height))

            consumers.append(asyncio.ensure_future(consume()))

    try:
        offer = await leg.offer()
        await answerer.setRemoteDescription(RTCSessionDescription(sdp=offer, type="offer"))
        await answerer.setLocalDescription(await answerer.createAnswer())
        await leg.apply_answer(answerer.localDescription.sdp)
        audio = next(t.sender for t in leg._pc.getTransceivers() if t.kind == "audio")
        assert audio._RTCRtpSender__encoder.codec.bit_rate == 24000
        await wait_for(lambda: (640, 480) in sizes, within=10)
        leg._adaptive.set_rung(LADDER[2])
        await wait_for(lambda: sizes[-1] == (160, 120), within=10)
        await wait_for(lambda: len(heard) > 0, within=10)  # the answerer's RTCP reports
    finally:
        await leg.close()
        await answerer.close()
        for consumer in consumers:
            consumer.cancel()
