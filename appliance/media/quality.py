"""How much video the camera leg sends over the link it has: the quality ladder and its controller.

A mobile office runs over LTE in a village: a few hundred kbit/s, 100-300 ms round trip and
a few percent loss are normal, and they change during a call. aiortc adapts only a little by
itself: it honours the receiver's REMB (Chromium sends one when, as here, transport-cc is not
negotiated) by setting its software encoder's target bitrate, but clamps it to at least
250 kbit/s (VP8) or 500 kbit/s (H.264), keeps the camera's full size and frame rate, sends
Opus at a fixed 96 kbit/s, and sends a hardware-encoded stream untouched. Measured on a
300 kbit/s line with 200 ms round trip and 3 % loss (tests/e2e/shaped_call.py): the queue
overflows, 50-70 % of the packets are lost, the picture freezes, the sound breaks up, and the
signaling socket's pings stall until the terminal takes the link for lost.

So the terminal steps its camera down a ladder of its own (:data:`LADDER`): the camera's own
setting (640x480 at 25 fps, aiortc's rate control), 320x240 at 15 fps capped at 150 kbit/s,
160x120 at 8 fps capped at 60 kbit/s, and finally audio only (the video track pauses, the
sound goes on: Opus at 32 kbit/s, about 50 with packet overhead, appliance/media/peer.py).
The controller decides from what the caseworker's browser reports back over RTCP
(:class:`LinkSample`: the fraction of packets lost over the last seconds and the round trip):

- **down** fast: after ``down_after_s`` of bad samples one step; a severe sample (a quarter of
  the packets lost, or a second of round trip: the queue is overflowing) jumps two steps at
  once. Then ``settle_s`` for the step's effect to show before the next one.
- **up** slowly: only after ``up_after_s`` of good samples, one step at a time. If a step up
  turns bad within ``up_after_s``, the wait before the next try to that rung doubles (up to
  ``max_up_after_s``): the ladder does not bounce between two rungs on a line at its limit.
  The step up to the full rung waits ``full_factor`` times as long (15 s, then 30 s, 60 s):
  it is the one rung without a cap (aiortc's encoder sends at least 250 kbit/s), so on a line
  that carries ``reduced`` well but not ``full`` each try floods it for the seconds it takes
  to step down again (measured on 300 kbit/s: ``reduced`` fitted at 3 % loss, and with the
  same wait as the other rungs the ladder tried ``full`` every 5-20 s).

The thresholds sit apart (hysteresis): "bad" is loss >= 8 % or a round trip >= 600 ms; "good"
is loss < 4 % and a round trip below 400 ms; in between nothing changes. A mobile line's 3 %
of random loss is "good": fewer pixels would not make it less. The REMB is shown, not used:
Chromium's estimate ramps up slowly after congestion and lags far behind a link that has
recovered, while loss and delay say at once whether what is sent fits.

Pure logic: the clock is passed in, so the rules are tested without waiting
(tests/appliance/test_quality.py).
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
    video_bps: int | None
    """The encoder's target on this rung; None: aiortc's own rate control (from the REMB)."""

    @property
    def video(self) -> bool:
        """Whether this rung sends video at all."""
        return self.fps > 0


LADDER: tuple[Rung, ...] = (
    Rung("full", 640, 480, 25, None),
    Rung("reduced", 320, 240, 15, 150_000),
    Rung("low", 160, 120, 8, 60_000),
    Rung("audio_only", 0, 0, 0, 0),
)
"""From the best to the least. The first rung is the camera's own setting."""

BAD_LOSS = 0.08
GOOD_LOSS = 0.04
BAD_RTT_S = 0.6
GOOD_RTT_S = 0.4
SEVERE_LOSS = 0.25
SEVERE_RTT_S = 1.0


@dataclass(frozen=True)
class LinkSample:
    """What the receiver reported for the camera leg since the last sample."""

    loss: float | None = None
    """Fraction of packets lost (0..1) from the latest RTCP receiver report, or None."""
    rtt_s: float | None = None
    """Round trip from the RTCP sender/receiver report exchange, or None."""
    remb_bps: int | None = None
    """The receiver's latest bandwidth estimate (REMB), or None: shown, not judged."""


def verdict(sample: LinkSample) -> str:
    """``severe``, ``bad``, ``good`` or ``fair`` (neither: hold) for one sample."""
    loss, rtt = sample.loss, sample.rtt_s
    if (loss is not None and loss >= SEVERE_LOSS) or (rtt is not None and rtt >= SEVERE_RTT_S):
        return "severe"
    if (loss is not None and loss >= BAD_LOSS) or (rtt is not None and rtt >= BAD_RTT_S):
        return "bad"
    if loss is None and rtt is None:
        return "fair"  # no report yet: nothing to judge
    if (loss or 0.0) >= GOOD_LOSS or (rtt or 0.0) >= GOOD_RTT_S:
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
        settle_s: float = 4.0,
        up_after_s: float = 5.0,
        max_up_after_s: float = 20.0,
        full_factor: float = 3.0,
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
        self._max_up = max_up_after_s
        self._full_factor = full_factor
        self._backoff = [up_after_s] * len(ladder)
        """Per rung: the wait before a step up to it, doubled after each failed try."""
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
        judged = verdict(sample)
        if judged in ("bad", "severe"):
            self._good_since = None
            if self._bad_since is None:
                self._bad_since = now
            if now - self._changed_at < self._settle:
                return None  # the last step's effect is not in the reports yet
            if judged == "severe":
                return self._step_down(now, 2)
            if now - self._bad_since >= self._down_after:
                return self._step_down(now, 1)
            return None
        self._bad_since = None
        if judged == "fair":
            self._good_since = None
            return None
        if self._good_since is None:
            self._good_since = now
        if (
            self._stepped_up_at is not None
            and now - self._stepped_up_at >= self._backoff[self._level]
        ):
            self._stepped_up_at = None  # the last step up held: back to the short wait
            self._backoff[self._level] = self._base_up
        if self._level > 0 and now - self._good_since >= self._up_wait(self._level - 1):
            return self._step_up(now)
        return None

    def _up_wait(self, level: int) -> float:
        """The good spell needed before a step up to ``level``."""
        return self._backoff[level] * (self._full_factor if level == 0 else 1.0)

    def _step_down(self, now: float, steps: int) -> Rung | None:
        self._bad_since = None
        level = self._level
        if self._stepped_up_at is not None and now - self._stepped_up_at < self._backoff[level]:
            self._backoff[level] = min(self._backoff[level] * 2, self._max_up)  # it was too much
        self._stepped_up_at = None
        if self._level >= self._lowest:
            return None
        self._level = min(self._level + steps, self._lowest)
        self._changed_at = now
        return self.rung

    def _step_up(self, now: float) -> Rung:
        self._level -= 1
        self._changed_at = now
        self._good_since = None
        self._stepped_up_at = now
        return self.rung
