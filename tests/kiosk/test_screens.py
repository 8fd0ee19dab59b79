"""Every screen in every language: screenshots, axe-core (WCAG 2.1 A/AA), no untranslated text.

One page walks 9 screens x 6 languages by changing the scripted snapshots. The
language is chosen with the page's own language button on welcome (where the choice
is also wiped again), as a citizen would. Screenshots go to
test-artifacts/kiosk-screens/<lang>/<screen>.png.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.kiosk.checks import axe_violations, inject_axe, small_targets, untranslated
from tests.kiosk.conftest import ARTIFACTS, show
from tests.kiosk.harness import LANGUAGES, SCREENS, Kiosk, snapshot


def choose_language(page: Any, code: str) -> None:
    """Pick ``code`` in the language dialog, as a citizen would."""
    page.click('[data-test="language"]')
    page.click(f'[data-test="lang-{code}"]')
    page.wait_for_function("code => window.btKiosk.language === code", arg=code)


def check_screen(page: Any, code: str, screen: str, problems: list[str]) -> None:
    """Screenshot and check the screen shown now; collect problems instead of stopping."""
    out = ARTIFACTS / code
    out.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(out / f"{screen}.png"))
    where = f"{code}/{screen}"
    state = page.locator('[data-test="state"]')
    if state.get_attribute("data-screen") != screen:
        problems.append(f"{where}: data-screen is {state.get_attribute('data-screen')}")
    shown = page.eval_on_selector_all(
        "main section", "s => s.filter(x => !x.hidden).map(x => x.dataset.screen)"
    )
    if shown != [screen]:
        problems.append(f"{where}: visible sections {shown}")
    if not page.is_visible('[data-test="language"]'):
        problems.append(f"{where}: no language button")
    problems += [f"{where}: axe {line}" for line in axe_violations(page)]
    problems += [f"{where}: untranslated {text}" for text in untranslated(page, code)]
    problems += [f"{where}: small target {t}" for t in small_targets(page)]


@pytest.mark.parametrize("code", LANGUAGES)
def test_every_screen_in_every_language(page: Any, kiosk: Kiosk, code: str) -> None:
    inject_axe(page) if not page.evaluate("typeof axe !== 'undefined'") else None
    problems: list[str] = []
    if code != "de":
        choose_language(page, code)
    expected = {"de": "de", "ls": "de"}.get(code, code)
    assert page.evaluate("document.documentElement.lang") == expected
    assert page.evaluate("document.documentElement.dataset.language") == code
    for screen in SCREENS:
        if screen != "welcome":
            show(kiosk, page, snapshot(screen))
        check_screen(page, code, screen, problems)
    assert not problems, "\n".join(problems)
    show(kiosk, page, snapshot("welcome"))
    assert page.evaluate("window.btKiosk.language") == "de", "welcome wipes the language"


def test_special_states_pass_axe(page: Any, kiosk: Kiosk) -> None:
    """Dialogs, form errors, high contrast and 200 % text also meet WCAG 2.1 AA."""
    inject_axe(page) if not page.evaluate("typeof axe !== 'undefined'") else None
    problems: list[str] = []
    out = ARTIFACTS / "de"
    out.mkdir(parents=True, exist_ok=True)

    page.click('[data-test="language"]')
    problems += [f"language dialog: {v}" for v in axe_violations(page)]
    page.screenshot(path=str(out / "language-dialog.png"))
    page.keyboard.press("Escape")

    show(kiosk, page, snapshot("closed"))
    page.click('[data-test="callback-send"]')
    assert page.is_visible('[data-test="callback-name-error"]')
    assert page.is_visible('[data-test="callback-phone-error"]')
    problems += [f"form errors: {v}" for v in axe_violations(page)]
    page.screenshot(path=str(out / "closed-errors.png"))

    page.click('[data-test="contrast"]')
    assert page.get_attribute('[data-test="contrast"]', "aria-pressed") == "true"
    for screen in ("closed", "in-call", "welcome"):
        show(kiosk, page, snapshot(screen)) if screen != "closed" else None
        if screen == "welcome":
            page.click('[data-test="contrast"]')
        problems += [f"high contrast {screen}: {v}" for v in axe_violations(page)]
        page.screenshot(path=str(out / f"{screen}-contrast.png"))
    page.click('[data-test="contrast"]')

    for _ in range(2):
        page.click('[data-test="text-size"]')
    assert page.evaluate("document.documentElement.dataset.textSize") == "200"
    problems += [f"200 % text: {v}" for v in axe_violations(page)]
    page.screenshot(path=str(out / "welcome-200.png"))
    show(kiosk, page, snapshot("in-call"))
    page.screenshot(path=str(out / "in-call-200.png"))
    problems += [f"200 % in-call: {v}" for v in axe_violations(page)]
    show(kiosk, page, snapshot("welcome"))
    assert page.evaluate("document.documentElement.dataset.textSize") == "100", (
        "welcome resets size"
    )
    assert not problems, "\n".join(problems)
