"""Smoke run of bench/camera_frames.py with 25 frames per source."""

from __future__ import annotations

from tests.bench.running import finite, run_bench


def test_camera_sources_deliver_frames_at_about_their_rate() -> None:
    figures = run_bench("camera_frames.py", "--frames", "25", timeout=100)
    for source in ("synthetic", "v4l2_mjpeg"):
        assert 10 < finite(figures[f"camera_frames.{source}.fps"]) < 40  # paced at 25 fps
        assert 0 < finite(figures[f"camera_frames.{source}.cpu_per_frame"]) < 200
