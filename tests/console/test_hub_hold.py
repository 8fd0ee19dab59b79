"""The hub holds an answered call whose terminal's socket was lost, and resumes it (issue 7)."""

from __future__ import annotations

import pytest

from console.events import CallEnded
from console.hub import TerminalIdentity
from protocol.messages import (
    Answer,
    Answered,
    CallHeld,
    CallResumed,
    Chat,
    Ended,
    Error,
    Hangup,
    RtcAnswer,
    RtcOffer,
)
from tests.console.test_hub import ALICE, T1, T2, TB, FakeConn, World

HOLD_S = 60.0


@pytest.fixture
def w() -> World:
    world = World()
    world.hub.hold_answered_s = HOLD_S
    return world


def answered(w: World, who: TerminalIdentity = T1) -> tuple[FakeConn, FakeConn, str]:
    """A terminal in a call answered by Alice; both connections' inboxes emptied."""
    term = w.terminal(who)
    alice = w.caseworker(ALICE)
    call_id = w.request(who)
    w.hub.from_caseworker(alice, Answer(call_id=call_id))
    term.take()
    alice.take()
    return term, alice, call_id


def reconnect(w: World, who: TerminalIdentity, resume: str | None) -> FakeConn:
    conn = FakeConn()
    w.hub.connect_terminal(who, conn, resume=resume)
    w.conns[who.terminal_id] = conn
    return conn


def ends(w: World) -> list[str]:
    return [e.reason for e in w.events if isinstance(e, CallEnded)]


def test_lost_terminal_holds_the_call_and_tells_the_caseworker(w: World) -> None:
    term, alice, call_id = answered(w)
    w.hub.disconnect_terminal("t1", term)
    assert alice.take() == [CallHeld(call_id=call_id, hold_s=HOLD_S, since=w.now)]
    assert w.hub.call(call_id) is not None
    # while held: the caseworker's answer and chat have nowhere to go, nothing breaks
    w.hub.from_caseworker(alice, RtcAnswer(call_id=call_id, leg="camera", sdp="v=0"))
    w.hub.from_caseworker(alice, Chat(call_id=call_id, text="hallo?"))
    assert [type(m) for m in alice.take()] == [Error]
    w.tick(HOLD_S - 1)
    assert w.hub.call(call_id) is not None
    assert ends(w) == []


def test_resume_on_a_new_socket_answers_again_and_relays_fresh_offers(w: World) -> None:
    term, alice, call_id = answered(w)
    w.hub.disconnect_terminal("t1", term)
    alice.take()
    w.tick(20)
    back = reconnect(w, T1, call_id)
    sent = back.take()
    assert [type(m) for m in sent] == [Answered]
    assert sent[0] == Answered(call_id=call_id, caseworker="Alice", ice_servers=sent[0].ice_servers)  # type: ignore[attr-defined]
    assert alice.take() == [CallResumed(call_id=call_id)]
    offer = RtcOffer(call_id=call_id, leg="camera", sdp="v=0 fresh")
    w.hub.from_terminal("t1", back, offer)
    assert alice.take() == [offer]
    w.hub.from_caseworker(alice, Chat(call_id=call_id, text="wieder da"))
    assert back.take() == [Chat(call_id=call_id, text="wieder da", sender="caseworker")]
    w.tick(HOLD_S)  # no longer away: the grace does not end it
    assert w.hub.call(call_id) is not None
    w.hub.from_caseworker(alice, Hangup(call_id=call_id))
    assert back.take() == [Ended(call_id=call_id, reason="hangup_caseworker")]
    assert ends(w) == ["hangup_caseworker"]


def test_resume_before_the_old_socket_is_noticed(w: World) -> None:
    """The terminal notices the loss first (fast pings) and is back before the console's
    own idle timeout closed the old socket: the call resumes on the new one."""
    term, alice, call_id = answered(w)
    back = reconnect(w, T1, call_id)
    assert [type(m) for m in back.take()] == [Answered]
    assert alice.take() == [CallResumed(call_id=call_id)]
    w.hub.disconnect_terminal("t1", term)  # the old socket's handler ending changes nothing
    assert alice.take() == []
    assert w.hub.call(call_id) is not None


def test_reconnect_without_naming_the_call_ends_it(w: World) -> None:
    old, alice, call_id = answered(w)
    back = reconnect(w, T1, None)
    assert back.take() == [Ended(call_id=call_id, reason="terminal_lost")]
    assert old.closed is not None  # replaced
    assert alice.take() == [Ended(call_id=call_id, reason="terminal_lost")]


def test_caseworker_hangs_up_while_held_then_terminal_is_told_why(w: World) -> None:
    term, alice, call_id = answered(w)
    w.hub.disconnect_terminal("t1", term)
    w.hub.from_caseworker(alice, Hangup(call_id=call_id))
    assert alice.take()[-1] == Ended(call_id=call_id, reason="hangup_caseworker")
    back = reconnect(w, T1, call_id)
    assert back.take() == [Ended(call_id=call_id, reason="hangup_caseworker")]
    assert ends(w) == ["hangup_caseworker"]


def test_caseworker_leaves_while_held(w: World) -> None:
    term, alice, call_id = answered(w)
    w.hub.disconnect_terminal("t1", term)
    w.hub.disconnect_caseworker(alice)
    assert w.hub.call(call_id) is None
    back = reconnect(w, T1, call_id)
    assert back.take() == [Ended(call_id=call_id, reason="caseworker_lost")]
    assert ends(w) == ["caseworker_lost"]


def test_grace_runs_out(w: World) -> None:
    term, alice, call_id = answered(w)
    w.hub.disconnect_terminal("t1", term)
    alice.take()
    w.tick(HOLD_S)
    assert alice.take() == [Ended(call_id=call_id, reason="terminal_lost")]
    assert w.hub.call(call_id) is None
    assert ends(w) == ["terminal_lost"]
    back = reconnect(w, T1, call_id)
    assert back.take() == [Ended(call_id=call_id, reason="terminal_lost")]


def test_no_hold_when_disabled(w: World) -> None:
    w.hub.hold_answered_s = 0
    term, alice, call_id = answered(w)
    w.hub.disconnect_terminal("t1", term)
    assert alice.take() == [Ended(call_id=call_id, reason="terminal_lost")]


def test_another_terminal_cannot_resume_the_call(w: World) -> None:
    term, alice, call_id = answered(w)
    w.hub.disconnect_terminal("t1", term)
    alice.take()
    for who in (T2, TB):  # same municipality, and another one: both look like a missing call
        other = reconnect(w, who, call_id)
        assert other.take() == [Ended(call_id=call_id, reason="terminal_lost")]
    assert alice.take() == []
    call = w.hub.call(call_id)
    assert call is not None and call.away_since is not None
    # its own terminal naming another id: told that one ended; its held call ends too
    assert reconnect(w, T1, "made-up").take() == [
        Ended(call_id="made-up", reason="terminal_lost"),
        Ended(call_id=call_id, reason="terminal_lost"),
    ]
