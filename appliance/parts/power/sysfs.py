"""The battery from Linux's power-supply class (``/sys/class/power_supply/<name>/``).

Each entry has a ``type`` (``Battery``, ``UPS``, ``Mains``, ``USB``, ...). A battery gives
``capacity`` (percent) or, on gauges without it, ``energy_now``/``energy_full`` (µWh) or
``charge_now``/``charge_full`` (µAh); ``status`` is ``Charging``, ``Discharging``, ``Full``,
``Not charging`` or ``Unknown``; ``present`` is 0 when the pack is pulled out. Entries
with ``scope`` ``Device`` are batteries of peripherals (a wireless mouse, a pen) and are
not the kit's. A mains or USB supply whose ``online`` is 1 means the charger is plugged in,
even when the pack reports ``Not charging`` (full enough, or a HAT that does not say).

Any file may be missing, unreadable or hold garbage (gauges differ, and a HAT's driver may
be half loaded): such a value counts as unknown, never as an error.
"""

from __future__ import annotations

import logging
from pathlib import Path

from appliance.parts.power import NOT_PRESENT, BatteryState

log = logging.getLogger(__name__)
SYSFS_ROOT = Path("/sys/class/power_supply")
BATTERY_TYPES = frozenset({"battery", "ups"})
CHARGER_TYPES = frozenset({"mains", "usb", "usb_pd", "usb_c", "wireless"})


def _text(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()[:64]
    except OSError:
        return None


def _number(path: Path) -> int | None:
    text = _text(path)
    if text is None:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def level_of(entry: Path) -> int | None:
    """The entry's charge in percent, from ``capacity`` or the now/full pairs."""
    capacity = _number(entry / "capacity")
    if capacity is not None and 0 <= capacity <= 100:
        return capacity
    for now_name, full_name in (("energy_now", "energy_full"), ("charge_now", "charge_full")):
        now, full = _number(entry / now_name), _number(entry / full_name)
        if now is not None and full is not None and full > 0 and now >= 0:
            return min(100, round(100 * now / full))
    return None


def read_power_supply(root: Path) -> BatteryState:
    """The kit's battery under ``root`` (the first present battery by name)."""
    try:
        entries = sorted(p for p in root.iterdir() if p.is_dir())
    except OSError:
        return NOT_PRESENT
    charger_online = False
    battery: Path | None = None
    for entry in entries:
        kind = (_text(entry / "type") or "").lower()
        if kind in CHARGER_TYPES and _number(entry / "online") == 1:
            charger_online = True
        elif kind in BATTERY_TYPES and battery is None:
            if (_text(entry / "scope") or "").lower() == "device":
                continue  # a peripheral's battery
            if _number(entry / "present") == 0:
                continue  # the pack is pulled out
            battery = entry
    if battery is None:
        return NOT_PRESENT
    status = (_text(battery / "status") or "").lower()
    charging: bool | None
    if status in ("charging", "full") or charger_online:
        charging = True
    elif status in ("discharging", "not charging"):
        charging = False
    else:
        charging = None
    return BatteryState(present=True, level=level_of(battery), charging=charging)


class SysfsPower:
    """Reads the battery from sysfs on every :meth:`read` (a few small files)."""

    def __init__(self, root: Path = SYSFS_ROOT) -> None:
        self.root = root

    def read(self) -> BatteryState:
        """The battery now."""
        return read_power_supply(self.root)
