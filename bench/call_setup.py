"""Call set-up times on one machine, beside their references.

Runs the whole system (console process, terminal daemon with aiortc, Debian's
Chromium as caseworker and kiosk) and makes N calls. For each it measures:

- button press on the information screen (the second press: continue) -> the call
  shown in the caseworker's queue;
- Answer -> first video frame decoded by the caseworker (leg ``camera``: aiortc ->
  Chromium);
- Answer -> first video frame decoded by the kiosk (leg ``screen``: Chromium ->
  Chromium, the browser-to-browser reference measured in the same run).

References: the brief's goal of <= 1 s median from Answer to first frame on a LAN
(users expect 1-2 s), and aioice's 5 s candidate-gathering timeout, which a call
set-up that waits for gathering would pay whenever a STUN server does not answer.

Usage: ``.venv/bin/python bench/call_setup.py [--calls N]``
Times include Playwright's polling of getStats every 10 ms, so they are upper bounds.
Figures (bench/lib/figures.py): median and 90th percentile of each of the three.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.lib.figures import emit, median, percentile
from tests.e2e.harness import (
    PASSWORD,
    Console,
    chromium,
    enroll_terminal,
    frames_decoded,
    login,
    running_terminal,
    seed_console,
    wait_for,
)

GOAL_MS = 1000.0
AIOICE_GATHER_TIMEOUT_MS = 5000.0


def one_call(terminal: Any, caseworker: Any, kiosk: Any) -> dict[str, float]:
    """Make one call and hang it up; return its timings in ms."""
    pin = terminal.button.pin
    pin.drive_low()  # the first press opens the information screen
    time.sleep(0.15)
    pin.drive_high()
    wait_for(lambda: terminal.coordinator.view.screen == "info", 5, 0.01)
    time.sleep(0.1)  # more than the button's 50 ms debounce
    pressed = time.monotonic()
    pin.drive_low()  # the second press continues: the call is requested
    caseworker.wait_for_selector("[data-test=queue-item]", timeout=10_000)
    queued = time.monotonic()
    pin.drive_high()
    answered = time.monotonic()
    caseworker.click("[data-test=queue-item] [data-test=answer]")
    wait_for(lambda: frames_decoded(caseworker, "window.btConsole.pcs.camera") > 0, 15, 0.01)
    camera = time.monotonic()
    wait_for(lambda: frames_decoded(kiosk, "window.btKiosk.pc") > 0, 15, 0.01)
    screen = time.monotonic()
    caseworker.click("[data-test=hangup]")
    wait_for(lambda: terminal.coordinator.state == "idle", 10, 0.02)
    kiosk.wait_for_selector('[data-test=state][data-state="idle"]', timeout=10_000)
    return {
        "press_to_queue": (queued - pressed) * 1000,
        "answer_to_frame_camera": (camera - answered) * 1000,
        "answer_to_frame_screen": (screen - answered) * 1000,
    }


def main() -> int:
    """Run the benchmark and print the figures beside their references."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=10)
    args = parser.parse_args()
    if args.calls < 1:
        parser.error("--calls must be at least 1")
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per kiosk request
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        console = Console(base / "console")
        code = seed_console(console)
        console.start()
        try:
            enroll_terminal(console, code, base / "terminal")
            with running_terminal(console, base / "terminal") as terminal, chromium() as browser:
                caseworker = browser.new_context().new_page()
                login(caseworker, console.url, "anna", PASSWORD)
                kiosk = browser.new_context().new_page()
                kiosk.goto(f"http://127.0.0.1:{terminal.kiosk_port}/")
                kiosk.wait_for_selector('[data-test=state][data-state="idle"]')
                runs = [one_call(terminal, caseworker, kiosk) for _ in range(args.calls)]
        finally:
            console.stop()
    print(f"call set-up over {args.calls} calls on one machine (loopback)")
    goal = f"goal <= {GOAL_MS:.0f} ms median on a LAN"
    chromium_ms = median([run["answer_to_frame_screen"] for run in runs])
    rows = [
        ("press_to_queue", "press_to_queue",
         "button press -> the call in the caseworker's queue; no published reference"),
        ("answer_to_frame_aiortc", "answer_to_frame_camera",
         f"{goal}; Chromium to Chromium {chromium_ms:.0f} ms in this run; "
         f"aioice's gathering timeout {AIOICE_GATHER_TIMEOUT_MS:.0f} ms"),
        ("answer_to_frame_chromium", "answer_to_frame_screen",
         f"{goal}; the browser-to-browser reference (the kiosk's screen leg)"),
    ]  # fmt: skip
    for name, key, reference in rows:
        values = [run[key] for run in runs]
        emit(f"call_setup.{name}.median", median(values), "ms", reference)
        emit(f"call_setup.{name}.p90", percentile(values, 0.9), "ms", reference)
    return 0


if __name__ == "__main__":
    sys.exit(main())
