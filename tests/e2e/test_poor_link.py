"""A call over a poor mobile link: it steps down, stays up, is shown, and recovers (issue 8).

Everything real, as in test_network_loss.py, but the terminal's namespace hangs on the link
shaper (tests/link_shaper.py: this kernel has no netem). Mid-call the link becomes the issue's
poor LTE line: 300 kbit/s each way, 100 ms each way (200 ms round trip), 3 % loss each way.
Within :data:`STEP_DOWN_LIMIT_S` the terminal lowers its video (appliance/media/quality.py),
the kiosk and the caseworker's page say so, and the call stays up (no hang-up, no
"reconnecting"), the sound going on, and the caseworker's page caps its own video to the kiosk.
With the shaping removed it steps back to the full
picture within :data:`RECOVER_LIMIT_S`. The figures the caseworker's browser received are
printed for the clean, the shaped and the recovered link (run with ``-s``); screenshots of
both pages on the poor link, and of the kiosk's pre-call link indicator, go to
test-artifacts/e2e/.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.harness import wait_for
from tests.e2e.shaped_call import POOR, Received, ShapedCall, measure, quality_level, shaped_call
from tests.link_shaper import available

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(available() is not None, reason=str(available())),
]

STEP_DOWN_LIMIT_S = 15.0
"""Measured 3.0-4.0 s from the shaping to the caseworker's page showing the lower level, quiet
or with two busy loops beside it (4.5-8.2 s and once never, before the retransmission budget)."""
RECOVER_LIMIT_S = 45.0
"""Measured 20-25 s from low back to full: 5 s of good reports to step up to ``reduced``, 15 s
more for the uncapped full rung (appliance/media/quality.py), and the reports' delays."""
SHAPED_S = 12.0
SCREEN_CAP_JS = """() => {
  const pc = window.btConsole.pcs.screen;
  const sender = pc && pc.getSenders().find((s) => s.track && s.track.kind === "video");
  const encodings = sender ? sender.getParameters().encodings : [];
  return (encodings[0] && encodings[0].maxBitrate) || null;
}"""


@pytest.fixture(scope="module")
def call(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ShapedCall]:
    with shaped_call(tmp_path_factory.mktemp("poorlink")) as running:
        yield running


def report(what: str, received: Received) -> None:
    print(f"{what}: {received.line()}")


def test_poor_link_steps_down_stays_up_and_recovers(call: ShapedCall, artifacts: Path) -> None:
    anna, kiosk = call.anna, call.kiosk
    # before the call: the kiosk's link indicator, from the signaling pings
    kiosk.wait_for_selector("[data-test=link-quality]", state="visible", timeout=15_000)
    assert kiosk.get_attribute("[data-test=link-quality]", "data-verdict") == "good"
    kiosk.screenshot(path=artifacts / "kiosk-link-quality.png")

    call.connect()
    print()
    clean = measure(anna, 3.0)
    report("clean link", clean)
    assert clean.width == 640 and clean.fps > 8  # 25 on a quiet machine, 14 at load 7

    shaped = time.monotonic()
    call.link.shape(POOR)
    wait_for(lambda: quality_level(anna) != "full", STEP_DOWN_LIMIT_S, 0.2,
             "the caseworker page shows a lowered video")  # fmt: skip
    down = time.monotonic() - shaped
    print(f"shaped -> caseworker page shows {quality_level(anna)!r}: {down:.1f} s")
    kiosk.wait_for_selector("[data-test=call-quality]", state="visible", timeout=5_000)

    while time.monotonic() - shaped < SHAPED_S - 5:
        assert call.in_call(), "the call dropped on the poor link"
        time.sleep(0.5)
    poor = measure(anna, 5.0)
    report("poor link (300 kbit/s, 200 ms, 3 % loss)", poor)
    assert call.in_call(), "the call dropped on the poor link"
    level = quality_level(anna)
    assert level in ("reduced", "low", "audio_only"), level
    assert kiosk.get_attribute("[data-test=call-quality]", "data-level") in (
        "reduced", "low", "audio_only",
    )  # fmt: skip
    assert anna.get_attribute("[data-test=call-state]", "data-state") == "in-call"
    assert poor.audio_packets > 100, "the sound stopped"  # 50 packets/s sent
    assert poor.audio_continuity > 0.4, poor.line()  # 91-98 % measured on a quiet machine
    assert poor.width <= 320 or level == "audio_only", poor.line()
    # the caseworker's own video to the kiosk leaves room in the citizen's downlink
    assert anna.evaluate(SCREEN_CAP_JS) in (200_000, 120_000, 80_000)
    kiosk.screenshot(path=artifacts / "kiosk-poor-link.png")
    anna.screenshot(path=artifacts / "console-poor-link.png")

    cleared = time.monotonic()
    call.link.clear()
    wait_for(lambda: quality_level(anna) == "full", RECOVER_LIMIT_S, 0.5,
             "the caseworker page back at full quality")  # fmt: skip
    up = time.monotonic() - cleared
    print(f"cleared -> caseworker page back at full quality: {up:.1f} s")
    kiosk.wait_for_selector("[data-test=call-quality]", state="hidden", timeout=5_000)
    time.sleep(1.0)  # the first frames at the new size
    recovered = measure(anna, 3.0)
    report("recovered link", recovered)
    assert recovered.width == 640 and recovered.fps > 8, recovered.line()
    assert recovered.audio_continuity > 0.7, recovered.line()
    assert call.in_call()
    assert anna.evaluate(SCREEN_CAP_JS) is None
    call.hang_up()
