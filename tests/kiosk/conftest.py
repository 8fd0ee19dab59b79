"""Fixtures of the kiosk page tests: one kiosk server and one Chromium page for the suite.

Walking 9 screens in 6 languages stays fast because the page is loaded once and only
the snapshots change (the page renders each as it would from the daemon). The page's
media endpoints (/api/self-view, /api/photo) are answered by Playwright with a JPEG, so
the page shows pictures without the daemon's camera.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import CHROMIUM, CHROMIUM_ARGS
from tests.kiosk.harness import Kiosk, photo_jpeg, snapshot, start_kiosk

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "kiosk-screens"
VIEWPORT = {"width": 1280, "height": 800}


@pytest.fixture(scope="package")
def kiosk() -> Iterator[Kiosk]:
    """The real kiosk app and server with a scripted bridge."""
    running = start_kiosk()
    try:
        yield running
    finally:
        running.bridge.close()
        running.server.stop()


@pytest.fixture(scope="package")
def browser_page(kiosk: Kiosk) -> Iterator[Any]:
    """Debian's headless Chromium showing the kiosk page; every request it makes is kept."""
    from playwright.sync_api import sync_playwright

    jpeg = photo_jpeg()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport=VIEWPORT)
        page.requests_seen = []  # type: ignore[attr-defined]
        page.on("request", lambda r: page.requests_seen.append(r.url))  # type: ignore[attr-defined]
        for path in ("**/api/self-view", "**/api/photo*"):
            page.route(path, lambda route: route.fulfill(body=jpeg, content_type="image/jpeg"))
        page.goto(kiosk.url)
        page.wait_for_function(
            "window.btKiosk && window.btKiosk.screen === 'welcome'", timeout=10_000
        )
        try:
            yield page
        finally:
            browser.close()


@pytest.fixture
def page(browser_page: Any, kiosk: Kiosk) -> Any:
    """The page back on welcome in German, with no intents recorded."""
    show(kiosk, browser_page, snapshot("offline"))
    show(kiosk, browser_page, snapshot("welcome"))
    kiosk.clear()
    return browser_page


def show(kiosk: Kiosk, page: Any, snap: dict[str, Any]) -> None:
    """Publish ``snap`` and wait until the page has rendered it."""
    seq = kiosk.bridge.publish(snap)
    page.wait_for_function(
        "seq => window.btKiosk.rendered && window.btKiosk.rendered.test_seq === seq",
        arg=seq,
        timeout=5_000,
    )
