"""A call nobody answers becomes a callback request, on the real system.

The queue's answer limit is 3 s and both caseworkers are on break: the console ends the
waiting call with reason ``no_answer``, the kiosk offers the callback form, the citizen
leaves a name and a number, and the request appears in both caseworkers' lists with its
reason; marking it done updates it for both.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.desk import Desk, desk, make, offers, request_call
from tests.e2e.harness import wait_for

pytestmark = pytest.mark.e2e
ANSWER_LIMIT_S = 3


@pytest.fixture(scope="module")
def d(tmp_path_factory: pytest.TempPathFactory, artifacts: Path) -> Iterator[Desk]:
    with desk(tmp_path_factory.mktemp("callback"), artifacts,
              answer_limit_s=ANSWER_LIMIT_S) as running:  # fmt: skip
        yield running


def test_unanswered_call_becomes_a_callback_that_is_marked_done(d: Desk) -> None:
    make(d.anna, "break")
    make(d.carl, "break")
    asked = time.monotonic()
    request_call(d)
    d.anna.wait_for_selector("[data-test=queue-item]", timeout=5_000)
    assert not offers(d.anna) and not offers(d.carl)

    # The console gives up after the answer limit; the kiosk offers a callback.
    d.kiosk.wait_for_selector('[data-test=state][data-screen="no-answer"]', timeout=15_000)
    waited = time.monotonic() - asked
    assert waited >= ANSWER_LIMIT_S - 0.5, f"ended after {waited:.1f} s"
    d.anna.wait_for_selector("[data-test=queue-item]", state="detached", timeout=5_000)
    # The kiosk opens the callback form at once (a button leads to it when the kiosk gave up).
    if d.kiosk.is_visible("[data-test=offer-callback]"):
        d.kiosk.click("[data-test=offer-callback]")
    d.kiosk.wait_for_selector("[data-test=callback-name]:visible", timeout=5_000)
    d.kiosk.screenshot(path=d.artifacts / "kiosk-no-answer-callback.png")
    d.kiosk.fill("[data-test=callback-name]", "Olena Test")
    d.kiosk.fill("[data-test=callback-phone]", "0351 1234567")
    d.kiosk.click("[data-test=callback-send]")
    d.kiosk.wait_for_selector('[data-test=state][data-screen="callback-sent"]', timeout=10_000)

    for page in (d.anna, d.carl):
        item = page.locator("[data-test=callback-item]", has_text="Olena Test")
        item.wait_for(timeout=5_000)
        assert item.get_attribute("data-status") == "open"
        assert "0351 1234567" in item.inner_text()
        assert "niemand hat abgenommen" in item.inner_text()
    assert d.anna.inner_text("[data-test=callbacks-count]") == "1"
    d.shot(d.anna, "desk-callback-de")

    d.anna.locator("[data-test=callback-item]", has_text="Olena Test").locator(
        "[data-test=callback-done]").click()  # fmt: skip
    for page in (d.anna, d.carl):
        done = page.locator("[data-test=callback-item][data-status=done]").count
        wait_for(lambda: done() == 1, 5, what="marked done for everyone")  # noqa: B023
        assert page.inner_text("[data-test=callbacks-count]") == "0"
