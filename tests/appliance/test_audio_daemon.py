"""The audio part as the daemon builds it: health entries, the hook switch, /healthz."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from gpiozero.pins.mock import MockFactory, MockPWMPin

from appliance.config import Config
from appliance.daemon import build_terminal


def until(cond: Callable[[], bool], within: float = 3.0) -> None:
    deadline = time.monotonic() + within
    while not cond():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.01)


def test_daemon_builds_audio_with_handset_and_reports_it(tmp_path: Path) -> None:
    config = replace(
        Config(), data_dir=tmp_path, kiosk_port=0, pin_factory="mock", handset_source="handset"
    )
    factory = MockFactory(pin_class=MockPWMPin)
    terminal = build_terminal(config, "secret", pin_factory=factory)
    try:
        parts = terminal.parts()
        assert (parts["microphone"], parts["speaker"]) == ("ok", "ok")
        assert terminal.hook is not None
        pin = factory.pin(config.hook_pin)
        pin.drive_high()  # lifted (the switch opened)
        until(lambda: terminal.microphone.route == "handset")
        time.sleep(0.15)  # past the hook switch's debounce
        pin.drive_low()
        until(lambda: terminal.microphone.route == "speaker")
        health = terminal.bridge.health()
        assert health["audio_selftest"]["echo_cancel"] == "skipped"
    finally:
        terminal.kiosk.stop()
        if terminal.hook is not None:
            terminal.hook.close()
        factory.reset()


def test_no_handset_no_hook_switch(tmp_path: Path) -> None:
    config = replace(Config(), data_dir=tmp_path, kiosk_port=0, audio="none")
    factory = MockFactory(pin_class=MockPWMPin)
    terminal = build_terminal(config, "secret", pin_factory=factory)
    try:
        assert terminal.hook is None
        assert terminal.parts()["microphone"] == "missing"
    finally:
        terminal.kiosk.stop()
        factory.reset()
