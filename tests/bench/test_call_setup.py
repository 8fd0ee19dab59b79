"""Smoke run of bench/call_setup.py: one whole call in Chromium."""

from __future__ import annotations

import pytest

from tests.bench.running import finite, run_bench

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(300)
def test_call_setup_times_answer_to_first_frame_on_both_legs() -> None:
    figures = run_bench("call_setup.py", "--calls", "1", timeout=240)
    for name in ("press_to_queue", "answer_to_frame_aiortc", "answer_to_frame_chromium"):
        median = finite(figures[f"call_setup.{name}.median"])
        assert 0 < median <= finite(figures[f"call_setup.{name}.p90"]) < 15_000
    assert "Chromium to Chromium" in figures["call_setup.answer_to_frame_aiortc.median"].reference
