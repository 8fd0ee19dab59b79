"""Caseworker pages and terminals making calls back to back, at the protocol level.

Each pair is one municipality with one caseworker page and one terminal. The terminal
requests a call; the console offers it to the caseworker, who answers; the terminal
offers both legs (``camera``, ``screen``) with real SDP, the caseworker answers both;
once the terminal has both answers the call is set up, and the caseworker hangs up and
ends the wrap-up at once (``presence.set available``) so the next call can start. No
media flows: this is the console's share of a call set-up, the part that has to scale
over console instances.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from appliance.link import websocket_url
from protocol import PROTOCOL_VERSION, encode, to_terminal_decoder
from protocol.codec import to_caseworker_decoder
from protocol.messages import (
    Answer,
    Answered,
    CallOffer,
    CallRequest,
    Ended,
    Error,
    Hangup,
    Hello,
    Leg,
    Message,
    PresenceSet,
    RtcAnswer,
    RtcOffer,
    Welcome,
)
from tests.console.helpers import csrf_from

LEGS: tuple[Leg, ...] = ("camera", "screen")
STALL_S = 10.0
"""A terminal that hears nothing this long gives up (counted as an error): a call the
console lost must not hold the bench until the socket's heartbeat times out."""


@dataclass
class Tally:
    """What all pairs measured together."""

    setups_ms: list[float] = field(default_factory=list)
    """call.request sent -> both rtc.answers received by the terminal, per call."""
    ended: int = 0
    errors: list[str] = field(default_factory=list)


async def real_sdp() -> tuple[str, str]:
    """An offer and an answer as aiortc writes them (audio + video, host candidates)."""
    from aiortc import RTCConfiguration, RTCPeerConnection

    offerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    answerer = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        offerer.addTransceiver("audio", direction="sendonly")
        offerer.addTransceiver("video", direction="sendonly")
        await offerer.setLocalDescription(await offerer.createOffer())
        await answerer.setRemoteDescription(offerer.localDescription)
        await answerer.setLocalDescription(await answerer.createAnswer())
        return offerer.localDescription.sdp, answerer.localDescription.sdp
    finally:
        await offerer.close()
        await answerer.close()


async def sign_in(
    http: aiohttp.ClientSession, console_url: str, username: str, password: str
) -> None:
    """Sign in through the login form (CSRF token from the page), as a browser does."""
    async with http.get(f"{console_url}/login") as page:
        token = csrf_from(await page.text())
    form = {"username": username, "password": password, "csrf_token": token}
    async with http.post(f"{console_url}/login", data=form, allow_redirects=False) as resp:
        if resp.status != 303:
            raise RuntimeError(f"sign-in of {username} answered {resp.status}")


async def _hello(ws: aiohttp.ClientWebSocketResponse, decoder: Any, software: str) -> None:
    await ws.send_str(encode(Hello(protocol=PROTOCOL_VERSION, software=software)))
    while True:
        msg = await ws.receive()
        if msg.type != aiohttp.WSMsgType.TEXT:
            raise ConnectionError(f"closed before welcome: {msg.type.name} {msg.data}")
        if isinstance(decoder.decode(msg.data), Welcome):
            return


class Pair:
    """One caseworker page and one terminal of the same municipality."""

    def __init__(self, tally: Tally, offer_sdp: str, answer_sdp: str) -> None:
        self._tally = tally
        self._offer_sdp = offer_sdp
        self._answer_sdp = answer_sdp
        self._page: aiohttp.ClientWebSocketResponse | None = None
        self._terminal: aiohttp.ClientWebSocketResponse | None = None

    async def open(
        self,
        page_http: aiohttp.ClientSession,
        terminal_http: aiohttp.ClientSession,
        console_url: str,
        username: str,
        password: str,
        credential: str,
        terminal_url: str | None = None,
    ) -> None:
        """Sign the caseworker in, open both sockets and say hello on each; the terminal
        connects to ``terminal_url`` if given (another instance of the same console)."""
        await sign_in(page_http, console_url, username, password)
        ws_base = console_url.replace("http://", "ws://", 1)
        self._page = await page_http.ws_connect(f"{ws_base}/ws/caseworker", origin=console_url)
        await _hello(self._page, to_caseworker_decoder(), "bench-page")
        self._terminal = await terminal_http.ws_connect(
            websocket_url(terminal_url or console_url),
            headers={"Authorization": f"Bearer {credential}"},
        )
        await _hello(self._terminal, to_terminal_decoder(), "bench-terminal")

    async def run(self, until: float) -> None:
        """Make calls back to back until the monotonic time ``until``."""
        page = asyncio.create_task(self._page_loop())
        try:
            await self._terminal_loop(until)
        finally:
            page.cancel()
            await asyncio.gather(page, return_exceptions=True)

    async def _send(self, ws: aiohttp.ClientWebSocketResponse | None, msg: Message) -> None:
        assert ws is not None
        await ws.send_str(encode(msg))

    async def _page_loop(self) -> None:
        """The caseworker: answer offers, answer both legs, hang up, end the wrap-up."""
        decoder = to_caseworker_decoder()
        assert self._page is not None
        answered: dict[str, int] = {}
        while True:
            frame = await self._page.receive()
            if frame.type != aiohttp.WSMsgType.TEXT:
                self._tally.errors.append(f"page socket: {frame.type.name}")
                return
            msg = decoder.decode(frame.data)
            if isinstance(msg, CallOffer):
                await self._send(self._page, Answer(call_id=msg.call_id))
            elif isinstance(msg, RtcOffer):
                reply = RtcAnswer(call_id=msg.call_id, leg=msg.leg, sdp=self._answer_sdp)
                await self._send(self._page, reply)
                answered[msg.call_id] = answered.get(msg.call_id, 0) + 1
                if answered[msg.call_id] == len(LEGS):
                    del answered[msg.call_id]
                    await self._send(self._page, Hangup(call_id=msg.call_id))
            elif isinstance(msg, Ended):
                await self._send(self._page, PresenceSet(state="available"))
            elif isinstance(msg, Error):
                self._tally.errors.append(f"page: {msg.code} {msg.message}")

    async def _terminal_loop(self, until: float) -> None:
        """The terminal: request, offer both legs, time until both answers, wait for the end."""
        decoder = to_terminal_decoder()
        ws = self._terminal
        assert ws is not None
        while time.monotonic() < until:
            requested = time.monotonic()
            await self._send(ws, CallRequest())
            answers = 0
            while True:
                try:
                    frame = await ws.receive(timeout=STALL_S)
                except TimeoutError:
                    self._tally.errors.append(f"terminal: nothing heard for {STALL_S:g} s")
                    return
                if frame.type != aiohttp.WSMsgType.TEXT:
                    self._tally.errors.append(f"terminal socket: {frame.type.name}")
                    return
                msg = decoder.decode(frame.data)
                if isinstance(msg, Answered):
                    for leg in LEGS:
                        offer = RtcOffer(call_id=msg.call_id, leg=leg, sdp=self._offer_sdp)
                        await self._send(ws, offer)
                elif isinstance(msg, RtcAnswer):
                    answers += 1
                    if answers == len(LEGS):
                        self._tally.setups_ms.append((time.monotonic() - requested) * 1000)
                elif isinstance(msg, Ended):
                    self._tally.ended += 1
                    break
                elif isinstance(msg, Error):
                    self._tally.errors.append(f"terminal: {msg.code} {msg.message}")

    async def close(self) -> None:
        """Close both sockets."""
        for ws in (self._terminal, self._page):
            if ws is not None:
                await ws.close()
