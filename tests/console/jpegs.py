"""JPEG bytes for tests: a minimal hand-built one, and a real one encoded by libjpeg (PyAV)."""

from __future__ import annotations

from fractions import Fraction


def segment(marker: int, payload: bytes) -> bytes:
    """One marker segment: FF, marker, 2-byte length (including itself), payload."""
    return bytes([0xFF, marker]) + (len(payload) + 2).to_bytes(2, "big") + payload


def tiny_jpeg(width: int, height: int, padding: int = 0) -> bytes:
    """Markers only (APP0, SOF0, SOS, scan bytes, EOI): enough for the console's checks."""
    sof = bytes([8]) + height.to_bytes(2, "big") + width.to_bytes(2, "big") + b"\x01\x01\x11\x00"
    return (
        b"\xff\xd8"
        + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00")
        + segment(0xC0, sof)
        + segment(0xDA, b"\x01\x01\x00\x00\x3f\x00")
        + b"\x12\x34" * (padding // 2)
        + b"\xff\xd9"
    )


def real_jpeg(width: int, height: int) -> bytes:
    """A real baseline JPEG of noise from FFmpeg's MJPEG encoder."""
    import av
    import numpy as np

    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuvj420p"
    codec.time_base = Fraction(1, 25)
    pixels = np.random.default_rng(1).integers(0, 255, (height, width, 3), dtype=np.uint8)
    frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuvj420p")
    packets = [*codec.encode(frame), *codec.encode(None)]
    return bytes(packets[0])
