"""The WebSocket side of a hub :class:`~console.hub.Connection`: an outbox and its pump.

The hub must never wait on a client, so ``send`` only appends to an outbox and a pump task
writes it out. A client that lets more than ``max_pending`` messages pile up (a stalled
browser tab, a dead LTE link not yet timed out) is closed with 1008 instead of growing
memory without bound. :func:`run_socket` ties the pump to a reader with an idle timeout:
a socket silent for three heartbeats is closed with 4408. The reader also spends the
socket's message budget (console/floods.py) before a frame is decoded: over it, the
client gets ``error`` rate_limited once, then its frames are dropped, then close 4429.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections import deque
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from quart import Websocket

from console.config import ConsoleConfig
from console.floods import CLOSE_FLOOD, MessageBudget, Verdict
from protocol.codec import encode
from protocol.messages import PROTOCOL_VERSION, Error, Hello, IceServer, Message, Welcome

log = logging.getLogger(__name__)
CLOSE_BAD_HELLO = 4400
CLOSE_IDLE = 4408
CLOSE_TOO_SLOW = 1008
DRAIN_TIMEOUT_S = 5.0
MIN_IDLE_TIMEOUT_S = 3.0
"""No socket is given up sooner than this, however fast its client pings."""


class SocketConnection:
    """Implements :class:`console.hub.Connection` over one Quart websocket."""

    def __init__(self, max_pending: int = 256) -> None:
        self._outbox: deque[str] = deque()
        self._max_pending = max_pending
        self._wake = asyncio.Event()
        self._close: tuple[int, str] | None = None

    @property
    def closing(self) -> bool:
        """Whether a close was requested; later sends are dropped."""
        return self._close is not None

    def send(self, message: Message) -> None:
        """Queue a message; closes the socket if the client is too far behind."""
        if self._close is not None:
            return
        if len(self._outbox) >= self._max_pending:
            self.close(CLOSE_TOO_SLOW, "client too slow to receive")
            return
        self._outbox.append(encode(message))
        self._wake.set()

    def close(self, code: int, reason: str = "") -> None:
        """Queue a close; messages queued before it are still sent."""
        if self._close is None:
            self._close = (code, reason)
            self._wake.set()

    async def pump(self, ws: Websocket) -> None:
        """Write queued messages until a close was requested and sent."""
        while True:
            await self._wake.wait()
            self._wake.clear()
            while self._outbox:
                await ws.send(self._outbox.popleft())
            if self._close is not None:
                await ws.close(*self._close)
                return


def greet(
    conn: SocketConnection,
    msg: object,
    *,
    name: str,
    municipality: str,
    config: ConsoleConfig,
    upgrade_hint: str,
    ice_servers: Sequence[IceServer] | None = None,
    call_heartbeat_s: float | None = None,
    call_hold_s: float | None = None,
) -> Hello | None:
    """Check a client's first message: welcome it and return its hello, or refuse and close.

    The first message must be ``hello`` of our protocol version; anything else gets an
    ``error`` (hello_required or unsupported_version, with ``upgrade_hint`` telling the
    person what to do) and close 4400. ``ice_servers`` (default: the configured ones) carry
    the recipient's own TURN credential (console/turn.py).
    """
    if not isinstance(msg, Hello):
        conn.send(Error(code="hello_required", message="the first message must be hello"))
        conn.close(CLOSE_BAD_HELLO, "hello required")
        return None
    if msg.protocol != PROTOCOL_VERSION:
        text = f"protocol {msg.protocol} not supported; {upgrade_hint}"
        conn.send(Error(code="unsupported_version", message=text))
        conn.close(CLOSE_BAD_HELLO, "unsupported protocol version")
        return None
    conn.send(
        Welcome(
            protocol=PROTOCOL_VERSION,
            name=name,
            municipality=municipality,
            ice_servers=list(config.ice_servers if ice_servers is None else ice_servers),
            heartbeat_s=config.heartbeat_s,
            ice_transport_policy=config.ice_transport_policy,
            call_heartbeat_s=call_heartbeat_s,
            call_hold_s=call_hold_s,
        )
    )
    return msg


async def run_socket(
    ws: Websocket,
    conn: SocketConnection,
    handle: Callable[[str | bytes], Coroutine[Any, Any, None]],
    idle_timeout_s: float | Callable[[], float],
    budget: MessageBudget | None = None,
) -> None:
    """Read messages into ``handle`` until the client leaves, goes silent or is closed.

    ``idle_timeout_s`` may be a function, asked before each read: a terminal in a call pings
    faster and says so (``ping.interval_s``), and its socket is then given up sooner.

    A message in hand when the client leaves is handled to the end (at most
    DRAIN_TIMEOUT_S) before the caller tells the hub the socket is gone: cancelled in the
    middle of a database call, SQLAlchemy's pool logged "Exception during reset" and the
    message's effect was half done (found by the fuzz tests: a client that says hello and
    leaves at once).
    """
    inflight: set[asyncio.Task[None]] = set()
    pump = asyncio.create_task(conn.pump(ws))
    reader = asyncio.create_task(_read(ws, conn, handle, idle_timeout_s, budget, inflight))
    try:
        done, _ = await asyncio.wait({pump, reader}, return_when=asyncio.FIRST_COMPLETED)
        if reader in done:
            reader.result()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(pump), DRAIN_TIMEOUT_S)
        else:
            pump.result()
    finally:
        for task in (pump, reader):
            task.cancel()
        await asyncio.gather(pump, reader, return_exceptions=True)
        if inflight:
            await _finish(inflight)


async def _finish(inflight: set[asyncio.Task[None]]) -> None:
    """Let the message in hand be handled; an error in it is logged, not lost."""
    done, pending = await asyncio.wait(inflight, timeout=DRAIN_TIMEOUT_S)
    for task in pending:
        task.cancel()
    for task in done:
        if not task.cancelled() and task.exception() is not None:
            log.error("a message failed after its client left", exc_info=task.exception())


async def _read(
    ws: Websocket,
    conn: SocketConnection,
    handle: Callable[[str | bytes], Coroutine[Any, Any, None]],
    idle_timeout_s: float | Callable[[], float],
    budget: MessageBudget | None,
    inflight: set[asyncio.Task[None]],
) -> None:
    while not conn.closing:
        try:
            idle = idle_timeout_s() if callable(idle_timeout_s) else idle_timeout_s
            async with asyncio.timeout(idle):  # wait_for can swallow a cancel (3.11)
                data = await ws.receive()
        except TimeoutError:
            conn.close(CLOSE_IDLE, "no message within three heartbeats")  # or three call pings
            return
        if data is None:  # Quart hands an empty binary frame over as None (found by fuzzing)
            data = b""
        verdict = Verdict.ACCEPT if budget is None else budget.take(len(data))
        if verdict is Verdict.ACCEPT:
            task = asyncio.create_task(handle(data))
            inflight.add(task)
            task.add_done_callback(inflight.discard)
            await asyncio.shield(task)
        elif verdict is Verdict.REFUSE:
            wait = max(1, math.ceil(budget.wait())) if budget is not None else 1
            text = f"too many messages: dropped; slow down (the next is taken in {wait} s)"
            conn.send(Error(code="rate_limited", message=text))
        elif verdict is Verdict.CLOSE:
            conn.close(CLOSE_FLOOD, "too many messages")
            return
