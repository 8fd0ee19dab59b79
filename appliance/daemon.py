"""Wiring: build the terminal's parts from config, run them, stop them cleanly.

:func:`build_terminal` is the one place that knows which concrete class implements
which interface; everything is passed in from here (the pin factory can be passed
in by tests: gpiozero's ``MockFactory(pin_class=MockPWMPin)``). Building binds the
kiosk socket, so ``Terminal.kiosk_port`` is known before :meth:`Terminal.run`.

A part that cannot be opened (no GPIO on a laptop, say) is reported ``missing`` in
/healthz and to the console, and the terminal runs without it: a terminal without
its arcade button still takes calls from the touch screen.

The offline-capture outbox (appliance/outbox/) is a mobile kit's alone: only with
``profile = "mobile"`` are the outbox, its upload task and the kiosk's ``/api/outbox``
routes built. A stationary terminal has no outbox folder, and the console refuses a
stationary terminal's kit uploads anyway (console/routes/kit_documents.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
from typing import Any

from appliance.config import Config, camera_size
from appliance.coordinator import Coordinator
from appliance.events import (
    CallPressed,
    CardChanged,
    Event,
    HandsetChanged,
    HangupPressed,
    LinkUp,
    PartsChanged,
    PhotoTaken,
    PrintChanged,
    QualityChanged,
)
from appliance.kiosk import KioskBridge, KioskServer, create_kiosk_app
from appliance.kit_parts import KitParts
from appliance.link import Link
from appliance.media.host_addresses import apply_host_addresses
from appliance.media.peer import AiortcCameraLeg
from appliance.media.pulse import MediaPulse
from appliance.media.quality import Rung
from appliance.outbox.kit import Outbox
from appliance.outbox.store import OutboxStore
from appliance.parts.audio import AudioPart, create_audio, devices_for_selftest, selftest
from appliance.parts.audio.handset import HookSwitch
from appliance.parts.audio.selftest import Player, Recorder
from appliance.parts.button import CallButton
from appliance.parts.camera import Camera, create_camera
from appliance.parts.cards import CardReader, create_card_reader
from appliance.parts.leds import LedPanel, open_leds
from appliance.parts.modem import create_modem
from appliance.parts.power import create_power
from appliance.parts.printer import Printer, create_printer
from appliance.photo import PhotoTool, PhotoUploader
from appliance.ports import CameraLeg, Contact, State
from appliance.printing import PrintTool
from appliance.selfview import SelfViewStream
from appliance.trust import TrustError, trust_context
from appliance.update_request import update_gate
from appliance.version import software
from protocol.messages import IceServer

log = logging.getLogger(__name__)

PARTS_POLL_S = 1.0
PRINTER_POLL_S = 2.0
"""How often the printer's IPP state is asked (one local request: negligible on a Pi)."""
PRINT_SPOOL = "print-spool"
"""Directory under ``data_dir`` holding PDFs between download and submission."""
OUTBOX = "outbox"
"""Directory under ``data_dir`` holding sealed documents until the console has them."""


class _NoLeds:
    """Stands in for a missing LED ring."""

    def show(self, state: State) -> None:
        """Nothing to show."""

    def close(self) -> None:
        """Nothing to release."""


class Terminal:
    """A built terminal; :meth:`run` until :meth:`stop`."""

    def __init__(
        self,
        *,
        config: Config,
        coordinator: Coordinator,
        link: Link,
        bridge: KioskBridge,
        kiosk: KioskServer,
        camera: Camera,
        microphone: AudioPart,
        call_button: CallButton | None,
        leds: LedPanel | _NoLeds,
        printer: Printer | None = None,
        card_reader: CardReader | None = None,
        hook: HookSwitch | None = None,
        selftest_devices: tuple[Player | None, Recorder | None] = (None, None),
        outbox: Outbox | None = None,
        kit: KitParts | None = None,
    ) -> None:
        self.outbox = outbox
        self.kit = kit or KitParts(None, None)
        self.hook = hook
        self.selftest_devices = selftest_devices
        self.started = asyncio.Event()
        self.printer = printer
        self.card_reader = card_reader
        self.config = config
        self.coordinator = coordinator
        self.link = link
        self.bridge = bridge
        self.kiosk = kiosk
        self.camera = camera
        self.microphone = microphone
        self.call_button = call_button
        self.leds = leds
        self._stop: asyncio.Event | None = None
        self.restart_requested = False
        """Set when the console asked for a restart: the process exits non-zero afterwards."""

    @property
    def button(self) -> Any:
        """The gpiozero Button (tests: ``button.pin.drive_low()``), or None if missing."""
        return None if self.call_button is None else self.call_button.device

    @property
    def kiosk_port(self) -> int:
        """The kiosk server's bound port."""
        return self.kiosk.port

    @property
    def frames_sent(self) -> int:
        """Camera frames delivered to aiortc since start."""
        return self.camera.frames_sent

    @property
    def remote_frames_decoded(self) -> int:
        """Remote video frames the kiosk page reported decoded (current or last call)."""
        return self.coordinator.remote_frames_decoded

    def parts(self) -> dict[str, str]:
        """Health of the hardware parts (sent to the console)."""
        return {
            "camera": self.camera.health(),
            **self.microphone.parts(),
            "button": "missing" if self.call_button is None else self.call_button.health(),
            "printer": "missing" if self.printer is None else self.printer.health(),
            **({} if self.card_reader is None else {"card_reader": self.card_reader.health()}),
            **self.kit.parts(),
        }

    def health_parts(self) -> dict[str, str]:
        """Parts plus the console link, for /healthz."""
        return {**self.parts(), "console_link": self.link.status}

    async def run(self) -> None:
        """Run the coordinator, the link and the kiosk until :meth:`stop`."""
        self._stop = asyncio.Event()
        audio_check = asyncio.create_task(self._audio_selftest(), name="audio self-test")
        self.bridge.running = True
        self.kiosk.start()
        tasks = [
            asyncio.create_task(self.coordinator.run(), name="coordinator"),
            asyncio.create_task(self.link.run(), name="link"),
            asyncio.create_task(self._watch_parts(), name="parts"),
            asyncio.create_task(self._watch_printer(), name="printer"),
            asyncio.create_task(self._watch_cards(), name="card reader"),
            asyncio.create_task(self.kit.run(), name="battery and modem"),
        ]
        if self.outbox is not None:  # a mobile kit's only
            tasks.append(asyncio.create_task(self.outbox.run(), name="outbox"))
        self.started.set()  # kiosk serving, link connecting: READY=1 for systemd
        stopper = asyncio.create_task(self._stop.wait(), name="stop")
        try:
            done, _ = await asyncio.wait([*tasks, stopper], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                if task is not stopper and not task.cancelled() and task.exception():
                    log.error("%s stopped unexpectedly", task.get_name(), exc_info=task.exception())
        finally:
            stopper.cancel()
            for task in tasks[1:]:
                task.cancel()
            await self.coordinator.stop()
            tasks[0].cancel()
            for task in [*tasks, stopper]:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            self.bridge.close()
            await asyncio.to_thread(self.kiosk.stop)
            audio_check.cancel()
            self.leds.close()
            self.camera.close()
            if self.hook is not None:
                self.hook.close()
            if self.printer is not None:
                self.printer.close()
            if self.call_button is not None:
                self.call_button.close()
            log.info("terminal stopped")

    async def stop(self) -> None:
        """Ask :meth:`run` to finish (call from the terminal's event loop)."""
        if self._stop is not None:
            self._stop.set()

    def request_restart(self, reason: str) -> None:
        """Stop cleanly so systemd starts the daemon again (the coordinator calls this)."""
        self.restart_requested = True
        if self._stop is not None:
            self._stop.set()

    async def _audio_selftest(self) -> None:
        """Play the echo test tone once at start; the verdict goes to the log and /healthz."""
        await selftest(self.microphone, *self.selftest_devices)
        result = self.microphone.selftest
        level = logging.WARNING if result.echo_cancel == "failed" else logging.INFO
        log.log(level, "audio self-test: echo_cancel %s (%s)", result.echo_cancel, result.detail,
                extra={"BT_PART": "audio"})  # fmt: skip

    async def _watch_printer(self) -> None:
        """Keep the printer's cached health fresh; _watch_parts reports its changes."""
        if self.printer is None:
            await asyncio.Event().wait()  # run() stops when any of its tasks ends: never end
        while self.printer is not None:
            try:
                await self.printer.refresh()
            except Exception:
                # Supervisor loop: a printer library surprise must not stop the terminal.
                log.exception("printer health check failed")
            await asyncio.sleep(PRINTER_POLL_S)

    async def _watch_cards(self) -> None:
        """Run the card reader's watcher; without a reader, wait like _watch_printer."""
        if self.card_reader is None:
            await asyncio.Event().wait()
        else:
            await self.card_reader.run()

    async def _watch_parts(self) -> None:
        last = self.parts()
        while True:
            await asyncio.sleep(PARTS_POLL_S)
            now = self.parts()
            if now != last:
                log.info("parts changed: %s", now)
                self.coordinator.post(PartsChanged(now))
                last = now


def build_terminal(config: Config, credential: str, *, pin_factory: Any = None) -> Terminal:
    """Build every part from ``config``; ``pin_factory`` overrides gpiozero's choice."""
    coordinator: Coordinator

    def post(event: Event) -> None:
        coordinator.post(event)

    def post_threadsafe(event: Event) -> None:
        coordinator.post_threadsafe(event)

    camera = create_camera(config.camera, device=config.camera_device,
                           size=camera_size(config), fps=config.camera_fps)  # fmt: skip
    microphone = create_audio(config)
    apply_host_addresses(config.ice_host_addresses)

    self_view = SelfViewStream()

    tls_context = _trust(config)

    pulse = MediaPulse()

    def quality_changed(rung: Rung, figures: Any) -> None:
        post(QualityChanged(rung.name, rung.width, rung.height, rung.fps,
                            figures.rtt_ms, figures.loss_pct))  # fmt: skip

    def legs(ice_servers: list[IceServer], on_failed: Any) -> CameraLeg:
        return AiortcCameraLeg(
            ice_servers=ice_servers,
            tls_context=tls_context,
            video=lambda: self_view.tap(camera.track()),
            audio=microphone.track,
            on_failed=on_failed,
            on_quality=quality_changed,
            on_rtcp=pulse.beat,
            audio_bitrate=config.audio_bitrate,
        )

    factory = pin_factory if pin_factory is not None else _pin_factory(config)
    call_button, leds = _gpio_parts(config, factory, post_threadsafe, camera)
    terminal: Terminal

    def health_parts() -> dict[str, str]:
        return terminal.health_parts()

    def parts() -> dict[str, str]:
        return terminal.parts()

    def details() -> dict[str, Any]:
        return {"audio_selftest": microphone.selftest.as_dict()}

    bridge = KioskBridge(
        post=post_threadsafe, parts=health_parts, details=details, self_view=self_view
    )
    outbox: Outbox | None = None
    if config.profile == "mobile":  # offline capture is a kit's (module docstring)
        outbox = Outbox(
            store=OutboxStore(config.data_dir / OUTBOX),
            console_url=config.console_url,
            credential=credential,
            camera=camera,
            camera_held=lambda: coordinator.camera_held(),
            max_age_s=config.outbox_max_age_h * 3600.0,
            paused=lambda: coordinator.state in ("queued", "in-call"),
        )
    kiosk = KioskServer(create_kiosk_app(bridge, outbox), config.kiosk_port)

    def on_link_event(event: Event) -> None:
        post(event)
        if outbox is not None and isinstance(event, LinkUp):
            outbox.wake()  # the link is back: upload what waits now, not after the backoff

    link = Link(console_url=config.console_url, credential=credential, software=software(),
                parts=parts, on_event=on_link_event, probe_s=config.link_probe_s,
                media_alive=pulse.alive,
                call=lambda: coordinator.resumable_call())  # fmt: skip
    printer = create_printer(config.printer, name=config.printer_name, server=config.cups_server)
    print_tool = PrintTool(
        printer=printer,
        signaling=link,
        console_url=config.console_url,
        credential=credential,
        spool_dir=config.data_dir / PRINT_SPOOL,
        on_status=lambda call_id, status, text: post(PrintChanged(call_id, status, text)),
    )
    card_reader = create_card_reader(
        config.card_reader, lambda card: post_threadsafe(CardChanged(card)), config.atr_database
    )
    uploader = PhotoUploader(console_url=config.console_url, credential=credential)
    photo_tool = PhotoTool(
        camera=camera,
        uploader=uploader,
        signaling=link,
        notify=bridge.notice,
        on_photo=lambda call_id, still: post(
            PhotoTaken(call_id, still.jpeg, still.width, still.height)
        ),
    )
    coordinator = Coordinator(
        signaling=link,
        legs=legs,
        screen=bridge,
        indicator=leds,
        ended_linger_s=config.ended_linger_s,
        tools=[print_tool, photo_tool],
        camera=camera,
        self_view=self_view,
        contact=Contact(phone=config.office_phone, address=config.office_address),
        idle_timeout_s=config.idle_timeout_s,
        no_answer_s=config.no_answer_s,
        on_restart=lambda reason: terminal.request_restart(reason),
        updates=update_gate(config.update_request_file),
        profile=config.profile,
        staff_idle_s=config.staff_idle_s,
    )
    terminal = Terminal(
        config=config,
        coordinator=coordinator,
        link=link,
        bridge=bridge,
        kiosk=kiosk,
        camera=camera,
        microphone=microphone,
        call_button=call_button,
        leds=leds,
        printer=printer,
        card_reader=card_reader,
        hook=_hook_switch(config, factory, microphone, post_threadsafe),
        selftest_devices=devices_for_selftest(config),
        outbox=outbox,
        kit=KitParts(
            create_power(config.power, root=config.power_supply_dir),
            create_modem(config.modem, command=config.mmcli),
        ),
    )
    return terminal


def _trust(config: Config) -> ssl.SSLContext:
    """The CAs for TURN over TLS; an unreadable CA file degrades to the system CAs, logged,
    rather than keeping the terminal from starting (a relay of a public CA still works)."""
    try:
        return trust_context(config.ca_file)
    except TrustError as err:
        log.error("%s; TURN over TLS trusts the system CAs only", err)
        return trust_context(None)


def _pin_factory(config: Config) -> Any:
    """MockFactory for ``mock``; None (gpiozero's own choice of real backend) for ``native``."""
    if config.pin_factory == "mock":
        from gpiozero.pins.mock import MockFactory, MockPWMPin

        return MockFactory(pin_class=MockPWMPin)
    return None


def _gpio_parts(
    config: Config, factory: Any, post: Any, camera: Camera
) -> tuple[CallButton | None, LedPanel]:
    from gpiozero.exc import GPIOZeroError

    button: CallButton | None = None
    try:
        button = CallButton(
            config.button_pin,
            pin_factory=factory,
            on_press=lambda: post(CallPressed("button")),
            on_hold=lambda: post(HangupPressed("button")),
            hold_time=config.hold_to_cancel_s,
            bounce_time=config.button_bounce_s,
        )
    except (GPIOZeroError, OSError, RuntimeError) as err:
        log.warning("call button unavailable (%s): touch screen only", err)
    leds = open_leds(ring_pin=config.led_pin, status_pin=config.status_led_pin,
                     camera_pin=config.camera_led_pin, pin_factory=factory,
                     activity=camera.activity)  # fmt: skip
    return button, leds


def _hook_switch(config: Config, factory: Any, audio: AudioPart, post: Any) -> HookSwitch | None:
    """The handset's hook switch, only when a handset is configured (``handset_source``)."""
    from gpiozero.exc import GPIOZeroError

    if not audio.handset_fitted:
        return None
    try:

        def changed(lifted: bool) -> None:
            audio.set_handset(lifted)
            post(HandsetChanged(lifted))

        return HookSwitch(config.hook_pin, pin_factory=factory, on_change=changed,
                          lifted_when=config.hook_lifted_when)  # fmt: skip
    except (GPIOZeroError, OSError, RuntimeError) as err:
        log.warning("hook switch unavailable (%s): the handset is never used", err)
        return None
