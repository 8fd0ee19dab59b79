"""The handset's hook switch, through gpiozero.

The switch sits between its pin and ground with the internal pull-up, like the call
button. Which state means "lifted" depends on the cradle (config
``hook_lifted_when``): most cradles hold a contact closed while the handset rests on
them, so by default an open switch means the handset is in the citizen's hand.
gpiozero calls back from its own thread; ``on_change`` must be thread-safe
(:meth:`appliance.parts.audio.part.AudioPart.set_handset` is). 100 ms debounce: a
handset dropped onto the cradle rattles longer than an arcade button bounces.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

BOUNCE_TIME_S = 0.1


class HookSwitch:
    """Wraps a gpiozero Button; ``device`` is the gpiozero object (tests drive its pin)."""

    def __init__(
        self,
        pin: int,
        *,
        pin_factory: Any,
        on_change: Callable[[bool], None],
        lifted_when: str = "open",
    ) -> None:
        from gpiozero import Button

        self.device = Button(pin, pull_up=True, bounce_time=BOUNCE_TIME_S, pin_factory=pin_factory)
        lifted_on_press = lifted_when == "closed"
        self._lifted_on_press = lifted_on_press
        self.device.when_pressed = lambda: on_change(lifted_on_press)
        self.device.when_released = lambda: on_change(not lifted_on_press)
        on_change(self.lifted)

    @property
    def lifted(self) -> bool:
        """Whether the handset is off the hook now."""
        return bool(self.device.is_pressed) == self._lifted_on_press

    def close(self) -> None:
        """Release the pin."""
        self.device.close()
