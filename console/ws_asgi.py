"""Quart's ASGI WebSocket handler with a bounded receive queue and no dead end after close.

Two holes between Quart and hypercorn, found by the flood tests (tests/console/
test_flood_sockets.py):

- Quart reads every incoming frame into an *unbounded* queue as fast as hypercorn parses
  them, whatever the handler keeps up with. While a handler waits for the database, a
  client could fill the console's memory. Here the queue holds :data:`RECEIVE_QUEUE`
  frames; beyond that hypercorn stops reading and TCP pushes back on the client.
- When the handler closes a socket (4429 flood, 1008 too slow, 4409 replaced, ...) while
  the client goes on sending, hypercorn's own queue of ten events fills, and its reader,
  and then the end of the app itself (which puts a last "disconnect" event), wait for a
  free slot forever: the connection's tasks and file descriptor were never released, not
  even after the client left (seven leaked per three seconds of flooding). Here the events
  still queued are discarded when the handler is done. hypercorn then marks the stream
  closed before it awaits anything (checked against hypercorn 0.18 by the flood test),
  so its reader drops whatever else the client sends as raw bytes, without parsing
  frames, until the client leaves or falls silent for ``read_timeout`` (console/server.py).
  Reading the rest through the app instead cost the second client of the flood test
  tens of milliseconds per ping.
"""

from __future__ import annotations

import asyncio
from typing import Any

from quart import Quart
from quart.asgi import ASGIWebsocketConnection

RECEIVE_QUEUE = 16
"""Frames Quart holds for a handler; a console client sends one every few seconds."""


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
