"""The camera leg's adaptation pieces without a network (appliance/media/adaptive.py)."""

from __future__ import annotations

from typing import Any

from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtp import (
    RTCP_PSFB_APP,
    RTCP_RTPFB_NACK,
    RtcpPsfbPacket,
    RtcpRtpfbPacket,
    pack_remb_fci,
)

from appliance.media.adaptive import RetransmitBudget, SenderCap, listen, retransmits_per_s
from appliance.media.quality import LADDER


class FakeSender:
    """What SenderCap touches of aiortc's RTCRtpSender."""

    def __init__(self) -> None:
        self._ssrc = 1234
        self._RTCRtpSender__encoder: Any = None
        self.handled: list[Any] = []
        self.resent: list[int] = []

    async def _handle_rtcp_packet(self, packet: Any) -> None:
        self.handled.append(packet)

    async def _retransmit(self, sequence_number: int) -> None:
        self.resent.append(sequence_number)


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def remb(bps: int, ssrc: int = 1234) -> RtcpPsfbPacket:
    return RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=pack_remb_fci(bps, [ssrc]))


async def test_remb_reaches_aiortc_until_a_cap_holds_the_encoder_below_its_floor() -> None:
    sender = FakeSender()
    seen: list[int] = []
    cap = SenderCap(sender, seen.append)
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


def nack(*lost: int) -> RtcpRtpfbPacket:
    packet = RtcpRtpfbPacket(fmt=RTCP_RTPFB_NACK, ssrc=1, media_ssrc=1234)
    packet.lost.extend(lost)
    return packet


def test_the_retransmit_budget_refills_at_its_rate_and_saves_one_second_at_most() -> None:
    clock = Clock()
    budget = RetransmitBudget(clock, per_s=10)
    assert sum(budget.take() for _ in range(25)) == 10 and budget.refused == 15
    clock.now += 0.5
    assert sum(budget.take() for _ in range(25)) == 5
    clock.now += 60  # a quiet minute saves one second's worth, not 600
    assert sum(budget.take() for _ in range(25)) == 10
    clock.now += 60
    budget.set_rate(2)  # a lower rung: what was saved shrinks to its second's worth
    assert sum(budget.take() for _ in range(25)) == 2


async def test_nacks_are_answered_within_the_rungs_budget() -> None:
    clock = Clock()
    sender = FakeSender()
    cap = SenderCap(sender, lambda bps: None, clock)
    full, _, low, audio_only = LADDER
    await sender._handle_rtcp_packet(nack(*range(100, 110)))
    assert sender.resent == list(range(100, 110))  # a good line's few losses: all sent again
    assert sender.handled == []  # aiortc's own handler would resend each without limit

    cap.follow(low, encoder=True)
    assert 3 <= retransmits_per_s(low) < 4  # half of 60 kbit/s in 1,100-byte packets
    clock.now += 10
    await sender._handle_rtcp_packet(nack(*range(200, 300)))  # the storm of a poor line
    assert sender.resent[10:] == [200, 201, 202]
    assert cap.cap_bps == low.video_bps

    cap.follow(audio_only, encoder=True)
    clock.now += 10
    await sender._handle_rtcp_packet(nack(300))
    assert len(sender.resent) == 13  # no video, nothing to resend

    cap.follow(full, encoder=True)
    assert cap.cap_bps is None
    clock.now += 1
    await sender._handle_rtcp_packet(nack(*range(400, 500)))
    assert len(sender.resent) == 13 + 40
