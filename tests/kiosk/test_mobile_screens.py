"""The mobile office on the kiosk page: the next outpost hours on the welcome screen and the
low-battery warning, in every language (axe, no untranslated text, screenshots in
test-artifacts/kiosk-screens/<lang>/mobile-*.png)."""

from __future__ import annotations

import time
from typing import Any

import pytest

from tests.kiosk.checks import inject_axe
from tests.kiosk.conftest import show
from tests.kiosk.harness import LANGUAGES, Kiosk, snapshot
from tests.kiosk.test_office_screens import page_artifact
from tests.kiosk.test_screens import check_screen, choose_language

FUTURE = time.time() + 30 * 86400
VISITS = [
    {"day": "2025-12-01", "starts": "09:00", "ends": "12:00", "ends_at": 1764583200.0,
     "place": "Alte Schule Unterdorf", "address": "", "note": ""},  # over: never shown
    {"day": "2026-12-03", "starts": "09:00", "ends": "12:00", "ends_at": FUTURE,
     "place": "Gemeindehaus Oberdorf", "address": "Dorfstraße 4",
     "note": "Bitte Ausweis mitbringen"},
    {"day": "2026-12-10", "starts": "14:00", "ends": "16:00", "ends_at": FUTURE + 7 * 86400,
     "place": "Dorfladen Kleinwalde", "address": "", "note": ""},
]  # fmt: skip
LOW = {"level": 12, "charging": False, "low": True}


def mobile_snapshot(**changes: Any) -> dict[str, Any]:
    return snapshot("welcome", **{"visits": VISITS, "battery": LOW, **changes})


@pytest.mark.parametrize("code", LANGUAGES)
def test_mobile_office_in_every_language(page: Any, kiosk: Kiosk, code: str) -> None:
    inject_axe(page) if not page.evaluate("typeof axe !== 'undefined'") else None
    if code != "de":
        choose_language(page, code)
    show(kiosk, page, mobile_snapshot())
    problems: list[str] = []
    check_screen(page, code, "welcome", problems)  # axe, translations, targets
    page.screenshot(path=str(page_artifact(code, "mobile-welcome")))
    assert not problems, "\n".join(problems)
    when = page.inner_text('[data-test="mobile-office-when"]')
    assert "09:00" in when and "12:00" in when and "3" in when, when
    assert page.inner_text('[data-test="mobile-office-place"]') == (
        "Gemeindehaus Oberdorf, Dorfstraße 4"
    )
    assert page.is_visible('[data-test="battery-low"]')
    assert "12" in page.inner_text('[data-test="battery-low"]')


def test_german_and_english_wording(page: Any, kiosk: Kiosk) -> None:
    show(kiosk, page, mobile_snapshot())
    assert page.inner_text('[data-test="mobile-office-when"]') == (
        "Mobiles Bürgerbüro: Do., 3. Dez., 09:00\u201312:00 Uhr"
    )
    assert page.inner_text('[data-test="mobile-office-note"]') == "Bitte Ausweis mitbringen"
    choose_language(page, "en")
    show(kiosk, page, mobile_snapshot(battery=None))
    text = page.inner_text('[data-test="mobile-office-when"]')
    assert text.startswith("Mobile office: Thu") and "Dec" in text and "09:00\u201312:00" in text
    assert not page.is_visible('[data-test="battery-low"]')


def test_nothing_shown_without_coming_visits_or_while_charging(page: Any, kiosk: Kiosk) -> None:
    show(kiosk, page, mobile_snapshot(visits=VISITS[:1], battery={**LOW, "charging": True}))
    assert not page.is_visible('[data-test="mobile-office"]')  # the only visit is over
    assert not page.is_visible('[data-test="battery-low"]')  # low but on the charger
    show(kiosk, page, mobile_snapshot(visits=[VISITS[2]], battery=None))
    assert "Dorfladen Kleinwalde" in page.inner_text('[data-test="mobile-office"]')
    show(kiosk, page, snapshot("welcome"))  # older snapshots without the fields
    assert not page.is_visible('[data-test="mobile-office"]')
    assert not page.is_visible('[data-test="battery-low"]')
    # The warning stays on every screen while the battery is low.
    show(kiosk, page, snapshot("waiting", battery=LOW))
    assert page.is_visible('[data-test="battery-low"]')
