"""Sound-card playback and recording through PyAV, for the start-up self-test.

The daemon itself plays nothing during a call (the kiosk's Chromium plays the
caseworker), so the only playback is the self-test's tone: a PyAV output container
on FFmpeg's ``pulse`` or ``alsa`` output device, fed one PCM frame. Recording opens
the same input the call's track would (:func:`appliance.parts.audio.sources.open_input`)
for a fixed time. Both block and run in a thread.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from appliance.errors import AudioError
from appliance.parts.audio.sources import RATE, Samples, open_input


class AvPlayer:
    """Implements :class:`appliance.parts.audio.selftest.Player` on a PyAV output device."""

    def __init__(self, fmt: str, name: str, *, av_open: Any = None) -> None:
        self.fmt = fmt
        self.name = name
        self._av_open = av_open

    def play(self, samples: Samples) -> None:
        """Encode ``samples`` as PCM and write them to the device; blocks until written."""
        import av

        opener = av.open if self._av_open is None else self._av_open
        try:
            container = opener(self.name, mode="w", format=self.fmt)
        except (OSError, ValueError, av.FFmpegError) as err:
            raise AudioError(f"cannot open {self.fmt} output {self.name!r}: {err}") from err
        try:
            stream = container.add_stream("pcm_s16le", rate=RATE, layout="mono")
            frame = av.AudioFrame.from_ndarray(samples.reshape(1, -1), format="s16", layout="mono")
            frame.sample_rate = RATE
            frame.pts = 0
            for packet in [*stream.encode(frame), *stream.encode(None)]:
                container.mux(packet)
        except (OSError, ValueError, av.FFmpegError) as err:
            raise AudioError(f"cannot play on {self.fmt} output {self.name!r}: {err}") from err
        finally:
            container.close()


class AvRecorder:
    """Implements :class:`appliance.parts.audio.selftest.Recorder` on a PyAV input device."""

    def __init__(self, fmt: str, name: str, *, av_open: Any = None) -> None:
        self.fmt = fmt
        self.name = name
        self._av_open = av_open

    def record(self, seconds: float) -> Samples:
        """Record ``seconds`` of 48 kHz mono s16."""
        import av

        wanted = int(seconds * RATE)
        container = open_input(self.fmt, self.name, av_open=self._av_open)
        resampler = av.AudioResampler(format="s16", layout="mono", rate=RATE)
        chunks: list[Samples] = []
        got = 0
        try:
            for frame in container.decode(container.streams.audio[0]):
                for out in resampler.resample(frame):
                    chunk = out.to_ndarray().reshape(-1).astype(np.int16)
                    chunks.append(chunk)
                    got += len(chunk)
                if got >= wanted:
                    break
        except (OSError, IndexError, av.FFmpegError) as err:
            raise AudioError(f"cannot record from {self.fmt} input {self.name!r}: {err}") from err
        finally:
            container.close()
        if got < wanted:
            raise AudioError(f"{self.fmt} input {self.name!r} ended after {got} samples")
        return np.concatenate(chunks)[:wanted]
