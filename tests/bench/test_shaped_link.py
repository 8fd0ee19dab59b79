"""Smoke run of bench/shaped_link.py: short phases on the clean, the poor and the clean link.

It checks that the bench runs and prints every figure, and the rung it reaches; that the
call steps down in time, stays up and recovers is tests/e2e/test_poor_link.py's to assert
(with bounds that hold on a loaded machine), not this smoke run's.
"""

from __future__ import annotations

import pytest

from tests.bench.running import finite, run_bench
from tests.link_shaper import available

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(available() is not None, reason=str(available())),
]


@pytest.mark.timeout(300)
def test_shaped_link_prints_the_three_phases() -> None:
    figures = run_bench("shaped_link.py", "--seconds", "3", "--settle", "10", timeout=240)
    for phase in ("clean", "poor", "recovered"):
        for what in ("fps", "height", "freezes", "audio_continuity"):
            finite(figures[f"shaped_link.{phase}.{what}"])
    assert finite(figures["shaped_link.clean.height"]) == 480
    assert finite(figures["shaped_link.poor.height"]) <= 240
    assert finite(figures["shaped_link.call_dropped"]) in (0, 1)
    assert finite(figures["shaped_link.step_down"]) > 0
    assert "EN 301 549" in figures["shaped_link.clean.fps"].reference
