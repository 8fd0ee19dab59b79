"""Camera sources: frames per second and CPU per frame, beside the references.

EN 301 549 6.5 asks >= 20 fps for sign language; our goal is 25 fps at 640x480 on a
Pi 4. This measures the camera side only (producing frames for aiortc; encoding is
aiortc's or the Pi 4's hardware encoder's): the synthetic camera, and the V4L2 path
(PyAV demux + MJPEG decode in the capture thread) fed from a recorded MJPEG clip
played at its frame rate, as a webcam would deliver it. CPU is the process's CPU
time (all threads) divided by frames delivered.

    .venv/bin/python bench/camera_frames.py [--frames 125]

Figures (bench/lib/figures.py): frames per second and CPU ms per frame of each source.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import av

from appliance.parts.camera.synthetic import SyntheticCamera, render_frame
from appliance.parts.camera.v4l2 import V4L2Camera
from bench.lib.figures import emit

REFERENCE = "EN 301 549 6.5: >= 20 fps; goal 25 fps at 640x480 on a Pi 4"
CPU_REFERENCE = "CPU of the whole process per frame delivered; 40 ms = one core at 25 fps"


def write_clip(path: Path, frames: int, fps: int = 25) -> None:
    """An MJPEG 640x480 clip of synthetic frames (what a UVC webcam sends)."""
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream("mjpeg", rate=fps)
        stream.width, stream.height, stream.pix_fmt = 640, 480, "yuvj422p"
        for number in range(frames):
            frame = av.VideoFrame.from_ndarray(render_frame(number), format="rgb24")
            frame.pts, frame.time_base = number, Fraction(1, fps)
            out.mux(stream.encode(frame))
        out.mux(stream.encode(None))


async def measure(track: Any, frames: int) -> tuple[float, float]:
    """(frames per second, CPU ms per frame) over ``frames`` pulled from ``track``."""
    await track.recv()  # warm-up: first frame, thread start
    cpu0, wall0 = time.process_time(), time.monotonic()
    for _ in range(frames):
        await track.recv()
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    track.stop()
    return frames / wall, cpu / frames * 1000


async def main(frames: int) -> None:
    """Run both measurements and print them beside the references."""
    rows = []
    synthetic = SyntheticCamera()
    rows.append(("synthetic", *await measure(synthetic.track(), frames)))
    with tempfile.TemporaryDirectory() as tmp:
        clip = Path(tmp) / "webcam.mkv"
        write_clip(clip, frames + 50)
        webcam = V4L2Camera(device=str(clip), container_format=None)
        webcam.start()
        try:
            for _ in range(500):  # up to 5 s for the capture thread to open the clip
                if webcam.health() == "ok":
                    break
                await asyncio.sleep(0.01)
            rows.append(("v4l2_mjpeg", *await measure(webcam.track(), frames)))
        finally:
            webcam.close()
    print(f"camera sources at 640x480 on {platform.machine()} {platform.python_version()}, "
          f"{frames} frames (v4l2_mjpeg: the V4L2 path fed a recorded MJPEG clip)")  # fmt: skip
    for name, fps, cpu in rows:
        emit(f"camera_frames.{name}.fps", fps, "fps", REFERENCE)
        emit(f"camera_frames.{name}.cpu_per_frame", cpu, "ms", CPU_REFERENCE)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=125)
    asyncio.run(main(parser.parse_args().frames))
