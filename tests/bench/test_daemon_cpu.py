"""Smoke run of bench/daemon_cpu.py: three seconds of call at each of the two sizes."""

from __future__ import annotations

import os

import pytest

from tests.bench.running import finite, run_bench

pytestmark = pytest.mark.e2e


@pytest.mark.timeout(400)
def test_daemon_cpu_and_memory_beside_the_bare_encoder_at_both_sizes() -> None:
    figures = run_bench("daemon_cpu.py", "--seconds", "3", "--encoder-frames", "30",
                        timeout=360)  # fmt: skip
    cores = len(os.sched_getaffinity(0))
    for size in ("640x480", "1280x720"):
        name = f"daemon_cpu.{size}"
        assert 0 < finite(figures[f"{name}.cpu"]) <= cores
        assert 0 < finite(figures[f"{name}.bare_encoder"]) <= cores
        assert finite(figures[f"{name}.cpu_per_frame"]) > 0
        assert 20 < finite(figures[f"{name}.rss"]) < 4096  # MiB: a Python daemon with aiortc
        assert finite(figures[f"{name}.fps"]) > 1
        assert "bare video/" in figures[f"{name}.cpu"].reference
