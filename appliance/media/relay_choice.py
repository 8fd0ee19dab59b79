"""Which of the console's TURN URLs the camera leg (aiortc) relays through.

The console hands out one TURN server with several URLs, in the order its admin prefers,
typically ``turn:host:3478?transport=udp``, ``turn:host:3478?transport=tcp`` and
``turns:host:443?transport=tcp``. A browser gathers relay candidates over all of them.
aiortc 1.x does not: ``aiortc.rtcicetransport.connection_kwargs`` keeps only the *first*
``turn:``/``turns:`` URL ("only a single TURN server is supported") and hands it to one
aioice ``Connection``. Behind a guest network that lets only TCP 443 out, that first URL
(UDP) never answers, aioice drops the failed allocation silently after its 5 s gathering
timeout, and the call has no path.

So the terminal probes every URL at once before it builds the peer connection: a STUN
Binding request over UDP, over TCP, or over TLS (with the certificate checked against the
system CAs plus the municipality's CA, :mod:`appliance.media.turn_tls`). It takes the first
URL *in the console's order* that answered, without waiting for lower-ranked ones: where UDP
works the choice costs one round trip; where UDP is blocked it costs the probe timeout
(``PROBE_TIMEOUT_S``), far less than aioice's 5 s. A Binding answer proves a STUN server is
behind the port (not a captive portal's proxy) and, for ``turns:``, that the certificate is
valid; the allocation itself (credentials) is still aioice's. When nothing answers, the
TURN URLs are left out (aioice would only spend its 5 s gathering timeout on them) and the
reasons are logged: the call then fails within the camera leg's connect timeout, with
those reasons in its message.
"""

from __future__ import annotations

import asyncio
import logging
import os
import ssl
from dataclasses import dataclass
from urllib.parse import parse_qs

from protocol.messages import IceServer

log = logging.getLogger(__name__)

PROBE_TIMEOUT_S = 1.0
"""How long a TURN URL may take to answer a Binding request (TLS handshake included).
TURN servers answer in one round trip (tens of ms even over LTE); one second also covers a
TLS handshake on a slow mobile line while keeping the cost of a blocked UDP small."""

STUN_HEADER = 20
BINDING_REQUEST = b"\x00\x01\x00\x00\x21\x12\xa4\x42"  # type, length 0, magic cookie
BINDING_SUCCESS = b"\x01\x01"


@dataclass(frozen=True)
class TurnUrl:
    """One ``turn:``/``turns:`` URL, parsed as aiortc parses it."""

    url: str
    host: str
    port: int
    transport: str
    """``udp`` or ``tcp``."""
    tls: bool

    @property
    def label(self) -> str:
        """``udp``, ``tcp`` or ``tls``: how the relay is reached (WebRTC's relayProtocol)."""
        return "tls" if self.tls else self.transport


def parse_turn_url(url: str) -> TurnUrl | None:
    """The parsed URL, or None when it is not a TURN URL aiortc could use."""
    scheme, sep, rest = url.partition(":")
    if not sep or scheme not in ("turn", "turns"):
        return None
    address, _, query = rest.partition("?")
    transport = parse_qs(query).get("transport", ["udp" if scheme == "turn" else "tcp"])[0]
    if transport not in ("udp", "tcp") or (scheme == "turns" and transport != "tcp"):
        return None
    if address.startswith("["):  # an IPv6 literal
        host, _, tail = address[1:].partition("]")
        port_text = tail.removeprefix(":")
    else:
        host, _, port_text = address.partition(":")
    try:
        port = int(port_text) if port_text else (5349 if scheme == "turns" else 3478)
    except ValueError:
        return None
    if not host or not 0 < port < 65536:
        return None
    return TurnUrl(url=url, host=host, port=port, transport=transport, tls=scheme == "turns")


async def probe(turn: TurnUrl, context: ssl.SSLContext, wait_s: float) -> str | None:
    """None when ``turn`` answers a STUN Binding request within ``wait_s`` seconds, else why not."""
    try:
        async with asyncio.timeout(wait_s):
            if turn.transport == "udp":
                await _probe_udp(turn)
            else:
                await _probe_stream(turn, context if turn.tls else None)
    except TimeoutError:
        return f"no answer within {wait_s:g} s"
    except ssl.SSLCertVerificationError as err:
        return f"certificate not trusted: {err.verify_message}"
    except (OSError, ssl.SSLError, ValueError) as err:
        return str(err) or type(err).__name__
    return None


class _Answer(asyncio.DatagramProtocol):
    def __init__(self, transaction: bytes) -> None:
        self.transaction = transaction
        self.done: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    def datagram_received(self, data: bytes, addr: object) -> None:
        if _is_answer(data, self.transaction) and not self.done.done():
            self.done.set_result(None)

    def error_received(self, exc: Exception) -> None:
        if not self.done.done():
            self.done.set_exception(exc)


def _request() -> tuple[bytes, bytes]:
    transaction = os.urandom(12)
    return BINDING_REQUEST + transaction, transaction


def _is_answer(data: bytes, transaction: bytes) -> bool:
    return len(data) >= STUN_HEADER and data[:2] == BINDING_SUCCESS and data[8:20] == transaction


async def _probe_udp(turn: TurnUrl) -> None:
    request, transaction = _request()
    loop = asyncio.get_running_loop()
    transport, protocol = await loop.create_datagram_endpoint(
        lambda: _Answer(transaction), remote_addr=(turn.host, turn.port)
    )
    try:
        while not protocol.done.done():  # a lost datagram is sent again
            transport.sendto(request)
            await asyncio.wait([protocol.done], timeout=0.25)
        protocol.done.result()
    finally:
        transport.close()


async def _probe_stream(turn: TurnUrl, context: ssl.SSLContext | None) -> None:
    request, transaction = _request()
    reader, writer = await asyncio.open_connection(
        turn.host, turn.port, ssl=context, server_hostname=turn.host if context else None
    )
    try:
        writer.write(request)  # RFC 8489 6.2.2: STUN over a stream needs no extra framing
        await writer.drain()
        header = await reader.readexactly(STUN_HEADER)
        if not _is_answer(header, transaction):
            raise ValueError("the server's answer is not a STUN Binding success")
    finally:
        writer.close()


@dataclass(frozen=True)
class RelayChoice:
    """The ICE servers to give aiortc, the TURN URL chosen, and why others were passed over."""

    servers: list[IceServer]
    chosen: TurnUrl | None
    refused: dict[str, str]

    def describe(self) -> str:
        """One line for logs and failure messages."""
        why = "; ".join(f"{url}: {reason}" for url, reason in self.refused.items())
        if self.chosen is None:
            return f"no TURN URL reachable ({why})" if why else "no TURN URL configured"
        return f"relay over {self.chosen.label} via {self.chosen.url}" + (
            f" (passed over: {why})" if why else ""
        )


async def choose_relay(
    servers: list[IceServer], context: ssl.SSLContext, wait_s: float = PROBE_TIMEOUT_S
) -> RelayChoice:
    """Probe the TURN URLs at once; keep the first that answered, in the console's order."""
    candidates = [
        (index, turn)
        for index, server in enumerate(servers)
        for turn in map(parse_turn_url, server.urls)
        if turn is not None
    ]
    if not candidates:
        return RelayChoice(servers=list(servers), chosen=None, refused={})
    tasks = [asyncio.create_task(probe(turn, context, wait_s)) for _, turn in candidates]
    refused: dict[str, str] = {}
    try:
        for (index, turn), task in zip(candidates, tasks, strict=True):
            reason = await task
            if reason is None:
                return RelayChoice(_only(servers, index, turn), turn, refused)
            refused[turn.url] = reason
    finally:
        for task in tasks:
            task.cancel()
    return RelayChoice(servers=_only(servers, -1, None), chosen=None, refused=refused)


def _only(servers: list[IceServer], index: int, turn: TurnUrl | None) -> list[IceServer]:
    """``servers`` with the TURN entry at ``index`` reduced to ``turn``'s URL, other TURN
    entries dropped (aiortc would take the first one anyway); STUN entries kept."""
    out: list[IceServer] = []
    for i, server in enumerate(servers):
        if i == index and turn is not None:
            out.append(IceServer(urls=[turn.url], username=server.username,
                                 credential=server.credential))  # fmt: skip
            continue
        stun = [u for u in server.urls if parse_turn_url(u) is None and u.startswith("stun")]
        if stun:
            out.append(IceServer(urls=stun, username=server.username,
                                 credential=server.credential))  # fmt: skip
    return out
