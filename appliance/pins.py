"""The GPIO pin map: built-in defaults, the hw/pins.toml format, and its wiring table.

``hw/pins.toml`` is the one place where the terminal's pins are assigned; the hardware
guide's wiring table is generated from it (``python -m appliance.pins --markdown
hw/pins.toml``) and the config's defaults below are the same numbers (a test checks
both). The defaults live here as well as in the file because an installed terminal has
no repository checkout: the package must know its pins without reading hw/.

All numbers are BCM numbers, as gpiozero takes them. Header positions are only for
people holding a cable, so they appear in the table and nowhere else.
"""

from __future__ import annotations

import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

from appliance.errors import ConfigError

DEFAULT_PINS: dict[str, int] = {
    "button_pin": 17,
    "led_pin": 18,
    "hook_pin": 27,
    "status_led_pin": 23,
    "camera_led_pin": 24,
}
"""Config key -> BCM number; equal to hw/pins.toml (checked by tests/appliance/test_pins.py)."""

PWM_CAPABLE = frozenset({12, 13, 18, 19})
"""BCM pins with hardware PWM on the Pi 4 and Pi 5 (software PWM works on any pin)."""

# BCM number -> physical pin on the 40-pin header (identical on Pi 4 and Pi 5).
HEADER: dict[int, int] = {
    2: 3, 3: 5, 4: 7, 17: 11, 27: 13, 22: 15, 10: 19, 9: 21, 11: 23, 0: 27, 5: 29, 6: 31,
    13: 33, 19: 35, 26: 37, 14: 8, 15: 10, 18: 12, 23: 16, 24: 18, 25: 22, 8: 24, 7: 26,
    1: 28, 12: 32, 16: 36, 20: 38, 21: 40,
}  # fmt: skip


@dataclass(frozen=True)
class PinSpec:
    """One assignment of the pin map."""

    name: str
    bcm: int
    config_key: str
    function: str
    wire_to: str
    notes: str

    @property
    def header_pin(self) -> int:
        """Physical position on the 40-pin header."""
        return HEADER[self.bcm]


def load_pin_map(path: Path) -> list[PinSpec]:
    """Read and validate a pin map file (the format of hw/pins.toml)."""
    try:
        with path.open("rb") as fh:
            data = tomllib.load(fh)
    except OSError as err:
        raise ConfigError("pins_file", f"cannot read {path}: {err.strerror}") from err
    except tomllib.TOMLDecodeError as err:
        raise ConfigError("pins_file", f"{path} is not valid TOML: {err}") from err
    specs = []
    for name, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError("pins_file", f"{path}: [{name}] must be a table")
        key = table.get("config_key")
        bcm = table.get("bcm")
        if key not in DEFAULT_PINS:
            raise ConfigError("pins_file", f"{path}: [{name}] has unknown config_key {key!r}")
        if not isinstance(bcm, int) or isinstance(bcm, bool) or bcm not in HEADER:
            raise ConfigError("pins_file", f"{path}: [{name}] bcm must be 0..27, got {bcm!r}")
        specs.append(
            PinSpec(
                name=name,
                bcm=bcm,
                config_key=str(key),
                function=str(table.get("function", name)),
                wire_to=str(table.get("wire_to", "")),
                notes=str(table.get("notes", "")),
            )
        )
    bcms = [spec.bcm for spec in specs]
    if len(set(bcms)) != len(bcms):
        raise ConfigError("pins_file", f"{path}: a BCM number is assigned twice")
    return specs


def pins_from_file(path: Path) -> dict[str, int]:
    """Config key -> BCM number from a pin map file."""
    return {spec.config_key: spec.bcm for spec in load_pin_map(path)}


def wiring_table(specs: list[PinSpec]) -> str:
    """The Markdown wiring table of hw/README.md, one row per pin, in header order."""
    rows = [
        "| header pin | BCM | function | config key | wire to | notes |",
        "|---|---|---|---|---|---|",
    ]
    for spec in sorted(specs, key=lambda s: s.header_pin):
        rows.append(
            f"| {spec.header_pin} | GPIO{spec.bcm} | {spec.function} | `{spec.config_key}` "
            f"| {spec.wire_to} | {spec.notes} |"
        )
    return "\n".join(rows) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m appliance.pins --markdown FILE``: print the wiring table of a pin map."""
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2 or args[0] != "--markdown":
        print("usage: python -m appliance.pins --markdown hw/pins.toml", file=sys.stderr)
        return 2
    sys.stdout.write(wiring_table(load_pin_map(Path(args[1]))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
