"""Smoke run of bench/glass_to_glass.py: three seconds of frames on each path."""

from __future__ import annotations

import pytest

from tests.bench.running import finite, run_bench

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(300)
def test_glass_to_glass_reads_the_stamps_on_both_paths() -> None:
    figures = run_bench("glass_to_glass.py", "--seconds", "3", timeout=240)
    for path in ("aiortc_to_chromium", "chromium_to_chromium"):
        median = finite(figures[f"glass_to_glass.{path}.median"])
        # A frame shown before it was made, or seconds late, would be a misread stamp.
        assert 0 < median <= finite(figures[f"glass_to_glass.{path}.p95"]) < 3000
        assert finite(figures[f"glass_to_glass.{path}.readable"]) >= 80
        assert finite(figures[f"glass_to_glass.{path}.fps"]) > 5
    assert "G.114" in figures["glass_to_glass.aiortc_to_chromium.median"].reference
