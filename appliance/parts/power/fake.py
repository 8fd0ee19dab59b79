"""A battery for tests and the demo kit, with verbs: ``set()``, ``unplug()``."""

from __future__ import annotations

from appliance.parts.power import NOT_PRESENT, BatteryState


class FakePower:
    """Starts at 80 % on battery."""

    def __init__(self) -> None:
        self.state = BatteryState(present=True, level=80, charging=False)

    def set(self, level: int | None, charging: bool | None = False) -> None:
        """Put a pack with this level (and charger state) in."""
        self.state = BatteryState(present=True, level=level, charging=charging)

    def unplug(self) -> None:
        """Pull the pack out."""
        self.state = NOT_PRESENT

    def read(self) -> BatteryState:
        """The state set last."""
        return self.state
