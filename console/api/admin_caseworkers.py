"""``/api/v1/caseworkers``: the people of a municipality, their roles and queues.

Supervisors may read the list; admins change it. Passwords are hashed with argon2
(:class:`console.auth.Passwords`, minimum length enforced) and never logged or audited.
Password changes, second-factor resets, deactivation and "sign out everywhere" end the
person's sessions. A municipality keeps at least one active admin (409 otherwise).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType
from quart import Blueprint, Response

from console.api.jsonio import Name, actor, body, changed, no_content, reply
from console.api.openapi import ID, MAX_ID, operation, path_param
from console.authz import Principal, require
from console.errors import NotFoundError
from console.roles import Role
from console.services import services
from console.store.admin_caseworkers import CaseworkerOut, CaseworkerStore
from console.store.admin_queues import QueueStore

bp = Blueprint("api_caseworkers", __name__)
Username = Annotated[str, msgspec.Meta(pattern=r"^[A-Za-z0-9._@-]{1,100}$(?!\n)", max_length=100)]
Password = Annotated[str, msgspec.Meta(min_length=8, max_length=1024)]
RoleName = Literal["caseworker", "supervisor", "admin"]
QueueIds = Annotated[
    list[Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]],
    msgspec.Meta(max_length=200, description="queues served; empty means all of them"),
]


class CaseworkerNew(msgspec.Struct, forbid_unknown_fields=True):
    """A new person; ``queue_ids`` empty means every queue of the municipality."""

    username: Username
    display_name: Name
    password: Password
    role: RoleName = "caseworker"
    active: bool = True
    queue_ids: QueueIds = msgspec.field(default_factory=list)


class CaseworkerPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; omitted ones stay. ``queue_ids`` replaces the memberships."""

    username: Username | UnsetType = UNSET
    display_name: Name | UnsetType = UNSET
    role: RoleName | UnsetType = UNSET
    active: bool | UnsetType = UNSET
    queue_ids: QueueIds | UnsetType = UNSET


class PasswordSet(msgspec.Struct, forbid_unknown_fields=True):
    """A new password (at least 8 characters)."""

    password: Password


class CaseworkerList(msgspec.Struct):
    """The municipality's caseworkers."""

    caseworkers: list[CaseworkerOut]


async def _queues(who: Principal, queue_ids: list[int]) -> list[int]:
    """The ids, deduplicated, if all are queues of the principal's municipality (else 404)."""
    wanted = sorted(set(queue_ids))
    found = await QueueStore(services().store.db).ids_of(who.municipality_id, wanted)
    if len(found) != len(wanted):
        raise NotFoundError("no such queue")
    return wanted


@bp.get("/api/v1/caseworkers")
async def list_caseworkers() -> Response:
    """The municipality's caseworkers."""
    who = await require(Role.SUPERVISOR)
    people = await CaseworkerStore(services().store.db).of(who.municipality_id)
    return reply(CaseworkerList(people))


@bp.post("/api/v1/caseworkers")
async def create_caseworker() -> Response:
    """Create a person with a password."""
    who = await require(Role.ADMIN)
    new = await body(CaseworkerNew)
    svc = services()
    queue_ids = await _queues(who, new.queue_ids)
    hashed = await asyncio.to_thread(svc.passwords.hash, new.password)
    person = await CaseworkerStore(svc.store.db).create(
        who.municipality_id,
        queue_ids,
        username=new.username,
        display_name=new.display_name,
        password_hash=hashed,
        role=new.role,
        active=new.active,
    )
    svc.audit.record(
        who.municipality_id, actor(who), "caseworker.create", "caseworker", str(person.id),
        role=new.role,
    )  # fmt: skip
    svc.directory_changed.set()
    return reply(person, 201)


@bp.get(f"/api/v1/caseworkers/<{ID}:caseworker_id>")
async def get_caseworker(caseworker_id: int) -> Response:
    """One person."""
    who = await require(Role.SUPERVISOR)
    store = CaseworkerStore(services().store.db)
    return reply(await store.get(who.municipality_id, caseworker_id))


@bp.patch(f"/api/v1/caseworkers/<{ID}:caseworker_id>")
async def update_caseworker(caseworker_id: int) -> Response:
    """Change name, role, active flag or queue memberships."""
    who = await require(Role.ADMIN)
    values = changed(await body(CaseworkerPatch))
    svc = services()
    queue_ids = values.pop("queue_ids", None)
    if queue_ids is not None:
        queue_ids = await _queues(who, queue_ids)
    person = await CaseworkerStore(svc.store.db).update(
        who.municipality_id, caseworker_id, queue_ids, **values
    )
    fields = sorted([*values, *(["queue_ids"] if queue_ids is not None else [])])
    detail: dict[str, str] = {"fields": ",".join(fields)}
    if "role" in values:
        detail["role"] = values["role"]
    svc.audit.record(
        who.municipality_id, actor(who), "caseworker.update", "caseworker", str(caseworker_id),
        **detail,
    )  # fmt: skip
    svc.directory_changed.set()
    return reply(person)


@bp.delete(f"/api/v1/caseworkers/<{ID}:caseworker_id>")
async def delete_caseworker(caseworker_id: int) -> Response:
    """Delete a person (409 for the last active admin); the audit trail stays."""
    who = await require(Role.ADMIN)
    svc = services()
    await CaseworkerStore(svc.store.db).delete(who.municipality_id, caseworker_id)
    svc.audit.record(
        who.municipality_id, actor(who), "caseworker.delete", "caseworker", str(caseworker_id)
    )
    svc.directory_changed.set()
    return no_content()


@bp.put(f"/api/v1/caseworkers/<{ID}:caseworker_id>/password")
async def set_password(caseworker_id: int) -> Response:
    """Set a new password; the person's sessions end."""
    who = await require(Role.ADMIN)
    new = await body(PasswordSet)
    svc = services()
    store = CaseworkerStore(svc.store.db)
    await store.get(who.municipality_id, caseworker_id)  # 404 before the costly hash
    hashed = await asyncio.to_thread(svc.passwords.hash, new.password)
    await store.set_password(who.municipality_id, caseworker_id, hashed)
    svc.audit.record(
        who.municipality_id, actor(who), "caseworker.password", "caseworker", str(caseworker_id)
    )
    return no_content()


@bp.delete(f"/api/v1/caseworkers/<{ID}:caseworker_id>/second-factor")
async def reset_second_factor(caseworker_id: int) -> Response:
    """Remove the person's second factor; they set it up again at next sign-in."""
    who = await require(Role.ADMIN)
    svc = services()
    await CaseworkerStore(svc.store.db).reset_second_factor(who.municipality_id, caseworker_id)
    svc.audit.record(
        who.municipality_id, actor(who), "caseworker.reset_2fa", "caseworker", str(caseworker_id)
    )
    return no_content()


@bp.post(f"/api/v1/caseworkers/<{ID}:caseworker_id>/sign-out")
async def sign_out_everywhere(caseworker_id: int) -> Response:
    """End every session of the person (API tokens stay: revoke those separately)."""
    who = await require(Role.ADMIN)
    svc = services()
    await CaseworkerStore(svc.store.db).sign_out_everywhere(who.municipality_id, caseworker_id)
    svc.audit.record(
        who.municipality_id, actor(who), "caseworker.sign_out", "caseworker", str(caseworker_id)
    )
    return no_content()


_ID = [path_param("caseworker_id")]
_TAG = "caseworkers"
OPENAPI: dict[str, Any] = {
    "paths": {
        "/api/v1/caseworkers": {
            "get": operation("List caseworkers", role="supervisor", tag=_TAG, ok=CaseworkerList),
            "post": operation(
                "Create a caseworker", role="admin", tag=_TAG, body=CaseworkerNew,
                ok=CaseworkerOut, status=201, errors=[404, 409],
            ),
        },
        "/api/v1/caseworkers/{caseworker_id}": {
            "get": operation(
                "One caseworker", role="supervisor", tag=_TAG, ok=CaseworkerOut, params=_ID,
                errors=[404],
            ),
            "patch": operation(
                "Change a caseworker (name, role, active, queues)", role="admin", tag=_TAG,
                body=CaseworkerPatch, ok=CaseworkerOut, params=_ID, errors=[404, 409],
            ),
            "delete": operation(
                "Delete a caseworker", role="admin", tag=_TAG, status=204, params=_ID,
                errors=[404, 409],
            ),
        },
        "/api/v1/caseworkers/{caseworker_id}/password": {
            "put": operation(
                "Set a password (ends the person's sessions)", role="admin", tag=_TAG,
                body=PasswordSet, status=204, params=_ID, errors=[404],
            ),
        },
        "/api/v1/caseworkers/{caseworker_id}/second-factor": {
            "delete": operation(
                "Reset the second factor", role="admin", tag=_TAG, status=204, params=_ID,
                errors=[404],
            ),
        },
        "/api/v1/caseworkers/{caseworker_id}/sign-out": {
            "post": operation(
                "Sign the person out everywhere", role="admin", tag=_TAG, status=204,
                params=_ID, errors=[404],
            ),
        },
    },
    "schemas": {
        "CaseworkerNew": CaseworkerNew, "CaseworkerPatch": CaseworkerPatch,
        "PasswordSet": PasswordSet, "CaseworkerList": CaseworkerList,
        "CaseworkerOut": CaseworkerOut,
    },
}  # fmt: skip
