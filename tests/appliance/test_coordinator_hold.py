"""A lost link mid-call: the call is held, shown as reconnecting, and resumed (issue 7)."""

from __future__ import annotations

import msgspec

from appliance.events import (
    CallPressed,
    ChatTyped,
    HangupPressed,
    LinkDown,
    LinkMessage,
    LinkUp,
    MediaFailed,
)
from appliance.kiosk.snapshot import snapshot_of
from protocol.messages import Answered, Chat, Ended, Hangup, Queued, RtcOffer, Welcome
from tests.appliance.fakes import wait_for
from tests.appliance.test_coordinator import WELCOME, Rig, rig  # noqa: F401 (fixture)

HOLDING = msgspec.structs.replace(WELCOME, call_hold_s=60.0, call_heartbeat_s=2.0)
ANSWERED_AGAIN = Answered(call_id="c1", caseworker="Frau Schmidt", ice_servers=[])


async def in_call(rig: Rig, welcome: Welcome = HOLDING) -> None:  # noqa: F811
    await rig.post(LinkUp(welcome), CallPressed(), CallPressed())
    await rig.post(LinkMessage(Queued(call_id="c1", position=1)), LinkMessage(ANSWERED_AGAIN))
    await wait_for(lambda: any(isinstance(m, RtcOffer) for m in rig.signaling.sent))


async def in_held_call(rig: Rig) -> None:  # noqa: F811
    await in_call(rig)
    await rig.post(LinkMessage(Chat(call_id="c1", text="Guten Tag", sender="caseworker")))
    assert rig.coordinator.resumable_call() == "c1"
    await rig.post(LinkDown("no pong"))


async def test_link_lost_in_call_holds_it_and_shows_reconnecting(rig: Rig) -> None:  # noqa: F811
    await in_held_call(rig)
    view = rig.coordinator.view
    assert view.state == "in-call" and view.reconnecting
    assert view.caseworker == "Frau Schmidt"
    assert [line.text for line in view.chat] == ["Guten Tag"]  # the chat stays
    assert snapshot_of(view)["reconnecting"] is True
    assert rig.legs.legs[0].closed and rig.screen.closes >= 1
    assert rig.coordinator.resumable_call() == "c1"  # the next hello names it
    await rig.post(LinkDown("cannot connect"))  # failed attempts change nothing
    assert rig.coordinator.view.reconnecting
    await rig.post(MediaFailed("c1", "connection failed"))  # the closed legs' last word
    assert rig.state == "in-call"


async def test_resumed_call_negotiates_both_legs_afresh(rig: Rig) -> None:  # noqa: F811
    await in_held_call(rig)
    offers = rig.signaling.types().count("RtcOffer")
    await rig.post(LinkUp(HOLDING))
    assert rig.coordinator.view.reconnecting  # until the console says the call goes on
    await rig.post(LinkMessage(ANSWERED_AGAIN))
    view = rig.coordinator.view
    assert view.state == "in-call" and not view.reconnecting
    assert len(rig.legs.legs) == 2 and not rig.legs.legs[1].closed
    assert rig.screen.offer_requests == 2
    await wait_for(lambda: rig.signaling.types().count("RtcOffer") == offers + 1)
    assert rig.signaling.sent[-1] == RtcOffer(call_id="c1", leg="camera", sdp="v=0 camera-offer")
    assert [line.text for line in view.chat] == ["Guten Tag"]
    await rig.post(ChatTyped("Da bin ich wieder"))
    assert Chat(call_id="c1", text="Da bin ich wieder") in rig.signaling.sent


async def test_ended_while_away_shows_the_normal_end(rig: Rig) -> None:  # noqa: F811
    await in_held_call(rig)
    await rig.post(LinkUp(HOLDING), LinkMessage(Ended(call_id="c1", reason="hangup_caseworker")))
    assert rig.state == "ended" and rig.coordinator.view.reason == "hangup_caseworker"
    assert not rig.coordinator.view.reconnecting
    await wait_for(lambda: rig.state == "idle")
    assert rig.coordinator.view.chat == ()  # the citizen's session is wiped as always


async def test_hold_time_runs_out(rig: Rig) -> None:  # noqa: F811
    await in_call(rig, msgspec.structs.replace(HOLDING, call_hold_s=0.05))
    await rig.post(LinkDown("no pong"))
    assert rig.coordinator.view.reconnecting
    await wait_for(lambda: rig.state != "in-call")
    assert rig.coordinator.view.reason == "terminal_lost"
    await wait_for(lambda: rig.state in ("idle", "offline"))


async def test_citizen_hangs_up_while_reconnecting(rig: Rig) -> None:  # noqa: F811
    await in_held_call(rig)
    await rig.post(HangupPressed(source="kiosk"))
    assert rig.state == "ended" and rig.coordinator.resumable_call() is None
    assert rig.signaling.sent[-1] == Hangup(call_id="c1")


async def test_console_without_hold_ends_the_call_as_before(rig: Rig) -> None:  # noqa: F811
    await rig.to_in_call()  # WELCOME has no call_hold_s
    await rig.post(LinkDown("lost"))
    assert rig.state == "offline"
