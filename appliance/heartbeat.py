"""When the link pings, and when silence means the link is lost.

Idle, the terminal pings every ``heartbeat_s`` of the console's ``welcome`` (15 s by default:
enough to keep NAT bindings open, cheap for 10,000 terminals). During a call that is far too
slow: no pong for 2 x 15 s would leave the citizen looking at a frozen caseworker for half a
minute (and aiortc's ICE consent check gives up only after 30 s). So while the terminal is in
a call it pings every ``call_heartbeat_s`` (2 s) and gives up after two of them without a
pong: a lost network is noticed 2-4.5 s after the last pong (the check runs every 0.5 s).

Switching to the faster rate counts from the switch, not from the last (slow) pong, so
entering a call never looks like a loss. The clock is passed in, so the rules are tested
without waiting.

A congested link is not a lost one (issue 8). When a mobile line drops to a few hundred
kbit/s mid-call, the first seconds overflow its buffer both ways until the camera leg (and
the caseworker's browser) have lowered their video; pongs are lost meanwhile and TCP's
retransmissions back off, so 4.2 s without a pong was measured on a call that went on fine.
While the caseworker's RTCP reports still arrive (``media_alive``: the network is there, it
is only full) the verdict waits up to ``congested_s`` (12 s). A real cut stops the reports
too, so it is still noticed after two intervals.
"""

from __future__ import annotations

from collections.abc import Callable

TICK_S = 0.5
"""How often the link's loop looks at the heartbeat (the detection's resolution)."""


class Heartbeat:
    """The ping schedule and the loss verdict for one link session."""

    def __init__(
        self,
        *,
        idle_s: float,
        call_s: float | None,
        in_call: Callable[[], bool],
        clock: Callable[[], float],
        media_alive: Callable[[], bool] = lambda: False,
        congested_s: float = 12.0,
    ) -> None:
        self._idle = max(idle_s, 0.05)
        self._call = self._idle if call_s is None else max(min(call_s, self._idle), 0.05)
        self._in_call = in_call
        self._clock = clock
        now = clock()
        self._last_pong = now
        self._last_ping = now
        self._fast = False
        self._media_alive = media_alive
        self._congested = congested_s

    def interval(self) -> float:
        """The current ping interval: faster during a call."""
        fast = self._in_call()
        if fast != self._fast:
            self._fast = fast
            self._last_pong = max(self._last_pong, self._clock())  # count from the switch
        return self._call if fast else self._idle

    def tick(self) -> float:
        """How long the loop sleeps before looking again."""
        return min(TICK_S, self.interval())

    def pong(self) -> None:
        """A pong arrived."""
        self._last_pong = self._clock()

    def lost(self) -> bool:
        """No pong for two intervals (or ``congested_s`` while the media still flows)."""
        interval = self.interval()  # first: entering a call restarts the count
        silence = self._clock() - self._last_pong
        if silence <= 2 * interval:
            return False
        return silence > self._congested or not self._media_alive()

    def silence(self) -> float:
        """Seconds since the last pong (or the switch to the call rate)."""
        return self._clock() - self._last_pong

    def ping_due(self) -> bool:
        """Whether it is time to ping; if so, the ping counts as sent now."""
        now = self._clock()
        if now - self._last_ping >= self.interval():
            self._last_ping = now
            return True
        return False
