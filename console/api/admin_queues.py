"""``/api/v1/queues``: the services citizens choose on the terminal and calls wait in.

Everyone of the municipality may read them (caseworkers need them for transfer menus);
only admins change them. Settings: routing ``longest_idle`` (one caseworker is offered a
call at a time, for ``ring_s`` seconds) or ``ring_all``; ``wrap_up_s`` seconds of automatic
wrap-up after a call; ``answer_limit_s`` after which a waiting call becomes a callback
request; ``position`` orders the welcome screen. Changes are audited and make the hub
reload its routing directory.
"""

from __future__ import annotations

from typing import Annotated, Any

import msgspec
from msgspec import UNSET, UnsetType
from quart import Blueprint, Response, request

from console.api.jsonio import Name, actor, body, changed, no_content, reply
from console.api.openapi import ID, MAX_ID, operation, path_param
from console.authz import require
from console.errors import InvalidInputError
from console.roles import Role
from console.services import services
from console.store.admin_queues import QueueOut, QueueStore, Routing

bp = Blueprint("api_queues", __name__)
OfficeId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
WrapUp = Annotated[int, msgspec.Meta(ge=0, le=3600, description="seconds")]
Ring = Annotated[int, msgspec.Meta(ge=5, le=600, description="seconds")]
AnswerLimit = Annotated[int, msgspec.Meta(ge=30, le=86400, description="seconds")]
Position = Annotated[int, msgspec.Meta(ge=0, le=1000)]


class QueueNew(msgspec.Struct, forbid_unknown_fields=True):
    """A new queue in one of the municipality's offices."""

    office_id: OfficeId
    name: Name
    routing: Routing = "longest_idle"
    wrap_up_s: WrapUp = 60
    ring_s: Ring = 20
    answer_limit_s: AnswerLimit = 600
    position: Position = 0


class QueuePatch(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; omitted ones stay. ``office_id`` moves the queue."""

    office_id: OfficeId | UnsetType = UNSET
    name: Name | UnsetType = UNSET
    routing: Routing | UnsetType = UNSET
    wrap_up_s: WrapUp | UnsetType = UNSET
    ring_s: Ring | UnsetType = UNSET
    answer_limit_s: AnswerLimit | UnsetType = UNSET
    position: Position | UnsetType = UNSET


class QueueList(msgspec.Struct):
    """The municipality's queues, by office and position."""

    queues: list[QueueOut]


def _office_filter() -> int | None:
    raw = request.args.get("office_id")
    if raw is None:
        return None
    if not raw.isdigit() or len(raw) > 10 or not 1 <= int(raw) <= MAX_ID:
        raise InvalidInputError(f"office_id must be a whole number from 1 to {MAX_ID}")
    return int(raw)


@bp.get("/api/v1/queues")
async def list_queues() -> Response:
    """The municipality's queues (``?office_id=`` for one office's)."""
    who = await require(Role.CASEWORKER)
    office_id = _office_filter()
    queues = await QueueStore(services().store.db).of(who.municipality_id, office_id)
    return reply(QueueList(queues))


@bp.post("/api/v1/queues")
async def create_queue() -> Response:
    """Create a queue."""
    who = await require(Role.ADMIN)
    new = await body(QueueNew)
    svc = services()
    values = msgspec.structs.asdict(new)
    office_id = values.pop("office_id")
    queue = await QueueStore(svc.store.db).create(who.municipality_id, office_id, **values)
    svc.audit.record(
        who.municipality_id, actor(who), "queue.create", "queue", str(queue.id),
        office_id=office_id,
    )  # fmt: skip
    svc.directory_changed.set()
    return reply(queue, 201)


@bp.get(f"/api/v1/queues/<{ID}:queue_id>")
async def get_queue(queue_id: int) -> Response:
    """One queue."""
    who = await require(Role.CASEWORKER)
    return reply(await QueueStore(services().store.db).get(who.municipality_id, queue_id))


@bp.patch(f"/api/v1/queues/<{ID}:queue_id>")
async def update_queue(queue_id: int) -> Response:
    """Change a queue's settings or move it to another office."""
    who = await require(Role.ADMIN)
    values = changed(await body(QueuePatch))
    svc = services()
    queue = await QueueStore(svc.store.db).update(who.municipality_id, queue_id, **values)
    svc.audit.record(
        who.municipality_id, actor(who), "queue.update", "queue", str(queue_id),
        fields=",".join(sorted(values)),
    )  # fmt: skip
    svc.directory_changed.set()
    return reply(queue)


@bp.delete(f"/api/v1/queues/<{ID}:queue_id>")
async def delete_queue(queue_id: int) -> Response:
    """Delete a queue (409 for an office's last one)."""
    who = await require(Role.ADMIN)
    svc = services()
    await QueueStore(svc.store.db).delete(who.municipality_id, queue_id)
    svc.audit.record(who.municipality_id, actor(who), "queue.delete", "queue", str(queue_id))
    svc.directory_changed.set()
    return no_content()


_ID = [path_param("queue_id")]
_FILTER = {
    "name": "office_id",
    "in": "query",
    "required": False,
    "schema": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
}
OPENAPI: dict[str, Any] = {
    "paths": {
        "/api/v1/queues": {
            "get": operation(
                "List queues", role="caseworker", tag="queues", ok=QueueList, params=[_FILTER],
            ),
            "post": operation(
                "Create a queue", role="admin", tag="queues", body=QueueNew, ok=QueueOut,
                status=201, errors=[404, 409],
            ),
        },
        "/api/v1/queues/{queue_id}": {
            "get": operation(
                "One queue", role="caseworker", tag="queues", ok=QueueOut, params=_ID,
                errors=[404],
            ),
            "patch": operation(
                "Change or move a queue", role="admin", tag="queues", body=QueuePatch,
                ok=QueueOut, params=_ID, errors=[404, 409],
            ),
            "delete": operation(
                "Delete a queue", role="admin", tag="queues", status=204, params=_ID,
                errors=[404, 409],
            ),
        },
    },
    "schemas": {
        "QueueNew": QueueNew, "QueuePatch": QueuePatch, "QueueList": QueueList,
        "QueueOut": QueueOut,
    },
}  # fmt: skip
