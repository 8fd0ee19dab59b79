"""The mobile office's schedule: ``/api/v1/visits/...``, the ``mobile`` message terminals get,
and the retention of home visits.

Supervisors and admins change outpost hours and home visits, caseworkers read them, another
municipality sees none of them; every change of outpost hours reaches the municipality's
connected terminals over their real WebSockets (and a terminal connecting later gets the
schedule after ``welcome``); home visits never reach a terminal; home visits past their
retention period are deleted by the retention job.
"""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta

import aiohttp
import pytest
from sqlalchemy import text

from console.mobile_office import ends_at, message_of
from console.retention import Retention
from console.store import Store
from console.store.audit import AuditStore
from console.store.usage import UsageStore
from console.store.visits import Outpost, VisitStore
from protocol.messages import MobileOffice, MobileVisit
from tests.console.admin_setup import Tenants, call, tenants
from tests.console.conftest import RunningConsole, Seed
from tests.console.test_update_offer import connect

OUTPOSTS = "/api/v1/visits/outposts"
HOME = "/api/v1/visits/home"
DAY = 86400.0


def soon(days: int = 7) -> str:
    return (date.today() + timedelta(days=days)).isoformat()


@pytest.fixture
async def people(console: RunningConsole) -> Tenants:
    return await tenants(console.store)


async def office_of(http: aiohttp.ClientSession, console: RunningConsole, who: object) -> int:
    status, body = await call(http, console, who, "GET", "/api/v1/offices")  # type: ignore[arg-type]
    assert status == 200 and isinstance(body, dict), body
    return int(body["offices"][0]["id"])


def outpost_body(office_id: int, **changes: object) -> dict[str, object]:
    return {
        "office_id": office_id, "day": soon(), "starts": "09:00", "ends": "12:00",
        "place": "Gemeindehaus Oberdorf", "address": "Dorfstraße 4", **changes,
    }  # fmt: skip


@pytest.mark.both_backends
async def test_outpost_hours_are_added_listed_and_removed(
    console: RunningConsole, people: Tenants, http: aiohttp.ClientSession
) -> None:
    sup, cw = people.a["supervisor"], people.a["caseworker"]
    office = await office_of(http, console, sup)
    status, added = await call(http, console, sup, "POST", OUTPOSTS, outpost_body(office))
    assert status == 201 and isinstance(added, dict), added
    assert (added["day"], added["starts"], added["ends"], added["place"]) == (
        soon(), "09:00", "12:00", "Gemeindehaus Oberdorf",
    )  # fmt: skip
    assert added["timezone"] == "Europe/Berlin" and added["office_id"] == office
    status, listed = await call(http, console, cw, "GET", OUTPOSTS)  # caseworkers read
    assert status == 200 and listed == {"outposts": [added]}
    assert (await call(http, console, cw, "POST", OUTPOSTS, outpost_body(office)))[0] == 403
    assert (await call(http, console, cw, "DELETE", f"{OUTPOSTS}/{added['id']}"))[0] == 403
    # Another municipality neither sees nor removes it, nor adds hours to A's office.
    b = people.b["supervisor"]
    assert await call(http, console, b, "GET", OUTPOSTS) == (200, {"outposts": []})
    assert (await call(http, console, b, "DELETE", f"{OUTPOSTS}/{added['id']}"))[0] == 404
    assert (await call(http, console, b, "POST", OUTPOSTS, outpost_body(office)))[0] == 404
    assert (await call(http, console, sup, "DELETE", f"{OUTPOSTS}/{added['id']}"))[0] == 204
    assert await call(http, console, cw, "GET", OUTPOSTS) == (200, {"outposts": []})
    assert (await call(http, console, sup, "DELETE", f"{OUTPOSTS}/{added['id']}"))[0] == 404


@pytest.mark.parametrize(
    "change",
    [
        {"day": "2030-02-30"},
        {"day": "1999-12-31"},
        {"day": "3.12.2030"},
        {"starts": "12:00", "ends": "09:00"},
        {"starts": "09:00", "ends": "09:00"},
        {"starts": "24:00", "ends": "24:00"},
        {"starts": "9:00"},
        {"place": ""},
        {"place": "   "},
        {"place": "Zeile\nzwei"},
        {"place": "x" * 121},
        {"address": "a\tb"},
        {"note": "n" * 201},
        {"office_id": 0},
        {"queue_id": 2**31},
        {"extra": 1},
    ],
)
async def test_invalid_outpost_hours_answer_400(
    console: RunningConsole, people: Tenants, http: aiohttp.ClientSession, change: dict[str, object]
) -> None:
    sup = people.a["supervisor"]
    office = await office_of(http, console, sup)
    status, body = await call(
        http, console, sup, "POST", OUTPOSTS, {**outpost_body(office), **change}
    )
    assert status == 400, body
    assert await call(http, console, sup, "GET", OUTPOSTS) == (200, {"outposts": []})


async def test_home_visits_are_private_and_changed_by_supervisors(
    console: RunningConsole, people: Tenants, http: aiohttp.ClientSession
) -> None:
    sup, cw = people.a["supervisor"], people.a["caseworker"]
    new = {"at": "2030-01-02T10:00:00+01:00", "place": "Oberdorf, Lindenweg",
           "minutes": 45, "caseworker_id": cw.id}  # fmt: skip
    status, visit = await call(http, console, sup, "POST", HOME, new)
    assert status == 201 and isinstance(visit, dict), visit
    assert visit["at"] == "2030-01-02T09:00:00Z" and visit["staff"] == "Alice Amt"
    assert visit["status"] == "planned" and visit["minutes"] == 45
    assert (await call(http, console, cw, "GET", HOME)) == (200, {"home_visits": [visit]})
    assert (await call(http, console, cw, "POST", HOME, new))[0] == 403
    path = f"{HOME}/{visit['id']}"
    assert (await call(http, console, cw, "PATCH", path, {"status": "done"}))[0] == 403
    status, done = await call(
        http, console, sup, "PATCH", path, {"status": "done", "caseworker_id": None}
    )
    assert status == 200 and isinstance(done, dict)
    assert (done["status"], done["staff"], done["place"]) == ("done", None, "Oberdorf, Lindenweg")
    # Another municipality's staff member cannot be assigned; B sees and changes nothing.
    bert = people.b["caseworker"]
    assert (await call(http, console, sup, "PATCH", path, {"caseworker_id": bert.id}))[0] == 404
    b = people.b["admin"]
    assert await call(http, console, b, "GET", HOME) == (200, {"home_visits": []})
    assert (await call(http, console, b, "PATCH", path, {"status": "cancelled"}))[0] == 404
    assert (await call(http, console, b, "DELETE", path))[0] == 404
    for bad in (
        {"at": "2030-01-02T10:00:00"},
        {"at": "0001-01-01T00:00:00+01:00"},
        {"place": ""},
        {"minutes": 1},
        {"status": "lost"},
        {"name": "Frau M."},
    ):
        assert (await call(http, console, sup, "POST", HOME, {**new, **bad}))[0] == 400, bad
    assert (await call(http, console, people.a["admin"], "DELETE", path))[0] == 204
    assert await call(http, console, cw, "GET", HOME) == (200, {"home_visits": []})


async def test_terminals_get_the_next_outpost_hours_but_never_home_visits(
    console: RunningConsole, people: Tenants, seed: Seed, http: aiohttp.ClientSession
) -> None:
    sup = people.a["supervisor"]
    office = await office_of(http, console, sup)
    a1 = await connect(http, console, seed.a1, "bt-terminal/0.1.0")
    b1 = await connect(http, console, seed.b1, "bt-terminal/0.1.0")
    await a1.silent()  # nothing scheduled: no mobile message at connect
    status, added = await call(http, console, sup, "POST", OUTPOSTS, outpost_body(office))
    assert status == 201 and isinstance(added, dict)
    got = await a1.expect(MobileOffice)
    [visit] = got.visits
    assert (visit.day, visit.starts, visit.ends, visit.place, visit.address) == (
        soon(), "09:00", "12:00", "Gemeindehaus Oberdorf", "Dorfstraße 4",
    )  # fmt: skip
    assert visit.ends_at > time.time()
    await b1.silent()  # another municipality's terminal hears nothing
    # A home visit changes nothing on any terminal.
    home = {"at": "2030-01-02T10:00:00+01:00", "place": "Oberdorf, Lindenweg"}
    assert (await call(http, console, sup, "POST", HOME, home))[0] == 201
    await a1.silent()
    # A terminal connecting now gets the schedule right after welcome.
    a2 = await connect(http, console, seed.a2, "bt-terminal/0.1.0")
    assert (await a2.expect(MobileOffice)).visits == [visit]
    assert (await call(http, console, sup, "DELETE", f"{OUTPOSTS}/{added['id']}"))[0] == 204
    assert (await a1.expect(MobileOffice)).visits == []
    assert (await a2.expect(MobileOffice)).visits == []
    for peer in (a1, a2, b1):
        await peer.close()


def outpost(day: str, starts: str, ends: str, zone: str = "Europe/Berlin") -> Outpost:
    return Outpost(
        id=1, office_id=1, office="Rathaus", queue_id=None, queue=None, day=day, starts=starts,
        ends=ends, place="Dorfladen", address="", note="", timezone=zone,
    )  # fmt: skip


def test_the_message_holds_the_next_three_that_have_not_ended() -> None:
    now = datetime(2026, 12, 3, 10, 0, tzinfo=UTC).timestamp()  # 11:00 in Berlin
    over = outpost("2026-12-03", "08:00", "11:00")
    running = outpost("2026-12-03", "09:00", "12:00")
    later = [outpost(f"2026-12-{d:02d}", "09:00", "12:00") for d in (10, 5, 17, 24)]
    message = message_of([*later, over, running], now)
    assert [v.day for v in message.visits] == ["2026-12-03", "2026-12-05", "2026-12-10"]
    assert message.visits[0].ends_at == datetime(2026, 12, 3, 11, 0, tzinfo=UTC).timestamp()
    assert ends_at(outpost("2026-12-03", "20:00", "24:00")) == (
        datetime(2026, 12, 3, 23, 0, tzinfo=UTC).timestamp()  # midnight in Berlin
    )
    assert ends_at(outpost("2026-12-03", "09:00", "10:00", zone="Nowhere/Else")) == (
        datetime(2026, 12, 3, 10, 0, tzinfo=UTC).timestamp()  # an unknown zone reads as UTC
    )
    assert message_of([over], now) == MobileOffice(visits=[])
    assert isinstance(message.visits[0], MobileVisit)


# --- retention ---------------------------------------------------------------------------


async def home_visits_left(store: Store) -> list[str]:
    async with store.db.session() as s:
        return list((await s.execute(text("SELECT place FROM home_visits ORDER BY at"))).scalars())


@pytest.mark.both_backends
async def test_home_visits_past_their_retention_are_deleted(store: Store, seed: Seed) -> None:
    now = time.time()
    visits = VisitStore(store.db)
    mid = (await store.caseworker_by_username("alice")).municipality_id  # type: ignore[union-attr]
    for age in (45, 31, 29, 1, -3):  # days ago; -3: in three days
        when = datetime.fromtimestamp(now - age * DAY, UTC)
        await visits.add_home_visit(
            mid, at=when, minutes=30, place=f"age {age}", caseworker_id=None
        )
    retention = Retention(
        AuditStore(store.db), UsageStore(store.db), 90, 90, clock=lambda: now,
        visits=visits, visit_days=30,
    )  # fmt: skip
    assert await retention.purge() == (0, 0, 2)
    assert await home_visits_left(store) == ["age 29", "age 1", "age -3"]
    assert await retention.purge() == (0, 0, 0)
    # A shorter period (configured) deletes more; the audit log keeps no place of a visit.
    shorter = Retention(
        AuditStore(store.db), UsageStore(store.db), 90, 90, clock=lambda: now,
        visits=visits, visit_days=0.5,
    )  # fmt: skip
    assert await shorter.purge() == (0, 0, 2)
    assert await home_visits_left(store) == ["age -3"]
