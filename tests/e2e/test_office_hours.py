"""Services and holidays end to end: console process, terminal daemon, kiosk page in Chromium.

The office of Adorf offers two services: the citizen picks one on the kiosk's info screen
and the console queues the call there (the waiting screen names it). An admin then enters
today as a holiday through the admin API: the terminal shows "closed" with the holiday
and the next opening, in German and in Arabic, and the console refuses a call request.
Screenshots: test-artifacts/e2e/office-*.png.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import urllib.request
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from console.store import Database
from console.store.tokens import TokenStore
from tests.e2e.harness import (
    PASSWORD,
    Console,
    enroll_terminal,
    running_terminal,
    seed_console,
    wait_for,
)

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Console, Path, str]]:
    """Adorf with a second service, an admin's API token, an enrolled terminal."""
    base = tmp_path_factory.mktemp("office")
    console = Console(base / "console", heartbeat_s=2.0)
    code = seed_console(console)
    console.cli("add-caseworker", "--municipality", "Adorf", "--role", "admin", "chef",
                password=PASSWORD)  # fmt: skip
    db_path = console.data_dir / "console.db"
    with sqlite3.connect(db_path) as db:
        office_id, muni = db.execute(
            "SELECT o.id, o.municipality_id FROM offices o JOIN municipalities m"
            " ON m.id = o.municipality_id WHERE m.name = 'Adorf'"
        ).fetchone()
        db.execute(
            "INSERT INTO queues (office_id, municipality_id, name, routing, wrap_up_s, ring_s,"
            " answer_limit_s, position) VALUES (?, ?, 'Standesamt', 'longest_idle', 60, 20,"
            " 600, 1)",
            (office_id, muni),
        )
        chef = db.execute("SELECT id FROM caseworkers WHERE username = 'chef'").fetchone()[0]

    async def token() -> str:
        database = Database.open(f"sqlite+aiosqlite:///{db_path}")
        try:
            _, value = await TokenStore(database).create(chef, "e2e", datetime.now(UTC), None)
        finally:
            await database.close()
        return value

    bearer = asyncio.run(token())
    console.start()
    enroll_terminal(console, code, base / "terminal")
    try:
        yield console, base / "terminal", bearer
    finally:
        console.stop()


def api(console: Console, token: str, method: str, path: str, body: Any = None) -> Any:
    """One admin API request; the parsed answer."""
    request = urllib.request.Request(
        console.url + path,
        method=method,
        data=None if body is None else json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=5) as resp:
        text = resp.read()
    return json.loads(text) if text else None


def test_service_choice_and_a_holiday_on_the_kiosk(
    world: tuple[Console, Path, str], browser: Any, artifacts: Path
) -> None:
    console, credential_dir, token = world
    with running_terminal(console, credential_dir) as terminal:
        kiosk = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        kiosk.goto(f"http://127.0.0.1:{terminal.kiosk_port}/")
        wait_for(lambda: terminal.coordinator.state == "idle", 10, what="terminal idle")
        office = wait_for(lambda: terminal.coordinator.view.office, 10, what="office status")
        assert [s.name for s in office.services] == ["Bürgerservice", "Standesamt"]
        kiosk.click('[data-test="call"]')
        kiosk.wait_for_selector('[data-test="services"] button')
        assert not kiosk.is_visible('[data-test="continue"]')
        kiosk.screenshot(path=str(artifacts / "office-services-de.png"))
        standesamt = office.services[1].queue_id
        kiosk.click(f'[data-test="service-{standesamt}"]')
        wait_for(lambda: terminal.coordinator.view.queue == "Standesamt", 10, what="queued")
        kiosk.wait_for_selector('[data-test="queue-name"]:has-text("Standesamt")')
        kiosk.screenshot(path=str(artifacts / "office-waiting-de.png"))
        kiosk.click('[data-test="hangup"]')  # cancel
        wait_for(lambda: terminal.coordinator.state == "idle", 10, what="idle again")

        office_id = api(console, token, "GET", "/api/v1/offices/1/hours")["office_id"]
        today = datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()
        api(console, token, "POST", f"/api/v1/offices/{office_id}/exceptions",
            {"day": today, "note": "Betriebsausflug"})  # fmt: skip
        wait_for(lambda: not terminal.coordinator.view.office.open, 10, what="closed")
        assert terminal.coordinator.view.office.exceptions[0].day == today
        kiosk.click('[data-test="call"]')
        kiosk.wait_for_selector('[data-test="closed-exceptions"] li')
        text = kiosk.inner_text('section[data-screen="closed"]')
        assert "Betriebsausflug" in text and "geschlossen" in text
        assert "Wieder geöffnet" in text  # the next opening: tomorrow at midnight
        kiosk.screenshot(path=str(artifacts / "office-closed-de.png"))
        kiosk.click('[data-test="language"]')
        kiosk.click('[data-test="lang-ar"]')
        kiosk.wait_for_function("window.btKiosk.language === 'ar'")
        assert "مغلق" in kiosk.inner_text('[data-test="closed-exceptions"]')
        kiosk.screenshot(path=str(artifacts / "office-closed-ar.png"))
        kiosk.close()
