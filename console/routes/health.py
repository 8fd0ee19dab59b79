"""``GET /healthz`` for load balancers and monitoring.

"ok": database answers; "degraded": the database is unreachable, so sign-ins and
enrollment fail while connected calls keep working, or (several instances) Redis is, so the
instance serves only the calls it owns; "down": shutting down (503), so a balancer moves new
connections elsewhere. With Redis, ``bus`` tells which instance owns the calls (console/bus/).
"""

from __future__ import annotations

import asyncio

from quart import Blueprint, Response, jsonify

from console.services import services
from protocol.messages import PROTOCOL_VERSION

bp = Blueprint("health", __name__)
DB_PING_TIMEOUT_S = 2.0


@bp.get("/healthz")
async def healthz() -> tuple[Response, int]:
    """Report database reachability and connection counts."""
    svc = services()
    try:
        async with asyncio.timeout(DB_PING_TIMEOUT_S):
            database_ok = await svc.store.ping()
    except TimeoutError:
        database_ok = False
    bus = svc.bus.health()
    healthy = database_ok and bool(bus.get("ok", True))
    status = "down" if svc.draining else "ok" if healthy else "degraded"
    body: dict[str, object] = {
        "status": status,
        "database": "ok" if database_ok else "down",
        "terminals_online": svc.hub.terminals_online,
        "caseworkers_online": svc.hub.caseworkers_online,
        "protocol": PROTOCOL_VERSION,
    }
    if bus:
        body["bus"] = bus
    return jsonify(body), 503 if status == "down" else 200
