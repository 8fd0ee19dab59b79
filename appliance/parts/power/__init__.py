"""The kit's battery: a small interface, a Linux sysfs reader and a fake, chosen by config.

A mobile kit (Pi 5 with a UPS HAT, or a laptop on a power bank) runs on a battery whose
fuel gauge the kernel publishes under ``/sys/class/power_supply``. The terminal reports
what it finds to the console with the other parts (``parts``: ``battery``,
``battery_level``, ``battery_charging``), and the kiosk warns while it is low and not
charging. A stationary terminal has ``power = "none"`` and reports nothing; a kit whose
battery is unplugged or has no fuel gauge reports ``battery: missing``, never a crash.

The level travels in steps of :data:`LEVEL_STEP` percent: a draining battery changes its
report every few minutes rather than with every percent, and nobody acts on 83 vs 84 %.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from appliance.errors import ConfigError

POWERS = ("sysfs", "fake", "none")
LOW_PERCENT = 20
"""At or below this the kiosk asks for the charger (raw level, before rounding)."""
LEVEL_STEP = 5
BatteryHealth = Literal["ok", "low", "missing", "failed"]


@dataclass(frozen=True)
class BatteryState:
    """What the fuel gauge says now; ``present`` False when there is none."""

    present: bool
    level: int | None = None
    """Charge in percent (0-100), None when the gauge gives none."""
    charging: bool | None = None
    """On the charger (charging or full); None when unknown."""

    @property
    def health(self) -> BatteryHealth:
        """``missing`` (none), ``failed`` (present but no level), ``low`` or ``ok``."""
        if not self.present:
            return "missing"
        if self.level is None:
            return "failed"
        return "low" if self.level <= LOW_PERCENT else "ok"

    def parts(self) -> dict[str, str]:
        """The entries of the terminal's parts report."""
        report: dict[str, str] = {"battery": self.health}
        if self.present and self.level is not None:
            report["battery_level"] = str(round(self.level / LEVEL_STEP) * LEVEL_STEP)
        if self.present and self.charging is not None:
            report["battery_charging"] = "yes" if self.charging else "no"
        return report


NOT_PRESENT = BatteryState(present=False)


def battery_of(parts: dict[str, str]) -> BatteryState | None:
    """The battery as a parts report carries it; None when the report has no battery
    (a stationary terminal) or says ``missing``. Garbage values count as unknown."""
    health = parts.get("battery")
    if health is None or health == "missing":
        return None
    level_text = parts.get("battery_level", "")
    level = int(level_text) if level_text.isdigit() and int(level_text) <= 100 else None
    charging = {"yes": True, "no": False}.get(parts.get("battery_charging", ""))
    return BatteryState(present=True, level=level, charging=charging)


class PowerSupply(Protocol):
    """The kit's battery as the daemon polls it."""

    def read(self) -> BatteryState:
        """The state now; never raises (a broken gauge is ``failed``, none ``missing``)."""
        ...


def create_power(kind: str, *, root: Path | None = None) -> PowerSupply | None:
    """Build the battery reader named by the ``power`` config key (None for ``none``)."""
    if kind == "sysfs":
        from appliance.parts.power.sysfs import SYSFS_ROOT, SysfsPower

        return SysfsPower(root or SYSFS_ROOT)
    if kind == "fake":
        from appliance.parts.power.fake import FakePower

        return FakePower()
    if kind == "none":
        return None
    raise ConfigError("power", f"unknown power supply {kind!r} (known: {', '.join(POWERS)})")
