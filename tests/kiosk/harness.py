"""The real kiosk Flask app with a scripted bridge: the test decides every snapshot.

The page is driven exactly as the daemon drives it (Server-Sent Events from
``create_kiosk_app``), but the snapshots come from :func:`snapshot` per
docs/kiosk-api.md instead of the coordinator, so these tests do not depend on the
daemon's flow. Every POST the page makes is recorded (path and JSON body) and accepted
(202) by the script, whether or not the daemon implements that intent yet; the kit's
outbox routes alone answer for real, from a :class:`ScriptedOutbox`.
"""

from __future__ import annotations

import copy
import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from flask import Flask, request

from appliance.kiosk import KioskBridge, KioskServer, create_kiosk_app
from appliance.outbox.kit import OutboxError

LANGUAGES = ["de", "en", "uk", "ar", "tr", "ls"]
SCREENS = ["welcome", "info", "closed", "waiting", "no-answer", "in-call", "thanks",
           "callback-sent", "offline"]  # fmt: skip
STATE_OF = {"welcome": "idle", "info": "idle", "closed": "idle", "callback-sent": "idle",
            "waiting": "queued", "no-answer": "queued", "in-call": "in-call",
            "thanks": "ended", "offline": "offline"}  # fmt: skip
PHOTO_URL = "/api/photo?n=1"
HOURS = [
    {"weekday": d, "opens": o, "closes": c}
    for d in (1, 2, 3, 4, 5)
    for o, c in (("08:00", "12:00"), ("13:00", "16:00"))
    if not (d == 5 and o == "13:00")
] + [{"weekday": 4, "opens": "16:00", "closes": "18:00"}]

EXCEPTIONS = [
    {"day": "2025-12-24", "opens": None, "closes": None, "note": "Heiligabend"},
    {"day": "2025-12-29", "opens": "09:00", "closes": "12:00", "note": ""},
    {"day": "2025-12-29", "opens": "13:00", "closes": "15:00", "note": ""},
]
"""Holidays and special hours of the next weeks (OfficeStatus.exceptions)."""
SERVICES = [
    {"queue_id": 1, "name": "Bürgerservice"},
    {"queue_id": 2, "name": "Soziales und Wohngeld"},
    {"queue_id": 3, "name": "Standesamt"},
]
"""An office with three services: the info screen offers the choice."""


def snapshot(screen: str, **changes: Any) -> dict[str, Any]:
    """A full snapshot of ``screen`` as docs/kiosk-api.md describes it, with changes applied."""
    closed = screen == "closed"
    snap: dict[str, Any] = {
        "state": STATE_OF[screen], "screen": screen,
        "caseworker": "Frau Schmidt" if screen == "in-call" else None,
        "position": 2 if screen in ("waiting", "no-answer") else None,
        "estimated_wait_s": 180 if screen in ("waiting", "no-answer") else None,
        "reason": None,
        "office": {
            "open": not closed, "timezone": "Europe/Berlin", "hours": HOURS,
            "next_open": 1764572400.0 if closed else None,  # Mon 1 Dec 2025, 08:00 in Berlin
            "available": 0 if closed else 1, "waiting": 0 if closed else 2,
            "estimated_wait_s": None if closed else 120,
            "office": "Rathaus Musterstadt",
            "services": [{"queue_id": 1, "name": "Bürgerservice"}],
            "exceptions": EXCEPTIONS,
            "brand_color": None, "welcome_text": None,
        },
        "contact": {"phone": "03591 123-0", "address": "Markt 1, 02625 Musterstadt"},
        "chat": [], "photo": None, "print": None, "callback": None, "handset": False,
        "idle_timeout_s": 90, "queue": None, "transfer": None,
    }  # fmt: skip
    if screen == "in-call":
        snap["chat"] = [
            {"sender": "caseworker", "text": "Guten Tag, wie kann ich helfen?", "at": 1.0},
            {"sender": "citizen", "text": "Ich brauche einen Ausweis.", "at": 2.0},
        ]
        snap["photo"] = {"url": PHOTO_URL, "width": 640, "height": 480}
        snap["print"] = {"status": "printing", "message": ""}
    snap.update(changes)
    return snap


class ScriptedBridge(KioskBridge):
    """A KioskBridge whose snapshots the test publishes; intents posted go nowhere."""

    def __init__(self) -> None:
        super().__init__(post=lambda event: None, parts=dict)
        self.running = True
        self._scripted = snapshot("welcome")
        self._seq = 0

    def publish(self, snap: dict[str, Any]) -> int:
        """Show ``snap`` on every connected page; returns its ``test_seq`` (the page ignores it)."""
        with self._lock:
            self._seq += 1
            self._scripted = {**copy.deepcopy(snap), "test_seq": self._seq}
        self._broadcast("state", self.snapshot())
        return self._seq

    def snapshot(self) -> dict[str, Any]:
        """The scripted snapshot plus the boot id."""
        with self._lock:
            return {**copy.deepcopy(self._scripted), "boot": self.boot}

    def send_notice(self, text: str) -> None:
        """Show a daemon notice on the pages."""
        self._broadcast("notice", {"text": text})


class ScriptedOutbox:
    """The kit's outbox as the kiosk routes see it: a pending count and the next captures'
    results (an :class:`OutboxError` to raise, or None for a document taken)."""

    def __init__(self) -> None:
        self.pending = 0
        self.failures: list[OutboxError | None] = []
        self.captures = 0
        self.delay_s = 0.0

    def status(self) -> dict[str, Any]:
        return {"pending": self.pending, "oldest_age_s": None, "last_upload": None,
                "uploaded": 0, "expired": 0, "rejected": 0, "ready": True}  # fmt: skip

    def capture_threadsafe(self, timeout_s: float = 20.0) -> dict[str, Any]:
        time.sleep(self.delay_s)
        failure = self.failures.pop(0) if self.failures else None
        if failure is not None:
            raise failure
        self.captures += 1
        self.pending += 1
        return {"id": f"doc-{self.captures}", "pending": self.pending}


@dataclass
class Kiosk:
    """A running kiosk server with its scripted bridge and the intents the page posted."""

    bridge: ScriptedBridge
    app: Flask
    server: KioskServer
    outbox: ScriptedOutbox
    intents: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        """The page's address."""
        return f"http://127.0.0.1:{self.server.port}/"

    def posted(self, path: str) -> list[dict[str, Any]]:
        """The bodies posted to ``path`` so far."""
        with self.lock:
            return [body for p, body in self.intents if p == path]

    def clear(self) -> None:
        """Forget the recorded intents."""
        with self.lock:
            self.intents.clear()

    def wait_posted(self, path: str, within: float = 5.0) -> dict[str, Any]:
        """The first body posted to ``path``, waiting up to ``within`` seconds."""
        return wait_for(lambda: self.posted(path), within, f"POST {path}")[0]  # type: ignore[no-any-return]


def start_kiosk() -> Kiosk:
    """Build the real kiosk app around a scripted bridge and serve it on a free port."""
    bridge = ScriptedBridge()
    outbox = ScriptedOutbox()
    app = create_kiosk_app(bridge, outbox)
    kiosk = Kiosk(bridge, app, KioskServer(app, 0), outbox)

    @app.before_request
    def record() -> tuple[dict[str, bool], int] | None:
        if request.method == "POST":
            try:
                body = json.loads(request.get_data(cache=True) or b"{}")
            except ValueError:
                body = {"_invalid": True}
            with kiosk.lock:
                kiosk.intents.append((request.path, body))
            if not request.path.startswith(("/api/rtc/", "/api/outbox/")):
                return {"accepted": True}, 202  # the script, not a coordinator, takes intents
        return None

    kiosk.server.start()
    return kiosk


def wait_for(probe: Callable[[], Any], within: float, what: str) -> Any:
    """Poll ``probe`` until it returns something truthy; fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {within} s waiting for {what}")
        time.sleep(0.02)


def photo_jpeg(width: int = 640, height: int = 480) -> bytes:
    """A real JPEG of a grey "document" with dark text lines (FFmpeg's MJPEG encoder)."""
    import av
    import numpy as np

    pixels = np.full((height, width, 3), 235, dtype=np.uint8)
    for y in range(60, height - 60, 40):
        pixels[y : y + 12, 60 : width - 60 - (y % 120)] = 40
    codec = av.CodecContext.create("mjpeg", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuvj420p"
    codec.time_base = Fraction(1, 25)
    frame = av.VideoFrame.from_ndarray(pixels, format="rgb24").reformat(format="yuvj420p")
    return bytes([*codec.encode(frame), *codec.encode(None)][0])
