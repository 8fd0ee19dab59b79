"""One call's life with the console: request, queue, answer, media legs, end.

Split from the coordinator so each file holds one concept: :class:`CallFlow` keeps the
current :class:`~appliance.calls.Call`, talks to the console about it and drives its
media (the camera leg, the kiosk's screen leg, the self-view, the in-call tools). It is
owned by the coordinator and called only from the coordinator's event loop; it changes
the call state only through the ``set_view`` callback the coordinator gives it, so the
coordinator stays the one writer and publisher of state.

Rules kept from the start: a call id the terminal ended is remembered, so late messages
for it are ignored; a citizen who cancels before the console named the call has that
call cancelled as soon as it is named; anything for a call the terminal does not want
is hung up or cancelled politely.

A transfer (``call.transferred``) keeps the call id: both media legs close, the citizen
waits again (told to whom they are handed) and the next ``call.answered`` for the same id
negotiates new legs. A call the console ends with ``no_answer`` (it waited past its
queue's answer limit) leaves the citizen on ``no-answer`` with the callback form.

A lost link mid-call (issue 7) does not end the call when the console holds answered calls
(``welcome.call_hold_s``): both legs close (their network is gone too, and aiortc has no ICE
restart), the call stays ``in-call`` with ``reconnecting`` shown, and the link's next hello
names it. ``call.answered`` for it again means the same caseworker is still there: both legs
are negotiated afresh. ``call.ended`` for it, or no answer within the hold time, ends it
with the normal thanks screen.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from typing import Literal

from appliance.calls import Call, LegTasks
from appliance.desk import Desk
from appliance.ports import CallTool, Screen, SelfView, Signaling, State, View
from appliance.timers import LINGER, RECONNECT, Timers
from protocol.messages import (
    Answered,
    CallCancel,
    CallRequest,
    Ended,
    Hangup,
    IceServer,
    Queued,
    RtcAnswer,
    RtcOffer,
    Transferred,
)

log = logging.getLogger(__name__)


class CallFlow:
    """The current call and its media; see the module docstring."""

    def __init__(
        self,
        *,
        signaling: Signaling,
        legs: LegTasks,
        screen: Screen,
        desk: Desk,
        timers: Timers,
        set_view: Callable[[View], None],
        state: Callable[[], State],
        linger_s: float,
        tools: Sequence[CallTool] = (),
        self_view: SelfView | None = None,
    ) -> None:
        self._signaling = signaling
        self._legs = legs
        self._screen = screen
        self._desk = desk
        self._timers = timers
        self._set = set_view
        self._state = state
        self._linger_s = linger_s
        self._tools = tuple(tools)
        self.ice_transport_policy: Literal["all", "relay"] = "all"
        """The console's choice (``welcome``): "relay" makes the kiosk page use TURN only."""
        self._self_view = self_view
        self.call: Call | None = None
        self.wants_call = False  # the citizen is waiting (re-request after reconnect)
        self.cancel_unnamed = False  # cancel the call the console names next
        self._finished: set[str] = set()  # call ids we ended: ignore late messages

    @property
    def call_id(self) -> str | None:
        """The current call's id once the console named it."""
        return None if self.call is None else self.call.call_id

    def current(self, call_id: str) -> bool:
        """Whether ``call_id`` is the current call."""
        return self.call is not None and self.call.call_id == call_id

    async def request(self) -> None:
        """Ask the console for a call in the citizen's language and show ``waiting``."""
        self.wants_call = True
        self.call = Call()
        self._desk.waiting_started()
        self._set(View("queued"))
        session = self._desk.session
        request = CallRequest(language=session.language, queue_id=session.queue_id)
        await self._signaling.send(request)

    async def drop_waiting(self) -> None:
        """Cancel the queued call (now, or as soon as the console names it)."""
        call = self.call
        self.wants_call = False
        self._desk.waiting_over()
        if call is None:
            return
        if call.call_id is None:
            self.cancel_unnamed = True
        else:
            self._finished.add(call.call_id)
            await self._signaling.send(CallCancel(call_id=call.call_id))
        self.call = None

    async def hang_up(self, source: str) -> bool:
        """Cancel a waiting call or hang up the active one; False if there was none."""
        call, state = self.call, self._state()
        if state == "queued" and call is not None:
            log.info("waiting call cancelled (%s)", source)
            await self.drop_waiting()
            self._set(View("ended", reason="cancelled"))
            self._timers.start(LINGER, self._linger_s)
        elif state == "in-call" and call is not None and call.call_id is not None:
            log.info("call hung up (%s)", source)
            await self._signaling.send(Hangup(call_id=call.call_id))
            await self.end(call.call_id, "hangup_terminal")
        else:
            return False
        return True

    async def on_message(self, message: object) -> bool:
        """Handle a call message from the console; False if it is not one."""
        call, state = self.call, self._state()
        match message:
            case Queued(call_id=call_id, position=position, estimated_wait_s=wait, queue=queue):
                if self.cancel_unnamed and call_id not in self._finished:
                    self.cancel_unnamed = False
                    self._finished.add(call_id)
                    await self._signaling.send(CallCancel(call_id=call_id))
                elif call_id in self._finished:
                    pass
                elif state == "queued" and call is not None and call.call_id in (None, call_id):
                    call.call_id = call_id
                    call.position = position
                    call.queue = queue or call.queue
                    self._set(self._waiting(call, wait))
                else:
                    log.warning("call.queued for unknown call %s: cancelling it", call_id)
                    self._finished.add(call_id)
                    await self._signaling.send(CallCancel(call_id=call_id))
            case Answered(call_id=call_id, caseworker=caseworker, ice_servers=ice) if (
                state == "in-call" and call is not None and call.held and self.current(call_id)
            ):
                self._resumed(call_id, call, caseworker, list(ice))
            case Answered(call_id=call_id, caseworker=caseworker, ice_servers=ice):
                if state == "queued" and call is not None and call.call_id in (None, call_id):
                    call.call_id = call_id
                    call.caseworker = caseworker
                    call.transfer_to = call.transfer_kind = None
                    call.ice_servers = list(ice)
                    self.wants_call = False
                    self._desk.waiting_over()
                    self._set(View("in-call", caseworker=caseworker))
                    self._start_legs(call_id, call)
                else:
                    log.warning("call.answered for call %s we do not want: hanging up", call_id)
                    self._finished.add(call_id)
                    await self._signaling.send(Hangup(call_id=call_id))
            case RtcAnswer(call_id=call_id, leg=leg, sdp=sdp):
                if not (state == "in-call" and self.current(call_id) and call is not None):
                    log.info("rtc.answer for call %s outside the call ignored", call_id)
                elif leg == "screen":
                    self._screen.deliver_screen_answer(sdp)
                elif call.leg is not None:
                    self._legs.apply_answer(call_id, call.leg, sdp)
            case Transferred(call_id=call_id, to=to, kind=kind):
                if self.current(call_id) and state in ("queued", "in-call") and call is not None:
                    await self._transferred(call, to, kind)
            case Ended(call_id=call_id, reason=reason):
                if self.current(call_id) and state == "queued" and reason == "no_answer":
                    log.info("call %s not answered in time: offering a callback", call_id)
                    self._no_answer(call_id)
                elif self.current(call_id) and state in ("queued", "in-call"):
                    log.info("call %s ended by the console: %s", call_id, reason)
                    await self.end(call_id, reason)
            case _:
                return self._to_tools(message)
        return True

    @staticmethod
    def _waiting(call: Call, wait: float | None = None) -> View:
        return View("queued", position=call.position, estimated_wait_s=wait, queue=call.queue,
                    transfer_to=call.transfer_to, transfer_kind=call.transfer_kind)  # fmt: skip

    async def _transferred(self, call: Call, to: str, kind: str) -> None:
        """Close both legs, keep the call id, wait for the next answer under the same id."""
        log.info("call %s handed on to a %s", call.call_id, kind)
        await self.close_media()
        call.caseworker = None
        call.position = None
        call.transfer_to, call.transfer_kind = to, kind
        self.wants_call = True
        self._desk.waiting_started()
        self._set(self._waiting(call))

    async def hold(self, hold_s: float) -> bool:
        """The link was lost mid-call: close both legs, show ``reconnecting``, and wait up to
        ``hold_s`` to be resumed; False (nothing done) outside an answered call."""
        call = self.call
        if self._state() != "in-call" or call is None or call.call_id is None or hold_s <= 0:
            return False
        if call.held:
            return True  # another failed reconnect attempt: still waiting
        log.info("link lost in call %s: holding it for up to %.0f s", call.call_id, hold_s)
        await self.close_media()
        call.held = True
        self._set(View("in-call", caseworker=call.caseworker, reconnecting=True))
        self._timers.start(RECONNECT, hold_s)
        return True

    def _resumed(self, call_id: str, call: Call, caseworker: str, ice: list[IceServer]) -> None:
        """The console resumed the held call: same caseworker, both legs afresh."""
        log.info("call %s resumed with %s", call_id, caseworker)
        self._timers.cancel(RECONNECT)
        call.held = False
        call.caseworker = caseworker
        call.ice_servers = ice
        self._set(View("in-call", caseworker=caseworker))
        self._start_legs(call_id, call)

    async def give_up(self) -> None:
        """The held call was not resumed in time: end it as the console does."""
        call = self.call
        if self._state() == "in-call" and call is not None and call.held and call.call_id:
            log.info("call %s not resumed in time", call.call_id)
            await self._signaling.send(Hangup(call_id=call.call_id))
            await self.end(call.call_id, "terminal_lost")

    @property
    def held(self) -> bool:
        """Whether the current call waits to be resumed after a lost link."""
        return self.call is not None and self.call.held

    def _no_answer(self, call_id: str) -> None:
        """The console gave up on the call: no-answer with the callback form, no waiting on."""
        self._finished.add(call_id)
        self.wants_call = False
        self.call = None
        self._desk.waiting_over()
        self._desk.front = "no-answer"
        self._set(View("idle"))

    async def send_offer(self, call_id: str, sdp: str) -> None:
        """The camera leg's offer is ready: send it if the call is still on."""
        if self.current(call_id) and self._state() == "in-call" and not self.held:
            await self._signaling.send(RtcOffer(call_id=call_id, leg="camera", sdp=sdp))

    async def send_screen_offer(self, sdp: str) -> None:
        """The kiosk page's receive-only offer: send it within the call."""
        call_id = self.call_id
        if self._state() == "in-call" and call_id is not None and not self.held:
            await self._signaling.send(RtcOffer(call_id=call_id, leg="screen", sdp=sdp))
        else:
            log.info("screen offer outside a call ignored")

    async def media_failed(self, call_id: str, detail: str) -> None:
        """A media leg broke: hang up and end the call."""
        if self.current(call_id) and self._state() == "in-call" and not self.held:
            log.warning("media of call %s failed: %s", call_id, detail)
            await self._signaling.send(Hangup(call_id=call_id, reason="media_failed"))
            await self.end(call_id, "media_failed")

    def _to_tools(self, message: object) -> bool:
        call_id = getattr(message, "call_id", None)
        tools = [tool for tool in self._tools if isinstance(message, tool.handles)]
        if not tools:
            return False
        if not (self._state() == "in-call" and isinstance(call_id, str) and self.current(call_id)):
            log.info("%s outside its call ignored", type(message).__name__)
        else:
            for tool in tools:
                self._legs.spawn(tool.on_message(message, call_id))
        return True

    def _start_legs(self, call_id: str, call: Call) -> None:
        call.leg = self._legs.start(call_id, call.ice_servers)
        if self._self_view is not None:
            self._self_view.open()
        if not self._screen.request_screen_offer(call.ice_servers, self.ice_transport_policy):
            log.warning("no kiosk page connected: the caseworker will not be seen or heard")

    async def end(self, call_id: str, reason: str) -> None:
        """End the call: close media, tell the tools, show thanks, start the linger."""
        self._finished.add(call_id)
        self.wants_call = False
        self._timers.cancel(RECONNECT)
        if self.call is not None:
            self.call.held = False
        await self.close_media()
        for tool in self._tools:
            self._legs.spawn(tool.on_call_end(call_id))
        self._desk.end_call()
        self._set(View("ended", reason=reason))
        self._timers.start(LINGER, self._linger_s)

    async def close_media(self) -> None:
        """Close the camera leg, the self-view and the page's screen leg."""
        call = self.call
        if self._self_view is not None:
            self._self_view.close()
        if call is not None and call.leg is not None:
            leg, call.leg = call.leg, None
            try:
                await leg.close()
            except Exception:
                log.exception("closing the camera leg failed")
        if self._state() == "in-call":
            self._screen.close_screen()
