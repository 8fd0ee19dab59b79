"""Button debounce and hold, LED patterns per state, status and camera-active LEDs (MockFactory)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator

import pytest
from gpiozero.pins.mock import MockFactory, MockPWMPin

from appliance.parts.button import CallButton
from appliance.parts.camera.synthetic import SyntheticCamera
from appliance.parts.leds import ButtonLeds, CameraLed, LedPanel, StatusLed, open_leds
from tests.appliance.fakes import wait_for


@pytest.fixture
def factory() -> Iterator[MockFactory]:
    f = MockFactory(pin_class=MockPWMPin)
    yield f
    f.reset()


def _poll(cond: object, within: float = 2.0) -> None:
    deadline = time.monotonic() + within
    while not cond():  # type: ignore[operator]
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.005)


def test_bounces_within_bounce_time_give_one_press(factory: MockFactory) -> None:
    presses: list[float] = []
    button = CallButton(
        17, pin_factory=factory, on_press=lambda: presses.append(time.monotonic()),
        on_hold=lambda: None, hold_time=5, bounce_time=0.05,
    )  # fmt: skip
    pin = button.device.pin
    # A closing contact bouncing 4 times within ~10 ms, then held, then a bouncing release.
    for _ in range(4):
        pin.drive_low()
        pin.drive_high()
    pin.drive_low()
    time.sleep(0.1)
    pin.drive_high()
    pin.drive_low()
    pin.drive_high()
    _poll(lambda: not button.device.is_pressed)
    assert len(presses) == 1 and button.presses == 1
    # A deliberate second press 100 ms later counts.
    time.sleep(0.1)
    pin.drive_low()
    _poll(lambda: len(presses) == 2)
    pin.drive_high()
    button.close()


def test_without_debounce_every_edge_is_a_press(factory: MockFactory) -> None:
    button = CallButton(17, pin_factory=factory, on_press=lambda: None, on_hold=lambda: None,
                        bounce_time=0.0)  # fmt: skip
    for _ in range(3):
        button.device.pin.drive_low()
        button.device.pin.drive_high()
    assert button.presses == 3
    button.close()


def test_hold_cancels(factory: MockFactory) -> None:
    calls: list[str] = []
    button = CallButton(17, pin_factory=factory, on_press=lambda: calls.append("press"),
                        on_hold=lambda: calls.append("hold"), hold_time=0.2)  # fmt: skip
    button.device.pin.drive_low()
    _poll(lambda: "hold" in calls)
    button.device.pin.drive_high()
    assert calls == ["press", "hold"]
    button.close()


def _history(pin: MockPWMPin, seconds: float) -> list[float]:
    pin.clear_states()
    time.sleep(seconds)
    return [s.state for s in pin.states]


def test_ring_pattern_per_state(factory: MockFactory) -> None:
    leds = ButtonLeds(18, pin_factory=factory)
    pin = leds.device.pin
    leds.show("idle")  # slow breathing: many brightness levels, never a hard blink
    levels = _history(pin, 0.6)
    assert len({round(s, 2) for s in levels if 0 < s < 1}) >= 10
    leds.show("queued")  # 1 Hz: at most one on and one off edge in 0.6 s
    edges = [s for s in _history(pin, 0.6)[1:] if s in (0, 1)]
    assert 1 <= len(edges) <= 2
    leds.show("offline")  # 4 Hz: about 5 edges in 0.6 s
    edges = [s for s in _history(pin, 0.6)[1:] if s in (0, 1)]
    assert len(edges) >= 3
    for state in ("in-call", "ended"):
        leds.show(state)
        _poll(lambda: pin.state == 1)
        assert set(_history(pin, 0.2)) == {1}
    leds.close()


def test_status_led(factory: MockFactory) -> None:
    status = StatusLed(23, pin_factory=factory)
    pin = status.device.pin
    status.show("offline")
    assert len([s for s in _history(pin, 0.5)[1:]]) >= 3
    status.show("idle")
    _poll(lambda: pin.state == 1)
    status.show("in-call")
    assert set(_history(pin, 0.2)) == {1}
    status.close()


async def test_camera_led_follows_frames_sent(factory: MockFactory) -> None:
    camera = SyntheticCamera()
    led = CameraLed(24, pin_factory=factory, activity=camera.activity, off_after_s=0.3)
    pin = led.device.pin
    assert pin.state == 0
    track = camera.track()
    for _ in range(3):
        await track.recv()
        assert led.lit and pin.state == 1
    stopped = time.monotonic()
    track.stop()
    await wait_for(lambda: pin.state == 0, within=2)
    assert 0.25 <= time.monotonic() - stopped < 1.0
    # Frames again (next call): on at once.
    track = camera.track()
    await track.recv()
    assert pin.state == 1
    # Steady while frames keep flowing at 25 fps, never flickering off.
    pin.clear_states()
    for _ in range(10):
        await track.recv()
    assert [s.state for s in pin.states] == [1]
    track.stop()
    await wait_for(lambda: pin.state == 0, within=2)
    led.close()
    await asyncio.sleep(0)


def test_panel_shows_state_and_tolerates_missing_leds(factory: MockFactory) -> None:
    camera = SyntheticCamera()
    panel = open_leds(ring_pin=18, status_pin=23, camera_pin=24, pin_factory=factory,
                      activity=camera.activity)  # fmt: skip
    assert panel.ring is not None and panel.status is not None and panel.camera is not None
    panel.show("in-call")
    _poll(lambda: factory.pin(18).state == 1 and factory.pin(23).state == 1)
    assert factory.pin(24).state == 0  # the UI state never lights the camera LED
    panel.close()
    # The same pin twice: the second LED cannot be opened and is left out, not fatal.
    partial = open_leds(ring_pin=18, status_pin=18, camera_pin=24, pin_factory=factory,
                        activity=camera.activity)  # fmt: skip
    assert partial.status is None and partial.ring is not None
    partial.show("offline")
    partial.close()
    LedPanel().show("idle")
