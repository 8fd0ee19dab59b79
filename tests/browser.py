"""Debian's Chromium as the tests launch it: headless, fake camera and microphone.

The flags let it answer WebRTC calls on loopback (`--allow-loopback-in-peer-connection`,
real host addresses instead of mDNS names) and keep it off the closed network. The tests
never download a browser: `make test` installs Debian's chromium package, and a missing
browser fails the tests instead of skipping them.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from typing import Any

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
    "--allow-loopback-in-peer-connection",
    "--disable-features=WebRtcHideLocalIpsWithMdns",
    "--autoplay-policy=no-user-gesture-required",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextlib.asynccontextmanager
async def async_chromium() -> AsyncIterator[Any]:
    """Debian's Chromium, launched headless through Playwright's async API, closed after."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                           args=CHROMIUM_ARGS)  # fmt: skip
        try:
            yield browser
        finally:
            await browser.close()
