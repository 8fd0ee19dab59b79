"""The mobile office on the terminal: the console's ``mobile`` schedule reaches the kiosk
snapshot, is forgotten at the next connection, and the battery of the parts report becomes
the kiosk's low-battery warning and a ``parts`` message to the console."""

from __future__ import annotations

from appliance.events import LinkDown, LinkUp, PartsChanged
from appliance.kiosk.snapshot import snapshot_of
from appliance.ports import BatteryView
from protocol.messages import MobileOffice, MobileVisit, PartsReport
from tests.appliance.test_coordinator import WELCOME
from tests.appliance.test_office_flow import Rig, rig

__all__ = ["rig"]  # the fixture, used by name
VISIT = MobileVisit(day="2026-12-03", starts="09:00", ends="12:00", ends_at=1764756000.0,
                    place="Gemeindehaus Oberdorf", address="Dorfstraße 4")  # fmt: skip


async def test_the_schedule_reaches_the_kiosk_and_is_forgotten_on_reconnect(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME))
    await rig.message(MobileOffice(visits=[VISIT]))
    assert rig.view.visits == (VISIT,)
    snap = snapshot_of(rig.view)
    assert snap["visits"] == [{
        "day": "2026-12-03", "starts": "09:00", "ends": "12:00", "ends_at": 1764756000.0,
        "place": "Gemeindehaus Oberdorf", "address": "Dorfstraße 4", "note": "",
    }]  # fmt: skip
    await rig.post(LinkDown("lost"))
    assert rig.view.visits == (VISIT,)  # still shown while offline
    await rig.post(LinkUp(WELCOME))  # the console sends the current schedule, if any
    assert rig.view.visits == () and snapshot_of(rig.view)["visits"] == []
    await rig.message(MobileOffice(visits=[VISIT]))
    await rig.message(MobileOffice(visits=[]))  # a supervisor removed it
    assert rig.view.visits == ()


async def test_the_battery_in_the_parts_report(rig: Rig) -> None:
    await rig.post(LinkUp(WELCOME))
    assert snapshot_of(rig.view)["battery"] is None  # no battery reported
    low = {"camera": "ok", "battery": "low", "battery_level": "15", "battery_charging": "no"}
    await rig.post(PartsChanged(low))
    assert rig.view.battery == BatteryView(level=15, charging=False, low=True)
    assert snapshot_of(rig.view)["battery"] == {"level": 15, "charging": False, "low": True}
    assert PartsReport(parts=low) in rig.signaling.sent  # the console's fleet view gets it
    await rig.post(PartsChanged({**low, "battery_charging": "yes"}))
    assert rig.view.battery == BatteryView(level=15, charging=True, low=True)
    await rig.post(PartsChanged({"camera": "ok", "battery": "missing"}))  # pack pulled out
    assert rig.view.battery is None
