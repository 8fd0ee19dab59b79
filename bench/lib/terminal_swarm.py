"""Thousands of idle terminals in one asyncio process, each a real signaling client.

Each terminal opens ``/ws/terminal`` with its enrolled credential, exactly as
:class:`appliance.link.Link` does (the same handshake options, so the same WebSocket
compression is negotiated), says ``hello``, waits for ``welcome``, then sends the
protocol's ``ping`` every heartbeat and times the ``pong``. That is all an idle
terminal does; a full :class:`~appliance.link.Link` per terminal would add its own
HTTP session and coordinator events, which the console cannot tell apart anyway.

Terminals start their heartbeats at random phases, as real ones do (they connect at
different times), so the console sees an even ping rate, not bursts.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from dataclasses import dataclass, field

import aiohttp

from appliance.link import websocket_url
from protocol import PROTOCOL_VERSION, encode, to_terminal_decoder
from protocol.messages import MAX_MESSAGE_BYTES, Hello, Ping, Pong, Welcome

SOFTWARE = "bench-idle-terminal"


@dataclass
class Swarm:
    """The terminals' sockets, their heartbeat tasks, and what they measured."""

    console_url: str
    interval_s: float
    connected: list[aiohttp.ClientWebSocketResponse] = field(default_factory=list)
    connect_failures: list[str] = field(default_factory=list)
    samples: list[tuple[float, float]] = field(default_factory=list)
    """(monotonic time of the pong, round trip in ms) of every heartbeat."""
    lost: int = 0
    """Terminals whose socket closed or whose pong did not come in time."""
    rng: random.Random = field(default_factory=lambda: random.Random(7))
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    def rtts_ms(self, since: float, until: float) -> list[float]:
        """Round trips of the pongs that arrived between two monotonic times."""
        return [rtt for at, rtt in self.samples if since <= at <= until]

    @property
    def held(self) -> int:
        """Terminals connected and never lost."""
        return len(self.connected) - self.lost


def session() -> aiohttp.ClientSession:
    """One HTTP session for all terminals of the process."""
    # limit=0: every open WebSocket holds its connection; the default cap of 100 would stall.
    return aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))


async def _connect_one(
    http: aiohttp.ClientSession, swarm: Swarm, credential: str, timeout_s: float
) -> None:
    decoder = to_terminal_decoder()
    try:
        async with asyncio.timeout(timeout_s):
            ws = await http.ws_connect(
                websocket_url(swarm.console_url),
                headers={"Authorization": f"Bearer {credential}"},
                max_msg_size=MAX_MESSAGE_BYTES,
                timeout=aiohttp.ClientWSTimeout(ws_close=1.0),
            )
            await ws.send_str(encode(Hello(protocol=PROTOCOL_VERSION, software=SOFTWARE)))
            while True:
                msg = await ws.receive()
                if msg.type != aiohttp.WSMsgType.TEXT:
                    raise ConnectionError(f"closed before welcome: {msg.type.name} {msg.data}")
                if isinstance(decoder.decode(msg.data), Welcome):
                    break
    except (aiohttp.ClientError, OSError, TimeoutError, ConnectionError) as err:
        swarm.connect_failures.append(f"{type(err).__name__}: {err}")
        return
    swarm.connected.append(ws)
    swarm._tasks.append(asyncio.create_task(_heartbeat(ws, swarm)))


async def connect(
    http: aiohttp.ClientSession,
    swarm: Swarm,
    credentials: list[str],
    concurrency: int = 64,
    timeout_s: float = 30.0,
) -> None:
    """Open a socket per credential, at most ``concurrency`` handshakes at a time; each
    terminal starts its heartbeat as soon as it is welcomed, as a real one does."""
    gate = asyncio.Semaphore(concurrency)

    async def one(credential: str) -> None:
        async with gate:
            await _connect_one(http, swarm, credential, timeout_s)

    await asyncio.gather(*(one(c) for c in credentials))


async def _heartbeat(ws: aiohttp.ClientWebSocketResponse, swarm: Swarm) -> None:
    """Ping every interval from a random phase until cancelled; time each pong."""
    decoder = to_terminal_decoder()
    interval = swarm.interval_s
    next_ping = time.monotonic() + swarm.rng.uniform(0, interval)
    seq = 0
    while True:
        await asyncio.sleep(max(0.0, next_ping - time.monotonic()))
        seq += 1
        sent = time.monotonic()
        try:
            await ws.send_str(encode(Ping(seq=seq)))
            async with asyncio.timeout(2 * interval):  # the terminal's own link-lost rule
                while True:
                    msg = await ws.receive()
                    if msg.type != aiohttp.WSMsgType.TEXT:
                        raise ConnectionError(msg.type.name)
                    reply = decoder.decode(msg.data)
                    if isinstance(reply, Pong) and reply.seq == seq:
                        break
        except (aiohttp.ClientError, OSError, TimeoutError, ConnectionError):
            swarm.lost += 1
            return
        now = time.monotonic()
        swarm.samples.append((now, (now - sent) * 1000))
        next_ping += interval


async def close(swarm: Swarm) -> None:
    """Stop the heartbeats and close every socket (the console sees the terminals leave)."""
    for task in swarm._tasks:
        task.cancel()
    await asyncio.gather(*swarm._tasks, return_exceptions=True)
    for ws in swarm.connected:
        with contextlib.suppress(aiohttp.ClientError, OSError):
            await ws.close()
