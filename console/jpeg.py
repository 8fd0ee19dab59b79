"""Just enough JPEG parsing to refuse what is not a JPEG and to learn its size.

The console accepts document photos from terminals and shows them to caseworkers. It
never decodes them (no Pillow, no image library attack surface on the console): it checks
the start and end markers (SOI ``FF D8``, EOI ``FF D9``) and walks the marker segments up
to the first frame header (SOF0..SOF15 except DHT, JPG and DAC), which holds the height
and width. A baseline JPEG from a camera has its SOF within the first few hundred bytes,
so this reads almost nothing of a 3-6 MB photo.
"""

from __future__ import annotations

from dataclasses import dataclass

SOI = b"\xff\xd8"
EOI = b"\xff\xd9"
_SOS = 0xDA
_NOT_SOF = {0xC4, 0xC8, 0xCC}  # DHT, JPG (reserved), DAC share the 0xCn range
_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # TEM and RST0..7 carry no length


class NotJpegError(ValueError):
    """The bytes are not a well-formed JPEG; the message says what is wrong."""


@dataclass(frozen=True)
class JpegSize:
    """Pixel dimensions from a JPEG's frame header."""

    width: int
    height: int


def jpeg_size(data: bytes) -> JpegSize:
    """Check SOI/EOI and read width and height from the SOF marker, or raise NotJpegError."""
    if len(data) < 4 or not data.startswith(SOI):
        raise NotJpegError("missing JPEG start marker (SOI)")
    if not data.endswith(EOI):
        raise NotJpegError("missing JPEG end marker (EOI)")
    pos = 2
    end = len(data) - 2
    while pos < end:
        if data[pos] != 0xFF:
            raise NotJpegError(f"expected a marker at byte {pos}")
        while pos < end and data[pos] == 0xFF:  # fill bytes before a marker are allowed
            pos += 1
        if pos >= end:
            break
        marker = data[pos]
        pos += 1
        if marker in _STANDALONE:
            continue
        if pos + 2 > end:
            break
        length = int.from_bytes(data[pos : pos + 2], "big")
        if length < 2 or pos + length > end:
            raise NotJpegError(f"segment 0x{marker:02X} runs past the end")
        if 0xC0 <= marker <= 0xCF and marker not in _NOT_SOF:
            if length < 7:
                raise NotJpegError("frame header too short")
            height = int.from_bytes(data[pos + 3 : pos + 5], "big")
            width = int.from_bytes(data[pos + 5 : pos + 7], "big")
            if width == 0 or height == 0:
                raise NotJpegError("frame header has a zero width or height")
            return JpegSize(width=width, height=height)
        if marker == _SOS:
            break
        pos += length
    raise NotJpegError("no frame header (SOF) before the image data")
