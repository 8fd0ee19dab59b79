"""Unit tests of the hub's routing with fake connections (no sockets, no Quart)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from console.directory import CaseworkerSpec, Directory, OfficeSpec, QueueSpec
from console.events import HubEvent
from console.hub import CLOSE_REPLACED, CaseworkerIdentity, Hub, TerminalIdentity
from protocol.messages import (
    Answer,
    Answered,
    Assigned,
    CallCancel,
    CallOffer,
    CallRequest,
    DeskUpdate,
    Ended,
    Error,
    Hangup,
    IceServer,
    Message,
    OfferEnded,
    OfficeStatus,
    PartsReport,
    PresenceStatus,
    Queued,
    QueueUpdate,
    RtcAnswer,
    RtcOffer,
)

ROUTING = (PresenceStatus, DeskUpdate, CallOffer, OfferEnded)


@dataclass(eq=False)
class FakeConn:
    """Records what the hub sends; office statuses (tests/console/test_office.py) and
    presence, desk and offers (tests/console/test_presence.py) apart."""

    sent: list[Message] = field(default_factory=list)
    closed: int | None = None
    office: list[OfficeStatus] = field(default_factory=list)
    routing: list[Message] = field(default_factory=list)

    def send(self, message: Message) -> None:
        if isinstance(message, OfficeStatus):
            self.office.append(message)
        elif isinstance(message, ROUTING):
            self.routing.append(message)
        else:
            self.sent.append(message)

    def close(self, code: int, reason: str = "") -> None:
        self.closed = code

    def take(self) -> list[Message]:
        out, self.sent = self.sent, []
        return out


T1 = TerminalIdentity("t1", "Rathaus", 1, "Aldorf", office_id=1)
T2 = TerminalIdentity("t2", "Sparkasse", 1, "Aldorf", office_id=1)
T3 = TerminalIdentity("t3", "Laden", 1, "Aldorf", office_id=1)
TB = TerminalIdentity("tb", "Rathaus B", 2, "Bestadt", office_id=2)
ALICE = CaseworkerIdentity(1, "Alice", 1, "Aldorf")
ANTON = CaseworkerIdentity(2, "Anton", 1, "Aldorf")
BERT = CaseworkerIdentity(3, "Bert", 2, "Bestadt")
ICE = [IceServer(urls=["stun:stun.example.org"])]

# One office per municipality with one unnamed queue and no wrap-up: the routing rules
# of tests/console/test_presence.py and test_transfer.py build their own directories.
OFFICES = [OfficeSpec(1, 1, "Aldorf"), OfficeSpec(2, 2, "Bestadt")]
PLAIN = Directory.build(
    offices=OFFICES,
    queues=[QueueSpec(1, 1, 1, "", wrap_up_s=0), QueueSpec(2, 2, 2, "", wrap_up_s=0)],
    caseworkers=[
        CaseworkerSpec(1, 1, "Alice"),
        CaseworkerSpec(2, 1, "Anton"),
        CaseworkerSpec(3, 2, "Bert"),
    ],
)


class World:
    def __init__(self, directory: Directory = PLAIN) -> None:
        self.now = 1000.0
        ids = iter(f"call{n}" for n in range(100))
        self.events: list[HubEvent] = []
        self.hub = Hub(
            ice_servers=ICE,
            clock=lambda: self.now,
            new_call_id=lambda: next(ids),
            directory=directory,
            events=self.events.append,
        )
        self.conns: dict[str, FakeConn] = {}

    def terminal(self, who: TerminalIdentity) -> FakeConn:
        conn = FakeConn()
        self.hub.connect_terminal(who, conn)
        self.conns[who.terminal_id] = conn
        return conn

    def caseworker(self, who: CaseworkerIdentity) -> FakeConn:
        conn = FakeConn()
        self.hub.connect_caseworker(who, conn)
        assert isinstance(conn.take()[0], QueueUpdate)
        return conn

    def request(self, who: TerminalIdentity, queue_id: int | None = None) -> str:
        conn = self.conns[who.terminal_id]
        self.hub.from_terminal(who.terminal_id, conn, CallRequest(queue_id=queue_id))
        queued = conn.take()[-1]
        assert isinstance(queued, Queued), queued
        return queued.call_id

    def tick(self, seconds: float) -> None:
        """Let time pass and the hub's timers act."""
        self.now += seconds
        self.hub.tick(self.now)


@pytest.fixture
def w() -> World:
    return World()


def queue_ids(conn: FakeConn) -> list[str]:
    update = conn.take()[-1]
    assert isinstance(update, QueueUpdate)
    return [e.call_id for e in update.entries]


def test_request_queues_and_informs_only_own_municipality(w: World) -> None:
    t1 = w.terminal(T1)
    alice, bert = w.caseworker(ALICE), w.caseworker(BERT)
    w.now = 1000.0
    w.hub.from_terminal("t1", t1, CallRequest())
    assert t1.take() == [Queued(call_id="call0", position=1)]
    w.now = 1005.0
    w.hub.from_terminal("t1", t1, CallRequest())  # idempotent
    assert t1.take() == [Queued(call_id="call0", position=1)]
    update = alice.take()
    assert len(update) == 1 and isinstance(update[0], QueueUpdate)
    assert update[0].entries[0].terminal_name == "Rathaus"
    assert update[0].entries[0].since == 1000.0
    assert bert.take() == []


def test_answer_assigns_and_updates_positions(w: World) -> None:
    t1, t2, t3 = w.terminal(T1), w.terminal(T2), w.terminal(T3)
    alice = w.caseworker(ALICE)
    c1, c2, c3 = w.request(T1), w.request(T2), w.request(T3)
    assert (c2, c3) == ("call1", "call2")
    alice.take()
    w.hub.from_caseworker(alice, Answer(call_id=c1))
    sent = alice.take()
    assert Assigned(call_id=c1, terminal_name="Rathaus", ice_servers=ICE) in sent
    assert queue_ids(FakeConn(sent=[m for m in sent if isinstance(m, QueueUpdate)])) == [c2, c3]
    assert t1.take() == [Answered(call_id=c1, caseworker="Alice", ice_servers=ICE)]
    assert t2.take() == [Queued(call_id=c2, position=1)]
    assert t3.take() == [Queued(call_id=c3, position=2)]
    w.hub.from_terminal("t1", t1, CallRequest())  # idempotent during the call too
    assert isinstance(t1.take()[0], Answered)


def test_busy_taken_and_not_found(w: World) -> None:
    w.terminal(T1), w.terminal(T2), w.terminal(TB)
    alice, anton, bert = w.caseworker(ALICE), w.caseworker(ANTON), w.caseworker(BERT)
    c1, c2, cb = w.request(T1), w.request(T2), w.request(TB)
    w.hub.from_caseworker(alice, Answer(call_id=c1))
    alice.take(), anton.take(), bert.take()
    w.hub.from_caseworker(anton, Answer(call_id=c1))
    assert [m.code for m in anton.take() if isinstance(m, Error)] == ["taken"]
    w.hub.from_caseworker(alice, Answer(call_id=c2))
    assert [m.code for m in alice.take() if isinstance(m, Error)] == ["busy"]
    w.hub.from_caseworker(alice, Answer(call_id=cb))  # other municipality
    other = alice.take()
    w.hub.from_caseworker(alice, Answer(call_id="nonexistent"))
    missing = alice.take()
    assert other == missing and isinstance(other[0], Error) and other[0].code == "not_found"
    assert w.hub.call(cb) is not None and w.hub.call(cb).caseworker is None  # type: ignore[union-attr]


def test_relay_and_hangup(w: World) -> None:
    t1, t2 = w.terminal(T1), w.terminal(T2)
    alice = w.caseworker(ALICE)
    c1, c2 = w.request(T1), w.request(T2)
    w.hub.from_caseworker(alice, Answer(call_id=c1))
    alice.take(), t1.take(), t2.take()
    offer = RtcOffer(call_id=c1, leg="camera", sdp="v=0 offer")
    w.hub.from_terminal("t1", t1, offer)
    assert alice.take() == [offer]
    w.hub.from_terminal("t2", t2, RtcOffer(call_id=c1, leg="camera", sdp="x"))  # not t2's call
    assert [m.code for m in t2.take() if isinstance(m, Error)] == ["not_found"]
    w.hub.from_terminal("t2", t2, RtcOffer(call_id=c2, leg="camera", sdp="x"))  # not answered
    assert [m.code for m in t2.take() if isinstance(m, Error)] == ["not_answered"]
    answer = RtcAnswer(call_id=c1, leg="camera", sdp="v=0 answer")
    w.hub.from_caseworker(alice, answer)
    assert t1.take() == [answer]
    w.hub.from_caseworker(alice, Hangup(call_id=c1))
    assert t1.take() == [Ended(call_id=c1, reason="hangup_caseworker")]
    assert alice.take() == [Ended(call_id=c1, reason="hangup_caseworker")]
    assert w.hub.call(c1) is None
    w.hub.from_caseworker(alice, Answer(call_id=c2))  # free again
    assert any(isinstance(m, Assigned) for m in alice.take())


def test_cancel_and_terminal_hangup(w: World) -> None:
    t1 = w.terminal(T1)
    alice = w.caseworker(ALICE)
    c1 = w.request(T1)
    alice.take()
    w.hub.from_terminal("t1", t1, CallCancel(call_id=c1))
    assert t1.take() == [Ended(call_id=c1, reason="cancelled")]
    assert queue_ids(alice) == []
    c2 = w.request(T1)
    w.hub.from_caseworker(alice, Answer(call_id=c2))
    alice.take()
    w.hub.from_terminal("t1", t1, Hangup(call_id=c2))
    assert alice.take() == [Ended(call_id=c2, reason="hangup_terminal")]


def test_disconnects(w: World) -> None:
    t1, t2 = w.terminal(T1), w.terminal(T2)
    alice = w.caseworker(ALICE)
    c1, c2 = w.request(T1), w.request(T2)
    alice.take()
    w.hub.disconnect_terminal("t1", t1)  # waiting: leaves the queue
    assert queue_ids(alice) == [c2]
    assert t2.take() == [Queued(call_id=c2, position=1)]
    w.hub.from_caseworker(alice, Answer(call_id=c2))
    alice.take()
    w.hub.disconnect_terminal("t2", t2)
    assert alice.take() == [Ended(call_id=c2, reason="terminal_lost")]
    t2 = w.terminal(T2)
    c3 = w.request(T2)
    w.hub.from_caseworker(alice, Answer(call_id=c3))
    t2.take()
    w.hub.disconnect_caseworker(alice)
    assert t2.take() == [Ended(call_id=c3, reason="caseworker_lost")]
    assert w.hub.caseworkers_online == 0
    assert c1 != c3


def test_newer_terminal_connection_replaces_older(w: World) -> None:
    old = w.terminal(T1)
    c1 = w.request(T1)
    new = w.terminal(T1)
    assert old.closed == CLOSE_REPLACED
    w.hub.disconnect_terminal("t1", old)  # the old handler ending must not end the call
    w.hub.from_terminal("t1", old, CallRequest())  # late message of the old socket: ignored
    assert old.take() == []
    w.hub.from_terminal("t1", new, CallRequest())
    assert new.take() == [Queued(call_id=c1, position=1)]
    assert w.hub.terminals_online == 1


def test_parts_are_remembered(w: World) -> None:
    t1 = w.terminal(T1)
    w.hub.from_terminal("t1", t1, PartsReport(parts={"camera": "ok", "printer": "missing"}))
    assert w.hub.parts("t1") == {"camera": "ok", "printer": "missing"}
