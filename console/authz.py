"""Who asks, and may they: the one gate every console HTTP endpoint goes through.

A request is made either by a signed-in person (the session cookie, see
:mod:`console.sessions`) or by a script holding an API token
(``Authorization: Bearer btk_...``, see :mod:`console.store.tokens`). Either way the
result is a :class:`Principal` with a role and exactly one municipality.

- :func:`require` raises 401 without a principal and 403 when the role is too low.
- Session requests that change something must carry the session's CSRF token in
  ``X-CSRF-Token``: browsers send the cookie on cross-site requests, never that header.
  Token requests need none (no cookie is involved).
- :func:`same_municipality` answers 404 for another municipality's objects, so ids of other
  tenants cannot even be probed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from quart import request, session

from console.auth import csrf_valid
from console.errors import ForbiddenError, NotFoundError, UnauthorizedError
from console.roles import Role, allows, parse_role
from console.services import services
from console.sessions import signed_in
from console.store.records import CaseworkerRecord

CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass(frozen=True)
class Principal:
    """The person behind a request, with their role and municipality."""

    caseworker_id: int
    username: str
    display_name: str
    municipality_id: int
    municipality_name: str
    role: Role
    via: Literal["session", "token"]

    def can(self, needed: Role) -> bool:
        """Whether this principal's role includes ``needed``."""
        return allows(self.role, needed)


def principal_of(record: CaseworkerRecord, via: Literal["session", "token"]) -> Principal:
    """A principal for a caseworker record."""
    return Principal(
        caseworker_id=record.id,
        username=record.username,
        display_name=record.display_name,
        municipality_id=record.municipality_id,
        municipality_name=record.municipality_name,
        role=parse_role(record.role),
        via=via,
    )


async def current_principal() -> Principal | None:
    """The principal of the current request: session cookie first, then bearer token."""
    svc = services()
    record = await signed_in(svc.store, session)
    if record is not None and record.active:
        return principal_of(record, "session")
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token:
        return None
    owner = await svc.tokens.owner(token.strip(), datetime.now(UTC))
    if owner is None:
        return None
    record = await svc.store.caseworker_by_id(owner)
    if record is None or not record.active:
        return None
    return principal_of(record, "token")


async def require(needed: Role = Role.CASEWORKER) -> Principal:
    """The current principal if it has at least ``needed``; else 401, 403 (or 403 for CSRF)."""
    who = await current_principal()
    if who is None:
        raise UnauthorizedError("sign in or send an API token")
    if (
        who.via == "session"
        and request.method not in SAFE_METHODS
        and not csrf_valid(session, request.headers.get(CSRF_HEADER))
    ):
        raise ForbiddenError(f"the {CSRF_HEADER} header is missing or wrong")
    if not who.can(needed):
        raise ForbiddenError(f"this needs the role {needed.value}")
    return who


def same_municipality(who: Principal, municipality_id: int | None) -> None:
    """404 unless the object belongs to the principal's municipality."""
    if municipality_id != who.municipality_id:
        raise NotFoundError("not found")
