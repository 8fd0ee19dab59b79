"""Moving playback to the handset sink with pactl (fake runner: no sound server here)."""

from __future__ import annotations

import pytest

from appliance.errors import AudioError
from appliance.parts.audio import AudioPart
from appliance.parts.audio.routing import PactlRouter, run_command
from appliance.parts.audio.sources import ToneSource


def test_router_sets_default_and_moves_every_stream() -> None:
    calls: list[list[str]] = []

    def run(argv: list[str]) -> str:
        calls.append(argv)
        return "12\tfoo\n17\tbar\n" if argv[1] == "list" else ""

    router = PactlRouter({"speaker": "echo-cancel-sink", "handset": "usb-handset"}, run=run)
    router("handset")
    assert calls == [
        ["pactl", "set-default-sink", "usb-handset"],
        ["pactl", "list", "short", "sink-inputs"],
        ["pactl", "move-sink-input", "12", "usb-handset"],
        ["pactl", "move-sink-input", "17", "usb-handset"],
    ]


def test_route_hook_failure_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    def broken(route: str) -> None:
        raise AudioError("pactl failed")

    part = AudioPart("test", lambda route, loop: ToneSource(440.0), handset=True, on_route=broken)
    part.set_handset(True)
    assert part.route == "handset"
    assert "could not move playback" in caplog.text


def test_run_command_translates_errors() -> None:
    with pytest.raises(AudioError):
        run_command(["/nonexistent/pactl"])
