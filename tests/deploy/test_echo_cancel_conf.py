"""The image's PipeWire echo-cancel config: the module, WebRTC, and the node names we use."""

from __future__ import annotations

from pathlib import Path

import pytest

from appliance.config import Config
from tests.deploy.spa_json import loads

CONF = (
    Path(__file__).resolve().parents[2]
    / "image/layer/etc/pipewire/pipewire.conf.d/50-echo-cancel.conf"
)


def test_parser_handles_the_relaxed_syntax() -> None:
    doc = loads(
        """
        # comment
        context.properties = { a = 1, b: "two" c = true d = [ x "y" 3.5 ] }
        empty = {}
        "quoted key" = "with # hash and \\"quotes\\""
        """
    )
    assert doc["context.properties"] == {"a": 1, "b": "two", "c": True, "d": ["x", "y", 3.5]}
    assert doc["empty"] == {}
    assert doc["quoted key"] == 'with # hash and "quotes"'
    with pytest.raises(ValueError):
        loads("a = { b = ")


def test_echo_cancel_module_uses_webrtc_and_our_node_names() -> None:
    doc = loads(CONF.read_text(encoding="utf-8"))
    modules = [m for m in doc["context.modules"] if m["name"] == "libpipewire-module-echo-cancel"]
    assert len(modules) == 1
    args = modules[0]["args"]
    assert args["library.name"] == "aec/libspa-aec-webrtc"  # the WebRTC AEC
    assert args["audio.rate"] == 48000
    source, sink = args["source.props"], args["sink.props"]
    config = Config()
    assert source["node.name"] == config.audio_source == "echo-cancel-source"
    assert sink["node.name"] == config.audio_sink == "echo-cancel-sink"
    # Defaults: above every ALSA device's session priority (WirePlumber: up to about 2000).
    assert source["priority.session"] > 2000 and sink["priority.session"] > 2000
    kiosk = (Path(__file__).resolve().parents[2] / "systemd/bt-kiosk.service").read_text()
    assert f"Environment=PULSE_SINK={config.audio_sink}\n" in kiosk
