"""The LED ring of the call button shows the state where no screen is needed.

One PWM LED, one pattern per state, chosen so that the difference is visible from a
few metres and to people with low vision (rhythm rather than colour):

- idle: slow breathing (1.5 s in, 1.5 s out): "I am alive, press me"
- queued: blinking at 1 Hz: "waiting"
- in-call and ended: steady on
- offline: fast blinking at 4 Hz: "something is wrong"

gpiozero runs the patterns in its own background thread; tests use MockFactory with
``pin_class=MockPWMPin`` and watch the pin's state history.
"""

from __future__ import annotations

from typing import Any

from appliance.ports import State


class ButtonLeds:
    """Implements :class:`appliance.ports.Indicator` with a gpiozero PWMLED."""

    def __init__(self, pin: int, *, pin_factory: Any) -> None:
        from gpiozero import PWMLED

        self.device = PWMLED(pin, pin_factory=pin_factory)
        self.pattern: State | None = None

    def show(self, state: State) -> None:
        """Switch to the pattern of ``state``."""
        if state == self.pattern:
            return
        self.pattern = state
        led = self.device
        if state == "idle":
            led.pulse(fade_in_time=1.5, fade_out_time=1.5)
        elif state == "queued":
            led.blink(on_time=0.5, off_time=0.5)
        elif state == "offline":
            led.blink(on_time=0.125, off_time=0.125)
        else:
            led.on()

    def close(self) -> None:
        """Switch off and release the pin."""
        self.device.close()
