"""The citizen's side of the terminal: the screens around the call and the per-citizen session.

The call state machine (``appliance.coordinator``) knows five states; the citizen sees
more screens than that (docs/kiosk-api.md): before a call the terminal explains what
will happen (``info``) or that the office is closed (``closed``), while waiting it may
say that nobody answers (``no-answer``), and after a callback request it confirms it
(``callback-sent``). :class:`Desk` holds those screen rules, the office status the
console sent (kept for every citizen, not wiped), the citizen's :class:`Session`
(language, chat, photo, print status, callback) and the timers that belong to them
(idle timeout, no-answer, callback reply).

The coordinator owns the desk and calls it only from its event loop, so the coordinator
stays the only writer of terminal state; the desk never changes the call state itself.

Callback requests: name and phone number are kept in memory only until the console
accepts them (``callback.accepted``), then dropped at once. If the link is down, the
console refuses (``error``) or does not answer within :data:`CALLBACK_REPLY_S`, the
status becomes ``failed`` and the form data stays, so the citizen can simply try again.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import replace

from appliance.events import CallbackRequested, PhotoTaken, PrintChanged
from appliance.ports import (
    BatteryView,
    ChatLine,
    Contact,
    LinkCheck,
    PhotoPreview,
    PrintView,
    ScreenName,
    Signaling,
    View,
)
from appliance.session import CallbackForm, Session
from appliance.timers import CALLBACK, IDLE, NO_ANSWER, Timers
from protocol.messages import CallbackRequest, Chat, MobileVisit, OfficeStatus

log = logging.getLogger(__name__)

IDLE_SCREENS: frozenset[ScreenName] = frozenset({"info", "closed", "no-answer"})
"""Screens the idle timeout applies to (not waiting, not in a call)."""
CALLBACK_REPLY_S = 10.0
"""Without ``callback.accepted`` by then the request is shown as failed (the form stays)."""
REASONS = ("closed", "no_answer", "other")


class Desk:
    """Screen rules and per-citizen state; see the module docstring."""

    def __init__(
        self,
        *,
        signaling: Signaling,
        timers: Timers,
        contact: Contact | None = None,
        idle_timeout_s: float = 90.0,
        no_answer_s: float = 180.0,
    ) -> None:
        self._signaling = signaling
        self._timers = timers
        self.contact = contact if contact is not None else Contact()
        self.idle_timeout_s = idle_timeout_s
        self.no_answer_s = no_answer_s
        self.session = Session()
        self.office: OfficeStatus | None = None
        self.battery: BatteryView | None = None
        """The kit's battery as last reported by the parts watcher."""
        self.visits: tuple[MobileVisit, ...] = ()
        """The mobile office's next outpost hours (``mobile``); the welcome screen shows them."""
        self.front: ScreenName = "welcome"
        """The screen shown in state ``idle``: welcome, info, closed, callback-sent, or
        no-answer after the console ended a call nobody answered in time."""
        self.no_answer = False
        self.handset = False
        self.link: LinkCheck | None = None
        """The latest check of the link to the console (not per citizen: never wiped)."""

    @property
    def office_open(self) -> bool:
        """Whether calls are taken now; open until the console says otherwise."""
        return self.office is None or self.office.open

    def compose(self, base: View) -> View:
        """The full snapshot: the call state's ``base`` view plus screen, office and session."""
        screen = base.shown
        if base.state == "idle":
            screen = self.front
        elif base.state == "queued" and self.no_answer:
            screen = "no-answer"
        s = self.session
        return replace(
            base,
            screen=screen,
            office=self.office,
            visits=self.visits,
            battery=self.battery,
            contact=self.contact,
            chat=tuple(s.chat),
            photo=s.photo,
            print_status=s.print_status,
            callback=s.callback,
            handset=self.handset,
            call_quality=s.call_quality if base.state == "in-call" else None,
            link=self.link,
            idle_timeout_s=self.idle_timeout_s,
        )

    def screen_changed(self, screen: ScreenName) -> None:
        """A new screen is shown: the idle timeout runs on info, closed and no-answer only."""
        if screen in IDLE_SCREENS:
            self._timers.start(IDLE, self.idle_timeout_s)
        else:
            self._timers.cancel(IDLE)

    def activity(self, screen: ScreenName) -> None:
        """The citizen touched the screen: restart the idle timeout where it runs."""
        if screen in IDLE_SCREENS:
            self._timers.start(IDLE, self.idle_timeout_s)

    # --- waiting ---------------------------------------------------------------------

    def waiting_started(self) -> None:
        """The call was requested (or requested again): ``no_answer_s`` starts now."""
        self.no_answer = False
        self._timers.start(NO_ANSWER, self.no_answer_s)

    def keep_waiting(self) -> None:
        """``no-answer`` -> ``waiting``, and the wait is timed again."""
        if self.no_answer:
            self.waiting_started()

    def waiting_over(self) -> None:
        """The call was answered, cancelled or lost: no more no-answer."""
        self.no_answer = False
        self._timers.cancel(NO_ANSWER)

    # --- callbacks ---------------------------------------------------------------------

    async def request_callback(self, event: CallbackRequested, link_up: bool) -> None:
        """Send the citizen's callback request; on no link the form stays and ``failed`` shows."""
        if self.session.callback in ("sending", "sent"):
            log.info("callback request while one is %s: ignored", self.session.callback)
            return
        reason = event.reason if event.reason in REASONS else "other"
        form = CallbackForm(uuid.uuid4().hex, event.name, event.phone, event.language, reason)
        self.session.callback_form = form
        if event.language:
            self.session.language = event.language
        message = CallbackRequest(
            request_id=form.request_id,
            name=form.name,
            phone=form.phone,
            language=form.language,
            reason=form.reason,  # type: ignore[arg-type]  # checked against REASONS
        )
        if link_up and await self._signaling.send(message):
            self.session.callback = "sending"
            self._timers.start(CALLBACK, CALLBACK_REPLY_S)
        else:
            self.callback_failed("no link to the console")

    def callback_accepted(self, request_id: str) -> bool:
        """The console stored the request: drop name and phone now; True if it was ours."""
        form = self.session.callback_form
        if form is None or form.request_id != request_id or self.session.callback != "sending":
            log.info("callback.accepted for %s we are not waiting for: ignored", request_id)
            return False
        self.session.callback_form = None
        self.session.callback = "sent"
        self._timers.cancel(CALLBACK)
        self.front = "callback-sent"
        log.info("callback request %s accepted by the console", request_id)
        return True

    def callback_failed(self, why: str) -> None:
        """Show ``failed``; the form data stays so nothing the citizen typed is lost."""
        if self.session.callback_form is None:
            return
        log.warning("callback request failed: %s", why)
        self.session.callback = "failed"
        self._timers.cancel(CALLBACK)

    @property
    def callback_sending(self) -> bool:
        """Whether a callback request waits for the console's reply."""
        return self.session.callback == "sending"

    # --- in-call tools -----------------------------------------------------------------

    async def send_chat(self, call_id: str, text: str) -> None:
        """Send the citizen's chat line and show it, if the link took it."""
        if await self._signaling.send(Chat(call_id=call_id, text=text)):
            self.session.add_chat(ChatLine("citizen", text, time.time()))

    def chat_received(self, message: Chat) -> None:
        """Show a line the console relayed (the console sets ``sender``)."""
        self.session.add_chat(ChatLine(message.sender or "caseworker", message.text, time.time()))

    def photo_taken(self, event: PhotoTaken) -> None:
        """Keep the call's latest document photo for the preview."""
        self.session.photos_shown += 1
        number = self.session.photos_shown
        self.session.photo = PhotoPreview(number, event.jpeg, event.width, event.height)

    def print_changed(self, event: PrintChanged) -> None:
        """Show the print job's new status."""
        self.session.print_status = PrintView(event.status, event.message)

    # --- wiping --------------------------------------------------------------------------

    def end_call(self) -> None:
        """The call is over: its chat, photo and print status go."""
        self.waiting_over()
        self.session.end_call()

    def wipe(self) -> None:
        """Forget the citizen and show welcome (the office status stays)."""
        self.waiting_over()
        self._timers.cancel(IDLE)
        self._timers.cancel(CALLBACK)
        self.session.wipe()
        self.front = "welcome"
