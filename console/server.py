"""Run the app on hypercorn in the current event loop, with graceful shutdown.

SIGINT/SIGTERM set the shutdown event: /healthz turns "down", every socket is closed with
1001 (going away) so terminals reconnect, possibly to another instance, and hypercorn
finishes in-flight requests within ``GRACEFUL_TIMEOUT_S``.

hypercorn's WebSocket message limit is lowered from its 16 MiB default to 1 MiB. That is
still above the protocol's 64 KiB, so an oversized message reaches the
app and is answered with a clear ``error`` too_large while the socket stays open; only
beyond 1 MiB does the transport drop the socket (close 1009) without buffering more.

hypercorn's ``read_timeout`` closes a connection that sends nothing for four heartbeats
(a minute by default), and never sooner than a second after the app's shortest idle
timeout: the app closes silent sockets after three already, with its own close code, so this
only ends connections the app has closed but the client never did (console/ws_asgi.py).
"""

from __future__ import annotations

import asyncio
import logging
import math
import signal

from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config as HyperConfig
from quart import Quart

from console.services import EXTENSION_KEY, Services
from console.sockets import MIN_IDLE_TIMEOUT_S
from console.ws_asgi import patch_hypercorn

log = logging.getLogger(__name__)

WS_MAX_MESSAGE_BYTES = 1024 * 1024
GRACEFUL_TIMEOUT_S = 5.0
CLOSE_GOING_AWAY = 1001


def hypercorn_config(binds: list[str], heartbeat_s: float = 15.0) -> HyperConfig:
    """hypercorn settings for the console."""
    cfg = HyperConfig()
    cfg.bind = binds
    cfg.read_timeout = math.ceil(max(4 * heartbeat_s, MIN_IDLE_TIMEOUT_S + 1))
    cfg.websocket_max_message_size = WS_MAX_MESSAGE_BYTES
    cfg.graceful_timeout = GRACEFUL_TIMEOUT_S
    cfg.errorlog = log
    return cfg


def bind_address(host: str, port: int) -> str:
    """hypercorn's bind syntax; IPv6 literals need brackets."""
    return f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"


async def serve(app: Quart, binds: list[str], shutdown: asyncio.Event | None = None) -> None:
    """Serve until ``shutdown`` is set or SIGINT/SIGTERM arrives."""
    stop = shutdown or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
        except (NotImplementedError, RuntimeError):
            pass  # not the main thread (tests) or no signal support: the event still works

    async def trigger() -> None:
        await stop.wait()
        svc = app.extensions[EXTENSION_KEY]
        assert isinstance(svc, Services)
        svc.draining = True
        svc.bus.close_all(CLOSE_GOING_AWAY)
        log.info("shutting down")

    svc = app.extensions[EXTENSION_KEY]
    assert isinstance(svc, Services)
    config = hypercorn_config(binds, svc.config.heartbeat_s)
    patch_hypercorn()  # a refused oversized message must not break the next (console/ws_asgi.py)
    try:
        await hypercorn_serve(app, config, shutdown_trigger=trigger)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
