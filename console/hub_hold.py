"""The hub holding an answered call whose terminal lost its network, and resuming it (issue 7).

A terminal in a town hall loses its network now and then mid-call (a Wi-Fi access point
restarting, an LTE modem re-attaching: 10-40 s). Ending the call at once would send the
citizen back into the queue, to another caseworker, to explain everything again. So when an
answered call's terminal socket is lost while its caseworker's page stays, the hub holds the
call for ``hold_answered_s`` and tells the caseworker (``call.held``). The terminal, back on a
new socket, names the call in its ``hello`` (``resume``); if it is this very terminal's held
call (same terminal id, hence same municipality) and the caseworker is still there, the hub
sends ``call.answered`` again and ``call.resumed`` to the caseworker, and both media legs are
negotiated afresh (aiortc has no ICE restart). Otherwise the terminal gets ``call.ended`` for
the id it named, with the reason its call really ended, so it shows the normal end screen;
a call of another terminal looks exactly like one that ended (``terminal_lost``).

A mixin of :class:`console.hub.Hub`, which owns the state declared below.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from console.calls import Call, CaseworkerIdentity, Connection, TerminalIdentity
from protocol.messages import Answered, CallHeld, CallResumed, Ended, EndReason

if TYPE_CHECKING:
    from console.presence_state import People


class CallHold:
    """Hold an answered call while its terminal is away; resume it when it is back."""

    people: People
    hold_answered_s: float
    _calls: dict[str, Call]
    _call_of_terminal: dict[str, str]
    _last_end: dict[str, tuple[str, EndReason]]

    if TYPE_CHECKING:

        def _now(self) -> float: ...
        def _answered(self, call: Call, who: CaseworkerIdentity) -> Answered: ...

    def _hold(self, call: Call) -> bool:
        """The answered call's terminal socket is gone: hold the call if its caseworker's
        page is still there (True), else the caller ends it."""
        page = call.caseworker_conn
        if self.hold_answered_s <= 0 or call.caseworker is None or page is None:
            return False
        if self.people.of_page(page) is None:
            return False
        call.away_since = now = self._now()
        page.send(CallHeld(call_id=call.call_id, hold_s=self.hold_answered_s, since=now))
        return True

    def _resume_call(self, who: TerminalIdentity, conn: Connection, resume: str) -> bool:
        """A terminal's hello named ``resume``: resume its answered call (True), or, when
        that call is not this terminal's answered call any more, tell it the call ended
        (False, and the caller goes on as for any hello)."""
        call_id = self._call_of_terminal.get(who.terminal_id)
        call = None if call_id is None else self._calls.get(call_id)
        page = None if call is None else call.caseworker_conn
        mine = call is not None and call.call_id == resume and call.caseworker is not None
        if mine and call is not None and page is not None and self.people.of_page(page):
            assert call.caseworker is not None
            call.away_since = None
            conn.send(self._answered(call, call.caseworker))
            page.send(CallResumed(call_id=call.call_id))
            return True
        last = self._last_end.get(who.terminal_id)
        reason: EndReason = last[1] if last is not None and last[0] == resume else "terminal_lost"
        if call is None or call.call_id != resume:
            conn.send(Ended(call_id=resume, reason=reason))
        return False
