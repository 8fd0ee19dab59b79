"""Hypothesis profiles for the whole suite.

``default`` keeps hypothesis' own settings: the property and fuzz tests finish within
seconds in ``make test``. ``fuzz`` is the long run of issue 7's fuzz tests, e.g.
``pytest --hypothesis-profile=fuzz tests/protocol tests/console/test_ws_fuzz.py``: 50x the
examples and no deadline (a shared CI machine must not turn a slow example into a failure).
"""

from __future__ import annotations

from hypothesis import HealthCheck, settings

settings.register_profile(
    "fuzz",
    max_examples=5_000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
