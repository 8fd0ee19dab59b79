"""A tiny 5x7 bitmap font for digits, drawn and read back with numpy.

The synthetic camera stamps its frame number into every frame in large digits so a
receiver (a test, a latency bench filming a screen) can tell frames apart and read
the number back after lossy compression. Pillow would be a heavy dependency for ten
glyphs, so the glyphs are spelled out here.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

GLYPH_W = 5
GLYPH_H = 7

_GLYPHS = {
    "0": ["01110", "10001", "10011", "10101", "11001", "10001", "01110"],
    "1": ["00100", "01100", "00100", "00100", "00100", "00100", "01110"],
    "2": ["01110", "10001", "00001", "00010", "00100", "01000", "11111"],
    "3": ["11111", "00010", "00100", "00010", "00001", "10001", "01110"],
    "4": ["00010", "00110", "01010", "10010", "11111", "00010", "00010"],
    "5": ["11111", "10000", "11110", "00001", "00001", "10001", "01110"],
    "6": ["00110", "01000", "10000", "11110", "10001", "10001", "01110"],
    "7": ["11111", "00001", "00010", "00100", "01000", "01000", "01000"],
    "8": ["01110", "10001", "10001", "01110", "10001", "10001", "01110"],
    "9": ["01110", "10001", "10001", "01111", "00001", "00010", "01100"],
}

GLYPHS: dict[str, npt.NDArray[np.bool_]] = {
    ch: np.array([[c == "1" for c in row] for row in rows], dtype=bool)
    for ch, rows in _GLYPHS.items()
}


def text_size(text: str, scale: int) -> tuple[int, int]:
    """Width and height in pixels of ``text`` drawn at ``scale`` (one blank column between)."""
    return (len(text) * (GLYPH_W + 1) - 1) * scale, GLYPH_H * scale


def draw_text(
    image: npt.NDArray[np.uint8],
    text: str,
    x: int,
    y: int,
    scale: int,
    colour: tuple[int, int, int] = (255, 255, 255),
) -> None:
    """Draw the digits of ``text`` into an RGB image (H x W x 3) at (x, y), in place."""
    for i, ch in enumerate(text):
        glyph = np.kron(GLYPHS[ch], np.ones((scale, scale), dtype=bool))
        left = x + i * (GLYPH_W + 1) * scale
        region = image[y : y + glyph.shape[0], left : left + glyph.shape[1]]
        region[glyph] = colour


def read_text(image: npt.NDArray[np.uint8], digits: int, x: int, y: int, scale: int) -> str | None:
    """Read ``digits`` glyphs back by sampling each cell's centre; None if unreadable."""
    grey = image.astype(np.int32).mean(axis=2) if image.ndim == 3 else image.astype(np.int32)
    out = []
    for i in range(digits):
        left = x + i * (GLYPH_W + 1) * scale
        cells = np.zeros((GLYPH_H, GLYPH_W), dtype=bool)
        for r in range(GLYPH_H):
            for c in range(GLYPH_W):
                cy = y + r * scale + scale // 2
                cx = left + c * scale + scale // 2
                cells[r, c] = grey[cy, cx] > 128
        match = [ch for ch, glyph in GLYPHS.items() if np.array_equal(glyph, cells)]
        if not match:
            return None
        out.append(match[0])
    return "".join(out)
