"""The camera leg's adaptation pieces without a network (appliance/media/adaptive.py)."""

from __future__ import annotations

from typing import Any

from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, pack_remb_fci

from appliance.media.adaptive import EncoderCap, listen


class FakeSender:
    """What EncoderCap touches of aiortc's RTCRtpSender."""

    def __init__(self) -> None:
        self._ssrc = 1234
        self._RTCRtpSender__encoder: Any = None
        self.handled: list[Any] = []

    async def _handle_rtcp_packet(self, packet: Any) -> None:
        self.handled.append(packet)


def remb(bps: int, ssrc: int = 1234) -> RtcpPsfbPacket:
    return RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=pack_remb_fci(bps, [ssrc]))


async def test_remb_reaches_aiortc_until_a_cap_holds_the_encoder_below_its_floor() -> None:
    sender = FakeSender()
    seen: list[int] = []
    cap = EncoderCap(sender, seen.append)
    await sender._handle_rtcp_packet(remb(180_000))
    assert len(sender.handled) == 1 and seen == [180_000]  # not capped: aiortc gets it

    cap.set(40_000)  # no encoder yet: applied once there is one
    encoder = Vp8Encoder()
    sender._RTCRtpSender__encoder = encoder
    cap.apply()
    assert encoder.target_bitrate == 40_000  # below aiortc's 250 kbit/s floor
    await sender._handle_rtcp_packet(remb(900_000))
    assert len(sender.handled) == 1 and seen[-1] == 900_000  # kept from aiortc, still noted
    assert encoder.target_bitrate == 40_000

    cap.set(None)  # full again: aiortc's rate control from the last estimate, clamped
    assert encoder.target_bitrate == 900_000
    await sender._handle_rtcp_packet(remb(300_000, ssrc=99))  # another stream's: passed on
    assert len(sender.handled) == 2 and seen[-1] == 900_000


async def test_listen_hears_every_packet_of_every_sender() -> None:
    senders = [FakeSender(), FakeSender()]

    class FakePc:
        def getSenders(self) -> list[FakeSender]:
            return senders

    heard: list[int] = []
    listen(FakePc(), lambda: heard.append(1))
    for sender in senders:
        await sender._handle_rtcp_packet(remb(100_000))
    assert len(heard) == 2 and all(len(s.handled) == 1 for s in senders)
