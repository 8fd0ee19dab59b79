"""The big arcade call button, through gpiozero.

Pressing asks for a call at once (immediate feedback matters more than guarding
against a stray touch: a stray call is cancelled by holding, or simply times out at
the console). Holding for ``hold_time`` (3 s) cancels a waiting call or hangs up; a
long hold is hard to do by accident and needs no second button.

The button is wired between the BCM pin and ground and uses the internal pull-up,
with a 50 ms debounce. gpiozero calls the callbacks from its own thread, so the
callbacks given here must be thread-safe (the daemon passes
``Coordinator.post_threadsafe``). Tests pass gpiozero's MockFactory and drive the pin.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

BOUNCE_TIME_S = 0.05


class CallButton:
    """Wraps a gpiozero Button; ``device`` is the gpiozero object (tests drive its pin)."""

    def __init__(
        self,
        pin: int,
        *,
        pin_factory: Any,
        on_press: Callable[[], None],
        on_hold: Callable[[], None],
        hold_time: float = 3.0,
    ) -> None:
        from gpiozero import Button

        self.device = Button(
            pin,
            pull_up=True,
            bounce_time=BOUNCE_TIME_S,
            hold_time=hold_time,
            pin_factory=pin_factory,
        )
        self.device.when_pressed = lambda: on_press()
        self.device.when_held = lambda: on_hold()

    def health(self) -> str:
        """``ok`` while the device is open."""
        return "failed" if self.device.closed else "ok"

    def close(self) -> None:
        """Release the pin."""
        self.device.close()
