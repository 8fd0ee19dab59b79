"""A modem for tests and the demo kit, with verbs: ``set()``, ``unplug()``."""

from __future__ import annotations

from appliance.parts.modem import NOT_PRESENT, ModemState


class FakeModem:
    """Starts connected over LTE with a good signal."""

    def __init__(self) -> None:
        self._state = ModemState(
            present=True, state="connected", signal=70, access="lte", operator="Telekom.de"
        )

    def set(self, state: ModemState) -> None:
        """Report this state from now on."""
        self._state = state

    def unplug(self) -> None:
        """Pull the modem out."""
        self._state = NOT_PRESENT

    def state(self) -> ModemState:
        """The state set last."""
        return self._state

    async def refresh(self) -> ModemState:
        """Nothing to ask: the state set last."""
        return self._state
