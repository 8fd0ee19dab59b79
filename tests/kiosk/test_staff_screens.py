"""The mobile profile's staff screens: sign-in and staff home, in every language.

Screenshots (test-artifacts/kiosk-screens/<lang>/staff-*.png), axe-core, untranslated text
and touch target sizes as for the citizen's screens; then the intents: the keypad types a
code and signs in with it, the password form sends username, password and TOTP, the fields
are empty afterwards, a queue is called, the staff member signs out.
"""

from __future__ import annotations

from typing import Any

import pytest

from appliance.outbox.kit import OutboxError
from tests.kiosk.checks import axe_violations, inject_axe, small_targets, untranslated
from tests.kiosk.conftest import ARTIFACTS, show
from tests.kiosk.harness import LANGUAGES, Kiosk, snapshot
from tests.kiosk.test_screens import choose_language

QUEUES = [
    {"queue_id": 4, "name": "Wohngeld", "office": "Rathaus Musterstadt"},
    {"queue_id": 7, "name": "Rentenberatung", "office": "Landratsamt"},
]


def staff_snapshot(screen: str, **staff: Any) -> dict[str, Any]:
    """A snapshot of the mobile profile's ``staff-signin`` or ``staff-home``."""
    snap = snapshot("welcome")
    base: dict[str, Any] = {
        "name": None, "role": None, "expires_at": None, "queues": [], "pending": False,
        "error": None, "retry_after_s": None, "card": None, "printer": None,
    }  # fmt: skip
    if screen == "staff-home":
        base.update(name="Anna Außendienst", role="caseworker", expires_at=1764600000.0,
                    queues=QUEUES, card="egk", printer="ok")  # fmt: skip
    base.update(staff)
    snap.update(screen=screen, profile="mobile", staff=base)
    return snap


def visible_sections(page: Any) -> list[str]:
    return page.eval_on_selector_all(  # type: ignore[no-any-return]
        "main section", "s => s.filter(x => !x.hidden).map(x => x.dataset.screen)"
    )


@pytest.mark.parametrize("code", LANGUAGES)
def test_staff_screens_in_every_language(page: Any, kiosk: Kiosk, code: str) -> None:
    inject_axe(page) if not page.evaluate("typeof axe !== 'undefined'") else None
    if code != "de":
        choose_language(page, code)
    out = ARTIFACTS / code
    out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    for screen, extra in (
        ("staff-signin", {}),
        ("staff-signin-error", {"error": "throttled", "retry_after_s": 120}),
        ("staff-home", {}),
    ):
        name = screen.removesuffix("-error")
        show(kiosk, page, staff_snapshot(name, **extra))
        page.screenshot(path=str(out / f"{screen}.png"))
        if visible_sections(page) != [name]:
            problems.append(f"{code}/{screen}: visible sections {visible_sections(page)}")
        problems += [f"{code}/{screen}: axe {line}" for line in axe_violations(page)]
        problems += [f"{code}/{screen}: untranslated {t}" for t in untranslated(page, code)]
        problems += [f"{code}/{screen}: small target {t}" for t in small_targets(page)]
    assert not problems, "\n".join(problems)
    show(kiosk, page, snapshot("welcome"))


def test_sign_in_with_the_keypad_and_with_a_password(page: Any, kiosk: Kiosk) -> None:
    show(kiosk, page, staff_snapshot("staff-signin"))
    assert page.is_visible('[data-test="staff-code-form"]')
    assert not page.is_visible('[data-test="staff-password-form"]')
    for digit in "12345678":
        page.click(f'[data-test="key-{digit}"]')
    page.click('[data-test="key-9"]')  # a ninth digit is not taken
    assert page.input_value('[data-test="staff-code"]') == "12345678"
    page.click('[data-test="key-delete"]')
    page.click('[data-test="key-8"]')
    page.click('[data-test="staff-code-signin"]')
    assert kiosk.wait_posted("/api/staff/signin") == {"code": "12345678"}
    assert page.input_value('[data-test="staff-code"]') == ""

    kiosk.clear()
    page.click('[data-test="staff-way-password"]')
    assert page.is_visible('[data-test="staff-password-form"]')
    page.fill('[data-test="staff-username"]', " anna ")
    page.fill('[data-test="staff-password"]', "geheim-123")
    page.fill('[data-test="staff-totp"]', "123 456")
    page.click('[data-test="staff-password-signin"]')
    body = kiosk.wait_posted("/api/staff/signin")
    assert body == {"username": "anna", "password": "geheim-123", "totp": "123456"}
    assert page.input_value('[data-test="staff-password"]') == ""
    assert page.input_value('[data-test="staff-totp"]') == ""

    show(kiosk, page, staff_snapshot("staff-signin", pending=True))
    assert page.is_visible('[data-test="staff-pending"]')
    show(kiosk, page, staff_snapshot("staff-signin", error="second_factor"))
    assert page.is_visible('[data-test="staff-password-form"]')
    assert "Authenticator" in page.inner_text('[data-test="staff-error"]')


def test_staff_home_calls_a_queue_and_signs_out(page: Any, kiosk: Kiosk) -> None:
    show(kiosk, page, staff_snapshot("staff-home"))
    assert page.inner_text('[data-test="staff-name"]') == "Angemeldet: Anna Außendienst"
    buttons = page.locator('[data-test="staff-queue"]')
    assert buttons.count() == 2
    assert "Landratsamt" in buttons.nth(1).inner_text()
    assert page.inner_text('[data-test="staff-card"]') == "Gesundheitskarte (eGK)"
    assert page.inner_text('[data-test="staff-printer"]') == "Drucker bereit"
    assert not page.is_visible('[data-test="staff-offline"]')
    buttons.nth(1).click()
    assert kiosk.wait_posted("/api/staff/call") == {"queue_id": 7}
    show(kiosk, page, staff_snapshot("staff-home", card=None, printer="missing", queues=[]))
    assert page.inner_text('[data-test="staff-card"]') == "Keine Karte im Lesegerät."
    assert page.is_visible('[data-test="staff-no-queues"]')
    page.click('[data-test="staff-signout"]')
    assert kiosk.wait_posted("/api/staff/signout") == {}


def test_the_link_check_shows_on_the_welcome_and_on_the_staff_home(page: Any, kiosk: Kiosk) -> None:
    """Before a call the link to the console is shown: to whoever set a terminal up on its
    welcome screen, and to the staff on a kit's home; never while the link is down."""
    link = {"verdict": "poor", "rtt_ms": 420, "loss_pct": 6.0, "samples": 10}
    show(kiosk, page, snapshot("welcome", link=link))
    assert page.is_visible('[data-screen="welcome"] [data-test="link-quality"]')
    show(kiosk, page, staff_snapshot("staff-home") | {"link": link})
    indicator = page.locator('[data-screen="staff-home"] [data-test="link-quality"]')
    assert indicator.is_visible() and indicator.get_attribute("data-verdict") == "poor"
    assert "420" in indicator.inner_text()
    offline = staff_snapshot("staff-home") | {"link": link, "state": "offline"}
    show(kiosk, page, offline)
    assert not indicator.is_visible()
    show(kiosk, page, snapshot("welcome"))


def test_capture_a_document_with_and_without_a_link(page: Any, kiosk: Kiosk) -> None:
    """The capture tile takes a document through the kiosk's real outbox routes, shows how
    many wait to be sent and why a capture failed; without a link the staff home stays,
    calls greyed out, and capturing still works."""
    kiosk.outbox.pending = 0
    show(kiosk, page, staff_snapshot("staff-home"))
    page.wait_for_selector('[data-test="staff-capture-tile"]', state="visible", timeout=5_000)
    assert page.inner_text('[data-test="staff-outbox"]') == "Alle Dokumente sind gesendet."

    snap = staff_snapshot("staff-home")
    snap.update(state="offline", reason="console_unreachable")
    show(kiosk, page, snap)
    assert visible_sections(page) == ["staff-home"]
    assert page.is_visible('[data-test="staff-offline"]')
    queues = page.locator('[data-test="staff-queue"]')
    assert all(queues.nth(i).is_disabled() for i in range(queues.count()))

    kiosk.outbox.delay_s = 0.5
    page.click('[data-test="staff-capture"]')
    page.wait_for_selector('[data-test="staff-capture"][aria-busy="true"]', timeout=2_000)
    page.click('[data-test="staff-capture"]', force=True)  # a second tap while busy: ignored
    page.wait_for_function(
        "document.querySelector('[data-test=staff-capture-result]').dataset.state === 'ok'"
    )
    kiosk.outbox.delay_s = 0.0
    assert kiosk.outbox.captures == 1
    assert page.inner_text('[data-test="staff-outbox"]') == "Noch nicht gesendet: 1"
    assert page.is_enabled('[data-test="staff-capture"]')
    page.screenshot(path=str(ARTIFACTS / "de" / "staff-home-offline.png"), full_page=True)

    kiosk.outbox.failures.append(OutboxError("camera_failed", "no frame", 503))
    page.click('[data-test="staff-capture"]')
    page.wait_for_function(
        "document.querySelector('[data-test=staff-capture-result]').dataset.state === 'error'"
    )
    assert "Kamera" in page.inner_text('[data-test="staff-capture-result"]')
    assert kiosk.outbox.captures == 1

    kiosk.outbox.pending = 0  # the link came back and the kit sent it
    show(kiosk, page, staff_snapshot("staff-home"))
    assert not page.is_visible('[data-test="staff-offline"]')
    assert queues.nth(0).is_enabled()
    page.wait_for_function(
        "document.querySelector('[data-test=staff-outbox]').dataset.pending === '0'",
        timeout=8_000,
    )
    page.screenshot(path=str(ARTIFACTS / "de" / "staff-home-captured.png"), full_page=True)
    show(kiosk, page, snapshot("welcome"))


def test_the_idle_sign_out_is_announced(page: Any, kiosk: Kiosk) -> None:
    """Shortly before the kit signs out an untouched staff home, the page asks, and a tap
    on "I am still here" tells the daemon (which restarts its idle sign-out)."""
    snap = staff_snapshot("staff-home")
    snap["idle_timeout_s"] = 3
    show(kiosk, page, snap)
    kiosk.clear()
    page.wait_for_selector('[data-test="idle-warning"]', state="visible", timeout=5_000)
    page.click('[data-test="still-here"]')
    kiosk.wait_posted("/api/activity")
    assert not page.is_visible('[data-test="idle-warning"]')
