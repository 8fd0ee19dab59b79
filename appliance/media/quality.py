"""How much video the camera leg sends over the link it has: the quality ladder and its controller.

A mobile office runs over LTE in a village: a few hundred kbit/s, 100-300 ms round trip and
a few percent loss are normal, and they change during a call. aiortc adapts only a little by
itself: it honours the receiver's REMB (Chromium sends one when, as here, transport-cc is not
negotiated) by setting its software encoder's target bitrate, but clamps it to at least
250 kbit/s (VP8) or 500 kbit/s (H.264), keeps the camera's full size and frame rate, and sends
a hardware-encoded stream untouched. On a 300 kbit/s line that overfills the queue: loss and
delay climb until the picture freezes and the sound breaks up.

So the terminal steps its camera down a ladder of its own (:data:`LADDER`): 640x480 at 25 fps,
320x240 at 15, 160x120 at 8, and finally audio only (the video track pauses, the sound goes
on). The controller decides from what the caseworker's browser reports back over RTCP
(:class:`LinkSample`: the fraction of packets lost, the round trip, the REMB estimate):

- **down** fast: after ``down_after_s`` of bad samples, one step, then ``settle_s`` for that
  step's effect to show before the next one;
- **up** slowly: only after ``up_after_s`` of good samples, one step at a time. If a step up
  turns bad within ``up_after_s``, the wait before the next try doubles (up to
  ``max_up_after_s``): the ladder does not bounce between two rungs on a line at its limit.

The thresholds sit either side of each other (hysteresis): "bad" is loss >= 8 % or a round
trip >= 600 ms or a REMB below what the rung needs; "good" is loss < 4 %, a round trip below
400 ms and a REMB (if any) with room for the next rung. Between the two nothing changes.

Pure logic: the clock is passed in, so the rules are tested without waiting
(tests/appliance/media/test_quality.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Rung:
    """One step of the ladder: the video's size and frame rate (0 x 0 at 0 fps: audio only)."""

    name: str
    width: int
    height: int
    fps: int
    needs_bps: int
    """Roughly what the video of this rung needs (VP8, measured on the synthetic picture)."""

    @property
    def video(self) -> bool:
        """Whether this rung sends video at all."""
        return self.fps > 0


LADDER: tuple[Rung, ...] = (
    Rung("full", 640, 480, 25, 450_000),
    Rung("reduced", 320, 240, 15, 200_000),
    Rung("low", 160, 120, 8, 60_000),
    Rung("audio_only", 0, 0, 0, 0),
)
"""From the best to the least. The first rung is the camera's own setting."""

BAD_LOSS = 0.08
GOOD_LOSS = 0.04
BAD_RTT_S = 0.6
GOOD_RTT_S = 0.4
HEADROOM = 1.3
"""A REMB must exceed the next rung's need by this factor before stepping up to it."""


@dataclass(frozen=True)
class LinkSample:
    """What the receiver reported for the camera leg since the last sample."""

    loss: float | None = None
    """Fraction of packets lost (0..1) from the latest RTCP receiver report, or None."""
    rtt_s: float | None = None
    """Round trip from the RTCP sender/receiver report exchange, or None."""
    remb_bps: int | None = None
    """The receiver's latest bandwidth estimate (REMB), or None."""


def verdict(sample: LinkSample, rung: Rung, above: Rung | None) -> str:
    """``bad``, ``good`` or ``fair`` (neither: hold) for one sample at ``rung``."""
    loss, rtt, remb = sample.loss, sample.rtt_s, sample.remb_bps
    if (loss is not None and loss >= BAD_LOSS) or (rtt is not None and rtt >= BAD_RTT_S):
        return "bad"
    if remb is not None and rung.video and remb < rung.needs_bps:
        return "bad"
    if loss is None and rtt is None:
        return "fair"  # no report yet: nothing to judge
    if (loss or 0.0) >= GOOD_LOSS or (rtt or 0.0) >= GOOD_RTT_S:
        return "fair"
    if remb is not None and above is not None and remb < above.needs_bps * HEADROOM:
        return "fair"
    return "good"


class QualityController:
    """Chooses the rung of :data:`LADDER` from a stream of :class:`LinkSample`."""

    def __init__(
        self,
        *,
        clock: Callable[[], float],
        ladder: tuple[Rung, ...] = LADDER,
        down_after_s: float = 2.0,
        settle_s: float = 3.0,
        up_after_s: float = 5.0,
        max_up_after_s: float = 40.0,
        lowest: int | None = None,
    ) -> None:
        if not ladder:
            raise ValueError("the ladder needs at least one rung")
        self._clock = clock
        self._ladder = ladder
        self._lowest = len(ladder) - 1 if lowest is None else min(lowest, len(ladder) - 1)
        self._down_after = down_after_s
        self._settle = settle_s
        self._base_up = up_after_s
        self._up_after = up_after_s
        self._max_up = max_up_after_s
        now = clock()
        self._level = 0
        self._changed_at = now
        self._bad_since: float | None = None
        self._good_since: float | None = None
        self._stepped_up_at: float | None = None

    @property
    def level(self) -> int:
        """Index of the current rung (0 = best)."""
        return self._level

    @property
    def rung(self) -> Rung:
        """The current rung."""
        return self._ladder[self._level]

    def observe(self, sample: LinkSample) -> Rung | None:
        """Take one sample; returns the new rung when it changed, else None."""
        now = self._clock()
        above = self._ladder[self._level - 1] if self._level > 0 else None
        judged = verdict(sample, self.rung, above)
        if judged == "bad":
            self._good_since = None
            if self._bad_since is None:
                self._bad_since = now
            settled = now - self._changed_at >= self._settle
            if now - self._bad_since >= self._down_after and settled:
                return self._step_down(now)
            return None
        self._bad_since = None
        if judged == "fair":
            self._good_since = None
            return None
        if self._good_since is None:
            self._good_since = now
        if self._stepped_up_at is not None and now - self._stepped_up_at >= self._up_after:
            self._stepped_up_at = None  # the last step up held: back to the short wait
            self._up_after = self._base_up
        if self._level > 0 and now - self._good_since >= self._up_after:
            return self._step_up(now)
        return None

    def _step_down(self, now: float) -> Rung | None:
        self._bad_since = None
        if self._stepped_up_at is not None and now - self._stepped_up_at < self._up_after:
            self._up_after = min(self._up_after * 2, self._max_up)  # that step up was too much
        self._stepped_up_at = None
        if self._level >= self._lowest:
            return None
        self._level += 1
        self._changed_at = now
        return self.rung

    def _step_up(self, now: float) -> Rung:
        self._level -= 1
        self._changed_at = now
        self._good_since = None
        self._stepped_up_at = now
        return self.rung
