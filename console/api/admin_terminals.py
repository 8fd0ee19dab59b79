"""``/api/v1/admin/terminals``: register terminals, issue enrollment codes, rename, move.

A new terminal comes with a one-time enrollment code (``XXXX-XXXX-XXXX``), shown in this
answer only: the console stores just its hash (:mod:`console.enroll`). A new code replaces
unused older ones. Moving a terminal to another office changes which queues and hours it
serves, so the hub reloads its routing directory. The fleet view (online state, parts,
restart) lives at ``/api/v1/terminals`` and ``/api/v1/fleet``; this is the registry.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

import msgspec
from msgspec import UNSET, UnsetType
from quart import Blueprint, Response

from console.api.jsonio import Name, actor, body, changed, no_content, reply
from console.api.openapi import MAX_ID, operation, path_param
from console.authz import require
from console.roles import Role
from console.services import services
from console.store.admin_offices import OfficeStore
from console.store.admin_terminals import RegisteredTerminal, TerminalAdminStore

bp = Blueprint("api_terminals_admin", __name__)
OfficeId = Annotated[int, msgspec.Meta(ge=1, le=MAX_ID)]
BASE = "/api/v1/admin/terminals"
TerminalKind = Literal["stationary", "mobile"]


class TerminalRegistration(msgspec.Struct, forbid_unknown_fields=True):
    """A new terminal; without ``office_id`` it joins the municipality's first office."""

    name: Name
    office_id: OfficeId | None = None
    kind: TerminalKind = "stationary"
    """``mobile``: a staff kit (calls only with a staff member signed in on it)."""


class RegisteredTerminalPatch(msgspec.Struct, forbid_unknown_fields=True):
    """Fields to change; omitted ones stay."""

    name: Name | UnsetType = UNSET
    office_id: OfficeId | UnsetType = UNSET
    kind: TerminalKind | UnsetType = UNSET


class EnrollmentCode(msgspec.Struct):
    """A one-time code for ``bt-terminal enroll``; shown once, stored only as a hash."""

    code: str
    expires_at: datetime


class TerminalCreated(msgspec.Struct):
    """The new terminal and its first enrollment code."""

    terminal: RegisteredTerminal
    enrollment: EnrollmentCode


class RegisteredTerminals(msgspec.Struct):
    """The municipality's terminals."""

    terminals: list[RegisteredTerminal]


def _expiry(hours: float) -> datetime:
    return datetime.now(UTC) + timedelta(hours=hours)


@bp.get(BASE)
async def list_terminals() -> Response:
    """The municipality's registered terminals."""
    who = await require(Role.SUPERVISOR)
    found = await TerminalAdminStore(services().store.db).of(who.municipality_id)
    return reply(RegisteredTerminals(found))


@bp.post(BASE)
async def create_terminal() -> Response:
    """Register a terminal and return its one-time enrollment code."""
    who = await require(Role.ADMIN)
    new = await body(TerminalRegistration)
    svc = services()
    store = TerminalAdminStore(svc.store.db)
    ttl = svc.config.code_ttl_hours
    if new.office_id is not None:  # 404 before anything is created
        await OfficeStore(svc.store.db).get(who.municipality_id, new.office_id)
    record, code = await svc.enroller.add_terminal(
        who.municipality_name, new.name, ttl, kind=new.kind
    )
    terminal = (
        await store.update(who.municipality_id, record.id, office_id=new.office_id)
        if new.office_id is not None
        else await store.get(who.municipality_id, record.id)
    )
    svc.audit.record(who.municipality_id, actor(who), "terminal.create", "terminal", record.id)
    svc.directory_changed.set()
    created = TerminalCreated(terminal, EnrollmentCode(code, _expiry(ttl)))
    return reply(created, 201)


@bp.get(f"{BASE}/<string(maxlength=32):terminal_id>")
async def get_terminal(terminal_id: str) -> Response:
    """One terminal."""
    who = await require(Role.SUPERVISOR)
    store = TerminalAdminStore(services().store.db)
    return reply(await store.get(who.municipality_id, terminal_id))


@bp.patch(f"{BASE}/<string(maxlength=32):terminal_id>")
async def update_terminal(terminal_id: str) -> Response:
    """Rename a terminal or move it to another office."""
    who = await require(Role.ADMIN)
    values = changed(await body(RegisteredTerminalPatch))
    svc = services()
    terminal = await TerminalAdminStore(svc.store.db).update(
        who.municipality_id, terminal_id, **values
    )
    svc.audit.record(
        who.municipality_id, actor(who), "terminal.update", "terminal", terminal_id,
        fields=",".join(sorted(values)),
    )  # fmt: skip
    if "office_id" in values:
        svc.directory_changed.set()
    if "kind" in values:  # the socket read the kind at its handshake: connect again
        svc.hub.drop_terminal(terminal_id, "this terminal's kind was changed by an admin")
    return reply(terminal)


@bp.post(f"{BASE}/<string(maxlength=32):terminal_id>/code")
async def new_code(terminal_id: str) -> Response:
    """A fresh enrollment code (re-enrollment, lost code); older unused codes stop working."""
    who = await require(Role.ADMIN)
    svc = services()
    await TerminalAdminStore(svc.store.db).get(who.municipality_id, terminal_id)
    ttl = svc.config.code_ttl_hours
    _, code = await svc.enroller.new_code(terminal_id, ttl)
    svc.audit.record(who.municipality_id, actor(who), "terminal.new_code", "terminal", terminal_id)
    return reply(EnrollmentCode(code, _expiry(ttl)), 201)


@bp.delete(f"{BASE}/<string(maxlength=32):terminal_id>")
async def delete_terminal(terminal_id: str) -> Response:
    """Remove a terminal; its credential stops working."""
    who = await require(Role.ADMIN)
    svc = services()
    await TerminalAdminStore(svc.store.db).delete(who.municipality_id, terminal_id)
    svc.hub.drop_terminal(terminal_id, "this terminal was removed by an admin")
    svc.audit.record(who.municipality_id, actor(who), "terminal.delete", "terminal", terminal_id)
    svc.directory_changed.set()
    return no_content()


_ID = [path_param("terminal_id", str)]
_TAG = "terminals"
OPENAPI: dict[str, Any] = {
    "paths": {
        BASE: {
            "get": operation("List terminals", role="supervisor", tag=_TAG, ok=RegisteredTerminals),
            "post": operation(
                "Register a terminal (returns its one-time enrollment code)", role="admin",
                tag=_TAG, body=TerminalRegistration, ok=TerminalCreated, status=201, errors=[404],
            ),
        },
        BASE + "/{terminal_id}": {
            "get": operation(
                "One terminal", role="supervisor", tag=_TAG, ok=RegisteredTerminal, params=_ID,
                errors=[404],
            ),
            "patch": operation(
                "Rename or move a terminal", role="admin", tag=_TAG, body=RegisteredTerminalPatch,
                ok=RegisteredTerminal, params=_ID, errors=[404],
            ),
            "delete": operation(
                "Remove a terminal", role="admin", tag=_TAG, status=204, params=_ID, errors=[404],
            ),
        },
        BASE + "/{terminal_id}/code": {
            "post": operation(
                "Issue a new enrollment code", role="admin", tag=_TAG, ok=EnrollmentCode,
                status=201, params=_ID, errors=[404],
            ),
        },
    },
    "schemas": {
        "TerminalRegistration": TerminalRegistration,
        "RegisteredTerminalPatch": RegisteredTerminalPatch,
        "TerminalCreated": TerminalCreated, "RegisteredTerminals": RegisteredTerminals,
        "RegisteredTerminal": RegisteredTerminal, "EnrollmentCode": EnrollmentCode,
    },
}  # fmt: skip
