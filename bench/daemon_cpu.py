"""The terminal daemon's CPU seconds per call second and resident memory, by camera size.

For each size (640x480 and 1280x720 by default) a whole call runs (bench/lib/live_call.py):
the daemon as its own process (``bt-terminal run``, synthetic camera and microphone, the
kiosk server with the kiosk page and its self-view open), the console, and the caseworker
and kiosk pages in Chromium. Once both pages decode video and a warm-up has passed, the
daemon's CPU time (all threads, from /proc) over ``--seconds`` of call is divided by those
seconds; its resident memory is read at the end, beside its memory before the call. The
caseworker page's statistics give the codec, frame rate and bit rate the call ran at.

Reference, measured in the same run: the bare encoder (bench/lib/bare_encoder.py), the
same codec with aiortc's settings encoding the same synthetic frames at the call's bit
rate, without aiortc, as CPU seconds per second of video at the call's frame rate. On a
Pi 4 the goal is to need neither: H.264 from the hardware encoder (aiortc issue 366: the
Pi 4 manages 5 fps at 1080p in software).

Usage: ``.venv/bin/python bench/daemon_cpu.py [--seconds 20] [--sizes 640x480,1280x720]``

Measured on the development machine (x86-64, under load), VP8: 640x480 0.29 CPU s per
call second (12.3 ms a frame, 165 MiB) beside the bare encoder's 0.17 (6.8 ms a frame);
1280x720 0.38 (20.7 ms a frame, 199 MiB, only 18 fps arrived) beside 0.28 (11.4 ms).
The daemon idles at 63 MiB.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.lib.figures import emit
from bench.lib.live_call import CAMERA_PC, inbound_video, live_call
from bench.lib.processes import cpu_share, rss_bytes, sample
from tests.e2e.harness import ROOT, chromium

WARM_UP_S = 3.0
"""After both pages decode video: aiortc's bit rate ramps up from 500 kbit/s on REMB."""
MIN_BIT_RATE, MAX_BIT_RATE = 250_000, 1_500_000
"""aiortc's encoder bit-rate bounds (aiortc/codecs/vpx.py)."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds of call measured")
    parser.add_argument("--sizes", default="640x480,1280x720", help="camera sizes WxH,WxH")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--encoder-frames", type=int, default=250,
                        help="frames the bare encoder encodes per size")  # fmt: skip
    args = parser.parse_args(argv)
    args.size_list = [s.strip() for s in args.sizes.split(",") if s.strip()]
    for size in args.size_list:
        width, _, height = size.partition("x")
        if not (width.isdigit() and height.isdigit()):
            parser.error(f"--sizes: {size!r} is not WIDTHxHEIGHT")
    if args.seconds <= 0 or args.encoder_frames < 1:
        parser.error("--seconds and --encoder-frames must be positive")
    return args


def bare_encoder(codec: str, size: str, bit_rate: int, fps: int, frames: int) -> dict[str, float]:
    """Run the bare encoder in its own process (its CPU time is then its own)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.lib.bare_encoder", "--codec", codec, "--size", size,
         "--bit-rate", str(bit_rate), "--fps", str(fps), "--frames", str(frames)],
        cwd=ROOT, check=True, capture_output=True, text=True,
    )  # fmt: skip
    result: dict[str, float] = json.loads(done.stdout)
    return result


def measure_size(browser: object, base: Path, size: str, args: argparse.Namespace) -> None:
    """One call at ``size``: print its figures beside the bare encoder's."""
    with live_call(base, browser, size, args.fps) as call:
        time.sleep(WARM_UP_S)
        pid = call.terminal.pid
        before, stats0 = sample(pid), inbound_video(call.caseworker, CAMERA_PC)
        time.sleep(args.seconds)
        after, stats1 = sample(pid), inbound_video(call.caseworker, CAMERA_PC)
        rss, idle_rss = rss_bytes(pid), call.idle_rss
    wall = after.wall_s - before.wall_s
    fps = (stats1.frames - stats0.frames) / wall
    bit_rate = (stats1.bytes - stats0.bytes) * 8 / wall
    target = int(min(MAX_BIT_RATE, max(MIN_BIT_RATE, bit_rate)))
    bare = bare_encoder(stats1.codec, size, target, args.fps, args.encoder_frames)
    name = f"daemon_cpu.{size}"
    print(f"{size}: codec {stats1.codec}, {fps:.1f} fps and {bit_rate / 1000:.0f} kbit/s "
          f"received over {wall:.1f} s; bare encoder at {target / 1000:.0f} kbit/s")  # fmt: skip
    emit(f"{name}.cpu", cpu_share(before, after), "cpu_s/s",
         f"bare {stats1.codec} encoder {bare['cpu_s_per_video_s']:.3f} cpu_s/s on the same "
         f"frames at {args.fps} fps, measured in this run")  # fmt: skip
    emit(f"{name}.bare_encoder", bare["cpu_s_per_video_s"], "cpu_s/s",
         f"PyAV with aiortc's settings, no aiortc, at {target / 1000:.0f} kbit/s")  # fmt: skip
    per_frame = cpu_share(before, after) / fps * 1000 if fps > 0 else float("nan")
    emit(f"{name}.cpu_per_frame", per_frame, "ms",
         f"bare encoder {bare['cpu_s_per_frame'] * 1000:.1f} ms a frame; the daemon's "
         "includes audio, RTP, SRTP and the kiosk")  # fmt: skip
    emit(f"{name}.rss", rss / 2**20, "MiB", f"{idle_rss / 2**20:.0f} MiB before the call")
    emit(f"{name}.fps", fps, "fps",
         f"camera {args.fps} fps; EN 301 549 6.5: >= 20 fps for sign language")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Measure every size in turn."""
    args = parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp, chromium() as browser:
        for size in args.size_list:
            measure_size(browser, Path(tmp) / size, size, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
