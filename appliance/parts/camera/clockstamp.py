"""A wall-clock time in a video frame, as a row of black and white cells a receiver can read.

The synthetic camera stamps every frame with the moment it made it, so whoever decodes
the picture at the far end (the glass-to-glass bench's caseworker page, tests) can
compare the stamp with its own clock: that difference is the one-way delay from camera
to screen, encoder, network, jitter buffer and decoder included.

Layout: a strip across the top of the frame, :data:`CELLS` cells wide, each cell
``width // CELLS`` pixels wide and twice as tall (16 x 32 at 640x480, 32 x 64 at
1280x720, so cells sit on 16-pixel macroblock columns). Cells are pure black or white,
the extremes of luma, and are read at their centre half: compression blurs edges, not
centres. From the left: two sync cells (white, black), the time in milliseconds modulo
2**32 (49.7 days) in 32 cells, most significant bit first, and a 6-bit check (the sum of
the time's four bytes modulo 64) that rejects a misread stamp instead of reporting a wrong
delay. The caseworker page's twin of :func:`read` is ``bench/lib/clockstamp.js``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

CELLS = 40
SYNC = (1, 0)
TIME_BITS = 32
CHECK_BITS = 6
MODULUS = 1 << TIME_BITS
CHECK_MODULUS = 1 << CHECK_BITS
MIN_CELL = 4
"""Narrower cells would not survive compression: frames under 160 px wide carry no stamp."""


@dataclass(frozen=True)
class Layout:
    """Where the cells of a stamp are in a frame of a given size."""

    cell_w: int
    cell_h: int
    x0: int
    y0: int = 0

    def cell(self, index: int) -> tuple[slice, slice]:
        """Rows and columns of cell ``index``."""
        left = self.x0 + index * self.cell_w
        return slice(self.y0, self.y0 + self.cell_h), slice(left, left + self.cell_w)


def layout(width: int, height: int) -> Layout | None:
    """The stamp's layout in a ``width`` x ``height`` frame; None when it does not fit."""
    cell_w = width // CELLS
    if cell_w < MIN_CELL or 2 * cell_w > height // 4:
        return None
    return Layout(cell_w=cell_w, cell_h=2 * cell_w, x0=(width - CELLS * cell_w) // 2)


def check(ms: int) -> int:
    """The check value of a stamped time: the sum of its four bytes modulo 64."""
    return sum(ms.to_bytes(4, "big")) % CHECK_MODULUS


def bits(ms: int) -> list[int]:
    """The cells of time ``ms`` (any integer; stamped modulo 2**32), 1 = white."""
    value = ms % MODULUS
    time_bits = [(value >> (TIME_BITS - 1 - i)) & 1 for i in range(TIME_BITS)]
    check_bits = [(check(value) >> (CHECK_BITS - 1 - i)) & 1 for i in range(CHECK_BITS)]
    return [*SYNC, *time_bits, *check_bits]


def draw(image: npt.NDArray[np.uint8], ms: int) -> bool:
    """Stamp time ``ms`` into an RGB frame (H x W x 3) in place; False if it does not fit."""
    where = layout(image.shape[1], image.shape[0])
    if where is None:
        return False
    for index, bit in enumerate(bits(ms)):
        image[where.cell(index)] = 255 if bit else 0
    return True


def read(image: npt.NDArray[np.uint8]) -> int | None:
    """The stamped time (ms modulo 2**32) of a decoded RGB frame; None if none is readable."""
    where = layout(image.shape[1], image.shape[0])
    if where is None:
        return None
    cells = []
    for index in range(CELLS):
        rows, cols = where.cell(index)
        h, w = rows.stop - rows.start, cols.stop - cols.start
        centre = image[
            rows.start + h // 4 : rows.stop - h // 4, cols.start + w // 4 : cols.stop - w // 4
        ]
        cells.append(1 if float(centre.mean()) > 127.5 else 0)
    if tuple(cells[: len(SYNC)]) != SYNC:
        return None
    value = 0
    for bit in cells[len(SYNC) : len(SYNC) + TIME_BITS]:
        value = value << 1 | bit
    stamped_check = 0
    for bit in cells[len(SYNC) + TIME_BITS :]:
        stamped_check = stamped_check << 1 | bit
    return value if stamped_check == check(value) else None


def delay_ms(now_ms: int, stamp: int) -> int:
    """How long ago (ms) the stamp was made, for clocks read within 24 days of each other."""
    return (now_ms - stamp + MODULUS // 2) % MODULUS - MODULUS // 2
