"""The office-hours admin API on a real console: roles, tenants, validation, audit, live effect."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import aiohttp
import pytest
from sqlalchemy import select

from console.api.openapi import build
from console.store import Store
from console.store.hours import HoursStore
from console.store.models import AuditEntry
from console.store.tokens import TokenStore
from tests.console.conftest import PASSWORD, RunningConsole, Seed, cheap_passwords
from tests.console.helpers import terminal

pytestmark = pytest.mark.both_backends


async def token_for(store: Store, municipality: str, username: str, role: str) -> str:
    """A bearer token of a new caseworker with ``role``."""
    record = await store.add_caseworker(
        municipality, username, username, cheap_passwords().hash(PASSWORD), role
    )
    _, token = await TokenStore(store.db).create(record.id, "test", datetime.now(UTC), None)
    return token


class Api:
    """JSON requests as one principal."""

    def __init__(self, http: aiohttp.ClientSession, base: str, token: str | None) -> None:
        self.http, self.base = http, base
        self.headers = {} if token is None else {"Authorization": f"Bearer {token}"}

    async def __call__(
        self, method: str, path: str, body: Any = None, raw: str | None = None
    ) -> tuple[int, Any]:
        data = raw if raw is not None else (None if body is None else json.dumps(body))
        headers = {**self.headers, "Content-Type": "application/json"}
        async with self.http.request(method, self.base + path, data=data, headers=headers) as resp:
            text = await resp.text()
            return resp.status, (json.loads(text) if text else None)


@pytest.fixture
async def offices(store: Store, seed: Seed) -> tuple[int, int]:
    hours = HoursStore(store.db)
    return (
        (await hours.find_office(None, "Aldorf")).id,
        (await hours.find_office(None, "Bestadt")).id,
    )


WEEK = {"week": [{"weekday": d, "opens": "08:00", "closes": "12:00"} for d in range(1, 6)]}


async def test_roles_and_tenants(
    console: RunningConsole, store: Store, http: aiohttp.ClientSession, offices: tuple[int, int]
) -> None:
    aldorf, bestadt = offices
    tokens = {
        "caseworker": await token_for(store, "Aldorf", "cw", "caseworker"),
        "supervisor": await token_for(store, "Aldorf", "sv", "supervisor"),
        "admin": await token_for(store, "Aldorf", "ad", "admin"),
        "other-admin": await token_for(store, "Bestadt", "bad", "admin"),
    }
    as_ = {who: Api(http, console.base, token) for who, token in tokens.items()}
    stranger = Api(http, console.base, None)
    hours = f"/api/v1/offices/{aldorf}/hours"
    exceptions = f"/api/v1/offices/{aldorf}/exceptions"
    holiday = {"day": "2026-12-24", "note": "Heiligabend"}

    assert (await stranger("GET", hours))[0] == 401
    assert (await stranger("PUT", hours, WEEK))[0] == 401
    for who in ("caseworker", "supervisor", "admin"):
        status, body = await as_[who]("GET", hours)
        assert status == 200 and body["office"] == "Aldorf" and body["week"] == []
        assert (await as_[who]("GET", exceptions))[0] == 200
    for who in ("caseworker", "supervisor"):
        assert (await as_[who]("PUT", hours, WEEK))[0] == 403
        assert (await as_[who]("POST", exceptions, holiday))[0] == 403
    other = as_["other-admin"]
    assert (await other("GET", hours))[0] == 404  # another municipality's office: not found
    assert (await other("PUT", hours, WEEK))[0] == 404
    assert (await other("POST", exceptions, holiday))[0] == 404
    assert (await other("GET", f"/api/v1/offices/{bestadt}/hours"))[0] == 200
    assert (await as_["admin"]("GET", "/api/v1/offices/99999/hours"))[0] == 404
    huge = "/api/v1/offices/" + "9" * 30
    assert (await as_["admin"]("GET", huge + "/hours"))[0] == 404  # not a 500
    assert (await as_["admin"]("DELETE", f"{exceptions}/{'9' * 30}"))[0] == 404

    status, body = await as_["admin"]("PUT", hours, {**WEEK, "timezone": "Europe/Vienna"})
    assert status == 200 and body["timezone"] == "Europe/Vienna" and len(body["week"]) == 5
    status, added = await as_["admin"]("POST", exceptions, holiday)
    assert status == 201 and added["day"] == "2026-12-24" and added["opens"] is None
    gone = f"{exceptions}/{added['id']}"
    assert (await other("DELETE", f"/api/v1/offices/{bestadt}/exceptions/{added['id']}"))[
        0
    ] == 404  # an exception id of another office
    assert (await as_["caseworker"]("DELETE", gone))[0] == 403
    assert (await as_["admin"]("DELETE", gone))[0] == 204
    assert (await as_["admin"]("DELETE", gone))[0] == 404
    assert (await as_["admin"]("GET", exceptions))[1] == {"exceptions": []}


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ({"week": [{"weekday": 8, "opens": "08:00", "closes": "12:00"}]}, "weekday"),
        ({"week": [{"weekday": 1, "opens": "8:00", "closes": "12:00"}]}, "opens"),
        ({"week": [{"weekday": 1, "opens": "12:00", "closes": "08:00"}]}, "open before"),
        (
            {
                "week": [
                    {"weekday": 1, "opens": "08:00", "closes": "12:00"},
                    {"weekday": 1, "opens": "11:00", "closes": "13:00"},
                ]
            },
            "overlaps",
        ),
        ({"week": [], "timezone": "Mars/Base"}, "unknown time zone"),
        ({"week": [], "colour": "red"}, "colour"),
        ({"weeks": []}, "week"),
    ],
)
async def test_bad_weeks_are_refused_with_400(
    console: RunningConsole,
    store: Store,
    http: aiohttp.ClientSession,
    offices: tuple[int, int],
    body: dict[str, Any],
    says: str,
) -> None:
    admin = Api(http, console.base, await token_for(store, "Aldorf", "ad", "admin"))
    status, answer = await admin("PUT", f"/api/v1/offices/{offices[0]}/hours", body)
    assert status == 400 and says in answer["error"]["message"], answer


async def test_bad_exceptions_are_refused_with_400(
    console: RunningConsole, store: Store, http: aiohttp.ClientSession, offices: tuple[int, int]
) -> None:
    admin = Api(http, console.base, await token_for(store, "Aldorf", "ad", "admin"))
    path = f"/api/v1/offices/{offices[0]}/exceptions"
    status, _ = await admin("POST", path, {"day": "2026-12-24"})
    assert status == 201
    for body, says in [
        ({"day": "2026-12-24", "opens": "08:00", "closes": "09:00"}, "holiday"),
        ({"day": "2026-12-28", "opens": "08:00"}, "both opens and closes"),
        ({"day": "28.12.2026"}, "day"),
        ({"day": "2026-02-30"}, "not a date"),
        ({"day": "2026-12-28", "note": "x" * 201}, "note"),
    ]:
        status, answer = await admin("POST", path, body)
        assert status == 400 and says in answer["error"]["message"], (body, answer)
    assert (await admin("POST", path, raw="{not json"))[0] == 400
    assert (await admin("POST", path, raw=""))[0] == 400


async def test_changes_are_audited_and_reach_the_terminals_at_once(
    console: RunningConsole,
    store: Store,
    http: aiohttp.ClientSession,
    seed: Seed,
    offices: tuple[int, int],
) -> None:
    aldorf = offices[0]
    admin = Api(http, console.base, await token_for(store, "Aldorf", "ad", "admin"))
    peer, _ = await terminal(http, console, seed.a1)
    assert peer.office[-1].open and peer.office[-1].hours == []
    today = datetime.now(ZoneInfo("Europe/Berlin")).date().isoformat()  # the office's zone
    status, _ = await admin("POST", f"/api/v1/offices/{aldorf}/exceptions", {"day": today})
    assert status == 201
    await peer.silent(0.5)  # collects the office statuses sent meanwhile
    latest = peer.office[-1]
    assert [e.day for e in latest.exceptions] == [today]
    assert latest.office == "Aldorf"
    assert console.hub.office.schedule(aldorf).exceptions[0].day.isoformat() == today
    await admin("PUT", f"/api/v1/offices/{aldorf}/hours", WEEK)
    await peer.silent(0.5)
    assert len(peer.office[-1].hours) == 5
    await peer.close()

    async def actions() -> list[tuple[str, str, str]]:
        async with store.db.session() as s:
            rows = await s.scalars(select(AuditEntry).order_by(AuditEntry.id))
            return [(r.action, r.target_id, r.actor_name) for r in rows]

    for _ in range(100):
        found = [a for a in await actions() if a[0].startswith("hours.")]
        if len(found) == 2:
            break
        await asyncio.sleep(0.05)
    assert found == [
        ("hours.exception_add", str(aldorf), "ad"),
        ("hours.update", str(aldorf), "ad"),
    ]


def test_openapi_fragment_builds() -> None:
    document = build(("console.routes.hours",))
    paths = document["paths"]
    assert set(paths["/api/v1/offices/{office_id}/hours"]) == {"get", "put"}
    assert set(paths["/api/v1/offices/{office_id}/exceptions"]) == {"get", "post"}
    assert set(paths["/api/v1/offices/{office_id}/exceptions/{exception_id}"]) == {"delete"}
    schemas = document["components"]["schemas"]
    assert {"HoursWeek", "HoursWeekBody", "HoursException", "HoursExceptionBody"} <= set(schemas)
