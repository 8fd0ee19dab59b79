"""How good the terminal's link to the console is, measured before a call from the signaling pings.

Staff who set up the mobile office at an outpost want to know before the first citizen
calls whether the LTE link will carry a video call: a "good / fair / poor" dot with the
numbers on the kiosk's welcome screen. The measure is the signaling socket's own pings:
each ``ping`` carries a sequence number the console's ``pong`` echoes, so the time between
them is the round trip through everything a call's signaling crosses (radio, operator,
TLS proxy, console). Over TCP a lost packet shows as a late pong (the retransmission takes
at least a round trip plus 200 ms), so a pong later than ``late_s``, or none, counts as loss.

The idle heartbeat (one ping in 15 s) alone would need minutes for a figure, so the link
adds a short probe: ``probe_count`` pings ``probe_gap_s`` apart, at connect and every
``probe_s`` while no call runs (terminal config ``link_probe_s``; 0 turns the probe off and
leaves only the heartbeat's pings). Five pings a minute are far inside the console's
per-socket message budget.

Verdicts (median round trip, loss over the last :data:`WINDOW` pings): good below 150 ms
and 1 % (ITU-T G.114's bound for one-way delay, doubled, leaves room for the media's own
delay), poor from 400 ms or 5 % on (where a call drops to the lowest video rungs,
appliance/media/quality.py), fair between. Pure logic with the clock passed in
(tests/appliance/test_link_quality.py).
"""

from __future__ import annotations

import collections
import statistics
from dataclasses import dataclass

WINDOW = 20
"""Pings the verdict looks back over."""
GOOD_RTT_MS = 150.0
POOR_RTT_MS = 400.0
GOOD_LOSS = 0.01
POOR_LOSS = 0.05


@dataclass(frozen=True)
class LinkFigures:
    """One verdict with its numbers."""

    verdict: str
    rtt_ms: int
    loss_pct: float
    samples: int


def judge(rtt_ms: float, loss: float) -> str:
    """``good``, ``fair`` or ``poor`` for a median round trip and a loss fraction."""
    if rtt_ms >= POOR_RTT_MS or loss >= POOR_LOSS:
        return "poor"
    if rtt_ms < GOOD_RTT_MS and loss < GOOD_LOSS:
        return "good"
    return "fair"


class LinkMeter:
    """Pairs pings with pongs and judges the last :data:`WINDOW` of them."""

    def __init__(self, *, late_s: float = 2.0, window: int = WINDOW) -> None:
        self._late = late_s
        self._outstanding: dict[int, float] = {}
        self._results: collections.deque[float | None] = collections.deque(maxlen=window)

    def sent(self, seq: int, at: float) -> None:
        """A ping ``seq`` left at ``at``."""
        self._outstanding[seq] = at

    def answered(self, seq: int, at: float) -> None:
        """The pong for ``seq`` arrived at ``at`` (unknown or late ones count as lost)."""
        sent = self._outstanding.pop(seq, None)
        if sent is not None:
            rtt = at - sent
            self._results.append(rtt if rtt <= self._late else None)

    def expire(self, now: float) -> None:
        """Pings unanswered for ``late_s`` count as lost."""
        for seq, sent in list(self._outstanding.items()):
            if now - sent > self._late:
                del self._outstanding[seq]
                self._results.append(None)

    def reset(self) -> None:
        """A new socket: pings of the old one will never be answered, and do not count."""
        self._outstanding.clear()

    def figures(self) -> LinkFigures | None:
        """The verdict over the window, or None before the first answered ping."""
        rtts = [r for r in self._results if r is not None]
        if not rtts:
            if len(self._results) >= 3:  # pings go out, nothing comes back
                return LinkFigures("poor", 0, 100.0, len(self._results))
            return None
        loss = 1 - len(rtts) / len(self._results)
        rtt_ms = statistics.median(rtts) * 1000
        return LinkFigures(
            judge(rtt_ms, loss), round(rtt_ms), round(loss * 100, 1), len(self._results)
        )
