"""The signaling link to the console: one WebSocket, kept alive for the terminal's life.

After connecting, the terminal sends ``hello``, waits for ``welcome``, then pings every
``heartbeat_s``; no ``pong`` within 2 x ``heartbeat_s`` (or the socket closing) means
the link is lost. It then reconnects with exponential backoff and full jitter (delay
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

from appliance.events import Event, LinkDown, LinkMessage, LinkUp
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
    ) -> None:
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
        self._last_pong = 0.0
        self.status: LinkStatus = "down"
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
                self._on_event(LinkDown(reason))
                log.info("link down (%s); retrying in %.2f s", reason, delay)
                await asyncio.sleep(delay)

    async def _session(self, session: aiohttp.ClientSession) -> None:
        headers = {"Authorization": f"Bearer {self._credential}"}
        try:
            async with asyncio.timeout(self._welcome_timeout):
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
            hello = Hello(protocol=PROTOCOL_VERSION, software=self._software, parts=self._parts())
            await ws.send_str(encode(hello))
            welcome = await self._await_welcome(ws)
            self._ws = ws
            self.status = "ok"
            self.connects += 1
            self._last_pong = time.monotonic()
            self._on_event(LinkUp(welcome))
            # Whichever ends first (socket closed, or heartbeat timed out) ends the session.
            tasks = [
                asyncio.create_task(self._receive(ws)),
                asyncio.create_task(self._heartbeat(ws, welcome.heartbeat_s)),
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
                self._last_pong = time.monotonic()
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

    async def _heartbeat(self, ws: aiohttp.ClientWebSocketResponse, interval: float) -> None:
        interval = max(interval, 0.05)
        seq = 0
        while not ws.closed:
            await asyncio.sleep(interval)
            if time.monotonic() - self._last_pong > 2 * interval:
                log.warning("no pong for %.1f s: link lost", 2 * interval)
                return
            seq += 1
            try:
                await ws.send_str(encode(Ping(seq=seq)))
            except (aiohttp.ClientError, ConnectionError, RuntimeError):
                return


class _NoWelcome(Exception):
    """The console accepted the socket but never said welcome."""
