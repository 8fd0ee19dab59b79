"""Estimated waiting time from the console's recent answer times, per municipality, in memory.

The citizen's question is "how long until someone answers?". The honest source is how long
the last citizens of the same municipality waited (``call.request`` to ``call.answer``):
the median of the last :data:`SAMPLES` answered calls, which one very long or very short
wait does not drag along. A new call waits behind ``ahead`` others that the desk's
caseworkers share, so the estimate grows with ``ahead / caseworkers``::

    estimate = median * (1 + ahead / max(1, caseworkers))

With fewer than :data:`MIN_SAMPLES` answered calls there is nothing honest to say, and the
estimate is None (the kiosk then shows the position only). Nothing is persisted: after a
restart the console learns again within a few calls.
"""

from __future__ import annotations

import statistics
from collections import deque

SAMPLES = 20
MIN_SAMPLES = 3


class AnswerTimes:
    """The last answer times per municipality and the estimate derived from them."""

    def __init__(self, samples: int = SAMPLES, min_samples: int = MIN_SAMPLES) -> None:
        self._samples = samples
        self._min = min_samples
        self._times: dict[int, deque[float]] = {}

    def answered(self, municipality_id: int, waited_s: float) -> None:
        """Record how long an answered call waited."""
        times = self._times.setdefault(municipality_id, deque(maxlen=self._samples))
        times.append(max(0.0, waited_s))

    def estimate(self, municipality_id: int, ahead: int, caseworkers: int) -> float | None:
        """Seconds a call with ``ahead`` calls before it will likely wait; None if unknown."""
        times = self._times.get(municipality_id)
        if times is None or len(times) < self._min:
            return None
        median = statistics.median(times)
        return round(median * (1 + max(0, ahead) / max(1, caseworkers)), 1)
