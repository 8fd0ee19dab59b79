"""The door of the console: who is asking (client address) and whether they may come in.

Before every request and WebSocket handshake the client's address is resolved once
(console/client_address.py, trusting ``X-Forwarded-For`` only from configured proxies) and
kept in ``g`` for the throttles and the fleet view. WebSocket handshakes and the sign-in and
enrollment requests listed in :data:`ATTEMPTS` then count against the address's budget of
new connections (console/floods.py); over it they get 429 with ``Retry-After`` before any
credential is looked at, so a flood costs the console neither a database query nor a
password hash. Other pages and API calls are not counted: each needs a session or token.
"""

from __future__ import annotations

import math

from quart import Quart, Response, g, jsonify, request, websocket
from quart.typing import ResponseTypes

from console.services import services

ATTEMPTS = frozenset(
    {
        "pages.login",  # POST /login
        "pages.totp.check_code",  # POST /login/totp
        "pages.totp.confirm_setup",  # POST /login/totp/setup
        "pages.sso.choose",  # POST /login/sso
        "pages.sso.start",  # GET /login/sso/<id>: asks the provider's discovery document
        "pages.sso.callback",  # GET /login/sso/callback: redeems a code at the provider
        "enroll.enroll",  # POST /api/v1/enroll
    }
)
"""Endpoints that count as a new connection (tests/console/test_floods.py checks they exist)."""


def client_address() -> str:
    """The address of the client of the current request or WebSocket."""
    found = g.get("client_address")
    return found if isinstance(found, str) else "unknown"


def too_many(wait: float) -> Response:
    """429 with Retry-After and the API's error body."""
    seconds = math.ceil(wait)
    message = f"too many new connections from your address; try again in {seconds} s"
    response = jsonify({"error": {"code": "too_many_connections", "message": message}})
    response.status_code = 429
    response.headers["Retry-After"] = str(seconds)
    return response


def register(app: Quart) -> None:
    """Install the hooks on the app."""

    @app.before_request
    async def http_gate() -> Response | None:
        svc = services()
        address = svc.proxies.client(
            request.remote_addr, request.headers.getlist("X-Forwarded-For")
        )
        g.client_address = address
        if request.endpoint not in ATTEMPTS:
            return None
        wait = svc.floods.admit(address)
        return too_many(wait) if wait > 0 else None

    @app.after_websocket
    async def refused_handshake_closes(response: ResponseTypes | None) -> ResponseTypes | None:
        """A refused handshake (401, 403, 429) ends its TCP connection, too.

        Clients keep HTTP connections alive and aiohttp reuses one for its next handshake;
        hypercorn then fails on the second request of a rejected WebSocket stream and logs
        "Unhandled exception in client_connected_cb" for each (found by the flood tests).
        """
        if response is not None:
            response.headers["Connection"] = "close"
        return response

    @app.before_websocket
    async def websocket_gate() -> Response | None:
        svc = services()
        address = svc.proxies.client(
            websocket.remote_addr, websocket.headers.getlist("X-Forwarded-For")
        )
        g.client_address = address
        wait = svc.floods.admit(address)
        return too_many(wait) if wait > 0 else None
