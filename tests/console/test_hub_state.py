"""The hub's side of running as several instances: held calls, export and restore.

A waiting call whose terminal's socket is lost keeps its place for ``hold_waiting_s`` (only
set with Redis; 0 keeps the old behaviour, tests/console/test_hub.py), and the waiting calls
exported by one hub are rebuilt by another in the same order (console/hub_state.py).
"""

from __future__ import annotations

import msgspec

from console.hub_state import WaitingCall
from protocol.messages import Answer, Assigned, CallOffer, CallRequest, Ended, Queued
from tests.console.test_hub import ALICE, T1, T2, T3, FakeConn, World


def held_world() -> World:
    w = World()
    w.hub.hold_waiting_s = 15.0
    return w


def test_a_waiting_call_keeps_its_place_while_its_terminal_reconnects() -> None:
    w = held_world()
    t1, t2 = w.terminal(T1), w.terminal(T2)
    first, second = w.request(T1), w.request(T2)
    w.hub.disconnect_terminal("t1", t1)
    assert w.hub.call(first) is not None and w.hub.call(first).away_since == w.now  # type: ignore[union-attr]
    w.tick(10)
    back = FakeConn()
    w.hub.connect_terminal(T1, back)  # told at once where it stands
    assert [m for m in back.take() if isinstance(m, Queued)] == [Queued(call_id=first, position=1)]
    w.hub.from_terminal("t1", back, CallRequest())  # the daemon asks again after its hello
    again = back.take()[-1]
    assert isinstance(again, Queued) and again.call_id == first and again.position == 1
    assert w.hub.call(second) is not None and t2.closed is None


def test_a_held_call_ends_when_its_terminal_stays_away() -> None:
    w = held_world()
    t1 = w.terminal(T1)
    call_id = w.request(T1)
    w.hub.disconnect_terminal("t1", t1)
    w.tick(14)
    assert w.hub.call(call_id) is not None
    w.tick(1)
    assert w.hub.call(call_id) is None
    assert [e for e in w.events if type(e).__name__ == "CallEnded"][-1].reason == "terminal_lost"  # type: ignore[attr-defined]


def test_an_away_call_is_not_offered_until_its_terminal_is_back() -> None:
    w = held_world()
    t1 = w.terminal(T1)
    call_id = w.request(T1)
    w.hub.disconnect_terminal("t1", t1)
    alice = w.caseworker(ALICE)
    assert not [m for m in alice.routing if isinstance(m, CallOffer)]
    w.hub.connect_terminal(T1, FakeConn())
    offers = [m for m in alice.routing if isinstance(m, CallOffer)]
    assert [o.call_id for o in offers] == [call_id]


def test_without_hold_a_lost_terminal_ends_its_call_as_before() -> None:
    w = World()
    t1 = w.terminal(T1)
    call_id = w.request(T1)
    w.hub.disconnect_terminal("t1", t1)
    assert w.hub.call(call_id) is None


def test_waiting_calls_are_rebuilt_in_order_by_another_hub() -> None:
    w = held_world()
    for who in (T1, T2, T3):
        w.terminal(who)
    ids = [w.request(who) for who in (T1, T2, T3)]
    alice = w.caseworker(ALICE)
    offer = next(m for m in alice.routing if isinstance(m, CallOffer))
    w.hub.from_caseworker(alice, Answer(call_id=offer.call_id))  # the first is answered
    assert isinstance(alice.take()[-1], Assigned)
    records = w.hub.waiting_calls()
    wire = msgspec.json.decode(msgspec.json.encode(records), type=list[WaitingCall])
    assert [r.call_id for r in sorted(wire, key=lambda r: r.order)] == ids[1:]

    other = held_world()
    other.now = w.now + 3
    assert other.hub.restore_waiting(list(reversed(wire))) == 2
    assert other.hub.restore_waiting(wire) == 0  # nothing twice
    t3 = FakeConn()
    other.hub.connect_terminal(T3, t3)
    t3_place = [m for m in t3.take() if isinstance(m, Queued)]
    assert [(q.call_id, q.position) for q in t3_place] == [(ids[2], 2)]
    other.tick(15)  # T2 never came back; T3 did
    assert other.hub.call(ids[1]) is None and other.hub.call(ids[2]) is not None
    assert any(isinstance(m, Queued) and m.position == 1 for m in t3.take())
    assert not any(isinstance(m, Ended) for m in t3.sent)
