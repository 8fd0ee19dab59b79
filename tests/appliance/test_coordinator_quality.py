"""A poor link in a call: the kiosk shows the lowered video and the console is told (issue 8)."""

from __future__ import annotations

from appliance.events import HangupPressed, LinkChecked, LinkMessage, QualityChanged
from appliance.kiosk.snapshot import snapshot_of
from protocol.messages import CallQuality, Ended
from tests.appliance.fakes import wait_for
from tests.appliance.test_coordinator import Rig, rig  # noqa: F401 (fixture)
from tests.appliance.test_coordinator_hold import in_call


def quality_sent(rig: Rig) -> list[CallQuality]:  # noqa: F811
    return [m for m in rig.signaling.sent if isinstance(m, CallQuality)]


async def test_lowered_video_is_shown_and_sent(rig: Rig) -> None:  # noqa: F811
    await in_call(rig)
    await rig.post(QualityChanged("low", 160, 120, 8, rtt_ms=420, loss_pct=9.5))
    view = rig.coordinator.view
    assert view.call_quality is not None and view.call_quality.level == "low"
    shown = snapshot_of(view)["call_quality"]
    assert shown == {"level": "low", "width": 160, "height": 120, "fps": 8, "rtt_ms": 420,
                     "loss_pct": 9.5}  # fmt: skip
    assert quality_sent(rig) == [CallQuality(call_id="c1", level="low", width=160, height=120,
                                             fps=8, rtt_ms=420, loss_pct=9.5)]  # fmt: skip

    await rig.post(QualityChanged("full", 640, 480, 25, rtt_ms=20, loss_pct=0.0))
    assert rig.coordinator.view.call_quality is None  # full: nothing to show
    assert quality_sent(rig)[-1].level == "full"


async def test_quality_outside_a_call_is_ignored_and_wiped_after(rig: Rig) -> None:  # noqa: F811
    await rig.post(QualityChanged("audio_only", 0, 0, 0))
    assert rig.coordinator.view.call_quality is None and not quality_sent(rig)
    await in_call(rig)
    await rig.post(QualityChanged("audio_only", 0, 0, 0, rtt_ms=700, loss_pct=20.0))
    assert snapshot_of(rig.coordinator.view)["call_quality"]["level"] == "audio_only"
    await rig.post(HangupPressed())
    await rig.post(LinkMessage(Ended(call_id="c1", reason="hangup_terminal")))
    await wait_for(lambda: rig.coordinator.view.state != "in-call")
    assert rig.coordinator.view.call_quality is None
    assert rig.coordinator.desk.session.call_quality is None


async def test_link_check_is_shown_on_every_screen(rig: Rig) -> None:  # noqa: F811
    await rig.post(LinkChecked("fair", 210, 0.0, 5))
    shown = snapshot_of(rig.coordinator.view)["link"]
    assert shown == {"verdict": "fair", "rtt_ms": 210, "loss_pct": 0.0, "samples": 5}
