"""The video encoder alone: the synthetic camera's frames encoded in a loop, without aiortc.

The reference for the terminal daemon's CPU per call second: what the codec the call
negotiated costs by itself on the same frames, so the difference is aiortc (RTP, SRTP,
congestion control, threads), the audio, the kiosk server and the rest of the daemon.
Encoder settings are those of aiortc 1.16's encoders (aiortc/codecs/vpx.py and
h264.py: realtime libvpx at ``cpu-used`` -6 with CBR, or libx264 baseline with
``zerolatency``), at the bit rate the call ran at. Each loop step does what the call's
sender does with a camera frame: wrap the RGB picture, convert it to YUV 4:2:0, encode.
The pictures are rendered beforehand (one cycle of the moving bars, each with its own
clock stamp), so rendering is not counted.

Run as ``python -m bench.lib.bare_encoder --codec video/VP8 --size 640x480 ...``: it
prints one JSON object, measured with this process's CPU time (all encoder threads).
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import sys
import time
from fractions import Fraction
from typing import Any

import av

from appliance.parts.camera import clockstamp
from appliance.parts.camera.synthetic import render_frame

CLOCK_RATE = 90_000
WARM_UP_FRAMES = 10


def encoder(mime_type: str, width: int, height: int, bit_rate: int) -> Any:
    """A PyAV encoder set up as aiortc sets up its own for ``mime_type``."""
    if mime_type.lower() == "video/vp8":
        from aiortc.codecs.vpx import number_of_threads  # the thread rule, not the encoder

        codec = av.CodecContext.create("libvpx", "w")
        codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
        codec.bit_rate = bit_rate
        codec.gop_size = 3000
        codec.qmin, codec.qmax = 2, 56
        codec.options = {
            "bufsize": str(bit_rate),
            "cpu-used": "-6",
            "deadline": "realtime",
            "lag-in-frames": "0",
            "minrate": str(bit_rate),
            "maxrate": str(bit_rate),
            "noise-sensitivity": "4",
            "overshoot-pct": "15",
            "partitions": "0",
            "static-thresh": "1",
            "undershoot-pct": "100",
        }
        codec.thread_count = number_of_threads(width * height, multiprocessing.cpu_count())
        return codec
    if mime_type.lower() == "video/h264":
        codec = av.CodecContext.create("libx264", "w")
        codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
        codec.bit_rate = bit_rate
        codec.framerate = Fraction(30, 1)
        codec.time_base = Fraction(1, 30)
        codec.options = {"level": "31", "tune": "zerolatency"}
        codec.profile = "Baseline"
        return codec
    raise ValueError(f"no bare encoder for {mime_type} (aiortc sends VP8 or H.264)")


def measure(
    mime_type: str, width: int, height: int, bit_rate: int, fps: int, frames: int
) -> dict[str, float]:
    """Encode ``frames`` frames; CPU seconds per frame and per second of video at ``fps``."""
    pictures = []
    for number in range(max(1, width // 8)):  # the bars move 8 px a frame: one full cycle
        picture = render_frame(number, size=(width, height))
        clockstamp.draw(picture, 1_000_000 + number * 1000 // fps)
        pictures.append(picture)
    codec = encoder(mime_type, width, height, bit_rate)
    encoded_bytes = 0
    cpu0 = wall0 = 0.0
    for number in range(WARM_UP_FRAMES + frames):
        if number == WARM_UP_FRAMES:
            cpu0, wall0 = time.process_time(), time.monotonic()
        frame = av.VideoFrame.from_ndarray(pictures[number % len(pictures)], format="rgb24")
        frame = frame.reformat(format="yuv420p")
        frame.pts = number * CLOCK_RATE // fps
        frame.time_base = Fraction(1, CLOCK_RATE)
        for packet in codec.encode(frame):
            if number >= WARM_UP_FRAMES:
                encoded_bytes += packet.size
    cpu, wall = time.process_time() - cpu0, time.monotonic() - wall0
    return {
        "cpu_s_per_frame": cpu / frames,
        "cpu_s_per_video_s": cpu / frames * fps,
        "frames_per_wall_s": frames / wall,
        "kbit_per_s": encoded_bytes * 8 / (frames / fps) / 1000,
    }


def main(argv: list[str] | None = None) -> int:
    """Parse the arguments, measure, print the JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--codec", default="video/VP8")
    parser.add_argument("--size", default="640x480")
    parser.add_argument("--bit-rate", type=int, default=500_000, help="bits per second")
    parser.add_argument("--fps", type=int, default=25)
    parser.add_argument("--frames", type=int, default=250)
    args = parser.parse_args(argv)
    width, _, height = args.size.partition("x")
    result = measure(args.codec, int(width), int(height), args.bit_rate, args.fps, args.frames)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
