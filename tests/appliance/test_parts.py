"""Button and LED ring through gpiozero's MockFactory."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from appliance.parts.button import CallButton
from appliance.parts.leds import ButtonLeds


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    f = MockFactory(pin_class=MockPWMPin)
    yield f
    f.reset()


def test_press_and_hold(factory: MockFactory) -> None:
    calls: list[str] = []
    button = CallButton(
        17,
        pin_factory=factory,
        on_press=lambda: calls.append("press"),
        on_hold=lambda: calls.append("hold"),
        hold_time=0.2,
    )
    pin = button.device.pin
    pin.drive_low()
    time.sleep(0.06)
    pin.drive_high()
    time.sleep(0.1)
    assert calls == ["press"]
    pin.drive_low()
    time.sleep(0.4)
    pin.drive_high()
    assert calls == ["press", "press", "hold"]
    assert button.health() == "ok"
    button.close()
    assert button.health() == "failed"


def _changes(pin: MockPWMPin, seconds: float) -> list[float]:
    pin.clear_states()
    time.sleep(seconds)
    return [s.state for s in pin.states]


def test_led_patterns(factory: MockFactory) -> None:
    leds = ButtonLeds(18, pin_factory=factory)
    pin = leds.device.pin
    leds.show("in-call")
    time.sleep(0.05)
    assert pin.state == 1
    leds.show("ended")
    assert pin.state == 1
    leds.show("offline")  # 4 Hz: 0.125 s on, 0.125 s off
    states = _changes(pin, 0.6)
    assert states.count(1) >= 2 and states.count(0) >= 2
    leds.show("queued")  # 1 Hz
    states = _changes(pin, 0.6)
    assert 1 <= len([s for s in states if s in (0, 1)]) <= 3
    leds.show("idle")  # breathing: many intermediate brightness levels
    states = _changes(pin, 0.5)
    assert len({round(s, 2) for s in states if 0 < s < 1}) >= 5
    leds.close()
