"""In-memory fakes of the coordinator's ports and a small fake console for link tests."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from typing import Any, Literal

from aiohttp import WSMsgType, web

from appliance.ports import State, View
from protocol import encode, terminal_decoder
from protocol.messages import (
    PROTOCOL_VERSION,
    Hello,
    IceServer,
    Message,
    Ping,
    Pong,
    TerminalToConsole,
    Welcome,
)


async def wait_for(cond: Callable[[], Any], within: float = 5.0, step: float = 0.01) -> None:
    """Poll ``cond`` until true or fail after ``within`` seconds."""
    deadline = time.monotonic() + within
    while not cond():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {within} s")
        await asyncio.sleep(step)


class FakeSignaling:
    def __init__(self) -> None:
        self.sent: list[TerminalToConsole] = []
        self.up = True

    async def send(self, message: TerminalToConsole) -> bool:
        if not self.up:
            return False
        self.sent.append(message)
        return True

    def types(self) -> list[str]:
        return [type(m).__name__ for m in self.sent]


class FakeLeg:
    def __init__(self, on_failed: Callable[[str], None], fail_offer: bool = False) -> None:
        self.on_failed = on_failed
        self.fail_offer = fail_offer
        self.answer: str | None = None
        self.closed = False

    async def offer(self) -> str:
        await asyncio.sleep(0)
        if self.fail_offer:
            raise RuntimeError("no camera")
        return "v=0 camera-offer"

    async def apply_answer(self, sdp: str) -> None:
        self.answer = sdp

    async def close(self) -> None:
        self.closed = True


class FakeLegs:
    def __init__(self) -> None:
        self.legs: list[FakeLeg] = []
        self.fail_offer = False

    def __call__(self, ice_servers: list[IceServer], on_failed: Callable[[str], None]) -> FakeLeg:
        leg = FakeLeg(on_failed, self.fail_offer)
        self.legs.append(leg)
        return leg


class FakeScreen:
    def __init__(self, page_connected: bool = True) -> None:
        self.views: list[View] = []
        self.page_connected = page_connected
        self.offer_requests = 0
        self.policies: list[str] = []
        self.answers: list[str] = []
        self.closes = 0

    def show(self, view: View) -> None:
        self.views.append(view)

    def request_screen_offer(
        self, ice_servers: list[IceServer], policy: Literal["all", "relay"] = "all"
    ) -> bool:
        self.policies.append(policy)
        if self.page_connected:
            self.offer_requests += 1
        return self.page_connected

    def deliver_screen_answer(self, sdp: str) -> None:
        self.answers.append(sdp)

    def close_screen(self) -> None:
        self.closes += 1


class FakeIndicator:
    def __init__(self) -> None:
        self.states: list[State] = []

    def show(self, state: State) -> None:
        self.states.append(state)


class FakeConsole:
    """A minimal console: /ws/terminal with bearer auth, welcome, pong; restartable."""

    def __init__(
        self,
        credential: str = "secret",
        heartbeat_s: float = 0.2,
        call_heartbeat_s: float | None = None,
    ) -> None:
        self.credential = credential
        self.heartbeat_s = heartbeat_s
        self.call_heartbeat_s = call_heartbeat_s
        self.answer_pings = True
        self.received: list[Message] = []
        self.connections = 0
        self.port = 0
        self.ws: web.WebSocketResponse | None = None
        self.on_message: Callable[[Message], Any] | None = None
        self._runner: web.AppRunner | None = None
        self._decoder = terminal_decoder()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_get("/ws/terminal", self._handle)
        self._runner = web.AppRunner(app, shutdown_timeout=0.1)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", self.port, reuse_address=True)
        await site.start()
        if self.port == 0:
            server = site._server
            assert server is not None
            self.port = server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self.ws is not None:
            await self.ws.close()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def send(self, message: Message) -> None:
        assert self.ws is not None
        await self.ws.send_str(encode(message))

    async def send_raw(self, text: str) -> None:
        assert self.ws is not None
        await self.ws.send_str(text)

    def types(self) -> list[str]:
        return [type(m).__name__ for m in self.received]

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.headers.get("Authorization") != f"Bearer {self.credential}":
            raise web.HTTPUnauthorized()
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.ws = ws
        self.connections += 1
        async for msg in ws:
            if msg.type != WSMsgType.TEXT:
                break
            message = self._decoder.decode(msg.data)
            self.received.append(message)
            if isinstance(message, Hello):
                await ws.send_str(
                    encode(
                        Welcome(
                            protocol=PROTOCOL_VERSION,
                            name="Terminal 1",
                            municipality="Musterstadt",
                            ice_servers=[],
                            heartbeat_s=self.heartbeat_s,
                            call_heartbeat_s=self.call_heartbeat_s,
                        )
                    )
                )
            elif isinstance(message, Ping):
                if self.answer_pings:
                    await ws.send_str(encode(Pong(seq=message.seq)))
            elif self.on_message is not None:
                result = self.on_message(message)
                if asyncio.iscoroutine(result):
                    await result
        return ws
