"""clockstamp.js in Chromium agrees with appliance/parts/camera/clockstamp.py."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from typing import Any

import numpy as np
import pytest

from appliance.parts.camera import clockstamp
from appliance.parts.camera.synthetic import render_frame
from bench.lib import glass
from tests.e2e.harness import chromium

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def page() -> Iterator[Any]:
    with chromium() as browser:
        page = browser.new_page()
        glass.install(page)
        yield page


@pytest.mark.parametrize("ms", [0, 77, 2**31 + 5, 2**32 - 1, 1_764_160_000_123])
def test_js_cells_are_pythons(page: Any, ms: int) -> None:
    assert page.evaluate("(ms) => window.btClockstamp.bits(ms)", ms) == clockstamp.bits(ms)


@pytest.mark.parametrize(("width", "height"), [(640, 480), (1280, 720)])
def test_js_reads_a_python_stamp_and_python_reads_a_js_one(
    page: Any, width: int, height: int
) -> None:
    image = render_frame(9, size=(width, height))
    clockstamp.draw(image, 1_764_160_000_123)
    where = clockstamp.layout(width, height)
    assert where is not None
    strip = image[: where.cell_h]
    rgba = np.concatenate([strip, np.full((*strip.shape[:2], 1), 255, np.uint8)], axis=2)
    stamp = page.evaluate(
        """([data, width, height]) => {
          const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
          return window.btClockstamp.read(bytes, width, height);
        }""",
        [base64.b64encode(rgba.tobytes()).decode(), width, height],
    )
    assert stamp == 1_764_160_000_123 % 2**32
    drawn = page.evaluate(
        """([width, height, ms]) => {
          const canvas = document.createElement('canvas');
          canvas.width = width; canvas.height = height;
          const ctx = canvas.getContext('2d');
          ctx.fillStyle = '#808080'; ctx.fillRect(0, 0, width, height);
          window.btClockstamp.draw(ctx, width, height, ms);
          const rows = window.btClockstamp.layout(width, height).cellH;
          return Array.from(ctx.getImageData(0, 0, width, rows).data);  // the strip only
        }""",
        [width, height, 4711],
    )
    picture = np.full((height, width, 3), 128, np.uint8)
    picture[: where.cell_h] = np.array(drawn, np.uint8).reshape(-1, width, 4)[:, :, :3]
    assert clockstamp.read(picture) == 4711


def test_js_delay_wraps_like_python(page: Any) -> None:
    for now, stamp in ((2**32 + 40, 2**32 - 60), (1000, 1100), (5, 5)):
        stamped = stamp % 2**32
        js = page.evaluate("([n, s]) => window.btClockstamp.delay(n, s)", [now, stamped])
        assert js == clockstamp.delay_ms(now, stamped)
