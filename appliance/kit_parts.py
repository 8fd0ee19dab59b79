"""The mobile kit's battery and modem, polled together and reported as parts.

A stationary terminal has neither (``power = "none"``, ``modem = "none"``): :class:`KitParts`
then reports nothing and its loop only waits. On a kit, :meth:`KitParts.run` asks both every
:data:`KIT_POLL_S` seconds (the sysfs read in a thread, mmcli as a subprocess) and keeps
the answers, so :meth:`KitParts.parts`, which the daemon's parts watcher calls every second,
never blocks. A battery or modem that vanishes is reported ``missing`` by its reader; a
reader that raises anyway is logged and tried again next time.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from appliance.parts.modem import NOT_PRESENT as NO_MODEM
from appliance.parts.modem import Modem, ModemState
from appliance.parts.power import LOW_PERCENT, BatteryState, PowerSupply, battery_of
from appliance.parts.power import NOT_PRESENT as NO_BATTERY
from appliance.ports import BatteryView

log = logging.getLogger(__name__)
KIT_POLL_S = 15.0
"""A battery drains about 1 % a minute and reception changes as fast as the kit is carried;
15 s notices both in time and costs two small reads."""


class KitParts:
    """The battery and modem of a mobile kit (either may be None: not configured)."""

    def __init__(self, power: PowerSupply | None, modem: Modem | None) -> None:
        self.power = power
        self.modem = modem
        self.battery: BatteryState = NO_BATTERY
        self.modem_state: ModemState = NO_MODEM

    def parts(self) -> dict[str, str]:
        """The kit's entries of the parts report (none for parts not configured)."""
        report: dict[str, str] = {}
        if self.power is not None:
            report.update(self.battery.parts())
        if self.modem is not None:
            report.update(self.modem_state.parts())
        return report

    async def refresh(self) -> None:
        """Ask the battery and the modem now."""
        if self.power is not None:
            self.battery = await asyncio.to_thread(self.power.read)
        if self.modem is not None:
            self.modem_state = await self.modem.refresh()

    async def run(self, sleep: Callable[[float], Awaitable[None]] = asyncio.sleep) -> None:
        """Refresh every :data:`KIT_POLL_S` seconds until cancelled."""
        if self.power is None and self.modem is None:
            await asyncio.Event().wait()  # nothing to poll; the daemon stops when a task ends
        while True:
            try:
                await self.refresh()
            except Exception:
                # Supervisor loop: a reader's surprise must not stop the terminal.
                log.exception("battery or modem check failed")
            await sleep(KIT_POLL_S)


def battery_view(parts: dict[str, str]) -> BatteryView | None:
    """What the kiosk shows of the battery in a parts report (None: no battery)."""
    battery = battery_of(parts)
    if battery is None:
        return None
    low = parts.get("battery") == "low" or (
        battery.level is not None and battery.level <= LOW_PERCENT
    )
    return BatteryView(level=battery.level, charging=battery.charging, low=low)
