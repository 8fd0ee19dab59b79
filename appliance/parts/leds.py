"""The terminal's LEDs show its state where no screen is needed.

The call button's LED ring: one PWM LED, one pattern per state, chosen so that the
difference is visible from a few metres and to people with low vision (rhythm rather
than colour):

- idle: slow breathing (1.5 s in, 1.5 s out): "I am alive, press me"
- queued: blinking at 1 Hz: "waiting"
- in-call and ended: steady on
- offline: fast blinking at 4 Hz: "something is wrong"

The status LED (for whoever services the terminal) is steady while the console is
reachable and blinks fast when offline. The camera-active LED is lit exactly while
camera frames are being sent: it follows the camera pipeline's
:class:`~appliance.parts.camera.activity.FrameActivity` (on at the first frame, off
``CAMERA_LED_OFF_S`` after the last one), never the UI, so it is a privacy indicator
that nothing on the screen can fake.

gpiozero runs the patterns in its own background thread; tests use MockFactory with
``pin_class=MockPWMPin`` and watch the pins' state history.
"""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, Protocol

from appliance.parts.camera.activity import FrameActivity
from appliance.ports import State

log = logging.getLogger(__name__)

CAMERA_LED_OFF_S = 0.3
"""Frames come every 40 ms at 25 fps; 0.3 s without one means the camera stopped sending."""


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


class StatusLed:
    """Implements :class:`appliance.ports.Indicator`: steady when connected, fast blink offline."""

    def __init__(self, pin: int, *, pin_factory: Any) -> None:
        from gpiozero import LED

        self.device = LED(pin, pin_factory=pin_factory)
        self.online: bool | None = None

    def show(self, state: State) -> None:
        """Steady on in every state but ``offline``."""
        online = state != "offline"
        if online == self.online:
            return
        self.online = online
        if online:
            self.device.on()
        else:
            self.device.blink(on_time=0.125, off_time=0.125)

    def close(self) -> None:
        """Switch off and release the pin."""
        self.device.close()


class CameraLed:
    """Lit while ``activity`` reports frames; off ``off_after_s`` after the last one."""

    def __init__(
        self,
        pin: int,
        *,
        pin_factory: Any,
        activity: FrameActivity,
        off_after_s: float = CAMERA_LED_OFF_S,
    ) -> None:
        from gpiozero import LED

        self.device = LED(pin, pin_factory=pin_factory)
        self._off_after = off_after_s
        self._last = 0.0
        self._timer: asyncio.TimerHandle | None = None
        activity.subscribe(self._frame)

    @property
    def lit(self) -> bool:
        """Whether the LED is on."""
        return bool(self.device.is_lit)

    def _frame(self) -> None:
        # Called from a track's recv() on the event loop's thread.
        self._last = time.monotonic()
        if self.device.closed:
            return
        if not self.device.is_lit:
            self.device.on()
        if self._timer is None:
            self._timer = asyncio.get_running_loop().call_later(self._off_after, self._check)

    def _check(self) -> None:
        self._timer = None
        idle = time.monotonic() - self._last
        if idle >= self._off_after:
            if not self.device.closed:
                self.device.off()
        else:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(self._off_after - idle, self._check)

    def close(self) -> None:
        """Switch off and release the pin."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self.device.close()


class _Led(Protocol):
    def close(self) -> None: ...


class LedPanel:
    """All the terminal's LEDs as one :class:`appliance.ports.Indicator`; any may be missing."""

    def __init__(
        self,
        *,
        ring: ButtonLeds | None = None,
        status: StatusLed | None = None,
        camera: CameraLed | None = None,
    ) -> None:
        self.ring = ring
        self.status = status
        self.camera = camera

    def show(self, state: State) -> None:
        """Show ``state`` on the ring and the status LED (the camera LED follows frames)."""
        for led in (self.ring, self.status):
            if led is not None:
                led.show(state)

    def close(self) -> None:
        """Switch every LED off and release the pins."""
        leds: list[_Led | None] = [self.ring, self.status, self.camera]
        for led in leds:
            if led is not None:
                led.close()


def open_leds(
    *,
    ring_pin: int,
    status_pin: int,
    camera_pin: int,
    pin_factory: Any,
    activity: FrameActivity,
) -> LedPanel:
    """Open each LED; one that cannot be opened is left out and logged."""
    from gpiozero.exc import GPIOZeroError

    panel = LedPanel()
    try:
        panel.ring = ButtonLeds(ring_pin, pin_factory=pin_factory)
    except (GPIOZeroError, OSError, RuntimeError) as err:
        log.warning("button LED ring unavailable: %s", err)
    try:
        panel.status = StatusLed(status_pin, pin_factory=pin_factory)
    except (GPIOZeroError, OSError, RuntimeError) as err:
        log.warning("status LED unavailable: %s", err)
    try:
        panel.camera = CameraLed(camera_pin, pin_factory=pin_factory, activity=activity)
    except (GPIOZeroError, OSError, RuntimeError) as err:
        log.warning("camera LED unavailable: %s", err)
    return panel
