"""The call state machine: the one owner and only writer of the terminal's state.

Every input (button, touch screen, console messages, link up/down, media failures,
timers) arrives as an event in one asyncio queue and is handled one at a time, so
there are no races between, say, a hang-up and a late ``call.answered``. Slow work
(building an offer takes ICE gathering, 50-500 ms) runs in tasks that post their
result back as another event; the coordinator then checks that the call it belongs
to is still the current one.

States (exact strings): ``idle``, ``queued``, ``in-call``, ``ended``, ``offline``.
A citizen who was waiting when the link dropped is queued again automatically on
reconnect: they should not have to notice that the console restarted.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from appliance.calls import Call, LegTasks
from appliance.events import (
    CallPressed,
    CameraOfferReady,
    CardChanged,
    Event,
    HangupPressed,
    LingerOver,
    LinkDown,
    LinkMessage,
    LinkUp,
    MediaFailed,
    PartsChanged,
    ScreenOffer,
    ScreenStats,
)
from appliance.ports import CallTool, Indicator, LegFactory, Screen, Signaling, State, View
from protocol.messages import (
    Answered,
    CallCancel,
    CallRequest,
    CardStatus,
    Ended,
    Error,
    Hangup,
    PartsReport,
    Queued,
    RtcAnswer,
    RtcOffer,
)

log = logging.getLogger(__name__)


class Coordinator:
    """Consumes events and decides; see the module docstring for the rules."""

    def __init__(
        self,
        *,
        signaling: Signaling,
        legs: LegFactory,
        screen: Screen,
        indicator: Indicator,
        ended_linger_s: float = 3.0,
        tools: Sequence[CallTool] = (),
    ) -> None:
        self._signaling = signaling
        self._legs = LegTasks(legs, self.post)
        self._screen = screen
        self._indicator = indicator
        self._linger_s = ended_linger_s
        self._tools = tuple(tools)
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._view = View("offline", reason="starting")
        self._call: Call | None = None
        self._wants_call = False  # the citizen is waiting (re-request after reconnect)
        self._cancel_unnamed = False  # cancel the call the console names next
        self._finished: set[str] = set()  # call ids we ended: ignore late messages
        self._linger_token = 0
        self.link_up = False
        self.remote_frames_decoded = 0
        self._observers: list[Callable[[View], None]] = []
        self._handling_since: float | None = None

    @property
    def state(self) -> State:
        """The current state string."""
        return self._view.state

    @property
    def call_id(self) -> str | None:
        """The current call's id once the console named it (logs, journal fields)."""
        return None if self._call is None else self._call.call_id

    def observe(self, callback: Callable[[View], None]) -> None:
        """Also publish every state snapshot to ``callback`` (systemd's STATUS=)."""
        self._observers.append(callback)

    def stalled_for(self) -> float:
        """Seconds spent on the event being handled now; 0 when waiting (watchdog)."""
        since = self._handling_since
        return 0.0 if since is None else time.monotonic() - since

    @property
    def view(self) -> View:
        """The current snapshot (state, caseworker, position, reason)."""
        return self._view

    def post(self, event: Event) -> None:
        """Queue an event; call from the event loop's thread."""
        self._queue.put_nowait(event)

    def post_threadsafe(self, event: Event) -> None:
        """Queue an event from any thread (gpiozero callbacks, Flask handlers)."""
        if self._loop is None:
            log.warning("event %r before the coordinator runs: dropped", event)
            return
        self._loop.call_soon_threadsafe(self._queue.put_nowait, event)

    async def run(self) -> None:
        """Handle events until cancelled."""
        self._loop = asyncio.get_running_loop()
        self._indicator.show(self.state)
        self._publish()
        while True:
            event = await self._queue.get()
            self._handling_since = time.monotonic()
            try:
                await self.handle(event)
            except Exception:
                # Supervisor loop: one mishandled event must not take the terminal down.
                log.exception("error while handling %r", event)
            finally:
                self._handling_since = None
                self._queue.task_done()

    async def idle(self) -> None:
        """Wait until every queued event has been handled (tests)."""
        await self._queue.join()

    async def stop(self) -> None:
        """Close media and cancel background tasks."""
        await self._close_media()
        await self._legs.stop()

    # --- event handling -------------------------------------------------------------

    async def handle(self, event: Event) -> None:
        """Apply one event to the state."""
        match event:
            case CallPressed():
                await self._on_call_pressed(event)
            case HangupPressed():
                await self._on_hangup_pressed(event)
            case LinkUp(welcome=welcome):
                self.link_up = True
                log.info("connected to the console as %s (%s)", welcome.name, welcome.municipality)
                if self.state == "offline":
                    if self._wants_call:
                        await self._request_call()
                    else:
                        self._set(View("idle"))
            case LinkDown(reason=reason):
                self.link_up = False
                self._cancel_unnamed = False
                await self._close_media()
                if self.state == "in-call":
                    self._wants_call = False
                self._call = None
                self._set(View("offline", reason=reason))
            case LinkMessage(message=message):
                await self._on_message(message)
            case CameraOfferReady(call_id=call_id, sdp=sdp):
                if self._current(call_id) and self.state == "in-call":
                    await self._signaling.send(RtcOffer(call_id=call_id, leg="camera", sdp=sdp))
            case ScreenOffer(sdp=sdp):
                call = self._call
                if self.state == "in-call" and call is not None and call.call_id is not None:
                    await self._signaling.send(
                        RtcOffer(call_id=call.call_id, leg="screen", sdp=sdp)
                    )
                else:
                    log.info("screen offer outside a call ignored")
            case ScreenStats(frames_decoded=frames):
                if self.state == "in-call":
                    self.remote_frames_decoded = frames
            case MediaFailed(call_id=call_id, detail=detail):
                if self._current(call_id) and self.state == "in-call":
                    log.warning("media of call %s failed: %s", call_id, detail)
                    await self._signaling.send(Hangup(call_id=call_id))
                    await self._end(call_id, "media_failed")
            case LingerOver(token=token):
                if self.state == "ended" and token == self._linger_token:
                    self._call = None
                    self.remote_frames_decoded = 0
                    self._set(View("idle"))
            case PartsChanged(parts=parts):
                if self.link_up:
                    await self._signaling.send(PartsReport(parts=parts))
            case CardChanged(card=card):
                # Only the type travels; the console relays it to the caseworker of the
                # call. While offline it is dropped: the next hello's parts carry it.
                live = self.state in ("queued", "in-call")
                if self.link_up:
                    current = self.call_id if live else None
                    await self._signaling.send(CardStatus(card=card, call_id=current))

    async def _on_call_pressed(self, event: CallPressed) -> None:
        if self.state == "idle":
            log.info("call requested (%s)", event.source)
            await self._request_call()
        elif self.state == "offline":
            log.info("call pressed while offline: ignored")
        else:
            log.debug("call pressed in state %s: ignored", self.state)

    async def _on_hangup_pressed(self, event: HangupPressed) -> None:
        call = self._call
        if self.state == "queued" and call is not None:
            log.info("waiting call cancelled (%s)", event.source)
            self._wants_call = False
            if call.call_id is None:
                self._cancel_unnamed = True  # cancel it as soon as the console names it
                self._set(View("ended", reason="cancelled"))
                self._start_linger()
            else:
                await self._signaling.send(CallCancel(call_id=call.call_id))
                await self._end(call.call_id, "cancelled")
        elif self.state == "in-call" and call is not None and call.call_id is not None:
            log.info("call hung up (%s)", event.source)
            await self._signaling.send(Hangup(call_id=call.call_id))
            await self._end(call.call_id, "hangup_terminal")
        elif self.state == "offline" and self._wants_call:
            self._wants_call = False
            log.info("citizen stopped waiting while offline")

    async def _on_message(self, message: object) -> None:
        call = self._call
        match message:
            case Queued(call_id=call_id, position=position):
                if self._cancel_unnamed and call_id not in self._finished:
                    self._cancel_unnamed = False
                    self._finished.add(call_id)
                    await self._signaling.send(CallCancel(call_id=call_id))
                elif call_id in self._finished:
                    pass
                elif (
                    self.state == "queued" and call is not None and call.call_id in (None, call_id)
                ):
                    call.call_id = call_id
                    call.position = position
                    self._set(View("queued", position=position))
                else:
                    log.warning("call.queued for unknown call %s: cancelling it", call_id)
                    self._finished.add(call_id)
                    await self._signaling.send(CallCancel(call_id=call_id))
            case Answered(call_id=call_id, caseworker=caseworker, ice_servers=ice):
                if self.state == "queued" and call is not None and call.call_id in (None, call_id):
                    call.call_id = call_id
                    call.caseworker = caseworker
                    call.ice_servers = list(ice)
                    self._wants_call = False
                    self._set(View("in-call", caseworker=caseworker))
                    self._start_legs(call_id, call)
                else:
                    log.warning("call.answered for call %s we do not want: hanging up", call_id)
                    self._finished.add(call_id)
                    await self._signaling.send(Hangup(call_id=call_id))
            case RtcAnswer(call_id=call_id, leg=leg, sdp=sdp):
                if not (self.state == "in-call" and self._current(call_id) and call is not None):
                    log.info("rtc.answer for call %s outside the call ignored", call_id)
                elif leg == "screen":
                    self._screen.deliver_screen_answer(sdp)
                elif call.leg is not None:
                    self._legs.apply_answer(call_id, call.leg, sdp)
            case Ended(call_id=call_id, reason=reason):
                if self._current(call_id) and self.state in ("queued", "in-call"):
                    log.info("call %s ended by the console: %s", call_id, reason)
                    await self._end(call_id, reason)
            case Error(code=code, message=text):
                log.warning("console refused a message: %s (%s)", code, text)
            case _:
                self._to_tools(message)

    def _to_tools(self, message: object) -> None:
        call_id = getattr(message, "call_id", None)
        tools = [tool for tool in self._tools if isinstance(message, tool.handles)]
        if not tools:
            log.debug("message %r ignored", message)
        elif not (self.state == "in-call" and isinstance(call_id, str) and self._current(call_id)):
            log.info("%s outside its call ignored", type(message).__name__)
        else:
            for tool in tools:
                self._legs.spawn(tool.on_message(message, call_id))

    # --- helpers --------------------------------------------------------------------

    async def _request_call(self) -> None:
        self._wants_call = True
        self._call = Call()
        self._set(View("queued"))
        await self._signaling.send(CallRequest())

    def _current(self, call_id: str) -> bool:
        return self._call is not None and self._call.call_id == call_id

    def _start_legs(self, call_id: str, call: Call) -> None:
        call.leg = self._legs.start(call_id, call.ice_servers)
        if not self._screen.request_screen_offer(call.ice_servers):
            log.warning("no kiosk page connected: the caseworker will not be seen or heard")

    async def _end(self, call_id: str, reason: str) -> None:
        self._finished.add(call_id)
        self._wants_call = False
        await self._close_media()
        for tool in self._tools:
            self._legs.spawn(tool.on_call_end(call_id))
        self._set(View("ended", reason=reason))
        self._start_linger()

    def _start_linger(self) -> None:
        self._linger_token += 1
        token = self._linger_token
        self._legs.spawn(self._linger(token))

    async def _linger(self, token: int) -> None:
        await asyncio.sleep(self._linger_s)
        self.post(LingerOver(token))

    async def _close_media(self) -> None:
        call = self._call
        if call is not None and call.leg is not None:
            leg, call.leg = call.leg, None
            try:
                await leg.close()
            except Exception:
                log.exception("closing the camera leg failed")
        if self.state == "in-call":
            self._screen.close_screen()

    def _set(self, view: View) -> None:
        changed = view.state != self._view.state
        self._view = replace(view)
        self._publish()
        if changed:
            log.info("state -> %s", view.state)
            self._indicator.show(view.state)

    def _publish(self) -> None:
        self._screen.show(self._view)
        for observer in self._observers:
            observer(self._view)
