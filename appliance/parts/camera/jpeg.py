"""JPEG encoding of stills with PyAV's mjpeg encoder (already a dependency through aiortc).

Pillow would be another dependency for one function. FFmpeg's mjpeg encoder takes
planar YUV 4:2:0 directly, which is what the Pi's ISP and most decoders produce, so a
still costs no colour conversion there. Quality is a fixed quantiser (``qmin = qmax``):
q 3 keeps 8-point print on an A4 page held to a 1080p camera legible, at about
0.3-0.8 MB per picture; the default rate control would pick a quality from a bitrate
meant for video.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from appliance.errors import CameraError

QUANTISER = 3
"""FFmpeg mjpeg qscale: 2 (best) .. 31 (worst)."""


def encode_jpeg(frame: Any, quantiser: int = QUANTISER) -> bytes:
    """Encode one ``av.VideoFrame`` (any pixel format) as a baseline JPEG."""
    import av

    try:
        ctx = av.CodecContext.create("mjpeg", "w")
        ctx.width = frame.width
        ctx.height = frame.height
        ctx.pix_fmt = "yuvj420p"
        ctx.time_base = Fraction(1, 25)
        ctx.qmin = quantiser
        ctx.qmax = quantiser
        source = frame if frame.format.name == "yuvj420p" else frame.reformat(format="yuvj420p")
        source.pts = None
        packets = [*ctx.encode(source), *ctx.encode(None)]
    except (av.FFmpegError, ValueError) as err:
        raise CameraError(f"JPEG encoding failed: {err}") from err
    if not packets:
        raise CameraError("JPEG encoder returned nothing")
    return bytes(packets[0])


def encode_array(array: Any, pixel_format: str, quantiser: int = QUANTISER) -> bytes:
    """Encode a numpy image (``rgb24``, ``bgr24`` H x W x 3, or ``yuv420p`` 1.5H x W)."""
    from av import VideoFrame

    return encode_jpeg(VideoFrame.from_ndarray(array, format=pixel_format), quantiser)
