"""The big arcade call button, through gpiozero.

Pressing asks for a call at once (immediate feedback matters more than guarding
against a stray touch: a stray call is cancelled by holding, or simply times out at
the console). Holding for ``hold_time`` (3 s) cancels a waiting call or hangs up; a
long hold is hard to do by accident and needs no second button.

The button is wired between the BCM pin and ground and uses the internal pull-up.
Debounce: an arcade microswitch's contacts bounce for 1-10 ms when they close or open
(longer as they wear), which would otherwise read as several presses. gpiozero is
given ``bounce_time`` (``button_bounce_s``, 50 ms), but what it does with it depends on
the pin backend: the native backend ignores edges within the time after the last one,
lgpio asks the kernel to report only levels that stayed stable that long, and the mock
pins used in tests ignore it. So the button also drops any edge within ``bounce_time``
of the last edge it accepted (leading edge: the press is reported at once, no added
delay). A deliberate second press takes well over 100 ms, so none is lost.

gpiozero calls the callbacks from its own thread, so the callbacks given here must be
thread-safe (the daemon passes ``Coordinator.post_threadsafe``). Tests pass gpiozero's
MockFactory and drive the pin.
"""

from __future__ import annotations

import logging
import threading
import time
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
        bounce_time: float = BOUNCE_TIME_S,
    ) -> None:
        from gpiozero import Button

        self._bounce = bounce_time
        self._last_edge: float | None = None
        self._lock = threading.Lock()
        self.presses = 0
        """Presses accepted (after debouncing) over the button's life."""
        self.device = Button(
            pin,
            pull_up=True,
            bounce_time=bounce_time or None,
            hold_time=hold_time,
            pin_factory=pin_factory,
        )

        def pressed() -> None:
            if self._accept():
                self.presses += 1
                on_press()

        self.device.when_pressed = pressed
        self.device.when_released = self._accept
        self.device.when_held = lambda: on_hold()

    def _accept(self) -> bool:
        """True for a real edge; False for contact bounce (see the module docstring)."""
        now = time.monotonic()
        with self._lock:
            if self._last_edge is not None and now - self._last_edge < self._bounce:
                return False
            self._last_edge = now
            return True

    def health(self) -> str:
        """``ok`` while the device is open."""
        return "failed" if self.device.closed else "ok"

    def close(self) -> None:
        """Release the pin."""
        self.device.close()
