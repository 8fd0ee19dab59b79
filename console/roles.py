"""The three roles of console users and what each may do.

Roles are ranked: a supervisor can do everything a caseworker can, an admin everything a
supervisor can. Every role acts only inside its own municipality; nothing crosses tenants.

- caseworker: answers calls, uses the in-call tools, works the callback list and own inbox.
- supervisor: also sees the fleet view, usage figures and every caseworker's presence.
- admin: also manages offices, queues, terminals, caseworkers, hours, branding, sign-in and
  exports the audit log.
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    """A console user's role; compare with :func:`allows`."""

    CASEWORKER = "caseworker"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


_RANK = {Role.CASEWORKER: 0, Role.SUPERVISOR: 1, Role.ADMIN: 2}


def parse_role(value: str) -> Role:
    """The role named ``value``; unknown names fall back to the least privileged role."""
    try:
        return Role(value)
    except ValueError:
        return Role.CASEWORKER


def allows(role: Role, needed: Role) -> bool:
    """Whether ``role`` includes the rights of ``needed``."""
    return _RANK[role] >= _RANK[needed]
