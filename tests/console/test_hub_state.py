"""The hub's side of running as several instances: held calls, export and restore.

A waiting call whose terminal's socket is lost keeps its place for ``hold_waiting_s`` (only
set with Redis; 0 keeps the old behaviour, tests/console/test_hub.py); the calls exported by
one hub are rebuilt by another, waiting ones in the same order, answered ones joined up
again with their sockets (console/hub_state.py).
"""

from __future__ import annotations

import msgspec

from console.hub_state import SavedCall
from protocol.messages import (
    Answer,
    Assigned,
    CallCancel,
    CallOffer,
    CallRequest,
    Ended,
    Hangup,
    PresenceStatus,
    Queued,
    RtcOffer,
)
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
    records = w.hub.saved_calls()
    wire = msgspec.json.decode(msgspec.json.encode(records), type=list[SavedCall])
    waiting = [r for r in wire if r.caseworker is None]
    assert [r.call_id for r in sorted(waiting, key=lambda r: r.order)] == ids[1:]
    assert [(r.call_id, r.caseworker) for r in wire if r.caseworker] == [(ids[0], ALICE)]

    other = held_world()
    other.now = w.now + 3
    assert other.hub.restore_calls(list(reversed(wire))) == 3
    assert other.hub.restore_calls(wire) == 0  # nothing twice
    t3 = FakeConn()
    other.hub.connect_terminal(T3, t3)
    t3_place = [m for m in t3.take() if isinstance(m, Queued)]
    assert [(q.call_id, q.position) for q in t3_place] == [(ids[2], 2)]
    other.tick(15)  # T1 and T2 never came back; T3 did
    assert [other.hub.call(i) is None for i in ids] == [True, True, False]
    assert any(isinstance(m, Queued) and m.position == 1 for m in t3.take())
    assert not any(isinstance(m, Ended) for m in t3.sent)


def answered_elsewhere() -> tuple[World, str, list[SavedCall]]:
    """A call answered on one hub, its records taken at the moment that hub died."""
    w = held_world()
    w.hub.connect_terminal(T1, FakeConn(), link="b.1")
    call_id = _request(w)
    alice = w.caseworker(ALICE)
    w.hub.from_caseworker(alice, Answer(call_id=call_id))
    links = {id(conn): "b.1" for _who, conn in w.hub._terminals.values()}
    records = w.hub.saved_calls(lambda conn: links.get(id(conn), ""))
    return w, call_id, records


def _request(w: World) -> str:
    conn = w.hub._terminals["t1"][1]
    w.hub.from_terminal("t1", conn, CallRequest())
    queued = [m for m in conn.sent if isinstance(m, Queued)]  # type: ignore[attr-defined]
    return queued[-1].call_id


def test_an_answered_call_goes_on_when_both_sockets_register_with_the_new_owner() -> None:
    _w, call_id, records = answered_elsewhere()
    assert [(r.call_id, r.caseworker, r.terminal_link) for r in records] == [
        (call_id, ALICE, "b.1")
    ]
    other = held_world()
    assert other.hub.restore_calls(records) == 1
    page, term = FakeConn(), FakeConn()
    other.hub.connect_caseworker(ALICE, page)
    assert [m.state for m in page.routing if isinstance(m, PresenceStatus)][-1] == "busy"
    other.hub.connect_terminal(T1, term, link="b.1")  # the same socket, re-registered
    assert not [m for m in term.sent if isinstance(m, Ended | Queued)]
    other.hub.from_terminal("t1", term, RtcOffer(call_id=call_id, leg="camera", sdp="again"))
    assert [m.sdp for m in page.sent if isinstance(m, RtcOffer)] == ["again"]
    other.hub.from_caseworker(page, Hangup(call_id=call_id))
    assert [m.reason for m in term.sent if isinstance(m, Ended)] == ["hangup_caseworker"]


def test_an_answered_call_ends_when_its_terminal_comes_back_on_a_new_socket() -> None:
    _w, call_id, records = answered_elsewhere()
    other = held_world()
    other.hub.restore_calls(records)
    page = FakeConn()
    other.hub.connect_caseworker(ALICE, page)
    other.hub.connect_terminal(T1, FakeConn(), link="a.7")  # reconnected: it ended the call
    assert [m.reason for m in page.sent if isinstance(m, Ended)] == ["terminal_lost"]
    assert other.hub.call(call_id) is None


def test_an_unchanged_call_gives_the_same_record_from_the_cache() -> None:
    w = held_world()
    w.terminal(T1)
    w.terminal(T2)
    first, second = w.request(T1), w.request(T2)
    cache: dict[str, tuple[tuple[object, ...], SavedCall]] = {}
    before = {r.call_id: r for r in w.hub.saved_calls(cache=cache)}
    w.hub.from_terminal("t1", w.conns["t1"], CallCancel(call_id=first))  # the head leaves
    after = {r.call_id: r for r in w.hub.saved_calls(cache=cache)}
    assert list(after) == [second] and list(cache) == [second]
    assert after[second] is not before[second] and after[second].position == 1
    assert w.hub.saved_calls(cache=cache)[0] is after[second]
