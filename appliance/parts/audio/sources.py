"""Where the microphone's samples come from: one small class per backend.

Every source hands out 20 ms frames of 48 kHz mono s16 (960 samples): Opus's native
rate and aiortc's packetisation, so nothing is resampled after this point. A
``live`` source (a sound card through PyAV) is paced by its hardware clock; the
others (a tone, a WAV file) are paced by the track against a monotonic clock.

Devices are opened the way aiortc's ``MediaPlayer`` opens them:
``av.open(name, format="pulse" | "alsa")``. Reading blocks, so each open device gets
one thread that decodes and resamples and hands frames to the event loop through a
bounded queue; when the loop falls behind, the oldest frames are dropped, so the
microphone's latency stays under ``QUEUE_FRAMES`` x 20 ms instead of growing.

PyAV's pip wheels (checked: av 14 to 16) include FFmpeg's ALSA device but not its
PulseAudio device. ``pulse`` therefore needs a PyAV built against a system FFmpeg
with libpulse (Raspberry Pi OS's ``python3-av`` through ``--system-site-packages``);
with the wheel, use ``audio = "alsa"`` and PipeWire's ALSA device
(``alsa_device = "pipewire:NODE=echo-cancel-source"``, from the pipewire-alsa package).
"""

from __future__ import annotations

import asyncio
import errno
import logging
import math
import threading
import wave
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from appliance.errors import AudioError

log = logging.getLogger(__name__)

RATE = 48000
SAMPLES = 960  # 20 ms
QUEUE_FRAMES = 10  # 200 ms at most between the device and the encoder
READ_TIMEOUT_S = 2.0  # a device that delivers nothing this long has failed

Samples = np.ndarray[Any, np.dtype[np.int16]]


class Source(Protocol):
    """One opened input delivering 20 ms frames of 48 kHz mono s16."""

    live: bool
    """True when the hardware paces the frames (the track must not add waits)."""

    async def read(self) -> Samples:
        """The next 960 samples; raises :class:`AudioError` when the input failed."""
        ...

    def close(self) -> None:
        """Release the input (idempotent)."""
        ...


class ToneSource:
    """A sine tone (the ``synthetic`` backend); phase-continuous across frames."""

    live = False

    def __init__(self, frequency: float, amplitude: float = 0.2) -> None:
        self.frequency = frequency
        self._amplitude = amplitude * 32767
        self._sample = 0

    async def read(self) -> Samples:
        """The next 20 ms of the tone."""
        t = (np.arange(SAMPLES) + self._sample) / RATE
        self._sample += SAMPLES
        return (self._amplitude * np.sin(2 * math.pi * self.frequency * t)).astype(np.int16)

    def close(self) -> None:
        """Nothing to release."""


class WavSource:
    """A WAV file played in a loop (the ``wav`` backend: tests and demos)."""

    live = False

    def __init__(self, path: Path) -> None:
        self.path = path
        self._data = read_wav(path)
        self._pos = 0

    async def read(self) -> Samples:
        """The next 20 ms, wrapping around at the end of the file."""
        data = self._data
        idx = (np.arange(SAMPLES) + self._pos) % len(data)
        self._pos = (self._pos + SAMPLES) % len(data)
        return data[idx]

    def close(self) -> None:
        """Nothing to release."""


def read_wav(path: Path) -> Samples:
    """Read a 16-bit PCM WAV file as 48 kHz mono (channels averaged, rate interpolated)."""
    try:
        with wave.open(str(path), "rb") as wav:
            if wav.getsampwidth() != 2:
                raise AudioError(f"{path}: only 16-bit PCM WAV files are supported")
            channels, rate = wav.getnchannels(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (OSError, EOFError, wave.Error) as err:
        raise AudioError(f"cannot read WAV file {path}: {err}") from err
    data = np.frombuffer(raw, dtype="<i2").reshape(-1, channels).mean(axis=1)
    if len(data) == 0:
        raise AudioError(f"{path}: no samples")
    if rate != RATE:
        positions = np.arange(int(len(data) * RATE / rate)) * rate / RATE
        data = np.interp(positions, np.arange(len(data)), data)
    out: Samples = np.round(data).astype(np.int16)
    return out


def open_input(fmt: str, name: str, *, av_open: Any = None) -> Any:
    """Open a PyAV input container on a sound card, asking for 48 kHz mono."""
    import av

    opener = av.open if av_open is None else av_open
    options = {"sample_rate": str(RATE), "channels": "1"}
    if fmt == "pulse":
        # 20 ms fragments: ffmpeg's default lets PulseAudio pick a far larger buffer.
        options["fragment_size"] = str(SAMPLES * 2)
    try:
        return opener(name, format=fmt, mode="r", options=options)
    except (OSError, ValueError, av.FFmpegError) as err:
        raise AudioError(f"cannot open {fmt} input {name!r}: {err}") from err


class AvSource:
    """A sound-card input through PyAV (``pulse`` or ``alsa``), read by its own thread.

    Construct it off the event loop (``asyncio.to_thread``): opening a device blocks.
    """

    live = True

    def __init__(
        self,
        fmt: str,
        name: str,
        *,
        loop: asyncio.AbstractEventLoop,
        av_open: Any = None,
    ) -> None:
        self._container = open_input(fmt, name, av_open=av_open)
        self.name = f"{fmt}:{name}"
        self._loop = loop
        self._queue: asyncio.Queue[Samples | None] = asyncio.Queue()
        self._quit = threading.Event()
        self._thread = threading.Thread(target=self._work, name=f"audio {self.name}", daemon=True)
        self._thread.start()

    async def read(self) -> Samples:
        """The next frame from the device thread."""
        try:
            async with asyncio.timeout(READ_TIMEOUT_S):  # wait_for can swallow a cancel (3.11)
                frame = await self._queue.get()
        except TimeoutError as err:
            raise AudioError(f"{self.name} delivered nothing for {READ_TIMEOUT_S} s") from err
        if frame is None:
            raise AudioError(f"{self.name} stopped")
        return frame

    def close(self) -> None:
        """Stop the thread; it closes the container after its current read."""
        self._quit.set()

    def _put(self, frame: Samples | None) -> None:
        while self._queue.qsize() >= QUEUE_FRAMES:
            self._queue.get_nowait()  # drop the oldest: latency must not grow
        self._queue.put_nowait(frame)

    def _work(self) -> None:
        import av

        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE, frame_size=SAMPLES)
        try:
            stream = self._container.streams.audio[0]
            while not self._quit.is_set():
                try:
                    frames = next(self._container.decode(stream))
                except av.FFmpegError as err:
                    if err.errno == errno.EAGAIN:
                        self._quit.wait(0.005)
                        continue
                    raise
                for out in resampler.resample(frames):
                    self._hand_over(out.to_ndarray().reshape(-1).astype(np.int16))
        except (StopIteration, OSError, IndexError, av.FFmpegError) as err:
            log.warning("audio input %s ended: %s", self.name, err)
        finally:
            self._container.close()
            if not self._quit.is_set():
                self._hand_over(None)

    def _hand_over(self, frame: Samples | None) -> None:
        try:
            self._loop.call_soon_threadsafe(self._put, frame)
        except RuntimeError:  # the loop is closed: nobody is reading any more
            self._quit.set()
