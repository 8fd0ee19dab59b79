"""Per-route request body limits on top of the app-wide 64 KiB ``MAX_CONTENT_LENGTH``.

Quart fixes a request's body limit when it builds the request object, from the app config,
before any route code runs; setting ``request.max_content_length`` in a view is too late
(the body object keeps the limit it was built with). The few routes that take large uploads
(a document photo, up to 16 MiB) therefore register their limit here, and the app's request
class picks it by method and path when the request is built. Every other route keeps the
small app-wide limit.
"""

from __future__ import annotations

from typing import Any, cast

from quart import Quart
from quart.wrappers import Request


class SizedRequest(Request):
    """A Quart request whose body limit comes from :attr:`limits` when its route has one."""

    limits: dict[tuple[str, str], int] = {}
    prefix_limits: dict[tuple[str, str], int] = {}
    """(method, path prefix) -> limit, for routes with an id in the path."""

    def __init__(self, method: str, scheme: str, path: str, *args: Any, **kwargs: Any) -> None:
        limit = self.limits.get((method.upper(), path))
        if limit is None:
            for (wanted, prefix), bound in self.prefix_limits.items():
                if (
                    wanted == method.upper()
                    and path.startswith(prefix)
                    and "/" not in path[len(prefix) :]
                ):
                    limit = bound
        if limit is not None:
            kwargs["max_content_length"] = limit
        super().__init__(method, scheme, path, *args, **kwargs)


def allow_body(app: Quart, method: str, path: str, limit: int, *, prefix: bool = False) -> None:
    """Let ``method path`` (an exact path; with ``prefix``, any one segment after it) take
    bodies up to ``limit`` bytes."""
    current = app.request_class
    sized: type[SizedRequest]
    if issubclass(current, SizedRequest):
        sized = cast(type[SizedRequest], current)
    else:

        class AppSizedRequest(SizedRequest):
            limits: dict[tuple[str, str], int] = {}  # this app's own table
            prefix_limits: dict[tuple[str, str], int] = {}

        sized = AppSizedRequest
        app.request_class = sized
    table = sized.prefix_limits if prefix else sized.limits
    table[(method.upper(), path)] = limit
