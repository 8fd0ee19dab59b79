"""The citizen's way through the screens: the intents and timers around the call.

The coordinator hands this class the events that change what the citizen sees rather
than the call itself: the call button on ``welcome`` and ``info``, ``continue`` (with the
chosen service when the office offers several), hanging up on ``info``/``closed``/
``no-answer``, "start over", the timers (thanks/callback-sent
linger, idle timeout, no-answer, callback reply) and the console's office status,
callback replies and chat lines. It decides with the :class:`~appliance.desk.Desk`'s
rules and acts through :class:`~appliance.callflow.CallFlow`; it is called only from
the coordinator's event loop and changes the call state only through ``set_view``.

Wipes: the idle timeout on ``info``, ``closed`` and ``no-answer`` (a waiting call is
cancelled first: nobody is there to answer), the end of ``thanks`` and of
``callback-sent``, and "start over" all end in :meth:`Desk.wipe`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from appliance.callflow import CallFlow
from appliance.desk import IDLE_SCREENS, Desk
from appliance.events import TimerFired
from appliance.ports import ScreenName, State, View
from appliance.timers import CALLBACK, IDLE, LINGER, NO_ANSWER, RECONNECT, Timers
from protocol.messages import CallbackAccepted, Chat, Error, MobileOffice, OfficeStatus

log = logging.getLogger(__name__)


class ScreenFlow:
    """See the module docstring."""

    def __init__(
        self,
        *,
        desk: Desk,
        calls: CallFlow,
        timers: Timers,
        set_view: Callable[[View], None],
        state: Callable[[], State],
        shown: Callable[[], ScreenName],
        linger_s: float,
    ) -> None:
        self._desk = desk
        self._calls = calls
        self._timers = timers
        self._set = set_view
        self._state = state
        self._shown = shown
        self._linger_s = linger_s

    async def call_pressed(self, source: str) -> None:
        """The touch or arcade call button: welcome -> info (or closed), info -> continue."""
        desk = self._desk
        if self._state() != "idle":
            log.debug("call pressed in state %s: ignored", self._state())
        elif desk.front == "info":
            await self.continue_(desk.session.language)  # the arcade button's second press
        elif desk.front in ("welcome", "callback-sent", "no-answer"):
            if desk.front == "callback-sent":
                desk.wipe()  # the next citizen
            # on no-answer (the console gave up on the call) the citizen may simply try again
            desk.front = "info" if desk.office_open else "closed"
            log.info("call pressed (%s): %s", source, desk.front)

    async def continue_(self, language: str | None, queue_id: int | None = None) -> None:
        """The citizen read ``info`` (and chose a service): request the call in their language.

        A service the office does not offer (the list changed meanwhile) counts as no
        choice: the console then puts the call into the office's first queue, as for the
        arcade button, which cannot choose.
        """
        desk = self._desk
        if not desk.office_open:
            desk.front = "closed"
            return
        offered = {s.queue_id for s in desk.office.services} if desk.office else set()
        if queue_id not in offered:
            queue_id = None
        log.info("call requested (language %s, service %s)", language, queue_id)
        desk.session.language = language
        desk.session.queue_id = queue_id
        desk.front = "welcome"
        await self._calls.request()

    async def hangup_pressed(self, source: str) -> None:
        """Cancel or hang up; on info or closed: back to welcome, wiped."""
        if await self._calls.hang_up(source):
            return
        if self._state() == "offline" and self._calls.wants_call:
            self._calls.wants_call = False
            log.info("citizen stopped waiting while offline")
        elif self._state() == "idle" and self._desk.front in ("info", "closed", "no-answer"):
            self._desk.wipe()

    async def reset(self) -> None:
        """The page's start over: like hanging up, but straight back to welcome."""
        if self._state() == "in-call":
            await self._calls.hang_up("kiosk")
            return
        if self._state() == "queued":
            await self._calls.drop_waiting()
        if self._state() in ("queued", "ended"):
            self._timers.cancel(LINGER)
            self._calls.call = None
            self._set(View("idle"))
        self._calls.wants_call = False
        self._desk.wipe()

    async def on_timer(self, event: TimerFired) -> None:
        """Linger over, idle timeout, nobody answering, or no callback reply."""
        if not self._timers.current(event):
            return
        desk = self._desk
        if event.name == LINGER:
            if self._state() == "ended":
                self._calls.call = None
                desk.wipe()
                self._set(View("idle"))
            elif self._state() == "idle" and desk.front == "callback-sent":
                desk.wipe()
        elif event.name == IDLE and self._shown() in IDLE_SCREENS:
            log.info("nobody touched the %s screen: wiping", self._shown())
            if self._state() == "queued":
                await self._calls.drop_waiting()
                self._set(View("idle"))
            desk.wipe()
        elif event.name == NO_ANSWER and self._state() == "queued":
            log.info("nobody answered within %.0f s: offering a callback", desk.no_answer_s)
            desk.no_answer = True
        elif event.name == CALLBACK:
            desk.callback_failed("the console did not answer")
        elif event.name == RECONNECT:
            await self._calls.give_up()

    async def on_message(self, message: object) -> None:
        """Office status, the mobile office's schedule, callback replies, chat lines and errors
        from the console."""
        desk = self._desk
        match message:
            case OfficeStatus():
                desk.office = message
                if not message.open and self._state() == "idle" and desk.front == "info":
                    desk.front = "closed"
            case MobileOffice(visits=visits):
                desk.visits = tuple(visits)
            case CallbackAccepted(request_id=request_id):
                if desk.callback_accepted(request_id):
                    if self._state() == "queued":  # a callback instead of waiting on
                        await self._calls.drop_waiting()
                        self._set(View("idle"))
                    self._timers.start(LINGER, self._linger_s)
            case Chat(call_id=call_id):
                if self._state() == "in-call" and self._calls.current(call_id):
                    desk.chat_received(message)
            case Error(code=code, message=text):
                log.warning("console refused a message: %s (%s)", code, text)
                if desk.callback_sending and code != "not_found":
                    desk.callback_failed(f"refused: {code}")
            case _:
                log.debug("message %r ignored", message)
