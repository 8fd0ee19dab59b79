"""Quart's ASGI WebSocket handler with a bounded receive queue and no dead end after close.

Three holes between Quart and hypercorn (0.18), found by the flood and fuzz tests
(tests/console/test_flood_sockets.py, test_ws_fuzz.py):

- Quart reads every incoming frame into an *unbounded* queue as fast as hypercorn parses
  them, whatever the handler keeps up with. While a handler waits for the database, a
  client could fill the console's memory. Here the queue holds :data:`RECEIVE_QUEUE`
  frames; beyond that hypercorn stops reading and TCP pushes back on the client.
- When the handler closes a socket (4429 flood, 1008 too slow, 4409 replaced, ...) while
  the client goes on sending, hypercorn's own queue of ten events fills, and its reader,
  and then the end of the app itself (which puts a last "disconnect" event), wait for a
  free slot forever: the connection's tasks and file descriptor were never released, not
  even after the client left (seven leaked per three seconds of flooding). Here the events
  still queued are discarded when the handler is done, so that hypercorn's own last
  "disconnect" finds room; hypercorn then marks the stream closed before it awaits
  anything, and its reader drops whatever the client sends later as raw bytes, without
  parsing frames, until the client leaves or falls silent for ``read_timeout``
  (console/server.py). The frames of the read it was in the middle of still go into the
  queue: a short drain in the background takes them (up to one read, 64 KiB).
  Reading everything through the app instead cost the second client of the flood test
  tens of milliseconds per ping.
- hypercorn keeps the part of a message it refused as too large (close 1009) in its
  buffer; a frame of the other kind (text after binary) that the client sends before it
  reads the close then fails with TypeError, logged as "Unhandled exception in
  client_connected_cb". :func:`patch_hypercorn` empties the buffer with the refusal.
"""

from __future__ import annotations

import asyncio
from typing import Any, ClassVar

from hypercorn.protocol import ws_stream
from quart import Quart
from quart.asgi import ASGIWebsocketConnection

RECEIVE_QUEUE = 16
"""Frames Quart holds for a handler; a console client sends one every few seconds."""
DRAIN_IDLE_S = 1.0


class BoundedWebsocketConnection(ASGIWebsocketConnection):
    """Quart's handler for one WebSocket, with the two changes of the module docstring."""

    def __init__(self, app: Quart, scope: Any) -> None:
        super().__init__(app, scope)
        self.queue = asyncio.Queue(RECEIVE_QUEUE)

    async def __call__(self, receive: Any, send: Any) -> None:
        """Run Quart's handler; after a close of ours, discard what is still queued."""
        accepted = closed = gone = False

        async def watched_receive() -> Any:
            nonlocal gone
            event = await receive()
            gone = gone or event["type"] == "websocket.disconnect"
            return event

        async def watched_send(message: Any) -> None:
            nonlocal accepted, closed
            accepted = accepted or message["type"] == "websocket.accept"
            closed = closed or (accepted and message["type"] == "websocket.close")
            await send(message)

        await super().__call__(watched_receive, watched_send)
        if closed and not gone:
            discard_queued(receive)
            drain = asyncio.create_task(_drain(receive))
            self._draining.add(drain)
            drain.add_done_callback(self._draining.discard)

    _draining: ClassVar[set[asyncio.Task[None]]] = set()
    """Drains still running (held here so that they are not collected mid-way)."""


async def _drain(receive: Any) -> None:
    """Take what hypercorn still queues for a finished handler until a second passes idle."""
    while True:
        try:
            async with asyncio.timeout(DRAIN_IDLE_S):
                await receive()
        except TimeoutError:
            return


def discard_queued(receive: Any) -> int:
    """Empty the server's queue behind ``receive`` without waiting; how many were dropped.

    hypercorn's ``receive`` is the ``get`` of an :class:`asyncio.Queue`; another server's
    is left alone.
    """
    queue = getattr(receive, "__self__", None)
    dropped = 0
    if isinstance(queue, asyncio.Queue):
        while not queue.empty():
            queue.get_nowait()
            dropped += 1
    return dropped


class _MessageBuffer(ws_stream.WebsocketBuffer):
    """hypercorn's buffer of one incoming message, emptied when it is refused as too large."""

    def extend(self, event: Any) -> None:
        try:
            super().extend(event)
        except ws_stream.FrameTooLargeError:
            self.clear()
            raise


def patch_hypercorn() -> None:
    """Make hypercorn's WebSocket streams use :class:`_MessageBuffer` (idempotent)."""
    ws_stream.WebsocketBuffer = _MessageBuffer  # type: ignore[misc]
