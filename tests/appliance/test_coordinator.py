"""The call state machine, driven with fakes: every transition, no network."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass

import msgspec
import pytest

from appliance.coordinator import Coordinator
from appliance.events import (
    CallPressed,
    Event,
    HangupPressed,
    LinkDown,
    LinkMessage,
    LinkUp,
    MediaFailed,
    PartsChanged,
    ScreenOffer,
    ScreenStats,
)
from protocol.messages import (
    PROTOCOL_VERSION,
    Answered,
    CallCancel,
    CallRequest,
    Ended,
    Error,
    Hangup,
    PartsReport,
    Queued,
    RtcAnswer,
    RtcOffer,
    Welcome,
)
from tests.appliance.fakes import FakeIndicator, FakeLegs, FakeScreen, FakeSignaling, wait_for

WELCOME = Welcome(
    protocol=PROTOCOL_VERSION, name="T1", municipality="M", ice_servers=[], heartbeat_s=15
)
LINGER = 0.05


@dataclass
class Rig:
    coordinator: Coordinator
    signaling: FakeSignaling
    legs: FakeLegs
    screen: FakeScreen
    indicator: FakeIndicator

    async def post(self, *events: Event) -> None:
        for event in events:
            self.coordinator.post(event)
        await self.coordinator.idle()

    @property
    def state(self) -> str:
        return self.coordinator.state

    async def to_in_call(self) -> None:
        await self.post(LinkUp(WELCOME), CallPressed(), CallPressed())
        await self.post(LinkMessage(Queued(call_id="c1", position=1)))
        await self.post(
            LinkMessage(Answered(call_id="c1", caseworker="Frau Schmidt", ice_servers=[]))
        )
        await wait_for(lambda: any(isinstance(m, RtcOffer) for m in self.signaling.sent))


@pytest.fixture
async def rig() -> AsyncIterator[Rig]:
    signaling, legs, screen, indicator = FakeSignaling(), FakeLegs(), FakeScreen(), FakeIndicator()
    coordinator = Coordinator(
        signaling=signaling, legs=legs, screen=screen, indicator=indicator, ended_linger_s=LINGER
    )
    task = asyncio.create_task(coordinator.run())
    await asyncio.sleep(0)
    yield Rig(coordinator, signaling, legs, screen, indicator)
    await coordinator.stop()
    task.cancel()


async def test_starts_offline_then_idle_on_welcome(rig: Rig) -> None:
    assert rig.state == "offline"
    await rig.post(LinkUp(WELCOME))
    assert rig.state == "idle"
    assert rig.indicator.states == ["offline", "idle"]
    assert rig.screen.views[-1].state == "idle"


async def test_press_requests_call_and_shows_queued(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME), CallPressed(), CallPressed())
    assert rig.state == "queued"
    assert rig.signaling.sent == [CallRequest()]
    await rig.post(LinkMessage(Queued(call_id="c1", position=3)))
    assert rig.coordinator.view.position == 3
    await rig.post(LinkMessage(Queued(call_id="c1", position=1)))
    assert rig.screen.views[-1].position == 1
    await rig.post(CallPressed())  # a second press while waiting changes nothing
    assert rig.signaling.sent == [CallRequest()]


async def test_press_while_offline_does_nothing(rig: Rig) -> None:
    await rig.post(CallPressed())
    assert rig.state == "offline"
    assert rig.signaling.sent == []


async def test_cancel_while_queued(rig: Rig) -> None:
    await rig.post(
        LinkUp(WELCOME), CallPressed(), CallPressed(), LinkMessage(Queued(call_id="c1", position=1))
    )
    await rig.post(HangupPressed(source="button"))
    assert rig.signaling.sent[-1] == CallCancel(call_id="c1")
    assert rig.state == "ended"
    assert rig.coordinator.view.reason == "cancelled"
    await rig.post(LinkMessage(Ended(call_id="c1", reason="cancelled")))  # late echo: ignored
    await wait_for(lambda: rig.state == "idle")


async def test_cancel_before_the_console_named_the_call(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME), CallPressed(), CallPressed(), HangupPressed())
    assert rig.state == "ended"
    await rig.post(LinkMessage(Queued(call_id="c7", position=1)))
    assert rig.signaling.sent[-1] == CallCancel(call_id="c7")
    await wait_for(lambda: rig.state == "idle")


async def test_the_consoles_relay_policy_reaches_the_kiosk_page(rig: Rig) -> None:
    await rig.post(LinkUp(msgspec.structs.replace(WELCOME, ice_transport_policy="relay")))
    await rig.post(CallPressed(), CallPressed(), LinkMessage(Queued(call_id="c1", position=1)))
    await rig.post(LinkMessage(Answered(call_id="c1", caseworker="Frau S", ice_servers=[])))
    await wait_for(lambda: rig.screen.policies == ["relay"])


async def test_answered_starts_both_legs_and_relays_answers(rig: Rig) -> None:
    await rig.to_in_call()
    assert rig.screen.policies == ["all"]
    assert rig.state == "in-call"
    assert rig.coordinator.view.caseworker == "Frau Schmidt"
    assert rig.indicator.states[-1] == "in-call"
    assert RtcOffer(call_id="c1", leg="camera", sdp="v=0 camera-offer") in rig.signaling.sent
    assert rig.screen.offer_requests == 1
    await rig.post(ScreenOffer("v=0 screen-offer"))
    assert rig.signaling.sent[-1] == RtcOffer(call_id="c1", leg="screen", sdp="v=0 screen-offer")
    await rig.post(LinkMessage(RtcAnswer(call_id="c1", leg="camera", sdp="v=0 cam-answer")))
    await wait_for(lambda: rig.legs.legs[0].answer == "v=0 cam-answer")
    await rig.post(LinkMessage(RtcAnswer(call_id="c1", leg="screen", sdp="v=0 scr-answer")))
    assert rig.screen.answers == ["v=0 scr-answer"]
    await rig.post(ScreenStats(42))
    assert rig.coordinator.remote_frames_decoded == 42


async def test_answered_without_kiosk_page_still_offers_camera(rig: Rig) -> None:
    rig.screen.page_connected = False
    await rig.to_in_call()
    assert rig.state == "in-call"
    assert next(m for m in rig.signaling.sent if isinstance(m, RtcOffer)).leg == "camera"


async def test_hangup_from_terminal(rig: Rig) -> None:
    await rig.to_in_call()
    await rig.post(HangupPressed(source="kiosk"))
    assert rig.signaling.sent[-1] == Hangup(call_id="c1")
    assert rig.state == "ended"
    assert rig.legs.legs[0].closed
    assert rig.screen.closes >= 1
    await wait_for(lambda: rig.state == "idle")
    assert rig.coordinator.view.caseworker is None


async def test_ended_by_console_then_idle_after_linger(rig: Rig) -> None:
    await rig.to_in_call()
    await rig.post(LinkMessage(Ended(call_id="c1", reason="hangup_caseworker")))
    assert rig.state == "ended"
    assert rig.coordinator.view.reason == "hangup_caseworker"
    assert rig.legs.legs[0].closed
    await asyncio.sleep(LINGER / 2)
    assert rig.state == "ended"
    await wait_for(lambda: rig.state == "idle")
    await rig.post(CallPressed(), CallPressed())  # per-call state wiped: a new call starts
    assert rig.state == "queued" and rig.signaling.sent[-1] == CallRequest()


async def test_ended_for_another_call_is_ignored(rig: Rig) -> None:
    await rig.to_in_call()
    await rig.post(LinkMessage(Ended(call_id="other", reason="hangup_caseworker")))
    assert rig.state == "in-call"


async def test_media_failure_hangs_up(rig: Rig) -> None:
    await rig.to_in_call()
    await rig.post(MediaFailed("c1", "connection failed"))
    assert rig.signaling.sent[-1] == Hangup(call_id="c1", reason="media_failed")
    assert rig.state == "ended" and rig.coordinator.view.reason == "media_failed"


async def test_offer_failure_hangs_up(rig: Rig) -> None:
    rig.legs.fail_offer = True
    await rig.post(
        LinkUp(WELCOME), CallPressed(), CallPressed(), LinkMessage(Queued(call_id="c1", position=1))
    )
    await rig.post(LinkMessage(Answered(call_id="c1", caseworker="X", ice_servers=[])))
    await wait_for(lambda: rig.state == "ended")
    assert Hangup(call_id="c1", reason="media_failed") in rig.signaling.sent


async def test_link_lost_while_waiting_requeues_on_reconnect(rig: Rig) -> None:
    await rig.post(
        LinkUp(WELCOME), CallPressed(), CallPressed(), LinkMessage(Queued(call_id="c1", position=2))
    )
    await rig.post(LinkDown("connection lost"))
    assert rig.state == "offline"
    assert rig.indicator.states[-1] == "offline"
    await rig.post(CallPressed())  # nothing happens while offline
    await rig.post(LinkUp(WELCOME))
    assert rig.state == "queued"
    assert rig.signaling.types().count("CallRequest") == 2
    await rig.post(LinkMessage(Queued(call_id="c2", position=1)))
    assert rig.coordinator.view.position == 1


async def test_citizen_gives_up_while_offline(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME), CallPressed(), CallPressed(), LinkDown("lost"), HangupPressed())
    await rig.post(LinkUp(WELCOME))
    assert rig.state == "idle"
    assert rig.signaling.types().count("CallRequest") == 1


async def test_link_lost_in_call_closes_media_and_returns_idle(rig: Rig) -> None:
    await rig.to_in_call()
    await rig.post(LinkDown("lost"))
    assert rig.state == "offline"
    assert rig.legs.legs[0].closed
    assert rig.screen.closes >= 1
    await rig.post(LinkUp(WELCOME))
    assert rig.state == "idle"


async def test_stray_messages_are_refused_politely(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME))
    await rig.post(LinkMessage(Answered(call_id="zz", caseworker="X", ice_servers=[])))
    assert rig.signaling.sent[-1] == Hangup(call_id="zz")
    await rig.post(LinkMessage(Queued(call_id="yy", position=1)))
    assert rig.signaling.sent[-1] == CallCancel(call_id="yy")
    await rig.post(LinkMessage(Error(code="invalid", message="nope")))
    await rig.post(ScreenOffer("v=0 late"))
    await rig.post(LinkMessage(RtcAnswer(call_id="zz", leg="screen", sdp="v=0")))
    assert rig.state == "idle"
    assert rig.screen.answers == []


async def test_parts_changes_are_reported_when_connected(rig: Rig) -> None:
    await rig.post(PartsChanged({"camera": "failed"}))
    assert rig.signaling.sent == []
    await rig.post(LinkUp(WELCOME), PartsChanged({"camera": "failed"}))
    assert rig.signaling.sent == [PartsReport(parts={"camera": "failed"})]
