"""Two caseworkers of one municipality, a terminal and its kiosk, for the desk flows.

The flows of issue 5 (routing, transfer, wrap-up, callback, chat) need two caseworkers of
Adorf in two browser contexts and queues set up in a particular way. Queue settings are
written into the console's SQLite database while the console is stopped, because the hub
reads its routing directory at start; ``reconfigure`` stops, rewrites and starts again.
The caseworker page is driven and read only through its ``data-test`` hooks; the console
page's CSP forbids Playwright's wait_for_function, so waits poll from Python.
"""

from __future__ import annotations

import contextlib
import functools
import json
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.e2e.harness import (
    PASSWORD,
    Console,
    chromium,
    enroll_terminal,
    frames_decoded,
    login,
    running_terminal,
    seed_console,
    wait_for,
)

CAMERA_PC = "window.btConsole.pcs.camera"
KIOSK_PC = "window.btKiosk.pc"
QUEUE = "Bürgerservice"
"""The queue every new municipality gets (console/store/repository.py)."""
POST_JS = """async ([path, body]) => {
  const r = await fetch(path, {method: 'POST', headers: {'Content-Type': 'application/json'},
                               body: JSON.stringify(body)});
  return r.status;
}"""


def set_queue(console: Console, name: str = QUEUE, **settings: Any) -> None:
    """Change a queue of Adorf (routing, wrap_up_s, ring_s, answer_limit_s) in the database."""
    allowed = {"routing", "wrap_up_s", "ring_s", "answer_limit_s", "position"}
    assert set(settings) <= allowed, settings
    with contextlib.closing(sqlite3.connect(console.data_dir / "console.db")) as db, db:
        for column, value in settings.items():
            db.execute(
                f"UPDATE queues SET {column} = ? WHERE name = ? AND municipality_id ="
                " (SELECT id FROM municipalities WHERE name = 'Adorf')",
                (value, name),
            )


def add_office_with_queue(console: Console, office: str, queue: str, **settings: Any) -> None:
    """A second office of Adorf with one queue (no terminal there, so the kiosk of the
    first office keeps its single service and asks the citizen nothing extra)."""
    values = {"routing": "longest_idle", "wrap_up_s": 1, "ring_s": 20, "answer_limit_s": 600}
    values.update(settings)
    with contextlib.closing(sqlite3.connect(console.data_dir / "console.db")) as db, db:
        (muni,) = db.execute("SELECT id FROM municipalities WHERE name = 'Adorf'").fetchone()
        cur = db.execute(
            "INSERT INTO offices (municipality_id, name, timezone) VALUES (?, ?, 'Europe/Berlin')",
            (muni, office),
        )
        db.execute(
            "INSERT INTO queues (office_id, municipality_id, name, routing, wrap_up_s, ring_s,"
            " answer_limit_s, position) VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
            (cur.lastrowid, muni, queue, values["routing"], values["wrap_up_s"], values["ring_s"],
             values["answer_limit_s"]),
        )  # fmt: skip


@dataclass
class Desk:
    """A running console, the terminal daemon and three pages: anna, carl and the kiosk."""

    console: Console
    terminal: Any
    anna: Any
    carl: Any
    kiosk: Any
    artifacts: Path
    shots: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Uncaught exceptions in the caseworker pages; none may be left at the end."""

    def reconfigure(self, **settings: Any) -> None:
        """Stop the console, change the queue, start it; wait until everyone is back."""
        self.console.stop()
        set_queue(self.console, **settings)
        self.console.start()
        wait_for(lambda: self.terminal.coordinator.state == "idle", 15, what="terminal back")
        for page in (self.anna, self.carl):
            page.wait_for_selector('[data-test=link-state][data-state="online"]', timeout=15_000)
            wait_for(functools.partial(presence, page), 10, what="presence after reconnect")

    def shot(self, page: Any, name: str) -> None:
        """A 1280x800 screenshot into test-artifacts/e2e/."""
        page.screenshot(path=self.artifacts / f"{name}.png")
        self.shots.append(name)


@contextlib.contextmanager
def desk(
    base: Path, artifacts: Path, other_office: tuple[str, str] | None = None, **queue: Any
) -> Iterator[Desk]:
    """Adorf with anna (Frau A), carl (Herr C, supervisor) and one terminal; Bedorf with bert.

    ``queue`` changes the Bürgerservice queue and ``other_office`` (office, queue) adds a
    second office of Adorf, both before the console starts.
    """
    console = Console(base / "console", heartbeat_s=2.0)
    code = seed_console(console)
    console.cli("add-caseworker", "--municipality", "Adorf", "--display-name", "Herr C",
                "--role", "supervisor", "carl", password=PASSWORD)  # fmt: skip
    if queue:
        set_queue(console, **queue)
    if other_office:
        add_office_with_queue(console, *other_office)
    console.start()
    try:
        enroll_terminal(console, code, base / "terminal")
        with running_terminal(console, base / "terminal") as terminal, chromium() as browser:
            pages = []
            errors: list[str] = []
            for username in ("anna", "carl"):
                context = browser.new_context(viewport={"width": 1280, "height": 800})
                page = context.new_page()
                page.on("pageerror", lambda error, who=username: errors.append(f"{who}: {error}"))
                login(page, console.url, username, PASSWORD)
                page.wait_for_selector('[data-test=link-state][data-state="online"]')
                pages.append(page)
            kiosk = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
            kiosk.goto(f"http://127.0.0.1:{terminal.kiosk_port}/")
            wait_for(lambda: terminal.coordinator.state == "idle", 10, what="terminal idle")
            kiosk.wait_for_selector('[data-test=state][data-state="idle"]')
            yield Desk(console, terminal, pages[0], pages[1], kiosk, artifacts, errors=errors)
            assert errors == [], "uncaught errors in the caseworker pages"
    finally:
        console.stop()


# --- the caseworker page -------------------------------------------------------------------


def presence(page: Any) -> str:
    """The presence the console last sent to this page ('' before any)."""
    if page.locator("[data-test=desk]").is_hidden():
        return ""
    return str(page.get_attribute("[data-test=presence]", "data-state") or "")


def make(page: Any, state: str) -> None:
    """Bring the caseworker to ``available`` or ``break`` with the page's own buttons."""
    wait_for(lambda: presence(page), 10, what="presence from the console")
    current = presence(page)
    if current == state:
        return
    if current == "wrap_up" and state == "available":
        page.click("[data-test=wrap-up-ready]")
    else:
        page.click(f"[data-test=presence-{state}]")
    wait_for(lambda: presence(page) == state, 5, what=f"presence {state}")


def offers(page: Any) -> list[str]:
    """Call ids of the ringing offer cards on the page."""
    found = page.eval_on_selector_all("[data-test=offer]", "els => els.map(e => e.dataset.callId)")
    return [str(call_id) for call_id in found]


def no_offer_for(page: Any, seconds: float) -> None:
    """Assert that no offer card shows up on ``page`` for ``seconds``."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        assert not offers(page), "an offer arrived that should not have"
        time.sleep(0.1)


def call_state(page: Any) -> str:
    return str(page.get_attribute("[data-test=call-state]", "data-state"))


def media_flows(page: Any, kiosk: Any) -> None:
    """Frames are decoded on the caseworker's camera leg and on the kiosk's screen leg."""
    wait_for(lambda: frames_decoded(page, CAMERA_PC) > 0, 15, what="caseworker decodes frames")
    wait_for(lambda: frames_decoded(kiosk, KIOSK_PC) > 0, 15, what="kiosk decodes frames")
    seen = (frames_decoded(page, CAMERA_PC), frames_decoded(kiosk, KIOSK_PC))
    time.sleep(0.8)
    assert frames_decoded(page, CAMERA_PC) > seen[0], "caseworker stopped decoding"
    assert frames_decoded(kiosk, KIOSK_PC) > seen[1], "kiosk stopped decoding"


# --- the citizen ---------------------------------------------------------------------------


def request_call(d: Desk, language: str = "de") -> None:
    """The citizen presses call and continues on the kiosk page; wait until queued."""
    assert d.kiosk.evaluate(POST_JS, ["/api/call", {}]) == 202
    wait_for(lambda: d.terminal.coordinator.view.shown == "info", 5, what="info screen")
    assert d.kiosk.evaluate(POST_JS, ["/api/continue", {"language": language}]) == 202
    wait_for(lambda: d.terminal.coordinator.state == "queued", 5, what="call queued")


def kiosk_text(d: Desk) -> str:
    """Everything the kiosk shows and its daemon's snapshot, for 'is X mentioned' checks."""
    return str(d.kiosk.inner_text("[data-test=state]")) + json.dumps(
        d.terminal.bridge.snapshot(), ensure_ascii=False, default=str
    )


def hang_up(d: Desk, page: Any) -> None:
    """The caseworker hangs up; wait until page and terminal are idle again."""
    page.click("[data-test=hangup]")
    wait_for(lambda: call_state(page) == "idle", 10, what="page idle")
    wait_for(lambda: d.terminal.coordinator.state == "idle", 15, what="terminal idle")
    d.kiosk.wait_for_selector('[data-test=state][data-state="idle"]', timeout=15_000)
