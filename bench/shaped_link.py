"""A call's quality on a poor mobile link and on a clean one: what the caseworker receives.

One whole call as deployed (console process, terminal daemon and kiosk Chromium in a network
namespace, the caseworker's Chromium outside: tests/e2e/shaped_call.py) over the link shaper
(tests/link_shaper.py; this kernel has no netem). Three phases of ``--seconds`` each: the
clean link; the poor link (by default the issue's LTE line: 300 kbit/s, 100 ms each way,
3 % loss each way), measured after ``--settle`` seconds in which the terminal steps its video
down (appliance/media/quality.py), and not before the caseworker's page shows the step down
(timed however long it takes, up to a minute); and the clean link again once the caseworker's
page shows the full picture. For each: frames per second decoded at the caseworker and their size,
freezes (Chromium's freezeCount), audio continuity (received sound, not concealment) and the
ICE round trip; and how long the step down and the recovery took.

Usage: ``.venv/bin/python bench/shaped_link.py [--seconds 10] [--settle 12] [--rate 300]
[--delay 100] [--loss 3]``

References: EN 301 549 6.5 (>= 20 fps for sign language) for the clean link; on the poor
link the ladder's documented levels (``low``: 160x120 at 8 fps, or sound only) and an audio
continuity goal of 95 %; without the ladder (measured before it existed, same link) 0-6 fps
at 640x480 with 26-66 % audio continuity, and the terminal took the link for lost every 8-10 s
(the call was held and resumed again and again).

Measured on the development machine (2 cores), 10 s per phase: clean 25 fps at 640x480,
sound 100 %; poor: the caseworker's page at ``reduced`` (320x240 at 14.9 fps) or ``low``
(160x120 at 8 fps), no freezes, sound 94-98 % continuous, round trip 210-255 ms; step down
2.5-4.0 s, back at full 13.7-24.5 s (the step up to the uncapped full rung waits 15 s), the same
with two busy loops beside it on the 2 cores.
Before the retransmission budget and the video-only loss count (same machine, same link):
160x120 at 6.4-6.6 fps with 1-8 freezes, sound 64-98 %, step down 3.8-8.3 s quiet and up to
15 s loaded, and stretches at sound only.
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.lib.figures import emit
from tests.e2e.harness import wait_for
from tests.e2e.shaped_call import Received, measure, quality_level, shaped_call
from tests.link_shaper import Shape

STEP_DOWN_LIMIT_S = 60.0
"""How long the poor phase waits for the caseworker page to show the step down (nan after)."""
RECOVER_LIMIT_S = 60.0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The command line (see the module docstring)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="seconds measured per phase")
    parser.add_argument("--settle", type=float, default=12.0,
                        help="seconds on the poor link before measuring")  # fmt: skip
    parser.add_argument("--rate", type=float, default=300.0, help="kbit/s each way")
    parser.add_argument("--delay", type=float, default=100.0, help="ms each way")
    parser.add_argument("--loss", type=float, default=3.0, help="%% lost each way")
    args = parser.parse_args(argv)
    if args.seconds <= 0 or args.settle < 0 or args.rate <= 0 or not 0 <= args.loss < 100:
        parser.error("--seconds and --rate must be positive, --loss 0..100")
    return args


def report(phase: str, got: Received, fps_reference: str) -> None:
    """The figures of one phase."""
    emit(f"shaped_link.{phase}.fps", got.fps, "fps", fps_reference)
    emit(f"shaped_link.{phase}.height", got.height, "px",
         "480 on a clean link; ladder: 240 reduced, 120 low, paused for sound only")  # fmt: skip
    frozen = f"{got.freeze_s:.1f} s frozen"
    emit(f"shaped_link.{phase}.freezes", got.freezes, "freezes",
         f"Chromium's freezeCount over {got.seconds:.0f} s; {frozen}")  # fmt: skip
    emit(f"shaped_link.{phase}.audio_continuity", got.audio_continuity * 100, "%",
         "goal >= 95 %; without the ladder on the poor link 26-66 %")  # fmt: skip
    emit(f"shaped_link.{phase}.rtt", math.nan if got.rtt_ms is None else got.rtt_ms, "ms",
         "the shaper's delay both ways plus queueing; nan: no ICE round trip reported")  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    """Clean, poor, recovered."""
    args = parse_args(argv)
    poor = Shape(delay_ms=args.delay, loss=args.loss / 100, rate_kbit=args.rate)
    with tempfile.TemporaryDirectory() as tmp, shaped_call(Path(tmp)) as call:
        call.connect()
        time.sleep(2.0)  # the encoder's first seconds
        clean = measure(call.anna, args.seconds)
        shaped = time.monotonic()
        call.link.shape(poor)
        stepped: float | None = None
        dropped = False
        while True:  # --settle seconds, and not before the step down (up to its limit)
            elapsed = time.monotonic() - shaped
            if stepped is None and quality_level(call.anna) != "full":
                stepped = elapsed
            if elapsed >= args.settle and (stepped is not None or elapsed >= STEP_DOWN_LIMIT_S):
                break
            dropped = dropped or not call.in_call()
            time.sleep(0.25)
        on_poor = measure(call.anna, args.seconds)
        level = quality_level(call.anna)
        dropped = dropped or not call.in_call()
        cleared = time.monotonic()
        call.link.clear()
        try:
            wait_for(lambda: quality_level(call.anna) == "full", RECOVER_LIMIT_S, 0.25, "full")
            recovered_s = time.monotonic() - cleared
        except AssertionError:
            recovered_s = math.nan
        time.sleep(1.0)
        recovered = measure(call.anna, args.seconds)
        call.hang_up()
    fate = "DROPPED" if dropped else "stayed up"
    print(f"poor link: {args.rate:g} kbit/s, {args.delay:g} ms and {args.loss:g} % loss each way; "
          f"caseworker page showed {level!r}; call {fate}")  # fmt: skip
    for name, got in (("clean", clean), ("poor", on_poor), ("recovered", recovered)):
        print(f"{name}: {got.line()}")
    report("clean", clean, "EN 301 549 6.5: >= 20 fps for sign language")
    report("poor", on_poor, "ladder: low 8 fps at 160x120 or 0 for sound only; "
           "without the ladder 0-6 fps at 640x480")  # fmt: skip
    report("recovered", recovered, "EN 301 549 6.5: >= 20 fps; the clean phase of this run")
    emit("shaped_link.step_down", math.nan if stepped is None else stepped, "s",
         "shaping to the caseworker page showing the lowered video; e2e limit 15 s")  # fmt: skip
    emit("shaped_link.recover", recovered_s, "s",
         "clearing to the caseworker page back at full; e2e limit 45 s")  # fmt: skip
    emit("shaped_link.call_dropped", 1 if dropped else 0, "calls",
         "0: the call stayed up on the poor link (before the ladder: dropped)")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
