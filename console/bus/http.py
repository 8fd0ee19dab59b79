"""HTTP requests that need the hub's state are served by the instance that owns the calls.

Document photos and print jobs live in the owner's memory beside the call, the fleet view
and a terminal restart ask which terminals are connected, and office hours, terminal
removal, update offers and outpost hours act on connected sockets. A load balancer may send
such a request to any instance; a non-owning one passes it on to the owner's
``advertise_url`` unchanged (method, path, query, body, Host, cookies, Authorization) and
returns the owner's answer. The owner checks who asks exactly as for a request sent to it
directly, so forwarding grants nothing; the ``X-BT-Forwarded-By`` header only stops a
request from being passed on twice (during a change of owner it is then served where it
landed). Everything else (sign-in, pages, the admin API, enrollment) works from the shared
database on any instance.
"""

from __future__ import annotations

import json
import logging
import re

import httpx
from quart import Response, request
from werkzeug.datastructures import Headers

log = logging.getLogger(__name__)

FORWARDED_BY = "X-BT-Forwarded-By"
ANY = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"})
OWNER_ROUTES: tuple[tuple[frozenset[str], re.Pattern[str]], ...] = (
    (ANY, re.compile(r"/api/v1/photos(/[^/]+)?")),
    (ANY, re.compile(r"/api/v1/calls/[^/]+/print")),
    (ANY, re.compile(r"/api/v1/print-jobs/[^/]+")),
    (frozenset({"POST"}), re.compile(r"/api/v1/documents")),
    (ANY, re.compile(r"/api/v1/terminals(/[^/]+/restart)?")),
    (frozenset({"GET"}), re.compile(r"/api/v1/fleet")),
    (frozenset({"PUT", "DELETE"}), re.compile(r"/api/v1/fleet/update")),
    (frozenset({"DELETE"}), re.compile(r"/api/v1/admin/terminals/[^/]+")),
    (frozenset({"PUT", "POST", "DELETE"}),
     re.compile(r"/api/v1/offices/\d+/(hours|exceptions)(/\d+)?")),
    (frozenset({"POST", "DELETE"}), re.compile(r"/api/v1/visits/outposts(/\d+)?")),
)  # fmt: skip
"""(methods, exact path pattern) of the endpoints that read or change the hub."""
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
     "transfer-encoding", "upgrade", "content-length", "content-encoding"}
)  # fmt: skip
TIMEOUT_S = 30.0
"""A 16 MiB photo over a LAN takes well under a second; a stalled owner must not hold the
terminal's upload for ever (it retries)."""


def needs_owner(method: str, path: str) -> bool:
    """Whether this request must be served by the instance owning the calls."""
    return any(method in methods and p.fullmatch(path) for methods, p in OWNER_ROUTES)


async def forward(client: httpx.AsyncClient, owner_url: str, instance: str) -> Response:
    """Pass the current request to the owner and return its answer (503 if unreachable)."""
    body = await request.get_data(cache=False)
    assert isinstance(body, bytes)
    headers = [(k, v) for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP]
    headers.append((FORWARDED_BY, instance))
    query = request.query_string.decode("latin-1")
    url = owner_url.rstrip("/") + request.path + (f"?{query}" if query else "")
    try:
        answer = await client.request(
            request.method, url, content=body, headers=headers, timeout=TIMEOUT_S
        )
    except httpx.HTTPError as err:
        log.warning("could not pass %s %s to the owning instance: %s", request.method, url, err)
        error = {"error": {"code": "unavailable", "message": "the console is changing over; retry"}}
        return Response(json.dumps(error), status=503, mimetype="application/json")
    kept = [(k, v) for k, v in answer.headers.multi_items() if k.lower() not in HOP_BY_HOP]
    return Response(answer.content, status=answer.status_code, headers=Headers(kept))
