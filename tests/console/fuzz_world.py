"""A running console under fuzz: who fuzzes, who watches, and what every answer must satisfy.

Aldorf (A) has the two fuzzing sockets, terminal ``a1`` and caseworker ``alice``, and two
well-behaved ones, terminal ``a2`` and caseworker ``anton``, that ping throughout and are
timed. Bestadt (B) has a waiting call of terminal ``b1`` and an open callback request, and
its caseworker ``bert`` watches. Generated messages name B's call, callback, queue and
caseworker next to A's own (tests/protocol/strategies.py, ``names``).

Every answer to a fuzzing socket is checked: each frame is a message the recipient accepts
(and, to a terminal, within 64 KiB, or the real terminal would drop the link), every error
code and close code is one docs/protocol.md documents, nothing names B's objects, and a
refusal carries the code its mutation calls for. :meth:`World.exchange` syncs on a ping:
the console handles a socket's messages in order, so whatever a message causes on its own
socket is sent before the pong.
"""

from __future__ import annotations

import asyncio
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import msgspec

from console.server import WS_MAX_MESSAGE_BYTES
from protocol.codec import ProtocolError, encode, to_terminal_decoder
from protocol.messages import (
    PROTOCOL_VERSION,
    ConsoleToCaseworker,
    Error,
    Hello,
    Message,
    Ping,
    Pong,
    Welcome,
)
from tests.console.conftest import RunningConsole
from tests.protocol.mutations import OK, Case
from tests.protocol.strategies import CODES, fits

DOCS = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
TERMINAL, CASEWORKER = "terminal", "caseworker"
SYNC_SEQ_BASE = 10**12  # far from the seqs the strategies draw often


def documented_codes() -> tuple[frozenset[str], frozenset[int]]:
    """Error codes and close codes as docs/protocol.md lists them."""
    text = DOCS.read_text(encoding="utf-8")
    paragraph = text[text.index("Error codes:") :].split("\n\n", 1)[0]
    errors = frozenset(re.findall(r"`([a-z_]+)`", paragraph))
    table = text[text.index("Close codes a client sees") :].split("\n\n", 2)[1]
    closes = frozenset(int(c) for c in re.findall(r"^\| (\d{4}) \|", table, re.MULTILINE))
    return errors, closes


ERROR_CODES, CLOSE_CODES = documented_codes()
_to_caseworker = msgspec.json.Decoder(ConsoleToCaseworker)


@dataclass
class Reply:
    """What came back for one message: frames (decoded), and a close code if it closed."""

    messages: list[Message] = field(default_factory=list)
    raw: list[str] = field(default_factory=list)
    closed: int | None = None

    def errors(self) -> list[str]:
        return [m.code for m in self.messages if isinstance(m, Error)]


class Client:
    """A socket of one side, read only when the test asks."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse, side: str) -> None:
        self.ws = ws
        self.side = side
        self.seq = SYNC_SEQ_BASE

    def decode(self, text: str) -> Message:
        """A frame the console sent: it must be a message this side accepts."""
        if self.side == TERMINAL:
            try:
                return to_terminal_decoder().decode(text)  # the terminal's own limit: 64 KiB
            except ProtocolError as err:
                raise AssertionError(f"console sent a terminal {err.code}: {text[:300]}") from err
        try:
            return _to_caseworker.decode(text)  # type: ignore[no-any-return]
        except msgspec.DecodeError as err:
            raise AssertionError(f"console sent a page an invalid message: {text[:300]}") from err

    async def send(self, data: str | bytes | Message, *, text_frame: bool = False) -> None:
        if isinstance(data, Message):
            data = encode(data)
        if isinstance(data, bytes) and text_frame:
            await self.ws.send_frame(data, aiohttp.WSMsgType.TEXT)
        elif isinstance(data, bytes):
            await self.ws.send_bytes(data)
        else:
            await self.ws.send_str(data)

    async def read(self, reply: Reply, wait_s: float) -> Message | None:
        """The next message into ``reply``; None once the socket closed."""
        frame = await self.ws.receive(timeout=wait_s)
        if frame.type in (aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED):
            reply.closed = self.ws.close_code
            return None
        if frame.type == aiohttp.WSMsgType.ERROR:  # the connection broke without a close frame
            reply.closed = self.ws.close_code or 1006
            return None
        assert frame.type == aiohttp.WSMsgType.TEXT, f"unexpected frame {frame}"
        message = self.decode(frame.data)
        reply.raw.append(frame.data)
        reply.messages.append(message)
        return message

    async def exchange(self, data: str | bytes | Message, *, text_frame: bool = False) -> Reply:
        """Send ``data``, then a ping; everything up to its pong (or a close) is the reply."""
        reply = Reply()
        self.seq += 1
        try:
            await self.send(data, text_frame=text_frame)
            await self.send(Ping(seq=self.seq))
        except ConnectionResetError:  # the console closed while we were sending
            pass
        while True:
            message = await self.read(reply, 10)
            if message is None or message == Pong(seq=self.seq):
                return reply


class Watcher:
    """A well-behaved socket: reads everything in the background, pings and times it."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.reply = Reply()
        self.rtts: list[float] = []
        self._pong = asyncio.Event()
        self._reader = asyncio.create_task(self._read())

    async def _read(self) -> None:
        while True:
            message = await self.client.read(self.reply, 3600)
            if message is None:
                return
            if isinstance(message, Pong) and message.seq == self.client.seq:
                self._pong.set()

    async def ping(self) -> float:
        """One round trip in seconds (fails after 5 s)."""
        self.client.seq += 1
        self._pong.clear()
        start = time.perf_counter()
        await self.client.send(Ping(seq=self.client.seq))
        await asyncio.wait_for(self._pong.wait(), 5)
        rtt = time.perf_counter() - start
        self.rtts.append(rtt)
        return rtt

    async def probe(self, stop: asyncio.Event, every_s: float = 0.05) -> None:
        """Ping until ``stop``."""
        while not stop.is_set():
            await self.ping()
            await asyncio.sleep(every_s)

    async def close(self) -> None:
        self._reader.cancel()
        await self.client.ws.close()


async def connect(
    http: aiohttp.ClientSession, console: RunningConsole, side: str, credential: str = ""
) -> Client:
    """A socket of ``side``, not yet greeted (caseworkers: ``http`` is signed in)."""
    if side == TERMINAL:
        ws = await http.ws_connect(
            f"{console.ws_base}/ws/terminal", headers={"Authorization": f"Bearer {credential}"}
        )
    else:
        ws = await http.ws_connect(
            f"{console.ws_base}/ws/caseworker", origin=f"http://{console.host}"
        )
    return Client(ws, side)


async def greet(client: Client) -> Reply:
    """Say hello; the reply runs up to the pong after welcome."""
    reply = await client.exchange(Hello(protocol=PROTOCOL_VERSION, software="fuzz"))
    assert any(isinstance(m, Welcome) for m in reply.messages), reply.raw[:3]
    return reply


def check(reply: Reply, sent: str | bytes | Message, secrets: set[str], what: str) -> None:
    """What holds for every reply to a fuzzing socket."""
    for code in reply.errors():
        assert code in ERROR_CODES, f"{what}: undocumented error code {code!r}"
    if reply.closed is not None:
        assert reply.closed in CLOSE_CODES, f"{what}: undocumented close code {reply.closed}"
    text = encode(sent) if isinstance(sent, Message) else sent
    text = text.decode(errors="replace") if isinstance(text, bytes) else text
    for secret in secrets:  # another municipality's names and ids, unless we sent them
        if secret in text:
            continue
        for raw in reply.raw:
            assert secret not in raw, f"{what}: answer names {secret!r}: {raw[:300]}"


def expect_reply(reply: Reply, sent: Case | Message, what: str) -> None:
    """A refusal carries the code its mutation calls for; a valid message is not refused as
    malformed (an oversized one: too_large)."""
    if isinstance(sent, Case):
        if OK in sent.expect or reply.closed is not None:
            return
        assert set(reply.errors()) & sent.expect, (
            f"{what}: expected {set(sent.expect)}: {reply.raw}"
        )
        return
    codec_codes = set(reply.errors()) & (CODES - {"invalid"})
    size = len(encode(sent).encode())
    if fits(sent):
        assert not codec_codes, f"{what}: a valid message refused: {reply.raw[:3]}"
    elif size > WS_MAX_MESSAGE_BYTES:  # hypercorn's check is not exact to the byte
        closed = reply.closed == 1009
        assert closed or "too_large" in reply.errors(), f"{what}: {size} bytes: {reply.closed}"
    else:
        assert "too_large" in reply.errors(), f"{what}: {reply.raw[:3]}"


def expect_first(reply: Reply, sent: Case | Message, what: str) -> None:
    """The answer to a socket's first message: welcome for our hello, else the right refusal.

    Any refusal but a codec error closes the socket with 4400; after a codec error the
    socket stays open and the ping that follows is refused as hello_required.
    """
    if reply.closed is not None and not reply.messages:
        return  # a transport close (1006, 1009): checked against the documented codes
    if isinstance(sent, Case):
        if OK not in sent.expect:
            assert reply.errors()[:1] and reply.errors()[0] in sent.expect, f"{what}: {reply.raw}"
        return
    if not fits(sent):  # (over 1 MiB the transport closes: returned above)
        assert reply.errors()[:1] == ["too_large"], f"{what}: {reply.raw[:2]}"
    elif isinstance(sent, Hello) and sent.protocol == PROTOCOL_VERSION:
        assert isinstance(reply.messages[0], Welcome), f"{what}: {reply.raw[:2]}"
    elif isinstance(sent, Hello):
        assert reply.errors()[:1] == ["unsupported_version"], f"{what}: {reply.raw[:2]}"
        assert reply.closed == 4400
    else:
        assert reply.errors()[:1] == ["hello_required"], f"{what}: {reply.raw[:2]}"
        assert reply.closed == 4400


def as_data(sent: Case | Message) -> str | bytes | Message:
    """What goes over the socket for a generated message or case."""
    return sent.data if isinstance(sent, Case) else sent
