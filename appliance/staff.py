"""The mobile profile's staff side: sign-in on the kit, the signed-in staff member, idle sign-out.

In the mobile profile (``profile = "mobile"``) the appliance is a staff tool in a carrying
case: no citizen presses a button; a staff member signs in on the touchscreen and calls a
specialist queue of their municipality with the citizen beside them. The console decides
everything (is this terminal a mobile kit, may this person sign in here, for how long:
console/kits.py); this part only carries the sign-in to it and remembers the answer.

Secrets: the password, TOTP and one-time code typed on the kit travel from the page to
the coordinator in one event (kept out of its ``repr``) and from there straight into one
``staff.signin`` message over the console link's TLS socket. Nothing here stores them: the
:class:`StaffDesk` keeps only the answer (name, role, expiry, the queues it may call).

A staff member who leaves the kit alone on the staff home for ``staff_idle_s`` is signed
out (:data:`STAFF_IDLE`); during a call the timer waits for the call's end. The session also
ends on the kit when the console's expiry passes (:data:`STAFF_EXPIRED`), with or without a
link: out of signal in a basement, the staff home stays usable for offline capture
(appliance/outbox/) until then, never longer.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable

from appliance.events import StaffSignInTyped
from appliance.ports import Signaling, StaffQueue, StaffView
from appliance.timers import Timers
from protocol.messages import (
    CardType,
    ConsoleToTerminal,
    StaffSignedIn,
    StaffSignedOut,
    StaffSignin,
    StaffSigninFailed,
    StaffSignout,
)

STAFF_IDLE = "staff-idle"
STAFF_EXPIRED = "staff-expired"
MAX_SESSION_S = 24 * 3600.0
"""Longer than any staff session the console grants (8 h): beyond it the clocks disagree."""
log = logging.getLogger(__name__)


class StaffDesk:
    """The kit's staff session as the console last described it; see the module docstring."""

    def __init__(
        self,
        *,
        signaling: Signaling,
        timers: Timers,
        idle_s: float = 600.0,
        new_request_id: Callable[[], str] = lambda: uuid.uuid4().hex,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self._signaling = signaling
        self._wall_clock = wall_clock
        self._timers = timers
        self.idle_s = idle_s
        self._new_request_id = new_request_id
        self.session: StaffSignedIn | None = None
        self.pending: str | None = None
        """The request id of the sign-in on its way to the console."""
        self.error: str | None = None
        self.retry_after_s: float | None = None
        self.card: CardType | None = None
        """The card in the reader now (shown to a signed-in staff member only)."""
        self.printer: str | None = None
        """The printer's last reported health."""

    @property
    def signed_in(self) -> bool:
        """Whether a staff member is signed in on the kit."""
        return self.session is not None

    def may_call(self, queue_id: int) -> bool:
        """Whether the signed-in staff member may call this queue (the console checks again)."""
        return self.session is not None and any(q.queue_id == queue_id for q in self.session.queues)

    async def sign_in(self, form: StaffSignInTyped, link_up: bool) -> None:
        """Send the form to the console (once: a second tap while one is pending is ignored)."""
        if self.signed_in or self.pending is not None:
            return
        self.error = self.retry_after_s = None
        if not link_up:
            self.error = "offline"
            return
        request_id = self._new_request_id()
        message = StaffSignin(request_id=request_id, username=form.username,
                              password=form.password, totp=form.totp, code=form.code)  # fmt: skip
        self.pending = request_id
        if not await self._signaling.send(message):
            self.pending = None
            self.error = "offline"

    def on_message(self, message: ConsoleToTerminal) -> bool:
        """Apply a ``staff.*`` message from the console; False for any other message."""
        if isinstance(message, StaffSignedIn):
            if message.request_id is not None and message.request_id != self.pending:
                return True  # the answer to a form given up on: ignore it
            self.session = message
            self.pending = self.error = self.retry_after_s = None
            self._timers.start(STAFF_IDLE, self.idle_s)
            remaining = message.expires_at - self._wall_clock()
            if 0 < remaining <= MAX_SESSION_S:
                self._timers.start(STAFF_EXPIRED, remaining)
            else:  # a session just granted cannot have ended: this clock is off, not the console's
                log.warning("the kit's clock disagrees with the console's by %.0f s: the staff "
                            "session ends when the console says so", -remaining)  # fmt: skip
            return True
        if isinstance(message, StaffSigninFailed):
            if message.request_id == self.pending:
                self.pending = None
                self.error = message.code
                self.retry_after_s = message.retry_after_s
            return True
        if isinstance(message, StaffSignedOut):
            if self.session is not None and message.reason == "expired":
                self.error = "expired"
            self._forget()
            return True
        return False

    async def sign_out(self, reason: str, link_up: bool) -> None:
        """End the session here and tell the console (``staff`` or ``idle``)."""
        if self.session is None:
            return
        if link_up:
            await self._signaling.send(StaffSignout(reason="idle" if reason == "idle" else "staff"))
        self._forget()
        self.error = "idle" if reason == "idle" else None

    def activity(self) -> None:
        """The staff member touched the screen: the idle sign-out starts again."""
        if self.session is not None:
            self._timers.start(STAFF_IDLE, self.idle_s)

    def expired(self) -> None:
        """The console's expiry of the session passed: end it here (the console ends its own
        at the kit's next request, or has already)."""
        if self.session is not None:
            self._forget()
            self.error = "expired"

    def link_lost(self) -> None:
        """A pending sign-in will not be answered; the session itself lives on the console."""
        if self.pending is not None:
            self.pending = None
            self.error = "offline"

    def _forget(self) -> None:
        self.session = None
        self.pending = None
        self._timers.cancel(STAFF_IDLE)
        self._timers.cancel(STAFF_EXPIRED)

    def view(self) -> StaffView:
        """The staff screens' snapshot (never a secret)."""
        s = self.session
        if s is None:
            return StaffView(pending=self.pending is not None, error=self.error,
                             retry_after_s=self.retry_after_s)  # fmt: skip
        queues = tuple(StaffQueue(q.queue_id, q.name, q.office) for q in s.queues)
        return StaffView(name=s.name, role=s.role, expires_at=s.expires_at, queues=queues,
                         card=self.card, printer=self.printer)  # fmt: skip
