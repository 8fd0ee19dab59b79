"""The kit's mobile-data modem: a small interface, a ModemManager reader and a fake.

A mobile kit reaches the console over LTE (a USB or M.2 modem that ModemManager drives).
The terminal reports the modem with its other parts (``modem``, ``modem_signal``,
``modem_access``, ``modem_operator``) so the fleet view shows where reception is poor
before a citizen's call stutters. A stationary terminal has ``modem = "none"`` and reports
nothing; a kit whose modem is unplugged (or ModemManager is not installed) reports
``modem: missing``, never a crash.

Signal quality travels in steps of :data:`SIGNAL_STEP` percent: ModemManager's value
moves by a few percent all the time, and each change would be one more message.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from appliance.errors import ConfigError

MODEMS = ("mmcli", "fake", "none")
SIGNAL_STEP = 10
WEAK_PERCENT = 20
"""At or below this the modem's health is ``weak`` (calls will suffer)."""
ModemHealth = Literal["ok", "weak", "no_network", "missing", "failed"]
MAX_OPERATOR_CHARS = 40


@dataclass(frozen=True)
class ModemState:
    """What ModemManager says now; ``present`` False when there is no modem."""

    present: bool
    state: str = ""
    """ModemManager's state word: ``connected``, ``registered``, ``searching``,
    ``disabled``, ``locked``, ``failed``, ... ("" if unknown)."""
    signal: int | None = None
    """Signal quality in percent (0-100), None when unknown."""
    access: str | None = None
    """Access technology, e.g. ``lte``, ``5gnr``, ``umts`` (the best of those reported)."""
    operator: str | None = None

    @property
    def health(self) -> ModemHealth:
        """``missing``, ``failed`` (failed, or the SIM locked), ``no_network`` (disabled or
        still searching), ``weak`` (signal at or below :data:`WEAK_PERCENT`) or ``ok``."""
        if not self.present:
            return "missing"
        if self.state in ("failed", "locked", "unknown", ""):
            return "failed"
        if self.state not in ("registered", "connected", "connecting", "disconnecting"):
            return "no_network"
        if self.signal is not None and self.signal <= WEAK_PERCENT:
            return "weak"
        return "ok"

    def parts(self) -> dict[str, str]:
        """The entries of the terminal's parts report."""
        report: dict[str, str] = {"modem": self.health}
        if not self.present:
            return report
        if self.signal is not None:
            report["modem_signal"] = str(round(self.signal / SIGNAL_STEP) * SIGNAL_STEP)
        if self.access:
            report["modem_access"] = self.access
        if self.operator:
            report["modem_operator"] = self.operator
        return report


NOT_PRESENT = ModemState(present=False)


class Modem(Protocol):
    """The kit's modem as the daemon polls it."""

    def state(self) -> ModemState:
        """The state as of the last :meth:`refresh` (never blocks)."""
        ...

    async def refresh(self) -> ModemState:
        """Ask the modem now; never raises (no modem is ``missing``)."""
        ...


def create_modem(kind: str, *, command: str = "mmcli") -> Modem | None:
    """Build the modem reader named by the ``modem`` config key (None for ``none``)."""
    if kind == "mmcli":
        from appliance.parts.modem.mmcli import MmcliModem

        return MmcliModem(command=command)
    if kind == "fake":
        from appliance.parts.modem.fake import FakeModem

        return FakeModem()
    if kind == "none":
        return None
    raise ConfigError("modem", f"unknown modem {kind!r} (known: {', '.join(MODEMS)})")
