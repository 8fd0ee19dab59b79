"""A terminal socket's staff side: sign-in on a mobile kit, and what a kit may do without it.

Kept apart from :mod:`console.routes.terminal_ws` so the socket stays about the protocol:
this part knows whether the kit has a staff member signed in (:mod:`console.kits`) and
gates every other message by it. A mobile kit without a live session may only report its
parts, end a call it is in, ping and sign in; a ``call.request`` of a kit with a session
goes on with the staff member's name filled in by the console (``call.request.staff``),
and that of a stationary terminal with the field cleared, whatever the terminal sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable

import msgspec

from console.calls import Connection, TerminalIdentity
from console.kits import Kits, Refused, StaffSession
from console.services import Services
from protocol.messages import (
    CallCancel,
    CallRequest,
    CardStatus,
    Error,
    Hangup,
    PartsReport,
    QueueInfo,
    StaffSignedIn,
    StaffSignedOut,
    StaffSignin,
    StaffSignout,
    TerminalToConsole,
)

ALWAYS = (PartsReport, CallCancel, Hangup)
"""What a mobile kit may send without a staff member: its health, and ending a call."""
STAFF_REQUIRED = Error(code="staff_required", message="sign a staff member in on this kit first")


class KitStaff:
    """The staff session of one terminal socket; see the module docstring."""

    def __init__(
        self,
        svc: Services,
        who: TerminalIdentity,
        conn: Connection,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._svc = svc
        self._who = who
        self._conn = conn
        self._clock = clock
        self.kits = Kits(svc.store, svc.passwords, svc.login_throttle, svc.audit,
                         require_second_factor=svc.config.require_second_factor,
                         clock=clock)  # fmt: skip
        self.session: StaffSession | None = None

    @property
    def mobile(self) -> bool:
        """Whether the admin enrolled this terminal as a mobile kit."""
        return self._who.mobile

    async def at_connect(self) -> None:
        """After welcome: a kit learns whether its staff member is still signed in."""
        if not self.mobile:
            return
        self.session = await self.kits.current(self._who)
        self._conn.send(
            StaffSignedOut(reason="none") if self.session is None else self._signed_in(None)
        )

    async def receive(self, msg: StaffSignin | StaffSignout) -> None:
        """``staff.signin`` or ``staff.signout`` from the kit."""
        if isinstance(msg, StaffSignin):
            try:
                self.session = await self.kits.sign_in(self._who, msg)
            except Refused as refused:
                self._conn.send(refused.message(msg.request_id))
                return
            self._conn.send(self._signed_in(msg.request_id))
            return
        if self.session is not None:
            await self.kits.sign_out(self._who, self.session, msg.reason)
            self.session = None
            self._conn.send(StaffSignedOut(reason="signout"))
        else:
            self._conn.send(StaffSignedOut(reason="none"))

    async def gate(self, msg: TerminalToConsole) -> TerminalToConsole | None:
        """The message to pass on (staff filled in or cleared), or None if refused here."""
        if not self.mobile:
            if isinstance(msg, CallRequest) and msg.staff is not None:
                return msgspec.structs.replace(msg, staff=None)
            return msg
        if isinstance(msg, ALWAYS):
            return msg
        if isinstance(msg, CallRequest):  # read again: expired, deactivated, signed out elsewhere
            before, self.session = self.session, await self.kits.current(self._who)
            if before is not None and self.session is None:
                self._conn.send(StaffSignedOut(reason="expired"))
        if self.session is not None and not self.session.live(self._clock()):
            await self.kits.sign_out(self._who, self.session, "expired")
            self.session = None
            self._conn.send(StaffSignedOut(reason="expired"))
        if self.session is None:
            if not isinstance(msg, CardStatus):  # a card put in without staff: nothing to say
                self._conn.send(STAFF_REQUIRED)
            return None
        if isinstance(msg, CallRequest):
            return msgspec.structs.replace(msg, staff=self.session.name)
        return msg

    def _signed_in(self, request_id: str | None) -> StaffSignedIn:
        session = self.session
        assert session is not None
        directory = self._svc.hub.directory
        offices = {o.office_id: o.name for o in directory.offices_of(self._who.municipality_id)}
        queues = [
            QueueInfo(queue_id=q.queue_id, name=q.name, office=offices.get(q.office_id, ""))
            for q in directory.queues_of(self._who.municipality_id)
        ]
        return StaffSignedIn(name=session.name, role=session.role, expires_at=session.expires_at,
                             queues=queues, request_id=request_id)  # fmt: skip
