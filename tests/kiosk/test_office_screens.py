"""The screens of issue 5 in every language: service choice, transfer, the console's no-answer,
holidays on the closed screen. axe-core, no untranslated text, large targets, screenshots
(test-artifacts/kiosk-screens/<lang>/<variant>.png), and the intents the page posts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from tests.kiosk.checks import inject_axe
from tests.kiosk.conftest import show
from tests.kiosk.harness import LANGUAGES, SERVICES, Kiosk, snapshot
from tests.kiosk.test_screens import check_screen, choose_language


def office(**changes: Any) -> dict[str, Any]:
    """The default office status with changes."""
    return {**snapshot("welcome")["office"], **changes}


VARIANTS: dict[str, dict[str, Any]] = {
    "info-services": snapshot("info", office=office(services=SERVICES)),
    "waiting-transfer-caseworker": snapshot(
        "waiting", position=None, transfer={"to": "Anna Amt", "kind": "caseworker"}
    ),
    "waiting-transfer-queue": snapshot(
        "waiting", position=1, transfer={"to": "Standesamt", "kind": "queue"}
    ),
    "waiting-service": snapshot("waiting", queue="Standesamt", office=office(services=SERVICES)),
    "no-answer-ended": snapshot("no-answer", state="idle", position=None),
    "closed-exceptions": snapshot("closed"),
}


@pytest.mark.parametrize("code", LANGUAGES)
def test_issue5_screens_in_every_language(page: Any, kiosk: Kiosk, code: str) -> None:
    inject_axe(page) if not page.evaluate("typeof axe !== 'undefined'") else None
    if code != "de":
        choose_language(page, code)
    problems: list[str] = []
    for name, snap in VARIANTS.items():
        show(kiosk, page, snap)
        check_screen(page, code, snap["screen"], problems)  # axe, translations, targets
        page.screenshot(path=str(page_artifact(code, name)))
    assert not problems, "\n".join(problems)


def page_artifact(code: str, name: str) -> Any:
    from tests.kiosk.conftest import ARTIFACTS

    out = ARTIFACTS / code
    out.mkdir(parents=True, exist_ok=True)
    return out / f"{name}.png"


def test_service_choice_posts_the_queue(page: Any, kiosk: Kiosk) -> None:
    show(kiosk, page, snapshot("info"))  # one service: no choice, the usual continue
    assert page.is_visible('[data-test="continue"]')
    assert not page.is_visible('[data-test="services"]')
    show(kiosk, page, VARIANTS["info-services"])
    assert not page.is_visible('[data-test="continue"]')
    points = page.inner_text(".points")
    assert "einen Bereich wählen" in points and "Weiter" not in points  # the promise fits
    buttons = page.locator('[data-test="services"] button')
    assert buttons.all_inner_texts() == [s["name"] for s in SERVICES]
    page.click('[data-test="service-2"]')
    assert kiosk.wait_posted("/api/continue") == {"language": "de", "queue_id": 2}


def test_transfer_and_service_texts(page: Any, kiosk: Kiosk) -> None:
    show(kiosk, page, VARIANTS["waiting-transfer-caseworker"])
    assert page.inner_text('[data-test="transfer"]') == "Sie werden mit Anna Amt verbunden."
    show(kiosk, page, VARIANTS["waiting-transfer-queue"])
    assert "Standesamt" in page.inner_text('[data-test="transfer"]')
    assert "1" in page.inner_text('[data-test="position"]')  # position updates stay
    show(kiosk, page, VARIANTS["waiting-service"])
    assert not page.is_visible('[data-test="transfer"]')
    assert page.inner_text('[data-test="queue-name"]') == "Bereich: Standesamt"


def test_console_no_answer_offers_the_callback_form_only(page: Any, kiosk: Kiosk) -> None:
    show(kiosk, page, snapshot("no-answer"))  # the terminal's own timeout: a choice
    assert page.is_visible('[data-test="keep-waiting"]')
    assert page.inner_text('[data-test="hangup"]') == "Abbrechen"
    assert not page.is_visible('[data-test="callback-form"]')
    show(kiosk, page, VARIANTS["no-answer-ended"])  # the console gave up: the form at once
    assert not page.is_visible('[data-test="keep-waiting"]')
    assert page.is_visible('[data-test="callback-form"]')
    assert page.inner_text('[data-test="hangup"]') == "Zurück"  # nothing left to cancel
    page.fill('[data-test="callback-name"]', "Erika Muster")
    page.fill('[data-test="callback-phone"]', "03591 1234")
    page.click('[data-test="callback-send"]')
    assert kiosk.wait_posted("/api/callback")["reason"] == "no_answer"


def test_closed_screen_lists_coming_holidays_in_the_citizens_language(
    page: Any, kiosk: Kiosk
) -> None:
    show(kiosk, page, snapshot("closed"))
    rows = page.locator('[data-test="closed-exceptions"] li').all_inner_texts()
    assert len(rows) == 2
    assert "Mittwoch, 24. Dezember" in rows[0] and "geschlossen" in rows[0]
    assert "Heiligabend" in rows[0]
    assert "09:00\u201312:00 Uhr" in rows[1] and "13:00\u201315:00 Uhr" in rows[1]
    assert "Montag, 1. Dezember" in page.inner_text("[data-closed-next]")
    choose_language(page, "en")
    rows = page.locator('[data-test="closed-exceptions"] li').all_inner_texts()
    assert "Wednesday, December 24" in rows[0] or "Wednesday 24 December" in rows[0]
    assert "closed" in rows[0]


def test_a_holiday_today_replaces_todays_weekly_hours_on_welcome(page: Any, kiosk: Kiosk) -> None:
    today = datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()
    holiday = [{"day": today, "opens": None, "closes": None, "note": "Betriebsausflug"}]
    show(kiosk, page, snapshot("welcome", office=office(open=False, exceptions=holiday)))
    row = page.locator('[data-test="office-hours"] li.today').inner_text()
    assert "geschlossen" in row and "Uhr" not in row
    assert "Betriebsausflug" in page.inner_text('[data-test="office-exceptions"]')


def test_an_office_without_weekly_hours_lists_no_closed_days(page: Any, kiosk: Kiosk) -> None:
    """No hours set means always reachable: the week is not listed as seven closed days."""
    show(kiosk, page, snapshot("welcome", office=office(hours=[], exceptions=[])))
    assert page.inner_text('[data-test="office-state"]') == "Jetzt erreichbar"
    assert not page.is_visible('[data-test="office-hours"]')
    assert "geschlossen" not in page.inner_text('[data-screen="welcome"]')
    show(kiosk, page, snapshot("welcome"))
    assert page.locator('[data-test="office-hours"] li').count() == 7


BRANDED = office(brand_color="#2a7d4f", welcome_text="Willkommen im Rathaus Aldorf <b>!</b>")
"""A municipality with its own accent colour and welcome line (markup must stay text)."""


def brand_color(page: Any) -> str:
    """The --brand-color custom property set on the root element ("" when unset)."""
    return page.evaluate(  # type: ignore[no-any-return]
        "getComputedStyle(document.documentElement).getPropertyValue('--brand-color').trim()"
    )


def test_welcome_shows_the_municipality_s_line_and_accent_in_every_language(
    page: Any, kiosk: Kiosk
) -> None:
    inject_axe(page) if not page.evaluate("typeof axe !== 'undefined'") else None
    assert brand_color(page) == "" and not page.is_visible('[data-test="welcome-text"]')
    show(kiosk, page, snapshot("welcome", office=BRANDED))
    line = page.locator('[data-test="welcome-text"]')
    assert line.inner_text() == "Willkommen im Rathaus Aldorf <b>!</b>"  # plain text
    assert page.locator('[data-test="welcome-text"] b').count() == 0
    assert brand_color(page) == "#2a7d4f"
    # under the heading, and the colour is an accent border only: the text keeps its colour
    heading = page.locator("#h-welcome").bounding_box()
    box = line.bounding_box()
    assert heading is not None and box is not None and box["y"] >= heading["y"] + heading["height"]
    style = line.evaluate(
        "e => { const s = getComputedStyle(e);"
        " return [s.color, s.borderInlineStartColor, getComputedStyle(document.body).color]; }"
    )
    assert style[1] == "rgb(42, 125, 79)" and style[0] == style[2]
    bar = page.evaluate("getComputedStyle(document.querySelector('.toolbar')).boxShadow")
    assert "rgb(42, 125, 79)" in bar
    problems: list[str] = []
    for code in ("de", "en", "ar"):
        if code != "de":
            choose_language(page, code)
        assert line.inner_text() == "Willkommen im Rathaus Aldorf <b>!</b>"  # never translated
        check_screen(page, code, "welcome", problems)  # axe, translations, targets
        page.screenshot(path=str(page_artifact(code, "welcome-branded")))
    assert not problems, "\n".join(problems)
    show(kiosk, page, snapshot("welcome", office=office(brand_color="red; color: red")))
    assert brand_color(page) == ""  # not a colour: ignored
    assert not page.is_visible('[data-test="welcome-text"]')
    show(kiosk, page, snapshot("welcome"))
    assert brand_color(page) == ""
