"""The signaling link to the console: one WebSocket, kept alive for the terminal's life.

After connecting, the terminal sends ``hello``, waits for ``welcome``, then pings every
``heartbeat_s``; no ``pong`` within 2 x ``heartbeat_s`` (or the socket closing) means
the link is lost. During a call it pings every ``call_heartbeat_s`` instead, so a lost
network is noticed within seconds (appliance/heartbeat.py), and the ``hello`` of the next
socket names the call (``resume``) so the console can resume it. While that call is held
the link retries at least every second and gives a connection attempt 4 s: the network
coming back must bring the call back within seconds, not after a 10 s connect timeout.

A lost link reconnects with exponential backoff and full jitter (delay
drawn uniformly from [0, min(max, base * 2**attempt)], reset after a welcome): the
jitter spreads thousands of terminals reconnecting after a console restart, the small
base (0.5 s) gets a terminal back within a few seconds of the console returning.

A 401 at the handshake means the console does not know the credential (revoked, or a
wiped console): that will not fix itself quickly, so the link reports ``refused`` and
retries only at the maximum delay. Malformed messages from the console are logged and
dropped, never allowed to crash the terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Callable
from typing import Literal

import aiohttp

from appliance.events import Event, LinkChecked, LinkDown, LinkMessage, LinkUp
from appliance.heartbeat import Heartbeat
from appliance.link_quality import LinkFigures, LinkMeter
from protocol import PROTOCOL_VERSION, ProtocolError, encode, to_terminal_decoder
from protocol.messages import (
    MAX_MESSAGE_BYTES,
    ConsoleToTerminal,
    Hello,
    Ping,
    Pong,
    TerminalToConsole,
    Welcome,
)

log = logging.getLogger(__name__)

LinkStatus = Literal["ok", "down", "refused"]
HELD_RETRY_S = 1.0
"""Longest pause between connection attempts while a call waits to be resumed."""
HELD_CONNECT_S = 4.0
"""A connection attempt's limit while a call waits: a SYN lost to the outage is retried
by the kernel after 1 and 3 s; a fresh attempt after 4 s is quicker than waiting for 7 s."""


def websocket_url(console_url: str) -> str:
    """``http(s)://host/base`` -> ``ws(s)://host/base/ws/terminal``."""
    base = console_url.rstrip("/")
    if base.startswith("https://"):
        base = "wss://" + base.removeprefix("https://")
    elif base.startswith("http://"):
        base = "ws://" + base.removeprefix("http://")
    return base + "/ws/terminal"


class _Refused(Exception):
    """The console answered the handshake with 401."""


class Link:
    """Connects, says hello, keeps the heartbeat, reconnects; posts events to ``on_event``."""

    def __init__(
        self,
        *,
        console_url: str,
        credential: str,
        software: str,
        parts: Callable[[], dict[str, str]],
        on_event: Callable[[Event], None],
        backoff_base_s: float = 0.5,
        backoff_max_s: float = 30.0,
        welcome_timeout_s: float = 10.0,
        rng: random.Random | None = None,
        call: Callable[[], str | None] = lambda: None,
        clock: Callable[[], float] = time.monotonic,
        probe_s: float = 60.0,
        probe_count: int = 5,
        probe_gap_s: float = 0.3,
        media_alive: Callable[[], bool] = lambda: False,
    ) -> None:
        """``call`` names the answered call the terminal is in (or holds after a loss): it
        sets the faster ping rate and goes into ``hello.resume``. ``probe_s``: how often the
        link measures itself with ``probe_count`` pings while no call runs (0: never)."""
        self._url = websocket_url(console_url)
        self._credential = credential
        self._software = software
        self._parts = parts
        self._on_event = on_event
        self._base = backoff_base_s
        self._max = backoff_max_s
        self._welcome_timeout = welcome_timeout_s
        self._rng = rng or random.Random()
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._decoder = to_terminal_decoder()
        self._call = call
        self._clock = clock
        self._beat: Heartbeat | None = None
        self.status: LinkStatus = "down"
        self._meter = LinkMeter()
        self._shown: LinkFigures | None = None
        self._probe_s = probe_s
        self._probe_count = probe_count
        self._probe_gap = probe_gap_s
        self._media_alive = media_alive
        self.connects = 0  # successful welcomes, for tests and logs

    async def send(self, message: TerminalToConsole) -> bool:
        """Send one message if connected; False (and dropped) otherwise."""
        ws = self._ws
        if ws is None or ws.closed or self.status != "ok":
            log.info("link down: %s not sent", type(message).__name__)
            return False
        try:
            await ws.send_str(encode(message))
        except (aiohttp.ClientError, ConnectionError, RuntimeError) as err:
            log.warning("sending %s failed: %s", type(message).__name__, err)
            return False
        return True

    async def run(self) -> None:
        """Keep the link up until cancelled."""
        attempt = 0
        async with aiohttp.ClientSession() as session:
            while True:
                reason = "connection lost"
                try:
                    await self._session(session)
                    attempt = 0  # reset only after a welcome (see _session)
                except _Refused:
                    reason = "credential refused"
                except (aiohttp.ClientError, OSError, TimeoutError) as err:
                    reason = f"cannot connect: {err.__class__.__name__}"
                    attempt += 1
                except _NoWelcome as err:
                    reason = str(err)
                    attempt += 1
                self._ws = None
                if reason == "credential refused":
                    self.status = "refused"
                    delay = self._max
                else:
                    self.status = "down"
                    delay = self._rng.uniform(0, min(self._max, self._base * 2**attempt))
                    if self._call() is not None:
                        delay = min(delay, HELD_RETRY_S)
                self._on_event(LinkDown(reason))
                log.info("link down (%s); retrying in %.2f s", reason, delay)
                await asyncio.sleep(delay)

    async def _session(self, session: aiohttp.ClientSession) -> None:
        headers = {"Authorization": f"Bearer {self._credential}"}
        held = self._call() is not None
        try:
            async with asyncio.timeout(HELD_CONNECT_S if held else self._welcome_timeout):
                ws = await session.ws_connect(
                    self._url,
                    headers=headers,
                    max_msg_size=MAX_MESSAGE_BYTES,
                    timeout=aiohttp.ClientWSTimeout(ws_close=1.0),
                )
        except aiohttp.WSServerHandshakeError as err:
            if err.status == 401:
                raise _Refused from err
            raise
        async with ws:
            hello = Hello(protocol=PROTOCOL_VERSION, software=self._software,
                          parts=self._parts(), resume=self._call())  # fmt: skip
            await ws.send_str(encode(hello))
            welcome = await self._await_welcome(ws)
            self._ws = ws
            self.status = "ok"
            self.connects += 1
            beat = Heartbeat(
                idle_s=welcome.heartbeat_s,
                call_s=welcome.call_heartbeat_s,
                in_call=lambda: self._call() is not None,
                clock=self._clock,
                media_alive=self._media_alive,
            )
            self._beat = beat
            self._on_event(LinkUp(welcome))
            # Whichever ends first (socket closed, or heartbeat timed out) ends the session.
            tasks = [
                asyncio.create_task(self._receive(ws)),
                asyncio.create_task(self._heartbeat(ws, beat)),
            ]
            try:
                await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in tasks:
                    task.cancel()
                for task in tasks:
                    with contextlib.suppress(asyncio.CancelledError):
                        await task
                self.status = "down"
                self._ws = None

    async def _await_welcome(self, ws: aiohttp.ClientWebSocketResponse) -> Welcome:
        try:
            async with asyncio.timeout(self._welcome_timeout):
                async for msg in ws:
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        break
                    decoded = self._decode(msg.data)
                    if isinstance(decoded, Welcome):
                        return decoded
                    log.info("before welcome, ignored: %r", decoded)
        except TimeoutError as err:
            raise _NoWelcome("no welcome from the console") from err
        raise _NoWelcome("console closed before welcome")

    async def _receive(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        async for msg in ws:
            if msg.type != aiohttp.WSMsgType.TEXT:
                log.info("unexpected %s frame; closing", msg.type.name)
                break
            decoded = self._decode(msg.data)
            if decoded is None:
                continue
            if isinstance(decoded, Pong):
                if self._beat is not None:
                    self._beat.pong()
                self._meter.answered(decoded.seq, self._clock())
                self._report()
            elif isinstance(decoded, Welcome):
                log.info("repeated welcome ignored")
            else:
                self._on_event(LinkMessage(decoded))

    def _decode(self, data: str) -> ConsoleToTerminal | None:
        try:
            return self._decoder.decode(data)
        except ProtocolError as err:
            log.warning("malformed message from the console ignored: %s", err.message)
            return None

    def _report(self) -> None:
        """Tell the coordinator the link's figures when they changed."""
        figures = self._meter.figures()
        if figures is not None and figures != self._shown:
            self._shown = figures
            self._on_event(LinkChecked(figures.verdict, figures.rtt_ms, figures.loss_pct,
                                       figures.samples))  # fmt: skip

    async def _heartbeat(self, ws: aiohttp.ClientWebSocketResponse, beat: Heartbeat) -> None:
        seq = 0
        self._meter.reset()
        probe_at = self._clock()  # a first probe at once: the figure is there before a call
        while not ws.closed:
            await asyncio.sleep(beat.tick())
            if beat.lost():
                log.warning("no pong for %.1f s: link lost", beat.silence())
                return
            self._meter.expire(self._clock())
            self._report()
            count = 0
            if self._probe_s > 0 and self._call() is None and self._clock() >= probe_at:
                probe_at = self._clock() + self._probe_s
                count = self._probe_count
            elif beat.ping_due():
                count = 1
            for number in range(count):
                if number:
                    await asyncio.sleep(self._probe_gap)
                seq += 1
                self._meter.sent(seq, self._clock())
                try:
                    await ws.send_str(encode(Ping(seq=seq, interval_s=beat.interval())))
                except (aiohttp.ClientError, ConnectionError, RuntimeError):
                    return


class _NoWelcome(Exception):
    """The console accepted the socket but never said welcome."""
