"""Presence, wrap-up, longest-idle and ring-all routing and the answer limit, on the hub with
fake connections and a fake clock (time passes only through ``World.tick``)."""

from __future__ import annotations

import asyncio

import pytest

from console.directory import CaseworkerSpec, Directory, OfficeSpec, QueueSpec
from console.events import CallAnswered, CallEnded, CallRequested
from console.hub import CaseworkerIdentity, TerminalIdentity
from console.routing import MISSED_TO_BREAK, ROUND_PAUSE_S, run_ticks
from protocol.messages import (
    Answer,
    Answered,
    CallOffer,
    Colleague,
    Decline,
    DeskUpdate,
    Ended,
    Error,
    Hangup,
    Message,
    OfferEnded,
    PresenceSet,
    PresenceStatus,
    QueueInfo,
    QueueUpdate,
)
from tests.console.test_hub import FakeConn, World

MELDE, SOZIAL, LADEN, BESTADT = 11, 12, 13, 21
DIRECTORY = Directory.build(
    offices=[
        OfficeSpec(1, 1, "Rathaus"),
        OfficeSpec(3, 1, "Laden"),
        OfficeSpec(2, 2, "Bestadt"),
    ],
    queues=[
        QueueSpec(
            MELDE,
            1,
            1,
            "Meldeamt",
            "longest_idle",
            wrap_up_s=30,
            ring_s=20,
            answer_limit_s=300,
            position=0,
        ),
        QueueSpec(
            SOZIAL,
            1,
            1,
            "Soziales",
            "ring_all",
            wrap_up_s=0,
            ring_s=15,
            answer_limit_s=600,
            position=1,
        ),
        QueueSpec(LADEN, 3, 1, "Beratung"),
        QueueSpec(BESTADT, 2, 2, "Bürgerservice"),
    ],
    caseworkers=[
        CaseworkerSpec(1, 1, "Alice"),
        CaseworkerSpec(2, 1, "Anton"),
        CaseworkerSpec(4, 1, "Asta"),
        CaseworkerSpec(3, 2, "Bert"),
    ],
    memberships={4: [SOZIAL]},  # Asta serves Soziales only; everyone else all queues
)
R1 = TerminalIdentity("r1", "Rathaus Foyer", 1, "Aldorf", office_id=1)
R2 = TerminalIdentity("r2", "Rathaus Flur", 1, "Aldorf", office_id=1)
L1 = TerminalIdentity("l1", "Dorfladen", 1, "Aldorf", office_id=3)
B1 = TerminalIdentity("b1", "Bestadt", 2, "Bestadt", office_id=2)
ALICE = CaseworkerIdentity(1, "Alice", 1, "Aldorf")
ANTON = CaseworkerIdentity(2, "Anton", 1, "Aldorf")
ASTA = CaseworkerIdentity(4, "Asta", 1, "Aldorf")
BERT = CaseworkerIdentity(3, "Bert", 2, "Bestadt")


def world() -> World:
    return World(DIRECTORY)


def routed(conn: FakeConn) -> list[Message]:
    """Presence, desk and offer messages a page got since the last call."""
    out, conn.routing = conn.routing, []
    return out


def moves(conn: FakeConn) -> list[Message]:
    """Like routed(), without desk updates."""
    return [m for m in routed(conn) if not isinstance(m, DeskUpdate)]


def offers(conn: FakeConn) -> list[str]:
    return [m.call_id for m in routed(conn) if isinstance(m, CallOffer)]


def states(conn: FakeConn) -> list[str]:
    return [m.state for m in routed(conn) if isinstance(m, PresenceStatus)]


def desk(conn: FakeConn) -> DeskUpdate:
    found = [m for m in conn.routing if isinstance(m, DeskUpdate)]
    assert found, "no desk update"
    return found[-1]


def test_presence_and_desk_one_person_with_two_pages() -> None:
    w = world()
    w.now = 100.0
    alice = w.caseworker(ALICE)
    assert routed(alice)[0] == PresenceStatus(state="available", since=100.0)
    second = w.caseworker(ALICE)  # a second tab: the same person
    got = routed(second)
    assert got[0] == PresenceStatus(state="available", since=100.0)
    assert w.hub.caseworkers_online == 1
    update = next(m for m in got if isinstance(m, DeskUpdate))
    assert update.colleagues == [
        Colleague(caseworker_id=1, name="Alice", state="available"),
        Colleague(caseworker_id=2, name="Anton", state="offline"),
        Colleague(caseworker_id=4, name="Asta", state="offline"),
    ]  # Bert is of another municipality
    assert update.queues == [
        QueueInfo(queue_id=MELDE, name="Meldeamt", office="Rathaus"),
        QueueInfo(queue_id=SOZIAL, name="Soziales", office="Rathaus"),
        QueueInfo(queue_id=LADEN, name="Beratung", office="Laden"),
    ]
    anton = w.caseworker(ANTON)
    assert desk(alice).colleagues[1].state == "available" and desk(second) == desk(alice)
    w.terminal(R1)
    w.request(R1, SOZIAL)
    assert [q.waiting for q in desk(anton).queues] == [0, 1, 0]
    w.hub.from_caseworker(second, PresenceSet(state="break"))
    assert states(alice) == states(second) == ["break"]  # both pages show it
    assert desk(anton).colleagues[0].state == "break"
    w.hub.disconnect_caseworker(second)
    assert w.hub.caseworkers_online == 2 and desk(anton).colleagues[0].state == "break"
    w.hub.disconnect_caseworker(alice)
    assert desk(anton).colleagues[0].state == "offline"


def test_longest_idle_offers_one_at_a_time_and_moves_on() -> None:
    w = world()
    w.terminal(R1)
    w.now = 100.0
    alice = w.caseworker(ALICE)
    w.now = 105.0
    anton = w.caseworker(ANTON)
    asta = w.caseworker(ASTA)
    call = w.request(R1)  # no choice: the office's first queue, Meldeamt
    got = [m for m in routed(alice) if isinstance(m, CallOffer)]
    assert got == [CallOffer(call_id=call, terminal_name="Rathaus Foyer", queue_id=MELDE,
                             queue_name="Meldeamt", ring_s=20.0)]  # fmt: skip
    assert offers(anton) == [] and offers(asta) == []  # Asta does not serve Meldeamt
    w.hub.from_caseworker(alice, Decline(call_id=call))
    assert [type(m) for m in routed(alice)] == [OfferEnded]
    assert offers(anton) == [call]
    w.tick(19.0)
    assert routed(anton) == []
    w.tick(1.0)  # rang out
    assert routed(anton) == [OfferEnded(call_id=call)]
    assert routed(alice) == []  # both tried: a pause before the next round
    w.tick(ROUND_PAUSE_S)
    assert offers(alice) == [call]  # longest idle again
    w.hub.from_caseworker(anton, Decline(call_id=call))
    assert [m.code for m in anton.take() if isinstance(m, Error)] == ["not_found"]


def test_ring_all_rings_everyone_serving_and_first_answer_wins() -> None:
    w = world()
    r1 = w.terminal(R1)
    alice, anton, asta = w.caseworker(ALICE), w.caseworker(ANTON), w.caseworker(ASTA)
    call = w.request(R1, SOZIAL)
    assert offers(alice) == offers(anton) == offers(asta) == [call]
    w.hub.from_caseworker(asta, Answer(call_id=call))
    assert desk(alice).colleagues[2] == Colleague(caseworker_id=4, name="Asta", state="busy")
    assert moves(alice) == moves(anton) == [OfferEnded(call_id=call)]
    assert moves(asta) == [
        OfferEnded(call_id=call),
        PresenceStatus(state="busy", since=w.now),
    ]
    assert isinstance(r1.take()[-1], Answered)
    w.hub.from_caseworker(anton, Answer(call_id=call))
    assert [m.code for m in anton.take() if isinstance(m, Error)] == ["taken"]


def test_oldest_call_first_across_the_queues_one_serves() -> None:
    w = world()
    w.terminal(R1), w.terminal(R2), w.terminal(L1)
    alice = w.caseworker(ALICE)
    w.hub.from_caseworker(alice, PresenceSet(state="break"))
    w.now = 10.0
    old = w.request(L1)  # Beratung, at the Laden office
    w.now = 20.0
    w.request(R1)  # Meldeamt
    w.now = 30.0
    social = w.request(R2, SOZIAL)
    asta = w.caseworker(ASTA)
    assert offers(asta) == [social]  # the only one she serves
    update = [m for m in alice.take() if isinstance(m, QueueUpdate)][-1]
    assert [(e.terminal_name, e.queue_name) for e in update.entries] == [
        ("Dorfladen", "Beratung"),
        ("Rathaus Foyer", "Meldeamt"),
        ("Rathaus Flur", "Soziales"),
    ]
    routed(alice)
    w.hub.from_caseworker(alice, PresenceSet(state="available"))
    assert offers(alice) == [old]


def test_wrap_up_after_each_call_and_ready_ends_it() -> None:
    w = world()
    r1 = w.terminal(R1)
    w.terminal(R2)
    alice, anton = w.caseworker(ALICE), w.caseworker(ANTON)
    w.hub.from_caseworker(anton, PresenceSet(state="break"))
    first = w.request(R1)
    w.hub.from_caseworker(alice, Answer(call_id=first))
    routed(alice), routed(anton)
    w.now = 100.0
    w.hub.from_terminal("r1", r1, Hangup(call_id=first))
    assert states(alice) == ["wrap_up"]
    assert w.hub.people.get(1).wrap_up_until == 130.0  # type: ignore[union-attr]
    second = w.request(R2)
    assert offers(alice) == []  # no offer during wrap-up
    w.tick(29.0)
    assert moves(alice) == []
    w.tick(1.0)  # wrap-up over: available, and the waiting call is hers at once
    assert moves(alice) == [
        PresenceStatus(state="available", since=130.0),
        CallOffer(call_id=second, terminal_name="Rathaus Flur", queue_id=MELDE,
                  queue_name="Meldeamt", ring_s=20.0),
    ]  # fmt: skip
    w.hub.from_caseworker(alice, Answer(call_id=second))
    w.hub.from_caseworker(alice, Hangup(call_id=second))
    assert states(alice)[-1] == "wrap_up"
    w.hub.from_caseworker(alice, PresenceSet(state="available"))  # "ready" ends it early
    assert states(alice) == ["available"]
    w.hub.from_caseworker(alice, PresenceSet(state="available"))  # again: status repeated
    assert states(alice) == ["available"]


def test_break_withdraws_offers_and_is_refused_during_a_call() -> None:
    w = world()
    w.terminal(R1), w.terminal(R2)
    alice, anton = w.caseworker(ALICE), w.caseworker(ANTON)
    call = w.request(R1)
    assert offers(alice) == [call]
    w.hub.from_caseworker(alice, PresenceSet(state="break"))
    assert moves(alice) == [PresenceStatus("break", w.now), OfferEnded(call_id=call)]
    assert offers(anton) == [call]
    w.hub.from_caseworker(anton, Answer(call_id=call))
    w.hub.from_caseworker(anton, PresenceSet(state="break"))
    assert [m.code for m in anton.take() if isinstance(m, Error)] == ["busy"]
    other = w.request(R2)
    assert offers(alice) == []  # on a break: no offers ...
    w.hub.from_caseworker(alice, Answer(call_id=other))  # ... but taking one from the list works
    assert [m.state for m in alice.routing if isinstance(m, PresenceStatus)] == ["busy"]


def test_a_page_closing_moves_its_offer_on() -> None:
    w = world()
    w.terminal(R1)
    alice, anton = w.caseworker(ALICE), w.caseworker(ANTON)
    call = w.request(R1)
    assert offers(alice) == [call]
    w.hub.disconnect_caseworker(alice)
    assert offers(anton) == [call]
    late = w.caseworker(ALICE)  # back: the call is Anton's to answer now
    assert offers(late) == []


def test_answer_limit_ends_a_waiting_call_with_no_answer() -> None:
    w = world()
    r1 = w.terminal(R1)
    alice = w.caseworker(ALICE)
    w.now = 0.0
    call = w.request(R1)  # Meldeamt: 300 s limit
    w.hub.from_caseworker(alice, PresenceSet(state="break"))
    w.tick(299.0)
    assert w.hub.call(call) is not None
    w.tick(1.0)
    assert r1.take() == [Ended(call_id=call, reason="no_answer")]
    assert w.hub.call(call) is None
    assert [e for e in w.events if isinstance(e, CallEnded)] == [
        CallEnded(300.0, call, 1, "no_answer", "callback")
    ]
    assert [type(e) for e in w.events] == [CallRequested, CallEnded]


def test_events_of_an_answered_call() -> None:
    w = world()
    r1 = w.terminal(R1)
    alice = w.caseworker(ALICE)
    w.now = 10.0
    call = w.request(R1)
    w.now = 25.0
    w.hub.from_caseworker(alice, Answer(call_id=call))
    w.now = 90.0
    w.hub.from_terminal("r1", r1, Hangup(call_id=call))
    assert w.events == [
        CallRequested(10.0, call, 1, "r1", 1, MELDE, None),
        CallAnswered(25.0, call, 1, 1, "Alice", 15.0),
        CallEnded(90.0, call, 1, "hangup_terminal", "answered"),
    ]
    w.request(R1)
    w.hub.disconnect_terminal("r1", r1)
    assert w.events[-1].outcome == "abandoned"  # type: ignore[union-attr]


async def test_run_ticks_drives_the_timers_with_the_hub_s_clock() -> None:
    w = world()
    r1 = w.terminal(R1)
    w.now = 0.0
    call = w.request(R1)

    async def sleep(seconds: float) -> None:
        w.now += seconds
        if w.now > 301:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await run_ticks(w.hub, w.hub.now, sleep)
    assert r1.take() == [Ended(call_id=call, reason="no_answer")]  # Meldeamt's 300 s limit


def test_someone_who_lets_three_offers_ring_out_is_put_on_a_break() -> None:
    w = world()
    w.terminal(R1)
    alice = w.caseworker(ALICE)
    w.now = 0.0
    call = w.request(R1)
    for _ in range(MISSED_TO_BREAK - 1):
        assert offers(alice) == [call]
        w.tick(20.0)  # rang out
        assert states(alice) == []
        w.tick(ROUND_PAUSE_S)  # asked again after the pause
    got = routed(alice)
    w.hub.from_caseworker(alice, Decline(call_id=call))  # a decline shows someone is there
    for _ in range(MISSED_TO_BREAK - 1):
        w.tick(ROUND_PAUSE_S)
        w.tick(20.0)
    assert states(alice) == []
    w.tick(ROUND_PAUSE_S)
    w.tick(20.0)
    assert moves(alice)[-2:] == [PresenceStatus(state="break", since=w.now), OfferEnded(call)]
    w.tick(ROUND_PAUSE_S + 20.0)
    assert offers(alice) == [] and [m for m in got if isinstance(m, CallOffer)]
