"""Offline capture on a mobile office kit, store and forward (issue 8), with real processes.

The console runs as its own process on the host side of a veth pair; the terminal daemon
(``bt-terminal run``) inside a network namespace (tests/netns.py), as on a kit with an LTE
stick. The terminal is a mobile kit (``bt-console add-terminal --mobile``, ``profile =
"mobile"``): the console takes kit documents from no other. Staff capture documents through
the kiosk API while the namespace's link is cut; the files on the kit are sealed (no JPEG in
them, and only the console's private kit key, read here from the console's data directory,
opens them). When the link returns every document arrives in the case inbox of the kit's
municipality exactly once and leaves the kit. Then the daemon is killed with SIGKILL twice:
once after the console stored an upload but before the kit heard so (the console's success
answers are dropped by nft), once mid-upload on a throttled link; restarted, it delivers
each document once.
Measured times are printed (``-s``); the caseworker page listing what arrived is screenshot to
test-artifacts/e2e/console-inbox-kit-documents.png.
"""

from __future__ import annotations

import http.cookiejar
import json
import signal
import sqlite3
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from console.kit_keys import load_kit_keys
from protocol.kit_document import EnvelopeError, open_sealed, read_header
from tests.browser import CHROMIUM
from tests.console.helpers import csrf_from
from tests.e2e.harness import (
    PASSWORD,
    Console,
    chromiums,
    login,
    wait_for,
)
from tests.e2e.terminal_process import TerminalProcess, terminal_in_namespace
from tests.netns import Netns, available

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(available() is not None, reason=str(available())),
]

JPEG_MAGIC = b"\xff\xd8\xff"


@dataclass
class Rig:
    ns: Netns
    console: Console
    terminal: TerminalProcess

    @property
    def outbox(self) -> Path:
        return self.terminal.data_dir / "outbox"

    def sealed_files(self) -> list[Path]:
        return sorted(self.outbox.glob("*.btkd"))

    def inbox(self) -> list[tuple[str, str | None, int]]:
        """(document id, terminal id, municipality id) of every case inbox document."""
        with sqlite3.connect(self.console.data_dir / "console.db") as db:
            rows = db.execute("SELECT id, terminal_id, municipality_id FROM documents").fetchall()
        return [(str(a), b, int(c)) for a, b, c in rows]

    def receipts(self) -> list[str]:
        with sqlite3.connect(self.console.data_dir / "console.db") as db:
            rows = db.execute("SELECT kit_document_id FROM kit_receipts").fetchall()
        return sorted(str(r[0]) for r in rows)

    def capture(self) -> str:
        answer = self.terminal.ask("POST", "/api/outbox/capture", {})
        return str(answer["id"])

    def status(self) -> Any:
        return self.terminal.ask("GET", "/api/outbox")

    def kill_terminal(self) -> None:
        proc = self.terminal.proc
        assert proc is not None
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        self.terminal.proc = None


@pytest.fixture(scope="module")
def rig(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Rig]:
    base = tmp_path_factory.mktemp("kit")
    with terminal_in_namespace(base, mobile=True) as (ns, console, terminal):
        yield Rig(ns, console, terminal)


def caseworker_documents(console: Console, username: str) -> list[dict[str, Any]]:
    """The inbox listing as a signed-in caseworker sees it (``GET /api/v1/documents``)."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(console.url + "/login", timeout=10) as page:
        token = csrf_from(page.read().decode())
    form = {"username": username, "password": PASSWORD, "csrf_token": token}
    opener.open(console.url + "/login", data=urllib.parse.urlencode(form).encode(), timeout=10)
    with opener.open(console.url + "/api/v1/documents", timeout=10) as resp:
        return list(json.loads(resp.read())["documents"])


def test_captured_offline_sealed_then_delivered_once(rig: Rig) -> None:
    wait_for(lambda: rig.status()["ready"], 30, 0.2, "the kit has the console's key")
    assert rig.inbox() == []
    rig.ns.cut()
    try:
        taken = [rig.capture() for _ in range(3)]
        assert rig.status()["pending"] == 3
        files = rig.sealed_files()
        assert sorted(p.stem for p in files) == sorted(taken)
        keys = load_kit_keys(None, rig.console.data_dir / "kit_key")
        for path in files:
            data = path.read_bytes()
            assert JPEG_MAGIC not in data, "a JPEG in clear on the kit"
            head = read_header(data)
            assert head.id == path.stem and head.key_id == keys.key_id
            with pytest.raises(EnvelopeError):  # anyone else's key: nothing
                open_sealed(data, {head.key_id: X25519PrivateKey.generate()})
            _, jpeg = keys.open(data)  # the console's private key: the picture
            assert jpeg.startswith(JPEG_MAGIC) and len(jpeg) > 10_000
        assert not list(rig.terminal.data_dir.rglob("kit_key")), "the private key is on the kit"
        time.sleep(3)  # the uploader keeps trying meanwhile; nothing arrives
        assert rig.inbox() == [] and len(rig.sealed_files()) == 3
    finally:
        rig.ns.restore()
    restored = time.monotonic()
    wait_for(lambda: len(rig.inbox()) == 3 and not rig.sealed_files(), 90, 0.2,
             "every document in the inbox and gone from the kit")  # fmt: skip
    took = time.monotonic() - restored
    print(f"\nfigure: 3 documents delivered {took:.1f} s after the link returned")
    assert rig.receipts() == sorted(taken)
    assert len({terminal for _, terminal, _ in rig.inbox()}) == 1
    listed = caseworker_documents(rig.console, "anna")
    assert sorted(d["id"] for d in listed) == sorted(d for d, _, _ in rig.inbox())
    assert all(d["width"] == 1920 and d["height"] == 1080 for d in listed)
    assert caseworker_documents(rig.console, "bert") == []  # the other municipality
    wait_for(lambda: rig.status()["pending"] == 0, 10, 0.2, "the kiosk API shows none pending")
    assert rig.status()["last_upload"]["result"] == "ok"


def test_killed_after_the_console_stored_it_is_not_stored_twice(rig: Rig) -> None:
    before = len(rig.inbox())
    rig.ns.drop_answers(rig.console.port, b"HTTP/1.1 2")  # success answers never arrive
    try:
        document = rig.capture()
        wait_for(lambda: len(rig.inbox()) == before + 1, 30, 0.1, "the console stored it")
        time.sleep(0.5)
        assert [p.stem for p in rig.sealed_files()] == [document]  # the kit does not know yet
        rig.kill_terminal()
    finally:
        rig.ns.restore()
    assert [p.stem for p in rig.sealed_files()] == [document]
    rig.terminal.start()
    wait_for(lambda: not rig.sealed_files(), 60, 0.2, "the kit deleted its copy")
    assert len(rig.inbox()) == before + 1  # acknowledged, not stored again
    assert rig.receipts().count(document) == 1
    wait_for(lambda: rig.status()["last_upload"] is not None, 10, 0.2, "an upload result")
    assert rig.status()["last_upload"]["result"] == "duplicate"


def test_killed_mid_upload_on_a_slow_link_delivers_once_after_restart(rig: Rig) -> None:
    before = len(rig.inbox())
    rig.ns.throttle("64kbit")  # 145 KB sealed: about 20 s
    try:
        document = rig.capture()
        time.sleep(3)
        assert len(rig.inbox()) == before, "the upload finished too fast to be cut"
        rig.kill_terminal()
    finally:
        rig.ns.unthrottle()
    leftovers = [p.name for p in rig.outbox.iterdir() if p.name.endswith(".tmp")]
    assert leftovers == [] and [p.stem for p in rig.sealed_files()] == [document]
    started = time.monotonic()
    rig.terminal.start()
    wait_for(lambda: not rig.sealed_files(), 60, 0.2, "delivered after the restart")
    print(f"\nfigure: delivered {time.monotonic() - started:.1f} s after the restart")
    assert len(rig.inbox()) == before + 1
    assert rig.receipts().count(document) == 1


def test_the_caseworker_page_lists_kit_documents(rig: Rig, artifacts: Path) -> None:
    """Anna's inbox shows what the kit delivered, marked as captured on the road."""
    wait_for(lambda: len(rig.inbox()) >= 3, 30, 0.2, "documents from the earlier tests")
    with chromiums(CHROMIUM) as (browser,):
        page = browser.new_context(viewport={"width": 1280, "height": 800}).new_page()
        login(page, rig.console.url, "anna", PASSWORD)
        page.wait_for_selector("[data-test=inbox-item]")
        items = page.locator("[data-test=inbox-item]")
        assert items.count() == len(rig.inbox())
        assert "Unterwegs mit dem Koffer aufgenommen" in items.first.inner_text()
        assert "1920" in items.first.inner_text()
        page.screenshot(path=artifacts / "console-inbox-kit-documents.png", full_page=True)
