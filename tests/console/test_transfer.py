"""Transfer to a colleague or a queue, on the hub with fake connections and a fake clock."""

from __future__ import annotations

from console.events import CallAnswered, CallTransferred
from protocol.messages import (
    Answer,
    Answered,
    Assigned,
    CallOffer,
    CallRequest,
    Decline,
    Ended,
    Error,
    Hangup,
    Message,
    OfferEnded,
    PresenceSet,
    PresenceStatus,
    Queued,
    QueueUpdate,
    RtcOffer,
    Transfer,
    Transferred,
)
from tests.console.test_hub import FakeConn, World
from tests.console.test_presence import (
    ALICE,
    ANTON,
    ASTA,
    B1,
    BERT,
    BESTADT,
    MELDE,
    R1,
    R2,
    SOZIAL,
    moves,
    offers,
    world,
)


def in_call(w: World) -> tuple[str, FakeConn, FakeConn, FakeConn]:
    """R1's call answered by Alice; Anton signed in and free. Returns call, r1, alice, anton."""
    r1 = w.terminal(R1)
    alice, anton = w.caseworker(ALICE), w.caseworker(ANTON)
    call = w.request(R1)
    w.hub.from_caseworker(alice, Answer(call_id=call))
    for conn in (r1, alice, anton):
        conn.take(), moves(conn)
    return call, r1, alice, anton


def errors(conn: FakeConn) -> list[str]:
    return [m.code for m in conn.take() if isinstance(m, Error)]


def entries(conn: FakeConn) -> list[tuple[str, str | None, str | None]]:
    update = [m for m in conn.take() if isinstance(m, QueueUpdate)][-1]
    return [(e.call_id, e.queue_name, e.transferred_by) for e in update.entries]


def test_to_a_colleague_rings_only_them_then_continues_with_the_same_call_id() -> None:
    w = world()
    call, r1, alice, anton = in_call(w)
    asta = w.caseworker(ASTA)
    moves(asta)
    w.hub.from_caseworker(alice, Transfer(call_id=call, to_caseworker_id=2))
    assert alice.take() == [Ended(call_id=call, reason="transferred")]
    assert moves(alice)[0] == PresenceStatus(state="wrap_up", since=w.now, wrap_up_until=w.now + 30)
    assert r1.take() == [Transferred(call_id=call, to="Anton", kind="caseworker")]
    assert moves(anton) == [
        CallOffer(call_id=call, terminal_name="Rathaus Foyer", queue_id=MELDE,
                  queue_name="Meldeamt", ring_s=20.0, transferred_by="Alice")
    ]  # fmt: skip
    assert offers(asta) == []  # offered to that colleague only
    w.hub.from_caseworker(asta, Answer(call_id=call))
    assert errors(asta) == ["taken"]
    w.hub.from_terminal("r1", r1, RtcOffer(call_id=call, leg="camera", sdp="v=0"))
    assert errors(r1) == ["not_answered"]  # between caseworkers: no media
    w.hub.from_caseworker(alice, Hangup(call_id=call))  # no longer hers
    assert errors(alice) == ["not_found"]
    w.now += 7.0
    w.hub.from_caseworker(anton, Answer(call_id=call))
    sent = anton.take()
    assert Assigned(call_id=call, terminal_name="Rathaus Foyer", ice_servers=w.hub.ice_servers,
                    queue_name="Meldeamt", transferred_by="Alice") in sent  # fmt: skip
    assert r1.take() == [Answered(call_id=call, caseworker="Anton", ice_servers=w.hub.ice_servers)]
    offer = RtcOffer(call_id=call, leg="camera", sdp="v=0 again")
    w.hub.from_terminal("r1", r1, offer)
    assert anton.take() == [offer] and alice.take() == []
    transferred = [e for e in w.events if isinstance(e, CallTransferred)]
    assert transferred == [CallTransferred(w.now - 7.0, call, 1, 1, "Alice", 2, None)]
    answered = [(e.caseworker_name, e.waited_s) for e in w.events if isinstance(e, CallAnswered)]
    assert answered == [("Alice", 0.0), ("Anton", 7.0)]  # the second wait counts from the handover


def test_a_declined_or_unanswered_transfer_goes_back_to_the_front_of_its_queue() -> None:
    w = world()
    call, r1, alice, anton = in_call(w)
    r2 = w.terminal(R2)
    w.now += 5
    waiting = w.request(R2)
    assert offers(anton) == [waiting]
    w.hub.from_caseworker(anton, Decline(call_id=waiting))
    w.hub.from_caseworker(alice, Transfer(call_id=call, to_caseworker_id=2))
    r1.take()
    assert offers(anton) == [call]
    w.hub.from_caseworker(anton, Decline(call_id=call))
    assert moves(anton) == [OfferEnded(call_id=call)]
    assert r1.take() == [Queued(call_id=call, position=1, queue="Meldeamt")]
    assert r2.take() == [Queued(call_id=waiting, position=2, queue="Meldeamt")]
    assert entries(alice) == [(call, "Meldeamt", "Alice"), (waiting, "Meldeamt", None)]
    # and a transfer nobody answers goes back after the ring time
    moves(alice)
    w.hub.from_caseworker(alice, PresenceSet(state="available"))  # ready after wrap-up
    assert offers(alice) == [call]  # the front of the queue first
    w.hub.from_caseworker(alice, Answer(call_id=call))
    w.hub.from_caseworker(alice, Transfer(call_id=call, to_caseworker_id=2))
    assert offers(anton) == [call]
    w.tick(19.0)
    assert r1.take()[-2:] == [
        Answered(call_id=call, caseworker="Alice", ice_servers=w.hub.ice_servers),
        Transferred(call_id=call, to="Anton", kind="caseworker"),
    ]
    w.tick(1.0)
    assert moves(anton)[0] == OfferEnded(call_id=call)
    assert r1.take() == [Queued(call_id=call, position=1, queue="Meldeamt")]


def test_to_a_queue_enters_at_the_front_and_is_routed_with_who_sent_it() -> None:
    w = world()
    call, r1, alice, anton = in_call(w)
    w.hub.from_caseworker(anton, PresenceSet(state="break"))
    asta = w.caseworker(ASTA)  # serves Soziales only
    w.hub.from_caseworker(asta, PresenceSet(state="break"))
    w.terminal(R2)
    earlier = w.request(R2, SOZIAL)
    w.hub.from_caseworker(alice, Transfer(call_id=call, to_queue_id=SOZIAL))
    assert r1.take() == [
        Transferred(call_id=call, to="Soziales", kind="queue"),
        Queued(call_id=call, position=1, queue="Soziales"),
    ]
    assert entries(anton) == [(call, "Soziales", "Alice"), (earlier, "Soziales", None)]
    asta.take(), moves(asta)
    w.hub.from_caseworker(asta, PresenceSet(state="available"))
    got = [m for m in moves(asta) if isinstance(m, CallOffer)]
    assert [(m.call_id, m.transferred_by) for m in got] == [(call, "Alice")]
    assert [e.to_queue_id for e in w.events if isinstance(e, CallTransferred)] == [SOZIAL]


def test_wrong_targets_are_refused_and_nothing_changes() -> None:
    w = world()
    call, r1, alice, anton = in_call(w)
    w.terminal(B1)
    bert = w.caseworker(BERT)
    asta = w.caseworker(ASTA)
    w.hub.from_caseworker(asta, PresenceSet(state="break"))
    tries: list[tuple[FakeConn, Message]] = [
        (alice, Transfer(call_id=call, to_caseworker_id=3)),  # another municipality's
        (alice, Transfer(call_id=call, to_caseworker_id=99)),  # unknown
        (alice, Transfer(call_id=call, to_caseworker_id=1)),  # herself
        (alice, Transfer(call_id=call, to_caseworker_id=4)),  # on a break
        (alice, Transfer(call_id=call)),  # no target
        (alice, Transfer(call_id=call, to_caseworker_id=2, to_queue_id=SOZIAL)),  # two
        (alice, Transfer(call_id=call, to_queue_id=BESTADT)),  # another municipality's queue
        (alice, Transfer(call_id=call, to_queue_id=999)),
        (anton, Transfer(call_id=call, to_queue_id=SOZIAL)),  # not his call
        (bert, Transfer(call_id=call, to_queue_id=BESTADT)),
    ]
    codes = []
    for conn, msg in tries:
        conn.take()
        w.hub.from_caseworker(conn, msg)  # type: ignore[arg-type]
        codes += errors(conn)
    assert codes == ["not_found", "not_found", "invalid", "unavailable", "invalid", "invalid",
                     "not_found", "not_found", "not_found", "not_found"]  # fmt: skip
    w.hub.disconnect_caseworker(anton)
    w.hub.from_caseworker(alice, Transfer(call_id=call, to_caseworker_id=2))
    assert errors(alice) == ["unavailable"]  # Anton is known but signed out
    assert r1.take() == []
    assert w.hub.call(call).caseworker == ALICE  # type: ignore[union-attr]
    assert not [e for e in w.events if isinstance(e, CallTransferred)]


def test_the_colleague_leaving_while_it_rings_sends_the_call_back_to_its_queue() -> None:
    w = world()
    call, r1, alice, anton = in_call(w)
    w.hub.from_caseworker(alice, Transfer(call_id=call, to_caseworker_id=2))
    r1.take()
    w.hub.disconnect_caseworker(anton)
    assert r1.take() == [Queued(call_id=call, position=1, queue="Meldeamt")]
    w.hub.from_caseworker(alice, PresenceSet(state="available"))
    assert offers(alice) == [call]
    w.hub.from_terminal("r1", r1, Hangup(call_id=call))  # the citizen gives up meanwhile
    assert moves(alice)[0] == OfferEnded(call_id=call)
    assert w.hub.call(call) is None and r1.take() == [Ended(call_id=call, reason="cancelled")]


def test_a_terminal_asking_again_while_it_rings_hears_where_it_goes() -> None:
    w = world()
    call, r1, alice, _anton = in_call(w)
    w.hub.from_caseworker(alice, Transfer(call_id=call, to_caseworker_id=2))
    r1.take()
    w.hub.from_terminal("r1", r1, CallRequest())  # the same request again, after a reconnect
    assert r1.take() == [Transferred(call_id=call, to="Anton", kind="caseworker")]


def test_what_rang_for_a_colleague_goes_on_when_they_take_something_else() -> None:
    w = world()
    call, r1, alice, anton = in_call(w)
    r2 = w.terminal(R2)
    asta = w.caseworker(ASTA)
    social = w.request(R2, SOZIAL)  # rings Anton and Asta (ring_all)
    assert offers(anton) == [social] and offers(asta) == [social]
    w.hub.from_caseworker(alice, Transfer(call_id=call, to_caseworker_id=2))
    assert moves(anton) == [
        CallOffer(call_id=call, terminal_name="Rathaus Foyer", queue_id=MELDE,
                  queue_name="Meldeamt", ring_s=20.0, transferred_by="Alice"),
        OfferEnded(call_id=social),
    ]  # fmt: skip
    assert w.hub.call(social).offers.keys() == {4}  # type: ignore[union-attr]
    w.hub.from_caseworker(anton, Answer(call_id=social))  # he takes the other one instead
    got = moves(anton)
    assert OfferEnded(call_id=call) in got
    assert r1.take()[-1] == Queued(call_id=call, position=1, queue="Meldeamt")
    assert isinstance(r2.take()[-1], Answered)
    w.hub.from_caseworker(alice, PresenceSet(state="available"))
    assert offers(alice) == [call]
