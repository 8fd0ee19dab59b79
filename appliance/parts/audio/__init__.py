"""The audio part: microphone capture for the call, the handset, the echo self-test.

Capture comes from PipeWire's echo-cancel source (``pulse``), an ALSA device
(``alsa``), a tone (``synthetic``) or a looped WAV file (``wav``), chosen by the
``audio`` config key; ``none`` makes calls video-only. Playback of the call is the
kiosk browser's job (see README.md beside this file); the daemon plays only the
start-up self-test tone. Library imports (PyAV devices, gpiozero) happen inside the
adapters, never at import time.
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING

from appliance.parts.audio.part import AudioPart, Route, SourceOpener
from appliance.parts.audio.selftest import Player, Recorder, SelfTestResult, run_selftest
from appliance.parts.audio.sources import AvSource, Source, ToneSource, WavSource

if TYPE_CHECKING:
    from appliance.config import Config

__all__ = ["AudioPart", "SelfTestResult", "create_audio", "devices_for_selftest", "selftest"]

SPEAKER_TONE_HZ = 440.0
HANDSET_TONE_HZ = 880.0  # the synthetic handset sounds different, so tests can hear the switch


def create_audio(config: Config) -> AudioPart:
    """Build the audio part named by the ``audio`` config key."""
    kind = config.audio
    handset = bool(config.handset_source)
    if kind == "none":
        return AudioPart(kind, None)
    if kind == "synthetic":
        return AudioPart(kind, _synthetic, handset=handset)
    if kind == "wav":
        return AudioPart(kind, _wav_opener(config), handset=handset)
    on_route = None
    if kind == "pulse" and config.handset_sink:
        from appliance.parts.audio.routing import PactlRouter

        on_route = PactlRouter({"speaker": config.audio_sink, "handset": config.handset_sink})
    return AudioPart(kind, _device_opener(config), handset=handset, on_route=on_route)


def devices_for_selftest(config: Config) -> tuple[Player | None, Recorder | None]:
    """The self-test's player and recorder for real backends; (None, None) otherwise."""
    from appliance.parts.audio.devices import AvPlayer, AvRecorder

    if config.audio == "pulse":
        return AvPlayer("pulse", config.audio_sink), AvRecorder("pulse", config.audio_source)
    if config.audio == "alsa":
        return AvPlayer("alsa", config.alsa_device), AvRecorder("alsa", config.alsa_device)
    return None, None


async def selftest(part: AudioPart, player: Player | None, recorder: Recorder | None) -> None:
    """Run the echo self-test and record its verdict (and missing devices) in the part."""
    result = await run_selftest(player, recorder)
    part.selftest = result
    if result.missing == "speaker":
        part.speaker = "missing"
    elif result.missing == "microphone":
        part.microphone = "missing"


def _synthetic(route: Route, loop: asyncio.AbstractEventLoop) -> Source:
    return ToneSource(HANDSET_TONE_HZ if route == "handset" else SPEAKER_TONE_HZ)


def _wav_opener(config: Config) -> SourceOpener:
    def open_wav(route: Route, loop: asyncio.AbstractEventLoop) -> Source:
        return WavSource(Path(config.handset_source if route == "handset" else config.audio_wav))

    return open_wav


def _device_opener(config: Config) -> SourceOpener:
    fmt = config.audio
    speaker = config.audio_source if fmt == "pulse" else config.alsa_device

    def open_device(route: Route, loop: asyncio.AbstractEventLoop) -> Source:
        return AvSource(fmt, config.handset_source if route == "handset" else speaker, loop=loop)

    return open_device
