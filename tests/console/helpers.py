"""Test clients speaking the signaling protocol over aiohttp WebSockets."""

from __future__ import annotations

import re
from typing import Any, TypeVar

import aiohttp

from protocol.codec import encode, to_caseworker_decoder, to_terminal_decoder
from protocol.messages import (
    PROTOCOL_VERSION,
    Callbacks,
    CallOffer,
    DeskUpdate,
    Hello,
    Message,
    MobileOffice,
    OfferEnded,
    OfficeStatus,
    PresenceStatus,
    QueueUpdate,
    Welcome,
)
from tests.console.conftest import PASSWORD, RunningConsole

M = TypeVar("M", bound=Message)
ROUTING = (PresenceStatus, DeskUpdate, CallOffer, OfferEnded)
"""Presence, desk and offers (console/hub_routing.py): set aside in ``Peer.routing`` unless
wanted, so tests of other things see the messages they are about."""


class Peer:
    """One signaling socket with typed receive helpers."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, *, caseworker: bool) -> None:
        self.ws = ws
        self.decoder: Any = to_caseworker_decoder() if caseworker else to_terminal_decoder()
        self.office: list[OfficeStatus] = []
        """Office statuses received; recv() sets them aside unless wanted."""
        self.mobile: list[MobileOffice] = []
        """The mobile office's schedules received; set aside like office statuses."""
        self.callbacks: list[Callbacks] = []
        """Callback lists received; set aside like office statuses."""
        self.routing: list[Message] = []
        """Presence, desk updates and offers received; set aside like office statuses."""

    async def send(self, msg: Message | str | bytes) -> None:
        if isinstance(msg, Message):
            await self.ws.send_str(encode(msg))
        elif isinstance(msg, bytes):
            await self.ws.send_bytes(msg)
        else:
            await self.ws.send_str(msg)

    async def recv(self, wait_s: float = 3.0, *, want: type[Message] = Message) -> Message:
        """The next message; office statuses and callback lists are set aside unless wanted."""
        while True:
            frame = await self.ws.receive(timeout=wait_s)
            assert frame.type == aiohttp.WSMsgType.TEXT, f"expected a message, got {frame}"
            msg = self.decoder.decode(frame.data)
            if isinstance(msg, OfficeStatus) and want is not OfficeStatus:
                self.office.append(msg)
            elif isinstance(msg, MobileOffice) and want is not MobileOffice:
                self.mobile.append(msg)
            elif isinstance(msg, Callbacks) and want is not Callbacks:
                self.callbacks.append(msg)
            elif isinstance(msg, ROUTING) and want is not type(msg):
                self.routing.append(msg)
            else:
                return msg  # type: ignore[no-any-return]

    async def expect(self, cls: type[M], wait_s: float = 3.0) -> M:
        aside = (OfficeStatus, Callbacks, MobileOffice, *ROUTING)
        want: type[Message] = cls if cls in aside else Message
        msg = await self.recv(wait_s, want=want)
        assert isinstance(msg, cls), f"expected {cls.__name__}, got {msg!r}"
        return msg

    async def silent(self, within: float = 0.2) -> None:
        try:
            while True:
                frame = await self.ws.receive(timeout=within)
                if frame.type == aiohttp.WSMsgType.TEXT:
                    msg = self.decoder.decode(frame.data)
                    if isinstance(msg, OfficeStatus):
                        self.office.append(msg)
                        continue
                    if isinstance(msg, MobileOffice):
                        self.mobile.append(msg)
                        continue
                    if isinstance(msg, Callbacks):
                        self.callbacks.append(msg)
                        continue
                    if isinstance(msg, ROUTING):
                        self.routing.append(msg)
                        continue
                break
        except TimeoutError:
            return
        raise AssertionError(f"unexpected frame {frame}")

    async def close(self) -> None:
        await self.ws.close()


async def terminal(
    http: aiohttp.ClientSession,
    console: RunningConsole,
    credential: str,
    resume: str | None = None,
) -> tuple[Peer, Welcome]:
    ws = await http.ws_connect(
        f"{console.ws_base}/ws/terminal", headers={"Authorization": f"Bearer {credential}"}
    )
    peer = Peer(ws, caseworker=False)
    await peer.send(Hello(protocol=PROTOCOL_VERSION, software="test-terminal", resume=resume))
    welcome = await peer.expect(Welcome)
    peer.office.append(await peer.expect(OfficeStatus))  # always right after welcome
    return peer, welcome


def csrf_from(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no csrf token in page"
    return found.group(1)


async def sign_in_page(
    page: Any, console: RunningConsole, username: str, password: str = PASSWORD
) -> None:
    """Sign a browser ``page`` in through the console's sign-in form."""
    await page.goto(f"{console.base}/login")
    await page.fill("input[name=username]", username)
    await page.fill("input[name=password]", password)
    await page.click("[data-test=login]")


async def login(
    http: aiohttp.ClientSession, console: RunningConsole, username: str, password: str = PASSWORD
) -> aiohttp.ClientResponse:
    async with http.get(f"{console.base}/login") as page:
        token = csrf_from(await page.text())
    form = {"username": username, "password": password, "csrf_token": token}
    async with http.post(f"{console.base}/login", data=form, allow_redirects=False) as resp:
        await resp.read()
        return resp


async def caseworker(
    console: RunningConsole, username: str, password: str = PASSWORD
) -> tuple[aiohttp.ClientSession, Peer, QueueUpdate]:
    """A signed-in caseworker page (own cookie jar) with the first queue message."""
    http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
    resp = await login(http, console, username, password)
    assert resp.status == 303, resp.status
    ws = await http.ws_connect(f"{console.ws_base}/ws/caseworker", origin=f"http://{console.host}")
    peer = Peer(ws, caseworker=True)
    await peer.send(Hello(protocol=PROTOCOL_VERSION, software="test-page"))
    await peer.expect(Welcome)
    queue = await peer.expect(QueueUpdate)
    if not peer.callbacks:  # right after the queue; before it when another instance routes
        peer.callbacks.append(await peer.expect(Callbacks))
    return http, peer, queue
