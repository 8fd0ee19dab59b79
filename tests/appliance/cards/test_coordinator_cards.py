"""The coordinator turns card changes into ``card`` messages naming the current call."""

from __future__ import annotations

from appliance.events import CardChanged, LinkDown, LinkUp
from protocol.messages import CardStatus
from tests.appliance.test_coordinator import WELCOME, Rig, rig

__all__ = ["rig"]


async def test_card_outside_a_call_has_no_call_id(rig: Rig) -> None:
    await rig.post(CardChanged("eid"))
    assert rig.signaling.sent == []  # offline: dropped (the next hello's parts carry it)
    await rig.post(LinkUp(WELCOME), CardChanged("eid"), CardChanged(None))
    assert rig.signaling.sent == [CardStatus(card="eid"), CardStatus(card=None)]


async def test_card_in_a_call_names_the_call(rig: Rig) -> None:
    await rig.to_in_call()
    await rig.post(CardChanged("girocard"))
    assert rig.signaling.sent[-1] == CardStatus(card="girocard", call_id="c1")
    await rig.post(LinkDown("gone"), CardChanged(None))
    assert rig.signaling.sent[-1] == CardStatus(card="girocard", call_id="c1")
