"""The thread-safe bridge between the coordinator (asyncio) and the kiosk web server (threads).

The Flask app runs in werkzeug's threaded server, the coordinator in the event loop.
Intents from the page (call, hang up, screen offer, stats) cross into the loop through
``post`` (the coordinator's ``post_threadsafe``); state and screen-leg signaling cross
out through one ``queue.Queue`` per connected page, which the page reads as
Server-Sent Events. The bridge never decides anything: it implements the
coordinator's :class:`appliance.ports.Screen` and relays.
"""

from __future__ import annotations

import logging
import queue
import threading
import uuid
from collections.abc import Callable
from typing import Any, Literal, get_args

from appliance.events import (
    Activity,
    CallbackRequested,
    CallPressed,
    ChatTyped,
    ContinuePressed,
    Event,
    HangupPressed,
    KeepWaiting,
    ResetPressed,
    ScreenOffer,
    ScreenStats,
)
from appliance.kiosk.snapshot import snapshot_of
from appliance.ports import View
from appliance.selfview import SelfViewStream
from protocol.messages import CardType, IceServer

log = logging.getLogger(__name__)

HEALTHY = ("ok", *get_args(CardType))
"""Healthy part values: ``ok``, or the card reader naming the card in it."""

SseItem = tuple[str, dict[str, Any]] | None
"""(event name, data) for a page; None tells its stream to end."""


class KioskBridge:
    """Relays between the coordinator and the kiosk pages; see the module docstring."""

    def __init__(
        self,
        *,
        post: Callable[[Event], None],
        parts: Callable[[], dict[str, str]],
        details: Callable[[], dict[str, Any]] = dict,
        self_view: SelfViewStream | None = None,
    ) -> None:
        self._post = post
        self.self_view = self_view
        self._parts = parts
        self._details = details  # measurements beside the parts (the audio self-test)
        self._lock = threading.Lock()
        self._pages: list[queue.Queue[SseItem]] = []
        self._view = View("offline", reason="starting")
        self._snapshot: dict[str, Any] = snapshot_of(self._view)
        self.boot = uuid.uuid4().hex  # a new daemon means the page reloads itself
        self.running = False

    # --- coordinator side (event loop thread) ---------------------------------------

    def show(self, view: View) -> None:
        """Publish a new state snapshot to every page."""
        snapshot = snapshot_of(view)
        with self._lock:
            self._view = view
            self._snapshot = snapshot
        self._broadcast("state", self.snapshot())

    def request_screen_offer(
        self, ice_servers: list[IceServer], policy: Literal["all", "relay"] = "all"
    ) -> bool:
        """Ask the newest page for a receive-only offer; False if no page is connected."""
        servers = [
            {k: v for k, v in (("urls", s.urls), ("username", s.username),
                               ("credential", s.credential)) if v is not None}
            for s in ice_servers
        ]  # fmt: skip
        with self._lock:
            page = self._pages[-1] if self._pages else None
        if page is None:
            return False
        page.put(("screen-offer", {"ice_servers": servers, "ice_transport_policy": policy}))
        return True

    def deliver_screen_answer(self, sdp: str) -> None:
        """Send the console's answer for the screen leg to the pages."""
        self._broadcast("screen-answer", {"sdp": sdp})

    def close_screen(self) -> None:
        """Tell the pages to close the screen leg."""
        self._broadcast("screen-close", {})

    def notice(self, text: str) -> None:
        """Show a short notice on the pages for a few seconds ("Foto gesendet")."""
        self._broadcast("notice", {"text": text})

    def close(self) -> None:
        """End every page's event stream (daemon stopping)."""
        self.running = False
        if self.self_view is not None:
            self.self_view.close()
        with self._lock:
            pages = list(self._pages)
        for page in pages:
            page.put(None)

    # --- web side (werkzeug threads) ------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        """The current state snapshot plus the boot id."""
        with self._lock:
            return {**self._snapshot, "boot": self.boot}

    def photo(self) -> bytes | None:
        """The JPEG of the current call's last document photo, if any."""
        with self._lock:
            photo = self._view.photo
        return None if photo is None else photo.jpeg

    def health(self) -> dict[str, Any]:
        """The /healthz document: overall status, state and each part's health."""
        parts = dict(self._parts())
        state = self.snapshot()["state"]
        if not self.running:
            status = "down"
        elif all(value in HEALTHY for value in parts.values()):
            status = "ok"
        else:
            status = "degraded"
        return {"status": status, "state": state, "parts": parts, **self._details()}

    @property
    def pages(self) -> int:
        """How many kiosk pages are listening."""
        with self._lock:
            return len(self._pages)

    def subscribe(self) -> queue.Queue[SseItem]:
        """Register a page's event stream."""
        page: queue.Queue[SseItem] = queue.Queue()
        with self._lock:
            self._pages.append(page)
        return page

    def unsubscribe(self, page: queue.Queue[SseItem]) -> None:
        """Forget a page whose stream ended."""
        with self._lock:
            if page in self._pages:
                self._pages.remove(page)

    def call(self) -> None:
        """The touch button was pressed."""
        self._post(CallPressed(source="kiosk"))

    def hangup(self) -> None:
        """The page's hang-up (or cancel) button was pressed."""
        self._post(HangupPressed(source="kiosk"))

    def continue_call(self, language: str | None, queue_id: int | None = None) -> None:
        """The citizen continues from the info screen (with the service they chose)."""
        self._post(ContinuePressed(language=language, queue_id=queue_id))

    def keep_waiting(self) -> None:
        """The citizen keeps waiting on ``no-answer``."""
        self._post(KeepWaiting())

    def callback(self, name: str, phone: str, language: str | None, reason: str) -> None:
        """The citizen sent the callback form."""
        self._post(CallbackRequested(name, phone, language, reason))

    def chat(self, text: str) -> None:
        """The citizen sent a chat line."""
        self._post(ChatTyped(text))

    def activity(self) -> None:
        """The citizen touched the screen."""
        self._post(Activity())

    def reset(self) -> None:
        """The page's "start over"."""
        self._post(ResetPressed())

    def screen_offer(self, sdp: str) -> None:
        """The page created its receive-only offer."""
        self._post(ScreenOffer(sdp))

    def stats(self, frames_decoded: int) -> None:
        """The page reported decoded remote frames."""
        self._post(ScreenStats(frames_decoded))

    def intent(self, event: Event) -> None:
        """Pass any other checked intent on (the mobile profile's staff intents)."""
        self._post(event)

    def _broadcast(self, name: str, data: dict[str, Any]) -> None:
        with self._lock:
            pages = list(self._pages)
        for page in pages:
            page.put((name, data))
