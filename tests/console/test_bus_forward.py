"""The Redis bus's routing logic without Redis: two instances wired back to back.

Each :class:`Forwarder` publishes into a list instead of Redis; :func:`pump` delivers what
was published to the addressed instance as its subscription would (envelopes serialized and
parsed again). The Redis side (lease, pub/sub, writes) is covered with a real redis-server
and real console processes in tests/console/test_bus_redis.py.
"""

from __future__ import annotations

from console.bus.envelope import Envelope, pack
from console.bus.forward import Forwarder
from console.hub import Hub
from protocol.messages import (
    Answer,
    Answered,
    Assigned,
    CallOffer,
    CallRequest,
    Ended,
    Hangup,
    PresenceSet,
    PresenceStatus,
    Queued,
    RtcAnswer,
    RtcOffer,
)
from tests.console.test_hub import ALICE, PLAIN, T1, T2, FakeConn


class Instance(Forwarder):
    def __init__(self, name: str, hub: Hub, wire: list[tuple[str, Envelope]]) -> None:
        super().__init__(hub, name)
        self.wire = wire

    def publish(self, instance: str, env: Envelope) -> None:
        self.wire.append((instance, env))


class Pair:
    """Instance "a" owns the calls, "b" forwards to it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.wire: list[tuple[str, Envelope]] = []
        self.a = Instance("a", self.hub(), self.wire)
        self.b = Instance("b", self.hub(), self.wire)
        self.a.owner = "a"
        self.a.become_owner([], [], [])
        self.b.follow("a")

    def hub(self) -> Hub:
        return Hub(clock=lambda: self.now, directory=PLAIN, hold_waiting_s=15.0)

    def pump(self) -> None:
        """Deliver everything published, including what delivering publishes."""
        by_name = {"a": self.a, "b": self.b}
        while self.wire:
            target, env = self.wire.pop(0)
            instance = by_name[target]
            instance.receive(pack(env), instance._to_owner)


def test_a_terminal_on_the_forwarding_instance_is_answered_on_the_owner() -> None:
    p = Pair()
    term, page = FakeConn(), FakeConn()
    p.b.connect_terminal(T1, term, {}, "t")
    p.a.connect_caseworker(ALICE, page)
    p.pump()
    p.b.from_terminal("t1", term, CallRequest())
    p.pump()
    queued = [m for m in term.sent if isinstance(m, Queued)]
    assert [q.position for q in queued] == [1]
    offer = next(m for m in page.routing if isinstance(m, CallOffer))
    assert offer.call_id == queued[0].call_id
    p.a.from_caseworker(page, Answer(call_id=offer.call_id))
    p.pump()
    assert any(isinstance(m, Assigned) for m in page.sent)
    assert any(isinstance(m, Answered) for m in term.sent)
    p.b.from_terminal("t1", term, RtcOffer(call_id=offer.call_id, leg="camera", sdp="o"))
    p.a.from_caseworker(page, RtcAnswer(call_id=offer.call_id, leg="camera", sdp="a"))
    p.pump()
    assert [m.sdp for m in page.sent if isinstance(m, RtcOffer)] == ["o"]
    assert [m.sdp for m in term.sent if isinstance(m, RtcAnswer)] == ["a"]
    p.b.disconnect_terminal("t1", term)  # the socket on b closes mid-call
    p.pump()
    assert [m.reason for m in page.sent if isinstance(m, Ended)] == ["terminal_lost"]


def test_messages_wait_while_no_owner_is_known_and_follow_the_hellos() -> None:
    p = Pair()
    p.b.owner = None  # the owner was just killed; nobody holds the lease yet
    term = FakeConn()
    p.b.connect_terminal(T1, term, {}, "t")
    p.b.from_terminal("t1", term, CallRequest())
    assert p.wire == []
    p.b.follow("a")
    p.pump()
    assert [m.position for m in term.sent if isinstance(m, Queued)] == [1]
    assert p.a.hub.terminals_online == 1


def test_a_dead_instance_s_sockets_are_gone_but_waiting_calls_keep_their_place() -> None:
    p = Pair()
    t1, t2 = FakeConn(), FakeConn()
    p.b.connect_terminal(T1, t1, {}, "t")
    p.b.connect_terminal(T2, t2, {}, "t")
    p.b.from_terminal("t1", t1, CallRequest())
    p.b.from_terminal("t2", t2, CallRequest())
    p.pump()
    first = next(m for m in t1.sent if isinstance(m, Queued)).call_id
    for _ in range(3):  # b's alive key is missing at three renewals in a row
        p.a.drop_dead(alive=set())
    assert p.a.hub.terminals_online == 0
    call = p.a.hub.call(first)
    assert call is not None and call.away_since is not None
    back = FakeConn()
    p.a.connect_terminal(T1, back, {}, "t")  # reconnected to the owner itself
    assert [(m.call_id, m.position) for m in back.sent if isinstance(m, Queued)] == [(first, 1)]


def test_a_new_owner_keeps_a_caseworker_s_break() -> None:
    p = Pair()
    page = FakeConn()
    p.b.connect_caseworker(ALICE, page)
    p.pump()
    p.b.from_caseworker(page, PresenceSet(state="break"))
    p.pump()
    saved = p.a.hub.presence()
    assert [(s.caseworker_id, s.state) for s in saved] == [(1, "break")]
    p.b.become_owner(p.a.hub.saved_calls(), saved, [])  # a was killed; b took the lease
    statuses = [m for m in page.routing if isinstance(m, PresenceStatus)]
    assert statuses[-1].state == "break"
    term = FakeConn()
    p.b.connect_terminal(T1, term, {}, "t")
    p.b.from_terminal("t1", term, CallRequest())
    assert not [m for m in page.routing[len(statuses) :] if isinstance(m, CallOffer)]


def test_unreadable_envelopes_and_messages_are_dropped() -> None:
    p = Pair()
    p.a.receive(b"not json", p.a._to_owner)
    p.a.receive(pack(Envelope(kind="t.msg", src="b", conn="b.404", msg="{}")), p.a._to_owner)
    term = FakeConn()
    p.b.connect_terminal(T1, term, {}, "t")
    p.pump()
    conn_id = p.b._local_of[term]
    bad = Envelope(kind="t.msg", src="b", conn=conn_id, msg='{"type": "call.request", "x": ')
    p.a.receive(pack(bad), p.a._to_owner)
    p.a.receive(pack(Envelope(kind="send", src="b", conn="a.1", msg="[]")), p.a._to_owner)
    assert p.a.hub.terminals_online == 1


def test_hangup_from_the_owner_reaches_a_forwarded_terminal() -> None:
    p = Pair()
    term, page = FakeConn(), FakeConn()
    p.b.connect_terminal(T1, term, {}, "t")
    p.b.connect_caseworker(ALICE, page)
    p.b.from_terminal("t1", term, CallRequest())
    p.pump()
    offer = next(m for m in page.routing if isinstance(m, CallOffer))
    p.b.from_caseworker(page, Answer(call_id=offer.call_id))
    p.b.from_caseworker(page, Hangup(call_id=offer.call_id))
    p.pump()
    assert [m.reason for m in term.sent if isinstance(m, Ended)] == ["hangup_caseworker"]
    assert p.a.hub.call(offer.call_id) is None


def test_an_answered_call_goes_on_when_its_owner_dies_and_both_sockets_survive() -> None:
    p = Pair()
    term, page = FakeConn(), FakeConn()
    p.b.connect_terminal(T1, term, {}, "t")
    p.b.connect_caseworker(ALICE, page)
    p.b.from_terminal("t1", term, CallRequest())
    p.pump()
    offer = next(m for m in page.routing if isinstance(m, CallOffer))
    p.b.from_caseworker(page, Answer(call_id=offer.call_id))
    p.pump()
    saved = p.a.hub.saved_calls(p.a.link_of), p.a.hub.presence()
    p.b.become_owner(*saved, [])  # a was killed; b took the lease and rebuilt
    p.b.from_terminal("t1", term, RtcOffer(call_id=offer.call_id, leg="screen", sdp="s"))
    assert [m.sdp for m in page.sent if isinstance(m, RtcOffer)] == ["s"]
    assert not [m for m in term.sent if isinstance(m, Ended)]
    p.b.from_terminal("t1", term, Hangup(call_id=offer.call_id))
    assert [m.reason for m in page.sent if isinstance(m, Ended)] == ["hangup_terminal"]


def test_a_directory_change_made_on_another_instance_reloads_the_owner() -> None:
    p = Pair()
    reloads: list[str] = []
    p.a.on_directory_changed = lambda: reloads.append("a")
    p.b.on_directory_changed = lambda: reloads.append("b")
    p.b.directory_changed()
    p.a.directory_changed()  # the owner's own change needs no message
    p.pump()
    assert reloads == ["a"]
