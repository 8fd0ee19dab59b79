"""The call state machine: the one owner and only writer of the terminal's state.

Every input (button, touch screen, console messages, link up/down, media failures,
timers) arrives as an event in one asyncio queue and is handled one at a time, so
there are no races between, say, a hang-up and a late ``call.answered``. Slow work
(building an offer takes ICE gathering, 50-500 ms) runs in tasks that post their
result back as another event; the coordinator then checks that the call it belongs
to is still the current one.

States (exact strings): ``idle``, ``queued``, ``in-call``, ``ended``, ``offline``.
A citizen who was waiting when the link dropped is queued again automatically on
reconnect: they should not have to notice that the console restarted. A call in progress
when the link dropped stays ``in-call`` (showing ``reconnecting``) while the console holds
it (``welcome.call_hold_s``), and is resumed with the same caseworker when the link is back
(:meth:`CallFlow.hold`); with a console that does not hold calls it ends as before.

The screens around the call (welcome, info, closed, no-answer, thanks, callback-sent)
and the per-citizen session are the :class:`~appliance.desk.Desk`'s rules; the
coordinator owns the desk and composes every snapshot from the call state and the desk.
The camera runs only while a call is wanted (from ``continue`` until the call is over):
the info screen promises that it starts only then. A restart the console asks for waits
until no call runs (:mod:`appliance.restart`), and so does handing an update offer to the
installer (:mod:`appliance.update_request`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import replace

from appliance.callflow import CallFlow
from appliance.calls import LegTasks
from appliance.desk import Desk
from appliance.events import (
    Activity,
    CallbackRequested,
    CallPressed,
    CameraOfferReady,
    CardChanged,
    ChatTyped,
    ContinuePressed,
    Event,
    HandsetChanged,
    HangupPressed,
    KeepWaiting,
    LinkChecked,
    LinkDown,
    LinkMessage,
    LinkUp,
    MediaFailed,
    PartsChanged,
    PhotoTaken,
    PrintChanged,
    QualityChanged,
    ResetPressed,
    ScreenOffer,
    ScreenStats,
    StaffCallPressed,
    StaffSignInTyped,
    StaffSignOutPressed,
    TimerFired,
)
from appliance.kit_parts import battery_view
from appliance.ports import (
    CallQualityView,
    CallTool,
    CameraSwitch,
    Contact,
    Indicator,
    LegFactory,
    LinkCheck,
    Screen,
    SelfView,
    Signaling,
    State,
    View,
)
from appliance.restart import RestartGate
from appliance.screens import ScreenFlow
from appliance.staff import STAFF_EXPIRED, STAFF_IDLE, StaffDesk
from appliance.timers import Timers
from appliance.update_request import UpdateGate
from protocol.messages import (
    CallQuality,
    CardStatus,
    PartsReport,
    QualityLevel,
    StaffSignedIn,
    StaffSignedOut,
    StaffSigninFailed,
    TerminalRestart,
    UpdateOffer,
)

log = logging.getLogger(__name__)
STAFF_EXPIRY_RETRY_S = 5.0
"""A staff session expiring in a call ends once the call has: checked this often."""


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
        camera: CameraSwitch | None = None,
        self_view: SelfView | None = None,
        contact: Contact | None = None,
        idle_timeout_s: float = 90.0,
        no_answer_s: float = 180.0,
        on_restart: Callable[[str], None] | None = None,
        updates: UpdateGate | None = None,
        profile: str = "kiosk",
        staff_idle_s: float = 600.0,
    ) -> None:
        self._signaling = signaling
        self._legs = LegTasks(legs, self.post)
        self._screen = screen
        self._indicator = indicator
        self._linger_s = ended_linger_s
        self._camera = camera
        self._camera_on = False
        self._camera_lock = asyncio.Lock()
        self._timers = Timers(self.post, self._legs.spawn)
        self.desk = Desk(signaling=signaling, timers=self._timers, contact=contact,
                         idle_timeout_s=idle_timeout_s, no_answer_s=no_answer_s)  # fmt: skip
        self._base = View("offline", reason="starting")
        self._view = self.desk.compose(self._base)  # the profile is set below: see _compose
        self.calls = CallFlow(signaling=signaling, legs=self._legs, screen=screen,
                              desk=self.desk, timers=self._timers, set_view=self._set,
                              state=lambda: self._base.state, linger_s=ended_linger_s,
                              tools=tools, self_view=self_view)  # fmt: skip
        self.screens = ScreenFlow(
            desk=self.desk,
            calls=self.calls,
            timers=self._timers,
            set_view=self._set,
            state=lambda: self._base.state,
            shown=lambda: self._view.shown,
            linger_s=ended_linger_s,
        )
        self.profile = profile
        """``kiosk`` (citizens) or ``mobile`` (a staff kit: appliance/staff.py)."""
        self.staff = StaffDesk(signaling=signaling, timers=self._timers, idle_s=staff_idle_s)
        self.restart = RestartGate(on_restart)
        self.updates = updates if updates is not None else UpdateGate(None)
        self._queue: asyncio.Queue[Event] = asyncio.Queue()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.link_up = False
        self.call_hold_s = 0.0
        """How long the console holds our answered call after a lost link (its welcome)."""
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
        return self.calls.call_id

    def resumable_call(self) -> str | None:
        """The answered call the link pings fast for and names in its next hello."""
        if self.state != "in-call":
            return None
        return self.calls.call_id

    def observe(self, callback: Callable[[View], None]) -> None:
        """Also publish every state snapshot to ``callback`` (systemd's STATUS=)."""
        self._observers.append(callback)

    def stalled_for(self) -> float:
        """Seconds spent on the event being handled now; 0 when waiting (watchdog)."""
        since = self._handling_since
        return 0.0 if since is None else time.monotonic() - since

    @property
    def view(self) -> View:
        """The current snapshot (state, screen, caseworker, position, session, ...)."""
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
        self._publish(force=True)
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
        await self.calls.close_media()
        await self._legs.stop()
        if self._camera is not None and self._camera_on:
            await asyncio.to_thread(self._camera.stop)
            self._camera_on = False

    # --- event handling -------------------------------------------------------------

    async def handle(self, event: Event) -> None:
        """Apply one event to the state, then publish the snapshot if it changed."""
        await self._dispatch(event)
        self._publish()

    @property
    def mobile(self) -> bool:
        """Whether this appliance runs as a staff kit (``profile = "mobile"``)."""
        return self.profile == "mobile"

    async def _staff_event(self, event: Event) -> bool:
        """The mobile profile's events; True when ``event`` was one of them (or is not
        offered in this profile: the citizen's button and information screen)."""
        staff = self.staff
        match event:
            case StaffSignInTyped():
                if self.mobile and self.state == "idle":
                    await staff.sign_in(event, self.link_up)
            case StaffSignOutPressed():
                if self.mobile:
                    if self.state in ("queued", "in-call"):
                        await self.screens.hangup_pressed("kiosk")
                    await staff.sign_out("staff", self.link_up)
            case StaffCallPressed(queue_id=queue_id):
                if self.mobile and self.state == "idle" and staff.may_call(queue_id):
                    staff.activity()
                    self.desk.session.queue_id = queue_id
                    await self.calls.request()
            case TimerFired(name=name) if name == STAFF_IDLE:
                if self._timers.current(event):
                    if self.state in ("idle", "offline"):
                        await staff.sign_out("idle", self.link_up)
                    else:
                        staff.activity()  # never in a call: again once it is over
            case TimerFired(name=name) if name == STAFF_EXPIRED:
                if self._timers.current(event):
                    if self.state in ("idle", "offline"):
                        staff.expired()
                    else:  # a call goes on to its end; the console already has the session
                        self._timers.start(STAFF_EXPIRED, STAFF_EXPIRY_RETRY_S)
            case LinkMessage(message=StaffSignedIn() | StaffSigninFailed() | StaffSignedOut()):
                staff.on_message(event.message)
                if not staff.signed_in and self.state in ("queued", "in-call"):
                    await self.screens.hangup_pressed("kiosk")  # the session ran out
            case CallPressed() | ContinuePressed() if self.mobile:
                pass  # no citizen button on a staff kit
            case _:
                return False
        return True

    async def _dispatch(self, event: Event) -> None:
        desk = self.desk
        if await self._staff_event(event):
            return
        match event:
            case CallPressed(source=source):
                await self.screens.call_pressed(source)
            case ContinuePressed(language=language, queue_id=queue_id):
                if self.state == "idle" and desk.front == "info":
                    await self.screens.continue_(language, queue_id)
            case HangupPressed(source=source):
                await self.screens.hangup_pressed(source)
            case KeepWaiting():
                desk.keep_waiting()
            case ResetPressed():
                await self.screens.reset()
            case Activity():
                desk.activity(self._view.shown)
                self.staff.activity()
            case TimerFired():
                await self.screens.on_timer(event)
            case CallbackRequested():
                if self.state in ("idle", "queued", "offline"):
                    await desk.request_callback(event, self.link_up)
            case ChatTyped(text=text):
                if self.state == "in-call" and self.call_id is not None:
                    await desk.send_chat(self.call_id, text)
            case PhotoTaken(call_id=call_id):
                if self.state == "in-call" and self.calls.current(call_id):
                    desk.photo_taken(event)
            case PrintChanged(call_id=call_id):
                if self.state == "in-call" and self.calls.current(call_id):
                    desk.print_changed(event)
            case HandsetChanged(lifted=lifted):
                desk.handset = lifted
            case LinkUp(welcome=welcome):
                self.link_up = True
                desk.visits = ()  # the console sends the current schedule (if any) next
                self.calls.ice_transport_policy = welcome.ice_transport_policy
                self.call_hold_s = welcome.call_hold_s or 0.0
                log.info("connected to the console as %s (%s)", welcome.name, welcome.municipality)
                if self.state == "offline":
                    if self.calls.wants_call:
                        await self.calls.request()
                    else:
                        self._set(View("idle"))
            case LinkDown(reason=reason):
                self.link_up = False
                self.staff.link_lost()
                self.calls.cancel_unnamed = False
                desk.callback_failed("the console link was lost")
                if await self.calls.hold(self.call_hold_s):
                    return  # the call waits to be resumed (CallFlow.hold)
                await self.calls.close_media()
                if self.state == "in-call":
                    self.calls.wants_call = False
                    desk.end_call()
                desk.waiting_over()
                self.calls.call = None
                self._set(View("offline", reason=reason))
            case LinkMessage(message=TerminalRestart(reason=reason)):
                self.restart.request(reason, self.state)
            case LinkMessage(message=UpdateOffer() as offer):
                self.updates.offer(offer, self.state)
            case LinkMessage(message=message):
                if not await self.calls.on_message(message):
                    await self.screens.on_message(message)
            case CameraOfferReady(call_id=call_id, sdp=sdp):
                self.desk.session.call_quality = None  # a new leg starts at full quality
                await self.calls.send_offer(call_id, sdp)
            case ScreenOffer(sdp=sdp):
                await self.calls.send_screen_offer(sdp)
            case ScreenStats(frames_decoded=frames):
                if self.state == "in-call":
                    self.remote_frames_decoded = frames
            case MediaFailed(call_id=call_id, detail=detail):
                await self.calls.media_failed(call_id, detail)
            case QualityChanged():
                await self._quality_changed(event)
            case LinkChecked(verdict=verdict, rtt_ms=rtt, loss_pct=loss, samples=n):
                self.desk.link = LinkCheck(verdict, rtt, loss, n)
            case PartsChanged(parts=parts):
                desk.battery = battery_view(parts)
                self.staff.printer = parts.get("printer")
                if self.link_up:
                    await self._signaling.send(PartsReport(parts=parts))
            case CardChanged(card=card):
                # Only the type travels; the console relays it to the caseworker of the
                # call. While offline it is dropped: the next hello's parts carry it. A kit
                # shows it to its signed-in staff member and tells the console only then.
                self.staff.card = card
                live = self.state in ("queued", "in-call")
                if self.link_up and (not self.mobile or self.staff.signed_in):
                    current = self.call_id if live else None
                    await self._signaling.send(CardStatus(card=card, call_id=current))

    async def _quality_changed(self, event: QualityChanged) -> None:
        """The camera leg changed its video to fit the link: show it, tell the caseworker."""
        call_id = self.call_id
        if self.state != "in-call" or call_id is None:
            return
        q = event
        view = CallQualityView(q.level, q.width, q.height, q.fps, q.rtt_ms, q.loss_pct)
        self.desk.session.call_quality = None if q.level == "full" else view
        levels: dict[str, QualityLevel] = {
            "full": "full", "reduced": "reduced", "low": "low", "audio_only": "audio_only",
        }  # fmt: skip
        level = levels.get(q.level)
        if level is not None and self.link_up:
            await self._signaling.send(CallQuality(call_id=call_id, level=level, width=q.width,
                                                   height=q.height, fps=q.fps, rtt_ms=q.rtt_ms,
                                                   loss_pct=q.loss_pct))  # fmt: skip

    def _set(self, base: View) -> None:
        if base.state == "idle" and self._base.state == "ended":
            self.remote_frames_decoded = 0
        self._base = base

    def _compose(self) -> View:
        """The snapshot: the desk's, and on a staff kit the staff screens instead of the
        citizen's welcome (sign-in, or the staff home once someone is signed in, also while
        the link is down)."""
        view = self.desk.compose(self._base)
        if not self.mobile:
            return view
        screen = view.screen
        timeout = view.idle_timeout_s
        if view.state == "idle" or (view.state == "offline" and self.staff.signed_in):
            # Out of signal the staff home stays (offline capture), with calls greyed out.
            screen = "staff-home" if self.staff.signed_in else "staff-signin"
            if self.staff.signed_in:
                timeout = self.staff.idle_s  # the page warns before the idle sign-out
        return replace(view, screen=screen, profile="mobile", staff=self.staff.view(),
                       idle_timeout_s=timeout)  # fmt: skip

    def _publish(self, *, force: bool = False) -> None:
        view = self._compose()
        if view == self._view and not force:
            return
        old, self._view = self._view, view
        if view.shown != old.shown or force:
            self.desk.screen_changed(view.shown)
            if view.shown == "staff-home":
                self.staff.activity()  # the page counts the idle time from here too
        self._screen.show(view)
        for observer in self._observers:
            observer(view)
        if view.state != old.state:
            log.info("state -> %s (%s)", view.state, view.shown)
            self._indicator.show(view.state)
            self.restart.check(view.state)
            self.updates.check(view.state)
        self._switch_camera(view.state in ("queued", "in-call"))

    def _switch_camera(self, on: bool) -> None:
        """Start the camera at ``continue`` and stop it when the call is over (in a thread)."""
        if self._camera is None or on == self._camera_on:
            return
        self._camera_on = on
        self._legs.spawn(self._apply_camera())

    @contextlib.asynccontextmanager
    async def camera_held(self) -> AsyncIterator[bool]:
        """The camera running for one still outside the call flow (the kit's outbox).

        Holds the camera switch's lock, starts the camera if no call has it on and stops it
        again afterwards unless a call wanted it meanwhile; yields whether it started it.
        """
        camera = self._camera
        if camera is None:
            yield False
            return
        async with self._camera_lock:
            started = not self._camera_on
            if started:
                await asyncio.to_thread(camera.start)
            try:
                yield started
            finally:
                if started and not self._camera_on:
                    await asyncio.to_thread(camera.stop)

    async def _apply_camera(self) -> None:
        camera = self._camera
        assert camera is not None
        async with self._camera_lock:
            want = self._camera_on
            log.info("camera %s", "on" if want else "off")
            await asyncio.to_thread(camera.start if want else camera.stop)
