"""Principals of two municipalities for the admin API tests: tokens for every role.

On top of ``seed`` (Aldorf: alice, anton; Bestadt: bert; terminals), each municipality gets
a supervisor and an admin; every person gets an API token, so requests need no sign-in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import aiohttp

from console.store import Store
from console.store.tokens import TokenStore
from tests.console.conftest import PASSWORD, RunningConsole, cheap_passwords


@dataclass(frozen=True)
class Person:
    """A principal: caseworker id, municipality id, role and API token."""

    id: int
    municipality_id: int
    role: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass(frozen=True)
class Tenants:
    """caseworker, supervisor and admin of A (Aldorf) and B (Bestadt)."""

    a: dict[str, Person]
    b: dict[str, Person]


async def tenants(store: Store) -> Tenants:
    """Add supervisors and admins next to ``seed``'s caseworkers; a token for each."""
    passwords = cheap_passwords()
    tokens = TokenStore(store.db)
    people: dict[str, dict[str, Person]] = {"a": {}, "b": {}}
    for key, muni, caseworker in (("a", "Aldorf", "alice"), ("b", "Bestadt", "bert")):
        sup = await store.add_caseworker(
            muni, f"{key}-sup", f"Sup {key.upper()}", passwords.hash(PASSWORD), "supervisor"
        )
        adm = await store.add_caseworker(
            muni, f"{key}-adm", f"Admin {key.upper()}", passwords.hash(PASSWORD), "admin"
        )
        cw = await store.caseworker_by_username(caseworker)
        assert cw is not None
        for role, record in (("caseworker", cw), ("supervisor", sup), ("admin", adm)):
            _, token = await tokens.create(record.id, "tests", datetime.now(UTC), None)
            people[key][role] = Person(record.id, record.municipality_id, role, token)
    return Tenants(people["a"], people["b"])


async def call(
    http: aiohttp.ClientSession,
    console: RunningConsole,
    who: Person | None,
    method: str,
    path: str,
    json: object = None,
) -> tuple[int, object]:
    """One API request; the status and the decoded JSON body (None if empty)."""
    headers = who.headers if who else {}
    async with http.request(method, console.base + path, json=json, headers=headers) as resp:
        raw = await resp.read()
        if not raw:
            return resp.status, None
        if resp.content_type == "application/json":
            return resp.status, await resp.json()
        return resp.status, raw.decode(errors="replace")
